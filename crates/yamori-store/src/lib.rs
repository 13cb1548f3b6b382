//! Storage for Yamori. One [`Store`] trait, two backends:
//! [`sqlite::SqliteStore`] (a single WAL-mode file in the data directory; the default) and
//! PostgreSQL (for many sensors and hubs). Both must pass the conformance suite in `tests/`.
//!
//! The store keeps documents (analysis reports, STIX objects) as the bytes it was given and
//! indexes the few fields that queries need. It knows nothing of pcap or HTTP.
//!
//! Schema migrations are versioned per *domain* (`analysis`, `taxii`, `survey`, …) in the
//! table `yamori_migrations(domain, version)`, so features can add tables independently.

pub mod accounts;
pub mod analysis;
pub mod dashboard;
pub mod pg;
mod pg_accounts;
mod pg_taxii;
pub mod sqlite;
mod sqlite_accounts;
mod sqlite_taxii;
pub mod survey;
pub mod taxii;
pub mod vulndb;

pub use accounts::AccountStore;
pub use analysis::{AnalysisMeta, FileDigest, NewAnalysis, PutOutcome, StoredAnalysis};
pub use dashboard::DashboardStore;
pub use sqlite::SqliteStore;
pub use survey::SurveyStore;
pub use taxii::TaxiiStore;

/// A storage error, naming the operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error during {op}: {source}")]
    Sqlite {
        op: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("PostgreSQL error during {op}: {source}")]
    Postgres {
        op: &'static str,
        #[source]
        source: ::postgres::Error,
    },
    #[error("PostgreSQL connection pool: {0}")]
    Pool(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Yamori persists. Backends are synchronous; async callers (the hub) call them
/// from `spawn_blocking` so no lock or connection is held across an `.await`.
pub trait Store: TaxiiStore + AccountStore + DashboardStore + SurveyStore + Send + Sync {
    /// Store one analysis; idempotent by the set of input file digests (see [`analysis`]).
    fn put_analysis(&self, a: &NewAnalysis) -> Result<PutOutcome>;
    fn get_analysis(&self, id: &str) -> Result<Option<StoredAnalysis>>;
    /// Newest first.
    fn list_analyses(&self) -> Result<Vec<AnalysisMeta>>;
}
