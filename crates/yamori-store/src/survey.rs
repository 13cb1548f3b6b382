//! Stored survey runs (`yamori survey` results, schema `yamori.survey.result/1`) and their
//! per-service index for the dashboard.
//!
//! A run is kept as the document it was given (bytes unchanged) under the SHA-256 of those
//! bytes, so storing the same result twice keeps one. Each service of the run becomes one
//! `survey_services` row with the columns the dashboard filters and sorts on, written in the
//! same transaction as the run (and deleted with it by `ON DELETE CASCADE`).
//!
//! Like the dashboard's read model, every statement is written once here and run through
//! the backend primitives [`DashboardStore::dash_select`] / [`DashboardStore::dash_placeholder`]
//! and [`SurveyStore::survey_write`] (one transaction), so both backends run the same SQL.
//!
//! Several runs may cover the same device: lists and counts use each endpoint's (address,
//! transport, port) newest observation only, by the run's `finished` time.

mod doc;
mod query;

pub use doc::{parse_survey, SurveyDoc};
pub use query::{SurveyDevice, SurveySummary, SurveyVuln};

use crate::dashboard::DashboardStore;
use crate::taxii::Param;
use crate::Result;

/// Migrations of the `survey` domain for SQLite; never edit a released entry.
pub const SQLITE_MIGRATIONS: &[&str] = &["CREATE TABLE survey_runs (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        started TEXT NOT NULL, finished TEXT NOT NULL, finished_s INTEGER NOT NULL,
        targets INTEGER NOT NULL, hosts INTEGER NOT NULL,
        document TEXT NOT NULL);
     CREATE INDEX survey_runs_finished ON survey_runs(finished_s);
     CREATE TABLE survey_services (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES survey_runs(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL, finished_s INTEGER NOT NULL,
        address TEXT NOT NULL, addr_key TEXT NOT NULL,
        port INTEGER NOT NULL, transport TEXT NOT NULL, protocol TEXT NOT NULL,
        device_type TEXT, vendor TEXT, product TEXT, version TEXT,
        weak_credentials INTEGER NOT NULL, vulnerabilities TEXT NOT NULL,
        vulns INTEGER NOT NULL, kev INTEGER NOT NULL, max_cvss REAL,
        sort_key INTEGER NOT NULL,
        UNIQUE (run_id, ordinal));
     CREATE INDEX survey_services_order ON survey_services(sort_key DESC, addr_key, port, id);
     CREATE INDEX survey_services_endpoint
        ON survey_services(addr_key, transport, port, finished_s);"];

/// The same tables for PostgreSQL.
pub const PG_MIGRATIONS: &[&str] = &["CREATE TABLE survey_runs (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        started TEXT NOT NULL, finished TEXT NOT NULL, finished_s BIGINT NOT NULL,
        targets BIGINT NOT NULL, hosts BIGINT NOT NULL,
        document TEXT NOT NULL);
     CREATE INDEX survey_runs_finished ON survey_runs(finished_s);
     CREATE TABLE survey_services (
        id BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES survey_runs(id) ON DELETE CASCADE,
        ordinal BIGINT NOT NULL, finished_s BIGINT NOT NULL,
        address TEXT NOT NULL, addr_key TEXT NOT NULL,
        port BIGINT NOT NULL, transport TEXT NOT NULL, protocol TEXT NOT NULL,
        device_type TEXT, vendor TEXT, product TEXT, version TEXT,
        weak_credentials BIGINT NOT NULL, vulnerabilities TEXT NOT NULL,
        vulns BIGINT NOT NULL, kev BIGINT NOT NULL, max_cvss DOUBLE PRECISION,
        sort_key BIGINT NOT NULL,
        UNIQUE (run_id, ordinal));
     CREATE INDEX survey_services_order ON survey_services(sort_key DESC, addr_key, port, id);
     CREATE INDEX survey_services_endpoint
        ON survey_services(addr_key, transport, port, finished_s);"];

/// One statement and its parameters, placeholders already rendered for the backend.
pub type Statement = (String, Vec<Param>);

/// What [`SurveyStore::put_survey`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPut {
    /// SHA-256 (hex) of the document's bytes.
    pub id: String,
    /// False when the same document was stored before (nothing was written).
    pub inserted: bool,
    /// Services indexed (those of the document, whether or not it was new).
    pub services: usize,
}

/// Survey runs and their per-service index. Backends implement [`Self::survey_write`]; the
/// rest is written once on top of it and of [`DashboardStore`]'s SELECT primitive.
pub trait SurveyStore: DashboardStore {
    /// Run `statements` in order in one transaction (all or nothing).
    fn survey_write(&self, statements: &[Statement]) -> Result<()>;

    /// Store one survey result (JSON text of schema `yamori.survey.result/1`) as given and
    /// index its services; idempotent by the SHA-256 of `json`.
    fn put_survey(&self, json: &str) -> Result<SurveyPut> {
        query::put(self, json)
    }
    /// Newest observation of every surveyed service: KEV first, then highest CVSS, then
    /// address and port; after the keyset `after` = `(sort_key, id)` of the previous page's
    /// last row.
    fn survey_devices(&self, after: Option<(i64, i64)>, limit: u32) -> Result<Vec<SurveyDevice>> {
        query::devices(self, after, limit)
    }
    /// Counts over the same rows as [`Self::survey_devices`], and over the stored runs.
    fn survey_summary(&self) -> Result<SurveySummary> {
        query::summary(self)
    }
    /// The stored document of run `id`, byte for byte.
    fn survey_document(&self, id: &str) -> Result<Option<String>> {
        query::document(self, id)
    }
}
