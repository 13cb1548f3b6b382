//! The operator's trust per source of shared intel, kept in the key/value area
//! (`trust.source.<identity id>`, `trust.default`), and the latest sighting of each
//! indicator: what decayed scores read (`yamori export --score decay`, the API).

use std::collections::HashMap;

use crate::{Result, Store, StoreError};

const SOURCE_PREFIX: &str = "trust.source.";
const DEFAULT_KEY: &str = "trust.default";

/// The stored trust: the default (when set) and each listed source, 0–100.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustTable {
    pub default: Option<u8>,
    pub sources: Vec<(String, u8)>,
}

fn trust_value(key: &str, v: &str) -> Result<u8> {
    v.parse::<u8>()
        .ok()
        .filter(|n| *n <= 100)
        .ok_or_else(|| StoreError::Corrupt(format!("trust {key} = {v:?} is not 0–100")))
}

impl Store {
    pub fn trust_table(&self) -> Result<TrustTable> {
        let default = self
            .kv_get(DEFAULT_KEY)?
            .map(|v| trust_value(DEFAULT_KEY, &v))
            .transpose()?;
        let mut sources = Vec::new();
        for (k, v) in self.kv_prefixed(SOURCE_PREFIX)? {
            let trust = trust_value(&k, &v)?;
            sources.push((k[SOURCE_PREFIX.len()..].to_string(), trust));
        }
        Ok(TrustTable { default, sources })
    }

    /// Sets a source's trust (0–100; larger values are refused).
    pub fn trust_set(&self, source: &str, trust: u8) -> Result<()> {
        if trust > 100 {
            return Err(StoreError::Other(format!("trust {trust} is above 100")));
        }
        self.kv_set(&format!("{SOURCE_PREFIX}{source}"), &trust.to_string())
    }

    /// Removes a source's trust; whether it had one.
    pub fn trust_unset(&self, source: &str) -> Result<bool> {
        self.kv_delete(&format!("{SOURCE_PREFIX}{source}"))
    }

    /// Sets the trust of unlisted sources.
    pub fn trust_set_default(&self, trust: u8) -> Result<()> {
        if trust > 100 {
            return Err(StoreError::Other(format!("trust {trust} is above 100")));
        }
        self.kv_set(DEFAULT_KEY, &trust.to_string())
    }

    /// The latest time each indicator was sighted in the given collections: a sighting's
    /// `last_seen`, else its `modified`, by `sighting_of_ref` (sightings whose times do not
    /// parse are passed over, and so are those `keep` refuses: it sees each one's JSON text).
    pub fn latest_sightings(
        &self,
        collection_ids: &[&str],
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<HashMap<String, time::OffsetDateTime>> {
        #[derive(serde::Deserialize)]
        struct Sighting {
            sighting_of_ref: Option<String>,
            last_seen: Option<String>,
            modified: Option<String>,
        }
        let mut latest: HashMap<String, time::OffsetDateTime> = HashMap::new();
        for id in collection_ids {
            self.taxii_each_latest_object(id, &["sighting"], 1000, &mut |body| {
                if !keep(body) {
                    return Ok(());
                }
                let Ok(s) = serde_json::from_str::<Sighting>(body) else {
                    return Ok(());
                };
                let when = s.last_seen.or(s.modified).and_then(|t| {
                    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                        .ok()
                });
                if let (Some(of), Some(when)) = (s.sighting_of_ref, when) {
                    let e = latest.entry(of).or_insert(when);
                    *e = (*e).max(when);
                }
                Ok(())
            })?;
        }
        Ok(latest)
    }
}
