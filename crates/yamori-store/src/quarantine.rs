//! Reads for the gateway's quarantine (`yamori gateway --quarantine-from-store`): addresses
//! the survey found with weak credentials or a CISA KEV vulnerability, sources the telescope
//! classified as scanners, and sources the decoy recorded. Reads only, over the survey index,
//! the dashboard's source table and the decoy's records, written once for both engines. Which of these lie in the site's own networks
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
/// The decoy recorded the address connecting to it: nothing legitimate talks to a decoy.
pub const DECOY_ATTACKER: &str = "decoy-attacker";

/// One reason, found in the store, to quarantine one address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuarantineEvidence {
    /// As stored (the survey document's or the report's text).
    pub address: String,
    /// [`WEAK_CREDENTIALS`], [`KNOWN_EXPLOITED`], [`DARKNET_SCANNER`] or [`DECOY_ATTACKER`].
    pub reason: &'static str,
    /// Unix seconds of the newest observation: the survey run's end, the scanner's last
    /// packet, the decoy's last record of it.
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
    // The decoy's timestamps are text in one format (microseconds, Z), so text order is time
    // order; before year 0 every record counts.
    let since = time::OffsetDateTime::from_unix_timestamp(since_s)
        .map(crate::taxii::format_taxii)
        .unwrap_or_default();
    let mut q = Binder::new();
    let sql = format!(
        "SELECT src_ip, MAX(ts) FROM decoy_events WHERE ts >= {} GROUP BY src_ip",
        q.bind(crate::db::Param::text(&since))
    );
    for r in q.run(c, &sql)? {
        let last = r[1].text().unwrap_or_default();
        // A record whose timestamp does not parse was still made by that address; it counts
        // as of the window's start.
        let seen = crate::taxii::parse_timestamp(&last).map_or(since_s, |t| t.unix_timestamp());
        note(r[0].text().unwrap_or_default(), DECOY_ATTACKER, seen);
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
