//! Stored survey runs (`yamori survey` results, schema `yamori.survey.result/1`) and their
//! per-service index for the dashboard.
//!
//! A run is kept as the document it was given (bytes unchanged) under the SHA-256 of those
//! bytes, so storing the same result twice keeps one. Each service of the run becomes one
//! `survey_services` row with the columns the dashboard filters and sorts on, written in the
//! same transaction as the run (and deleted with it by `ON DELETE CASCADE`).
//!
//! Like the dashboard's read model, every statement is written once, for both engines.
//!
//! Several runs may cover the same device: lists and counts use each endpoint's (address,
//! transport, port) newest observation only, by the run's `finished` time.

mod doc;
pub(crate) mod query;

pub use doc::{parse_survey, SurveyDoc};
pub use query::{SurveyDevice, SurveySummary, SurveyVuln};

use crate::db::Param;
use crate::{Result, Store};

/// Migrations of the `survey` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE survey_runs (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        started TEXT NOT NULL, finished TEXT NOT NULL, finished_s {int} NOT NULL,
        targets {int} NOT NULL, hosts {int} NOT NULL,
        document TEXT NOT NULL);
     CREATE INDEX survey_runs_finished ON survey_runs(finished_s);
     CREATE TABLE survey_services (
        id {serial},
        run_id TEXT NOT NULL REFERENCES survey_runs(id) ON DELETE CASCADE,
        ordinal {int} NOT NULL, finished_s {int} NOT NULL,
        address TEXT NOT NULL, addr_key TEXT NOT NULL,
        port {int} NOT NULL, transport TEXT NOT NULL, protocol TEXT NOT NULL,
        device_type TEXT, vendor TEXT, product TEXT, version TEXT,
        weak_credentials {int} NOT NULL, vulnerabilities TEXT NOT NULL,
        vulns {int} NOT NULL, kev {int} NOT NULL, max_cvss {real},
        sort_key {int} NOT NULL,
        UNIQUE (run_id, ordinal));
     CREATE INDEX survey_services_order ON survey_services(sort_key DESC, addr_key, port, id);
     CREATE INDEX survey_services_endpoint
        ON survey_services(addr_key, transport, port, finished_s);"];

/// One statement and its parameters.
type Statement = (String, Vec<Param>);

/// What [`Store::put_survey`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPut {
    /// SHA-256 (hex) of the document's bytes.
    pub id: String,
    /// False when the same document was stored before (nothing was written).
    pub inserted: bool,
    /// Services indexed (those of the document, whether or not it was new).
    pub services: usize,
}

/// Survey runs and their per-service index.
impl Store {
    /// Store one survey result (JSON text of schema `yamori.survey.result/1`) as given and
    /// index its services; idempotent by the SHA-256 of `json`.
    pub fn put_survey(&self, json: &str) -> Result<SurveyPut> {
        self.db.write(|c| query::put(c, json))
    }
    /// Newest observation of every surveyed service: KEV first, then highest CVSS, then
    /// address and port; after the keyset `after` = `(sort_key, id)` of the previous page's
    /// last row.
    pub fn survey_devices(
        &self,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<SurveyDevice>> {
        self.db.read(|c| query::devices(c, after, limit))
    }
    /// Counts over the same rows as [`Self::survey_devices`], and over the stored runs.
    pub fn survey_summary(&self) -> Result<SurveySummary> {
        self.db.read(query::summary)
    }
    /// The stored document of run `id`, byte for byte.
    pub fn survey_document(&self, id: &str) -> Result<Option<String>> {
        self.db.read(|c| query::document(c, id))
    }
}
