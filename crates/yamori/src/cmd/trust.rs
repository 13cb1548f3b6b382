//! `yamori trust`: the operator's trust in each source of shared intel, kept in the store's
//! key/value area (`trust.source.<identity id>`, `trust.default`), and what scorers read of
//! it. STIX carries no trust in producers, so it lives here (docs/TRUST.md §1).
use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_store::Store;
use yamori_trust::{SourceTrust, Trust};

const SOURCE_PREFIX: &str = "trust.source.";
const DEFAULT_KEY: &str = "trust.default";

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Trust a source (the STIX identity in its objects' `created_by_ref`) this much, 0–100.
    /// An indicator's base score is its confidence × this trust / 100 (docs/TRUST.md).
    ///
    /// Example:
    ///   yamori trust set identity--7f3e6a52-0000-4000-8000-000000000001 90
    Set {
        source: String,
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        trust: u8,
    },
    /// Forget a source's trust: it gets the default again.
    Unset { source: String },
    /// The trust of every source not listed, and of objects naming no source (50 unless set).
    Default {
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        trust: u8,
    },
    /// Show the default and every listed source.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    let store = super::open_store(g)?;
    match c {
        Command::Set { source, trust } => {
            check_source(&source)?;
            store.kv_set(&format!("{SOURCE_PREFIX}{source}"), &trust.to_string())?;
            println!("{source}: trust {trust}");
        }
        Command::Unset { source } => {
            if !store.kv_delete(&format!("{SOURCE_PREFIX}{source}"))? {
                anyhow::bail!("{source} has no trust of its own (see `yamori trust list`)");
            }
            println!("{source}: default trust again");
        }
        Command::Default { trust } => {
            store.kv_set(DEFAULT_KEY, &trust.to_string())?;
            println!("default trust {trust}");
        }
        Command::List { json } => {
            let t = load(&store)?;
            let mut sources: Vec<(&String, &Trust)> = t.by_source.iter().collect();
            sources.sort();
            if json {
                let list: Vec<_> = sources
                    .iter()
                    .map(|(s, t)| json!({"source": s, "trust": t.get()}))
                    .collect();
                println!("{}", json!({"default": t.default.get(), "sources": list}));
            } else {
                println!("default  {}", t.default.get());
                for (s, v) in sources {
                    println!("{:>7}  {s}", v.get());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A source is a STIX identity id, as objects name it in `created_by_ref`.
fn check_source(source: &str) -> anyhow::Result<()> {
    let ok = source
        .strip_prefix("identity--")
        .is_some_and(|u| u.len() == 36 && u.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    if !ok {
        anyhow::bail!(
            "{source:?} is not a STIX identity id (identity--<uuid>), the form objects name \
             their source in (`created_by_ref`)"
        );
    }
    Ok(())
}

/// The stored trust table (defaults where nothing is stored).
pub fn load(store: &Store) -> anyhow::Result<SourceTrust> {
    let parse = |key: &str, v: &str| -> anyhow::Result<Trust> {
        let n: u8 = v
            .parse()
            .with_context(|| format!("stored trust {key} = {v:?} is not 0–100"))?;
        Trust::new(n).with_context(|| format!("stored trust {key}"))
    };
    let mut t = SourceTrust::default();
    if let Some(v) = store.kv_get(DEFAULT_KEY)? {
        t.default = parse(DEFAULT_KEY, &v)?;
    }
    for (k, v) in store.kv_prefixed(SOURCE_PREFIX)? {
        let trust = parse(&k, &v)?;
        t.by_source
            .insert(k[SOURCE_PREFIX.len()..].to_string(), trust);
    }
    Ok(t)
}

/// The latest sighting time of each indicator sighted in the collections `collection_ids`
/// (`sighting_of_ref` → `last_seen`, else `modified`): a sighting restarts an indicator's
/// decay.
pub fn sightings(
    store: &Store,
    collection_ids: &[&str],
) -> anyhow::Result<HashMap<String, OffsetDateTime>> {
    #[derive(serde::Deserialize)]
    struct Sighting {
        sighting_of_ref: Option<String>,
        last_seen: Option<String>,
        modified: Option<String>,
    }
    let mut latest: HashMap<String, OffsetDateTime> = HashMap::new();
    for collection_id in collection_ids {
        store.taxii_each_latest_object(collection_id, &["sighting"], 1000, &mut |body| {
            let Ok(s) = serde_json::from_str::<Sighting>(body) else {
                return Ok(());
            };
            let when = s
                .last_seen
                .or(s.modified)
                .and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok());
            if let (Some(id), Some(when)) = (s.sighting_of_ref, when) {
                let e = latest.entry(id).or_insert(when);
                *e = (*e).max(when);
            }
            Ok(())
        })?;
    }
    Ok(latest)
}
