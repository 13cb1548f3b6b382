//! SQLite: one file in WAL mode, one writer connection behind a mutex (SQLite serialises
//! writers anyway) and a few read-only connections for the hot read paths (TAXII pages,
//! dashboard queries, auth lookups): WAL lets them read while the writer writes, and lets
//! other processes (a running hub) read the file while an analysis is written.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::{Cell, Conn, Engine, Param, Row, RowRef, Value, MIGRATIONS_TABLE};
use crate::{Result, StoreError};

fn db(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

/// Read-only connections per file database: the machines we target have 2–8 cores.
const READERS: usize = 4;

pub(crate) struct SqliteDb {
    writer: Mutex<Connection>,
    /// Empty for in-memory databases (one connection only).
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// A text cell's bytes as text: borrowed when they are UTF-8, as Yamori writes them (the strict
/// check is much faster than the lossy one), otherwise a lossy copy.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

impl SqliteDb {
    /// Open (creating if needed) the database file, configured, with the migrations table.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(db("open"))?;
        let mut d = Self::init(conn)?;
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(db("open reader"))?;
            r.execute_batch("PRAGMA busy_timeout=5000; PRAGMA query_only=ON;")
                .map_err(db("configure reader"))?;
            d.readers.push(Mutex::new(r));
        }
        Ok(d)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(db("open"))?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             PRAGMA busy_timeout=5000; PRAGMA cache_size=-65536;",
        )
        .map_err(db("configure"))?;
        // The writer's page cache is 64 MiB (SQLite's default: 2 MiB): inserts into the large
        // b-trees of a big collection (objects, their indexes, the correlation index) then
        // find the pages they walk in memory instead of reading them back from the file.
        // Bulk ingest runs multi-row statements of a few sizes beside the usual ones; rusqlite's
        // default cache of 16 statements evicted them, compiling each again per request.
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(MIGRATIONS_TABLE)
            .map_err(db("create migrations table"))?;
        Ok(Self {
            writer: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
        })
    }

    /// A poisoned lock only means another thread panicked mid-call; SQLite's own
    /// transactions keep the file consistent.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A free reader if there is one, else the next one in turn (or the writer for in-memory
    /// databases). Reads see every committed write (WAL: each read starts from the latest
    /// commit).
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return self.lock();
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            match self.readers[(start + i) % n].try_lock() {
                Ok(g) => return g,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let conn = self.reader();
        f(&mut LiteConn(&conn))
    }

    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin"))?;
        let out = f(&mut LiteConn(&tx))?;
        tx.commit().map_err(db("commit"))?;
        Ok(out)
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Param::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(*b))),
            Param::OptText(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::OptInt(Some(i)) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Param::OptReal(Some(f)) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*f)),
            Param::OptText(None) | Param::OptInt(None) | Param::OptReal(None) => {
                ToSqlOutput::Owned(rusqlite::types::Value::Null)
            }
            Param::TextArray(_) | Param::IntArray(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "array parameters are for PostgreSQL only".into(),
                ))
            }
        })
    }
}

/// A connection or transaction (a `Transaction` derefs to its `Connection`).
struct LiteConn<'a>(&'a Connection);

impl Conn for LiteConn<'_> {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn execute(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<u64> {
        let mut st = self.0.prepare_cached(sql).map_err(db(op))?;
        let n = st
            .execute(rusqlite::params_from_iter(params))
            .map_err(db(op))?;
        Ok(n as u64)
    }

    fn query(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare_cached(sql).map_err(db(op))?;
        let n = st.column_count();
        let mut rows = st
            .query(rusqlite::params_from_iter(params))
            .map_err(db(op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db(op))? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(db(op))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(text(t).into_owned()),
                });
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn query_each(
        &mut self,
        op: &'static str,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(RowRef<'_, '_>) -> Result<()>,
    ) -> Result<u64> {
        /// Rows this wide are handed over from the stack; wider ones from a vector each.
        const ON_STACK: usize = 8;
        let mut st = self.0.prepare_cached(sql).map_err(db(op))?;
        let n = st.column_count();
        let mut rows = st
            .query(rusqlite::params_from_iter(params))
            .map_err(db(op))?;
        let mut count = 0;
        while let Some(r) = rows.next().map_err(db(op))? {
            let cell = |i: usize| -> Result<Cell<'_>> {
                Ok(match r.get_ref(i).map_err(db(op))? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(text(t)),
                })
            };
            if n <= ON_STACK {
                let mut cells: [Cell<'_>; ON_STACK] = Default::default();
                for (i, c) in cells.iter_mut().enumerate().take(n) {
                    *c = cell(i)?;
                }
                each(RowRef(&cells[..n]))?;
            } else {
                let cells = (0..n).map(cell).collect::<Result<Vec<_>>>()?;
                each(RowRef(&cells))?;
            }
            count += 1;
        }
        Ok(count)
    }

    fn execute_each(&mut self, op: &'static str, sql: &str, rows: &[Vec<Param>]) -> Result<u64> {
        let mut st = self.0.prepare_cached(sql).map_err(db(op))?;
        let mut n = 0;
        for params in rows {
            n += st
                .execute(rusqlite::params_from_iter(params))
                .map_err(db(op))? as u64;
        }
        Ok(n)
    }

    fn execute_batch(&mut self, op: &'static str, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(db(op))
    }
}
