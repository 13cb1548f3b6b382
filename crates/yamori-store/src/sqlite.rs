//! The embedded backend: one SQLite file in WAL mode.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and WAL lets the file be
//! read by other processes (e.g. a running hub) while an analysis is written.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::analysis::{AnalysisMeta, FileDigest, NewAnalysis, PutOutcome, StoredAnalysis};
use crate::{Result, Store, StoreError};

pub(crate) fn db(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

/// Migrations of the `analysis` domain, applied in order; never edit a released entry.
const ANALYSIS_MIGRATIONS: &[&str] = &[
    // 1: analyses and the files they cover.
    "CREATE TABLE analyses (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        first_packet TEXT,
        last_packet TEXT,
        darknet_packets INTEGER NOT NULL,
        report_json TEXT NOT NULL
     );
     CREATE TABLE analysis_files (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        name TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (analysis_id, sha256)
     );
     CREATE INDEX analysis_files_sha ON analysis_files(sha256);",
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Read-only connections for the hot read paths (TAXII pages, dashboard queries, auth
    /// lookups): WAL lets them read while the writer writes, so concurrent requests no
    /// longer queue behind one mutex. Empty for in-memory databases (one connection only).
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Read-only connections per file database: the machines we target have 2–8 cores.
const READERS: usize = 4;

impl SqliteStore {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(db("open"))?;
        let mut store = Self::init(conn)?;
        // Opened after `init`, so they see the migrated schema.
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(db("open reader"))?;
            r.execute_batch("PRAGMA busy_timeout=5000; PRAGMA query_only=ON;")
                .map_err(db("configure reader"))?;
            store.readers.push(Mutex::new(r));
        }
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(db("open"))?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS yamori_migrations (
                domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
                PRIMARY KEY (domain, version));",
        )
        .map_err(db("configure"))?;
        let store = Self {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        };
        store.migrate("analysis", ANALYSIS_MIGRATIONS)?;
        store.migrate("taxii", crate::sqlite_taxii::TAXII_MIGRATIONS)?;
        store.migrate("dashboard", crate::dashboard::SQLITE_MIGRATIONS)?;
        store.migrate("survey", crate::survey::SQLITE_MIGRATIONS)?;
        store.index_unindexed()?;
        Ok(store)
    }

    /// Apply the migrations of `domain` that are not yet recorded, each in its own transaction.
    pub fn migrate(&self, domain: &str, steps: &[&str]) -> Result<()> {
        let mut conn = self.lock();
        let done: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM yamori_migrations WHERE domain = ?1",
                [domain],
                |r| r.get(0),
            )
            .map_err(db("read migrations"))?;
        for (i, sql) in steps.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= done {
                continue;
            }
            let tx = conn.transaction().map_err(db("migrate"))?;
            tx.execute_batch(sql).map_err(db("migrate"))?;
            tx.execute(
                "INSERT INTO yamori_migrations (domain, version, applied_at) VALUES (?1, ?2, ?3)",
                params![domain, version, now_rfc3339()],
            )
            .map_err(db("migrate"))?;
            tx.commit().map_err(db("migrate"))?;
        }
        Ok(())
    }

    /// The connection, for other modules of this crate. A poisoned lock only means another
    /// thread panicked mid-call; SQLite's own transactions keep the file consistent.
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for a read that needs no transaction with a write: a free reader if
    /// there is one, else the next one in turn (or the writer for in-memory databases).
    /// Reads see every committed write (WAL: each read starts from the latest commit).
    pub(crate) fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return self.lock();
        }
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            match self.readers[(start + i) % n].try_lock() {
                Ok(g) => return g,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// Write the dashboard index of one analysis (inside the caller's transaction).
fn index_analysis(tx: &Connection, id: &str, report_json: &str) -> Result<()> {
    let batch = crate::dashboard::index_report(id, report_json, &|n| format!("?{n}"))?;
    for (table, params) in &batch.rows {
        let mut st = tx
            .prepare_cached(&batch.sqls[*table])
            .map_err(db("index analysis"))?;
        let bound: Vec<&dyn rusqlite::ToSql> =
            params.iter().map(crate::sqlite_taxii::bind).collect();
        st.execute(bound.as_slice()).map_err(db("index analysis"))?;
    }
    Ok(())
}

impl SqliteStore {
    /// Index analyses stored before the dashboard tables existed (once, at open).
    fn index_unindexed(&self) -> Result<()> {
        let mut conn = self.lock();
        let ids: Vec<String> = {
            let mut q = conn
                .prepare(
                    "SELECT id FROM analyses WHERE id NOT IN (SELECT analysis_id FROM tel_analyses)",
                )
                .map_err(db("find unindexed analyses"))?;
            let rows = q
                .query_map([], |r| r.get(0))
                .map_err(db("find unindexed analyses"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(db("find unindexed analyses"))?
        };
        for id in ids {
            let tx = conn.transaction().map_err(db("index analysis"))?;
            let json: String = tx
                .query_row(
                    "SELECT report_json FROM analyses WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .map_err(db("index analysis"))?;
            index_analysis(&tx, &id, &json)?;
            tx.commit().map_err(db("index analysis"))?;
        }
        Ok(())
    }
}

impl crate::dashboard::DashboardStore for SqliteStore {
    fn dash_select(
        &self,
        sql: &str,
        params: &[crate::taxii::Param],
    ) -> Result<Vec<Vec<crate::dashboard::Value>>> {
        use crate::dashboard::Value;
        use rusqlite::types::ValueRef;
        let conn = self.read();
        let mut st = conn.prepare_cached(sql).map_err(db("dashboard query"))?;
        let n = st.column_count();
        let bound: Vec<&dyn rusqlite::ToSql> =
            params.iter().map(crate::sqlite_taxii::bind).collect();
        let mut rows = st.query(bound.as_slice()).map_err(db("dashboard query"))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db("dashboard query"))? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(db("dashboard query"))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    fn dash_placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }
}

impl crate::survey::SurveyStore for SqliteStore {
    fn survey_write(&self, statements: &[crate::survey::Statement]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("begin survey write"))?;
        for (sql, params) in statements {
            let bound: Vec<&dyn rusqlite::ToSql> =
                params.iter().map(crate::sqlite_taxii::bind).collect();
            tx.prepare_cached(sql)
                .and_then(|mut st| st.execute(bound.as_slice()))
                .map_err(db("survey write"))?;
        }
        tx.commit().map_err(db("commit survey write"))
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store for SqliteStore {
    fn put_analysis(&self, a: &NewAnalysis) -> Result<PutOutcome> {
        let id = a.id();
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("begin put_analysis"))?;
        // Stored analyses sharing any of our files.
        let mut overlapping: Vec<String> = Vec::new();
        {
            let mut q = tx
                .prepare("SELECT DISTINCT analysis_id FROM analysis_files WHERE sha256 = ?1")
                .map_err(db("find overlapping"))?;
            for f in &a.files {
                let rows = q
                    .query_map([&f.sha256], |r| r.get::<_, String>(0))
                    .map_err(db("find overlapping"))?;
                for r in rows {
                    let other = r.map_err(db("find overlapping"))?;
                    if !overlapping.contains(&other) {
                        overlapping.push(other);
                    }
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
            tx.execute("DELETE FROM analyses WHERE id = ?1", [o])
                .map_err(db("remove superseded analysis"))?;
        }
        tx.execute(
            "INSERT INTO analyses (id, stored_at, first_packet, last_packet, darknet_packets, report_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                now_rfc3339(),
                a.first_packet,
                a.last_packet,
                a.darknet_packets as i64,
                a.report_json
            ],
        )
        .map_err(db("insert analysis"))?;
        index_analysis(&tx, &id, &a.report_json)?;
        for f in &a.files {
            tx.execute(
                "INSERT OR IGNORE INTO analysis_files (analysis_id, sha256, name, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![id, f.sha256, f.name, f.bytes as i64],
            )
            .map_err(db("insert analysis file"))?;
        }
        tx.commit().map_err(db("commit analysis"))?;
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

    fn get_analysis(&self, id: &str) -> Result<Option<StoredAnalysis>> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT stored_at, first_packet, last_packet, darknet_packets, report_json
                 FROM analyses WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(db("get analysis"))?;
        let Some((stored_at, first_packet, last_packet, n, report_json)) = row else {
            return Ok(None);
        };
        let files = files_of(&conn, id)?;
        Ok(Some(StoredAnalysis {
            meta: AnalysisMeta {
                id: id.to_string(),
                stored_at,
                files,
                first_packet,
                last_packet,
                darknet_packets: n as u64,
            },
            report_json,
        }))
    }

    fn list_analyses(&self) -> Result<Vec<AnalysisMeta>> {
        let conn = self.lock();
        let mut q = conn
            .prepare(
                "SELECT id, stored_at, first_packet, last_packet, darknet_packets
                 FROM analyses ORDER BY stored_at DESC, id",
            )
            .map_err(db("list analyses"))?;
        let metas = q
            .query_map([], |r| {
                Ok(AnalysisMeta {
                    id: r.get(0)?,
                    stored_at: r.get(1)?,
                    files: Vec::new(),
                    first_packet: r.get(2)?,
                    last_packet: r.get(3)?,
                    darknet_packets: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(db("list analyses"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list analyses"))?;
        drop(q);
        metas
            .into_iter()
            .map(|mut m| {
                m.files = files_of(&conn, &m.id)?;
                Ok(m)
            })
            .collect()
    }
}

fn files_of(conn: &Connection, id: &str) -> Result<Vec<FileDigest>> {
    let mut q = conn
        .prepare(
            "SELECT name, sha256, bytes FROM analysis_files WHERE analysis_id = ?1 ORDER BY name",
        )
        .map_err(db("list analysis files"))?;
    let rows = q
        .query_map([id], |r| {
            Ok(FileDigest {
                name: r.get(0)?,
                sha256: r.get(1)?,
                bytes: r.get::<_, i64>(2)? as u64,
            })
        })
        .map_err(db("list analysis files"))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db("list analysis files"))?;
    Ok(rows)
}
