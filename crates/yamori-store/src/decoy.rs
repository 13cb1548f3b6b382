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
pub(crate) const MIGRATIONS: &[&str] = &[
    "CREATE TABLE decoy_events (
        seq {serial},
        session TEXT NOT NULL,
        eventid TEXT NOT NULL,
        src_ip TEXT NOT NULL,
        ts TEXT NOT NULL,
        url TEXT,
        record TEXT NOT NULL);
     CREATE INDEX decoy_events_session ON decoy_events(session, seq);
     CREATE INDEX decoy_events_url ON decoy_events(url);",
    // 2: what the decoy saw of one address (the correlation's "seen by").
    "CREATE INDEX decoy_events_src ON decoy_events(src_ip);",
    // 3: the dashboard's window (`decoy_activity`) reads the records by time.
    "CREATE INDEX decoy_events_ts ON decoy_events(ts);",
];

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

/// What the decoy recorded of one source address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyHost {
    pub src_ip: String,
    /// The earliest and latest record's timestamp (ISO 8601 UTC, as recorded).
    pub first_seen: String,
    pub last_seen: String,
    pub sessions: u64,
    /// `(user, password)` of its login records, in order, distinct, at most the `max_listed`
    /// asked for.
    pub credentials: Vec<(String, String)>,
    /// Download URLs it sent, in order, distinct, at most `max_listed`.
    pub urls: Vec<String>,
}

/// Cowrie's login events, the records that carry `username` and `password`.
const LOGIN_EVENTS: [&str; 2] = ["cowrie.login.success", "cowrie.login.failed"];

impl Store {
    /// Every source address with records at or after `since` (ISO 8601 UTC, compared as
    /// text: the decoy writes one format), by address in byte order. Credentials and URLs are
    /// kept to `max_listed` each, so a bot that tried a million pairs costs no more.
    pub fn decoy_hosts(&self, since: &str, max_listed: usize) -> Result<Vec<DecoyHost>> {
        struct Acc {
            host: DecoyHost,
            sessions: BTreeSet<String>,
        }
        let mut by_ip: BTreeMap<String, Acc> = BTreeMap::new();
        self.db.read(|c| {
            let rows = c.query(
                "list decoy hosts",
                "SELECT src_ip, session, eventid, ts, url, record FROM decoy_events
                 WHERE ts >= ?1 ORDER BY seq",
                &[Param::text(since)],
            )?;
            for r in rows {
                let (ip, session, eventid, ts) = (r.str(0)?, r.str(1)?, r.str(2)?, r.str(3)?);
                let acc = by_ip.entry(ip.clone()).or_insert_with(|| Acc {
                    host: DecoyHost {
                        src_ip: ip,
                        first_seen: ts.clone(),
                        last_seen: ts.clone(),
                        sessions: 0,
                        credentials: Vec::new(),
                        urls: Vec::new(),
                    },
                    sessions: BTreeSet::new(),
                });
                let h = &mut acc.host;
                if ts < h.first_seen {
                    h.first_seen = ts.clone();
                }
                if ts > h.last_seen {
                    h.last_seen = ts;
                }
                acc.sessions.insert(session);
                if let Some(url) = r.opt_str(4)? {
                    if h.urls.len() < max_listed && !h.urls.contains(&url) {
                        h.urls.push(url);
                    }
                }
                if LOGIN_EVENTS.contains(&eventid.as_str()) && h.credentials.len() < max_listed {
                    // The record is the decoy's own JSON; one that does not parse (written by
                    // something else) adds no pair rather than failing the whole list.
                    let record: serde_json::Value =
                        serde_json::from_str(&r.str(5)?).unwrap_or_default();
                    if let (Some(u), Some(p)) =
                        (record["username"].as_str(), record["password"].as_str())
                    {
                        let pair = (u.to_string(), p.to_string());
                        if !h.credentials.contains(&pair) {
                            h.credentials.push(pair);
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok(by_ip
            .into_values()
            .map(|mut a| {
                a.host.sessions = a.sessions.len() as u64;
                a.host
            })
            .collect())
    }

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

    /// Per download URL, the distinct command lines that mention `busybox` in the sessions
    /// that named it, at most `max_per_url` each: where a loader's `/bin/busybox <TOKEN>`
    /// probe gives its family away (`yamori_intel::decoy_family`).
    pub fn decoy_url_busybox_lines(
        &self,
        max_per_url: usize,
    ) -> Result<BTreeMap<String, Vec<String>>> {
        let mut by_url: BTreeMap<String, Vec<String>> = BTreeMap::new();
        self.db.read(|c| {
            c.query_each(
                "list the busybox lines of sessions with downloads",
                "SELECT d.url, c.record FROM decoy_events d
                 JOIN decoy_events c ON c.session = d.session
                 WHERE d.url IS NOT NULL AND c.eventid = 'cowrie.command.input'
                   AND c.record LIKE '%busybox%'
                 ORDER BY c.seq",
                &[],
                &mut |r| {
                    let lines = by_url.entry(r.text(0)?.to_string()).or_default();
                    if lines.len() < max_per_url {
                        // The decoy's own JSON; a record that does not parse adds no line.
                        let record: serde_json::Value =
                            serde_json::from_str(r.text(1)?).unwrap_or_default();
                        if let Some(line) = record["input"].as_str() {
                            if !lines.iter().any(|l| l == line) {
                                lines.push(line.to_string());
                            }
                        }
                    }
                    Ok(())
                },
            )
        })?;
        Ok(by_url)
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
