//! Opening a store: the one place that turns `--database` into a [`Store`], creates or
//! migrates its schema, and says what to do when that fails.

use std::path::{Path, PathBuf};

use crate::db::{Db, PgDb, SqliteDb};
use crate::{Result, Store, StoreError};

/// Where the data lives, as `--database` (env `YAMORI_DATABASE`) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user@host:port/dbname`).
    Postgres(String),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL, or else a SQLite file path; with nothing given,
    /// `<data_dir>/yamori.sqlite`.
    pub fn from_arg(arg: Option<&str>, data_dir: &Path) -> Result<Self> {
        match arg {
            None => Ok(Database::Sqlite(data_dir.join("yamori.sqlite"))),
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Ok(Database::Postgres(s.to_string()))
            }
            Some(s) if s.contains("://") => Err(StoreError::Other(format!(
                "--database {s:?}: unknown scheme; give a postgres:// URL or a SQLite file path"
            ))),
            Some("") => Err(StoreError::Other(
                "--database is empty; give a postgres:// URL or a SQLite file path".into(),
            )),
            Some(s) => Ok(Database::Sqlite(PathBuf::from(s))),
        }
    }

    /// Open the store and bring its schema up to date.
    pub fn open(&self) -> Result<Store> {
        match self {
            Database::Sqlite(p) => Store::open_sqlite(p),
            Database::Postgres(u) => Store::connect_postgres(u),
        }
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres(_) => write!(f, "PostgreSQL"),
        }
    }
}

impl Store {
    /// Open (creating if needed) a SQLite file and bring its schema up to date.
    pub fn open_sqlite(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Other(format!(
                    "cannot create the data directory {}: {e}; choose a writable --data-dir \
                     or --database",
                    dir.display()
                ))
            })?;
        }
        let db = SqliteDb::open(path).map_err(|e| explain_sqlite(path, e))?;
        Self::init(Db::Sqlite(db)).map_err(|e| explain_sqlite(path, e))
    }

    /// An in-memory SQLite database, for tests.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Db::Sqlite(SqliteDb::open_in_memory()?))
    }

    /// Connect to PostgreSQL (e.g. `postgres://postgres@127.0.0.1/yamori`) and bring the
    /// schema up to date.
    pub fn connect_postgres(url: &str) -> Result<Self> {
        Self::init(Db::Postgres(PgDb::connect(url)?))
    }

    fn init(db: Db) -> Result<Self> {
        let store = Store {
            db,
            analyze: Default::default(),
        };
        store.db.migrate("analysis", crate::analysis::MIGRATIONS)?;
        store.db.migrate("taxii", crate::taxii::MIGRATIONS)?;
        store
            .db
            .migrate("dashboard", crate::dashboard::MIGRATIONS)?;
        store.db.migrate("survey", crate::survey::MIGRATIONS)?;
        store.db.migrate("vulndb", crate::vulndb::MIGRATIONS)?;
        store.db.migrate("sessions", crate::sessions::MIGRATIONS)?;
        store.db.migrate("alerts", crate::alerts::MIGRATIONS)?;
        store.db.migrate("decoy", crate::decoy::MIGRATIONS)?;
        store.db.migrate("sensor", crate::sensor::MIGRATIONS)?;
        store
            .db
            .migrate("correlation", crate::correlation::MIGRATIONS)?;
        store
            .db
            .migrate("sightings", crate::sightings::MIGRATIONS)?;
        store.index_unindexed()?;
        store.migrate_kv_sessions()?;
        if !crate::correlation::INDEXED {
            tracing::warn!(
                "this build skips the correlation index (feature bench-no-correlation, for \
                 benchmarks only): objects stored now are never correlated"
            );
        }
        Ok(store)
    }
}

/// SQLite's own errors for a file it cannot use, in words that say what to do.
fn explain_sqlite(path: &Path, e: StoreError) -> StoreError {
    use rusqlite::ErrorCode as C;
    let code = match &e {
        StoreError::Sqlite {
            source: rusqlite::Error::SqliteFailure(f, _),
            ..
        } => Some(f.code),
        _ => None,
    };
    let p = path.display();
    match code {
        Some(C::NotADatabase) => StoreError::Other(format!(
            "{p} is not a SQLite database (or is encrypted or damaged); point --database at a \
             Yamori database file, or at a new path to create one"
        )),
        Some(C::CannotOpen | C::ReadOnly | C::PermissionDenied) => StoreError::Other(format!(
            "cannot write {p} ({e}); the data directory must be writable: choose another \
             --data-dir or --database"
        )),
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Other(format!(
            "{p} is locked by another process for longer than 5 s ({e}); try again when it is done"
        )),
        _ => e,
    }
}
