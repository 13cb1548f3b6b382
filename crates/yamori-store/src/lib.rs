//! Storage for Yamori: one [`Store`], on the embedded SQLite file (the default: one WAL-mode
//! file in the data directory) or on PostgreSQL (for many sensors and hubs). Every area is
//! written once over a private backend layer (`db`), so both engines run the same statements
//! and pass the same conformance suite (`tests/it/`).
//!
//! The store keeps documents (analysis reports, survey results, STIX objects) as the bytes it
//! was given and indexes the few fields that queries need. It knows nothing of pcap or HTTP.
//!
//! Schema migrations are versioned per *domain* (`analysis`, `taxii`, `dashboard`, `survey`,
//! `vulndb`, `sessions`, `alerts`, `decoy`, `sensor`, `correlation`) in the table `yamori_migrations(domain, version)`, so
//! features can add tables independently; a released step is never edited.

pub mod accounts;
pub mod alerts;
pub mod analysis;
mod backfill;
pub mod correlation;
pub mod dashboard;
mod db;
pub mod decoy;
pub mod decoy_activity;
mod open;
pub mod quarantine;
mod seen_within;
pub mod sensor;
pub mod sessions;
pub mod shared_values;
pub mod sightings;
pub mod survey;
pub mod taxii;
pub mod trust;
pub mod vulndb;

pub use analysis::{AnalysisMeta, FileDigest, NewAnalysis, PutOutcome, StoredAnalysis};
pub use db::pg_execute_admin;
pub use db::{Engine, Param, Value};
pub use open::Database;

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

impl StoreError {
    /// Whether the database refused the data of a statement (a value it cannot hold, too
    /// long for an index, breaking a constraint), as opposed to failing to run it (a lost
    /// connection, a full disk, a timeout, a missing table), which running it later may fix.
    pub fn refuses_data(&self) -> bool {
        match self {
            // SQLSTATE classes 22 (data exception), 23 (integrity constraint violation) and
            // 54 (program limit exceeded: an index row too large).
            StoreError::Postgres { source, .. } => source
                .code()
                .is_some_and(|c| matches!(&c.code()[..2], "22" | "23" | "54")),
            StoreError::Sqlite { source, .. } => match source {
                rusqlite::Error::SqliteFailure(e, _) => matches!(
                    e.code,
                    rusqlite::ErrorCode::TooBig
                        | rusqlite::ErrorCode::ConstraintViolation
                        | rusqlite::ErrorCode::TypeMismatch
                ),
                rusqlite::Error::ToSqlConversionFailure(_) => true,
                _ => false,
            },
            _ => false,
        }
    }
}

/// Everything Yamori persists, on either engine. Synchronous: async callers (the hub) call
/// it from `spawn_blocking`, so no lock or connection is held across an `.await`.
pub struct Store {
    db: db::Db,
    /// When to refresh PostgreSQL's statistics of the TAXII objects during bulk ingest.
    analyze: std::sync::Arc<taxii::statistics::AnalyzeSchedule>,
}

impl Store {
    /// Which engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.db.engine()
    }
}
