//! What alerts to network operators need from the store: the scanners of a stored analysis
//! (read from the dashboard's source index, `tel_sources`, which holds the report's JSON of
//! each source) and the hosts already notified (`notified_hosts`), so that a host is reported
//! again only after a quiet period.
//!
//! `notified_hosts` keeps one row per (host, channel). The channel is the kind of evidence a
//! notice was about (`telescope` today; a decoy's notices get their own), so a host reported
//! for its scanning is still reported when another sensor sees something new of it. Times are
//! Unix seconds given by the caller (the command's clock, or `--now`), never the database's.
//!
//! Written once for both engines over the private backend layer.

use yamori_model::telescope::SourceSummary;

use crate::db::Param;
use crate::{Result, Store, StoreError};

/// Migrations of the `alerts` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE notified_hosts (
        host TEXT NOT NULL,
        channel TEXT NOT NULL,
        first_notified_s {int} NOT NULL,
        last_notified_s {int} NOT NULL,
        times {int} NOT NULL,
        recipient TEXT NOT NULL,
        PRIMARY KEY (host, channel));
     CREATE INDEX notified_hosts_recent ON notified_hosts(channel, last_notified_s);"];

/// One host's notification record on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifiedHost {
    pub host: String,
    pub channel: String,
    /// Unix seconds of the first and the latest notice about it.
    pub first_notified_s: i64,
    pub last_notified_s: i64,
    /// How many notices named it.
    pub times: u64,
    /// Who the latest notice went to (the notice's key, e.g. `01-example-isp` or `as64500`).
    pub recipient: String,
}

impl Store {
    /// The sources analysis `analysis_id` classified as scanners (they met the scanner rule in
    /// some window), most packets first, then by address. `None` when no such analysis is
    /// stored; an analysis without scanners gives `Some` of an empty list.
    pub fn analysis_scanners(&self, analysis_id: &str) -> Result<Option<Vec<SourceSummary>>> {
        self.db.read(|c| {
            let known = c.query_count(
                "find analysis",
                "SELECT COUNT(*) FROM tel_analyses WHERE analysis_id = ?1",
                &[Param::text(analysis_id)],
            )?;
            if known == 0 {
                return Ok(None);
            }
            let rows = c.query(
                "list analysis scanners",
                "SELECT address, detail FROM tel_sources WHERE analysis_id = ?1 AND scanner = 1
                 ORDER BY packets DESC, address",
                &[Param::text(analysis_id)],
            )?;
            rows.iter()
                .map(|r| {
                    let address = r.str(0)?;
                    serde_json::from_str::<SourceSummary>(&r.str(1)?).map_err(|e| {
                        StoreError::Corrupt(format!(
                            "analysis {analysis_id}, source {address}: {e}"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()
                .map(Some)
        })
    }

    /// Hosts notified on `channel` at or after `since_s`, by host.
    pub fn notified_since(&self, channel: &str, since_s: i64) -> Result<Vec<NotifiedHost>> {
        self.db.read(|c| {
            c.query(
                "list notified hosts",
                "SELECT host, channel, first_notified_s, last_notified_s, times, recipient
                 FROM notified_hosts WHERE channel = ?1 AND last_notified_s >= ?2 ORDER BY host",
                &[Param::text(channel), Param::Int(since_s)],
            )?
            .iter()
            .map(|r| {
                Ok(NotifiedHost {
                    host: r.str(0)?,
                    channel: r.str(1)?,
                    first_notified_s: r.i64(2)?,
                    last_notified_s: r.i64(3)?,
                    times: r.u64(4)?,
                    recipient: r.str(5)?,
                })
            })
            .collect()
        })
    }

    /// Record that each `(host, recipient)` was notified on `channel` at `now_s`, in one
    /// transaction: a new host gets a row, a known one its latest time, recipient and one more
    /// notice counted. Returns how many hosts were recorded.
    pub fn record_notified(
        &self,
        channel: &str,
        hosts: &[(String, String)],
        now_s: i64,
    ) -> Result<u64> {
        let rows: Vec<Vec<Param>> = hosts
            .iter()
            .map(|(host, recipient)| {
                vec![
                    Param::text(host),
                    Param::text(channel),
                    Param::Int(now_s),
                    Param::text(recipient),
                ]
            })
            .collect();
        self.db.write(|c| {
            c.execute_each(
                "record notified hosts",
                "INSERT INTO notified_hosts
                    (host, channel, first_notified_s, last_notified_s, times, recipient)
                 VALUES (?1, ?2, ?3, ?3, 1, ?4)
                 ON CONFLICT (host, channel) DO UPDATE SET
                    last_notified_s = excluded.last_notified_s,
                    times = notified_hosts.times + 1,
                    recipient = excluded.recipient",
                &rows,
            )
        })
    }
}
