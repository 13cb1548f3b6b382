//! Stored telescope analyses.
//!
//! Idempotency rule: an analysis is identified by the sorted set of its input files' SHA-256
//! digests (its `id` is the SHA-256 of those digests joined). Storing the same set again
//! replaces the earlier one (no double counting). Storing a set that shares some but not all
//! files with a stored analysis is refused with [`crate::StoreError::Conflict`] unless
//! `replace_overlapping` is set, in which case the overlapping analyses are removed first and
//! named in the outcome.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub struct NewAnalysis {
    pub files: Vec<FileDigest>,
    /// The full report as JSON (schema `yamori.telescope.report/1`), stored as given.
    pub report_json: String,
    /// RFC 3339 times of the first and last packet, for range queries.
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub darknet_packets: u64,
    pub replace_overlapping: bool,
}

impl NewAnalysis {
    /// The analysis id for this file set.
    pub fn id(&self) -> String {
        analysis_id(self.files.iter().map(|f| f.sha256.as_str()))
    }
}

/// SHA-256 over the sorted, de-duplicated, newline-joined digests.
pub fn analysis_id<'a>(digests: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut d: Vec<&str> = digests.into_iter().collect();
    d.sort_unstable();
    d.dedup();
    hex::encode(Sha256::digest(d.join("\n").as_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Inserted {
        id: String,
    },
    /// The same file set was stored before; its report was replaced.
    Replaced {
        id: String,
    },
    /// Overlapping analyses were removed (with `replace_overlapping`) before inserting.
    Superseded {
        id: String,
        removed: Vec<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnalysisMeta {
    pub id: String,
    pub stored_at: String,
    pub files: Vec<FileDigest>,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub darknet_packets: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnalysis {
    pub meta: AnalysisMeta,
    pub report_json: String,
}

use crate::db::{Conn, Engine, Param};
use crate::{Result, Store, StoreError};

/// Migrations of the `analysis` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE analyses (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        first_packet TEXT,
        last_packet TEXT,
        darknet_packets {int} NOT NULL,
        report_json TEXT NOT NULL
     );
     CREATE TABLE analysis_files (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        name TEXT NOT NULL,
        bytes {int} NOT NULL,
        PRIMARY KEY (analysis_id, sha256)
     );
     CREATE INDEX analysis_files_sha ON analysis_files(sha256);"];

impl Store {
    /// Store one analysis and its dashboard index in one transaction; idempotent by the set
    /// of input file digests (see the module's rule).
    pub fn put_analysis(&self, a: &NewAnalysis) -> Result<PutOutcome> {
        self.db.write(|c| put(c, a))
    }

    pub fn get_analysis(&self, id: &str) -> Result<Option<StoredAnalysis>> {
        self.db.read(|c| {
            let Some(r) = c.query_opt(
                "get analysis",
                "SELECT stored_at, first_packet, last_packet, darknet_packets, report_json
                 FROM analyses WHERE id = ?1",
                &[Param::text(id)],
            )?
            else {
                return Ok(None);
            };
            Ok(Some(StoredAnalysis {
                meta: AnalysisMeta {
                    id: id.to_string(),
                    stored_at: r.str(0)?,
                    files: files_of(c, id)?,
                    first_packet: r.opt_str(1)?,
                    last_packet: r.opt_str(2)?,
                    darknet_packets: r.u64(3)?,
                },
                report_json: r.str(4)?,
            }))
        })
    }

    /// Newest first.
    pub fn list_analyses(&self) -> Result<Vec<AnalysisMeta>> {
        self.db.read(|c| {
            let rows = c.query(
                "list analyses",
                "SELECT id, stored_at, first_packet, last_packet, darknet_packets
                 FROM analyses ORDER BY stored_at DESC, id",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    let id = r.str(0)?;
                    Ok(AnalysisMeta {
                        files: files_of(c, &id)?,
                        id,
                        stored_at: r.str(1)?,
                        first_packet: r.opt_str(2)?,
                        last_packet: r.opt_str(3)?,
                        darknet_packets: r.u64(4)?,
                    })
                })
                .collect()
        })
    }

    /// Index analyses stored before the dashboard tables existed (once, at open).
    pub(crate) fn index_unindexed(&self) -> Result<()> {
        let ids = self.db.read(|c| {
            c.query(
                "find unindexed analyses",
                "SELECT id FROM analyses WHERE id NOT IN (SELECT analysis_id FROM tel_analyses)",
                &[],
            )?
            .iter()
            .map(|r| r.str(0))
            .collect::<Result<Vec<_>>>()
        })?;
        for id in ids {
            self.db.write(|c| {
                let json = c
                    .query_opt(
                        "index analysis",
                        "SELECT report_json FROM analyses WHERE id = ?1",
                        &[Param::text(&id)],
                    )?
                    .map(|r| r.str(0))
                    .transpose()?
                    .unwrap_or_default();
                crate::dashboard::index_analysis(c, &id, &json)
            })?;
        }
        Ok(())
    }
}

pub(crate) fn put(c: &mut dyn Conn, a: &NewAnalysis) -> Result<PutOutcome> {
    let id = a.id();
    // Stored analyses sharing any of our files.
    let mut overlapping: Vec<String> = Vec::new();
    for f in &a.files {
        for r in c.query(
            "find overlapping",
            "SELECT DISTINCT analysis_id FROM analysis_files WHERE sha256 = ?1",
            &[Param::text(&f.sha256)],
        )? {
            let other = r.str(0)?;
            if !overlapping.contains(&other) {
                overlapping.push(other);
            }
        }
    }
    let same = overlapping.iter().any(|o| o == &id);
    let others: Vec<String> = overlapping.into_iter().filter(|o| o != &id).collect();
    if !others.is_empty() && !a.replace_overlapping {
        return Err(StoreError::Conflict(format!(
            "some of these files are already stored in analysis {} together with other files; \
             analyse exactly that file set again, or pass --replace to supersede it",
            others.join(", ")
        )));
    }
    for o in others.iter().chain(same.then_some(&id)) {
        c.execute(
            "remove superseded analysis",
            "DELETE FROM analyses WHERE id = ?1",
            &[Param::text(o)],
        )?;
    }
    c.execute(
        "insert analysis",
        "INSERT INTO analyses (id, stored_at, first_packet, last_packet, darknet_packets, report_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            Param::text(&id),
            Param::Text(crate::taxii::taxii_now()),
            Param::OptText(a.first_packet.clone()),
            Param::OptText(a.last_packet.clone()),
            Param::count(a.darknet_packets),
            Param::text(&a.report_json),
        ],
    )?;
    let indexed = crate::dashboard::index_analysis(c, &id, &a.report_json)?;
    if c.engine() == Engine::Postgres && indexed as u64 >= crate::taxii::ANALYZE_EVERY {
        // Fresh statistics for the dashboard's tables after a big report (see ANALYZE_EVERY);
        // SQLite plans these queries well without statistics.
        c.execute_batch(
            "analyze dashboard tables",
            "ANALYZE tel_analyses, tel_minutes, tel_facets, tel_sources, tel_attacks",
        )?;
    }
    let files: Vec<Vec<Param>> = a
        .files
        .iter()
        .map(|f| {
            vec![
                Param::text(&id),
                Param::text(&f.sha256),
                Param::text(&f.name),
                Param::count(f.bytes),
            ]
        })
        .collect();
    c.execute_each(
        "insert analysis file",
        "INSERT INTO analysis_files (analysis_id, sha256, name, bytes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
        &files,
    )?;
    Ok(if !others.is_empty() {
        PutOutcome::Superseded {
            id,
            removed: others,
        }
    } else if same {
        PutOutcome::Replaced { id }
    } else {
        PutOutcome::Inserted { id }
    })
}

fn files_of(c: &mut dyn Conn, id: &str) -> Result<Vec<FileDigest>> {
    c.query(
        "list analysis files",
        "SELECT name, sha256, bytes FROM analysis_files WHERE analysis_id = ?1 ORDER BY name",
        &[Param::text(id)],
    )?
    .iter()
    .map(|r| {
        Ok(FileDigest {
            name: r.str(0)?,
            sha256: r.str(1)?,
            bytes: r.u64(2)?,
        })
    })
    .collect()
}
