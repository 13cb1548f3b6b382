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
