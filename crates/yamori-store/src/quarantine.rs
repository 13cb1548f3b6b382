//! Reads for the gateway's quarantine (`yamori gateway --quarantine-from-store`): addresses
//! the survey found with weak credentials or a CISA KEV vulnerability, and sources the
//! telescope classified as scanners. Reads only, over the survey index and the dashboard's
//! source table, written once for both engines. Which of these lie in the site's own networks
//! is the caller's business (`yamori_act::gateway::quarantine`).

use std::collections::BTreeMap;

use crate::db::{Binder, Conn};
use crate::survey::query::NEWEST;
use crate::{Result, Store};

/// The survey's newest observation of a service had a weak credential.
pub const WEAK_CREDENTIALS: &str = "weak-credentials";
/// The survey's newest observation of a service matched a CVE in CISA's KEV catalogue.
pub const KNOWN_EXPLOITED: &str = "known-exploited-vulnerability";
/// The telescope classified the address as a scanner of the darknet.
pub const DARKNET_SCANNER: &str = "darknet-scanner";

/// One reason, found in the store, to quarantine one address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuarantineEvidence {
    /// As stored (the survey document's or the report's text).
    pub address: String,
    /// [`WEAK_CREDENTIALS`], [`KNOWN_EXPLOITED`] or [`DARKNET_SCANNER`].
    pub reason: &'static str,
    /// Unix seconds of the newest observation: the survey run's end, the scanner's last packet.
    pub seen_s: i64,
}

impl Store {
    /// Every (address, reason) observed at or after `since_s`, newest observation each,
    /// sorted by address text and reason. A survey service counts by its newest observation
    /// only: a device whose password was changed since is not listed for it.
    pub fn quarantine_evidence(&self, since_s: i64) -> Result<Vec<QuarantineEvidence>> {
        self.db.read(|c| evidence(c, since_s))
    }
}

fn evidence(c: &mut dyn Conn, since_s: i64) -> Result<Vec<QuarantineEvidence>> {
    let mut newest: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
    let mut note = |address: String, reason: &'static str, seen: i64| {
        let e = newest.entry((address, reason)).or_insert(seen);
        *e = (*e).max(seen);
    };
    let mut q = Binder::new();
    let sql = format!(
        "SELECT s.address, s.weak_credentials, s.kev, s.finished_s FROM survey_services s \
         WHERE {NEWEST} AND (s.weak_credentials <> 0 OR s.kev <> 0) AND s.finished_s >= {}",
        q.int(since_s)
    );
    for r in q.run(c, &sql)? {
        let address = r[0].text().unwrap_or_default();
        if r[1].int() != 0 {
            note(address.clone(), WEAK_CREDENTIALS, r[3].int());
        }
        if r[2].int() != 0 {
            note(address, KNOWN_EXPLOITED, r[3].int());
        }
    }
    let mut q = Binder::new();
    let sql = format!(
        "SELECT address, MAX(last_s) FROM tel_sources WHERE scanner <> 0 AND last_s >= {} \
         GROUP BY address",
        q.int(since_s)
    );
    for r in q.run(c, &sql)? {
        note(r[0].text().unwrap_or_default(), DARKNET_SCANNER, r[1].int());
    }
    Ok(newest
        .into_iter()
        .map(|((address, reason), seen_s)| QuarantineEvidence {
            address,
            reason,
            seen_s,
        })
        .collect())
}
