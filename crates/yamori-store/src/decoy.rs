//! The decoy's records (`yamori decoy`): one row per record, the record kept as the JSON text
//! it was given (Cowrie's format, the same line as in the events file), with the few fields
//! queries need beside it: session, event id, source address, timestamp and, for download
//! records, the URL. Rows are appended in batches, one transaction per batch.
//!
//! Written once for both engines over the private backend layer.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::Param;
use crate::{Result, Store};

/// Migrations of the `decoy` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE decoy_events (
        seq {serial},
        session TEXT NOT NULL,
        eventid TEXT NOT NULL,
        src_ip TEXT NOT NULL,
        ts TEXT NOT NULL,
        url TEXT,
        record TEXT NOT NULL);
     CREATE INDEX decoy_events_session ON decoy_events(session, seq);
     CREATE INDEX decoy_events_url ON decoy_events(url);"];

/// One record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecoyEvent {
    /// The decoy's session id.
    pub session: String,
    /// Cowrie's `eventid`, e.g. `cowrie.login.success`.
    pub eventid: String,
    pub src_ip: String,
    /// ISO 8601 UTC, as in the record.
    pub timestamp: String,
    /// The URL of a download record.
    pub url: Option<String>,
    /// The whole record, JSON.
    pub record: String,
}

/// A download URL the decoy saw, over all sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyUrl {
    pub url: String,
    /// Sessions that named it.
    pub sessions: u64,
    /// Source addresses that named it, sorted.
    pub sources: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
}

impl Store {
    /// Append records in one transaction; returns how many were stored.
    pub fn decoy_add_events(&self, events: &[NewDecoyEvent]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let rows: Vec<Vec<Param>> = events
            .iter()
            .map(|e| {
                vec![
                    Param::text(&e.session),
                    Param::text(&e.eventid),
                    Param::text(&e.src_ip),
                    Param::text(&e.timestamp),
                    Param::OptText(e.url.clone()),
                    Param::text(&e.record),
                ]
            })
            .collect();
        self.db.write(|c| {
            c.execute_each(
                "store decoy records",
                "INSERT INTO decoy_events (session, eventid, src_ip, ts, url, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &rows,
            )
        })
    }

    /// The records of one session, in the order they were stored, as given.
    pub fn decoy_session(&self, session: &str) -> Result<Vec<String>> {
        self.db.read(|c| {
            c.query(
                "read a decoy session",
                "SELECT record FROM decoy_events WHERE session = ?1 ORDER BY seq",
                &[Param::text(session)],
            )?
            .iter()
            .map(|r| r.str(0))
            .collect()
        })
    }

    /// How many records are stored.
    pub fn decoy_count(&self) -> Result<u64> {
        self.db.read(|c| {
            c.query_count(
                "count decoy records",
                "SELECT COUNT(*) FROM decoy_events",
                &[],
            )
        })
    }

    /// Every download URL seen, by URL (byte order, the same on both engines: the grouping
    /// is done here, not by the engines' collations), with the sessions and sources that
    /// named it.
    pub fn decoy_urls(&self) -> Result<Vec<DecoyUrl>> {
        let rows = self.db.read(|c| {
            c.query(
                "list decoy download URLs",
                "SELECT url, session, src_ip, ts FROM decoy_events
                 WHERE url IS NOT NULL ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.str(0)?, r.str(1)?, r.str(2)?, r.str(3)?)))
            .collect::<Result<Vec<_>>>()
        })?;
        let mut by_url: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, String, String)> =
            BTreeMap::new();
        for (url, session, src, ts) in rows {
            let e = by_url
                .entry(url)
                .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), ts.clone(), ts.clone()));
            e.0.insert(session);
            e.1.insert(src);
            if ts < e.2 {
                e.2 = ts.clone();
            }
            if ts > e.3 {
                e.3 = ts;
            }
        }
        Ok(by_url
            .into_iter()
            .map(
                |(url, (sessions, sources, first_seen, last_seen))| DecoyUrl {
                    url,
                    sessions: sessions.len() as u64,
                    sources: sources.into_iter().collect(),
                    first_seen,
                    last_seen,
                },
            )
            .collect())
    }
}
