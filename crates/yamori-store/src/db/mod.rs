//! The private backend layer: what differs between SQLite and PostgreSQL, and nothing else.
//!
//! Every area of the store (analyses, dashboard tables, TAXII, accounts, sessions, survey runs,
//! vulndb, key/value state) is written once on top of [`Conn`]: SQL with `?1`-style numbered
//! placeholders, [`Param`]s in, [`Value`]s out, and one transaction per [`Db::write`]. A
//! backend supplies connections, transactions, placeholder style and the few type names of
//! its DDL ([`ddl`]); where a statement must differ, the area writes both spellings side by
//! side under `match c.engine()`.

mod pg;
mod sqlite;

use crate::{Result, StoreError};

pub use pg::execute_admin as pg_execute_admin;
pub(crate) use pg::PgDb;
pub(crate) use sqlite::SqliteDb;

/// Which SQL engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
    OptText(Option<String>),
    OptInt(Option<i64>),
    OptReal(Option<f64>),
    /// Arrays, for PostgreSQL's `unnest` of a batch of rows in one short statement (cast in
    /// the SQL: `?1::text[]`); SQLite has no arrays and refuses them.
    TextArray(Vec<Option<String>>),
    IntArray(Vec<i64>),
}

impl Param {
    pub(crate) fn text(s: &str) -> Self {
        Param::Text(s.to_string())
    }
    /// An unsigned count; values past `i64::MAX` (never seen in practice) saturate.
    pub(crate) fn count(v: u64) -> Self {
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// A value read back from the database, whatever the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Real(f) => *f as i64,
            _ => 0,
        }
    }
    pub fn real(&self) -> Option<f64> {
        match self {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// One result row, with typed getters that name the column when the stored value is not what
/// the schema promises (a corrupt or foreign database), instead of panicking.
pub(crate) struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("result row has no column {i}")))
    }
    pub fn str(&self, i: usize) -> Result<String> {
        self.text(i).map(str::to_owned)
    }
    /// A text column, borrowed.
    pub fn text(&self, i: usize) -> Result<&str> {
        match self.at(i)? {
            Value::Text(s) => Ok(s),
            v => Err(StoreError::Corrupt(format!(
                "column {i}: expected text, found {v:?}"
            ))),
        }
    }
    pub fn opt_str(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.str(i).map(Some),
        }
    }
    pub fn i64(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            v => Err(StoreError::Corrupt(format!(
                "column {i}: expected an integer, found {v:?}"
            ))),
        }
    }
    pub fn u64(&self, i: usize) -> Result<u64> {
        Ok(u64::try_from(self.i64(i)?).unwrap_or(0))
    }
    pub fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }
}

/// One cell of a row handed to [`Conn::query_each`]'s callback, borrowed from the engine's
/// own row for the call.
#[derive(Debug, Clone, Default)]
pub(crate) enum Cell<'a> {
    #[default]
    Null,
    Int(i64),
    // Read only by `Debug`, in the errors that name a cell of the wrong type.
    #[allow(dead_code)]
    Real(f64),
    /// Borrowed when the stored text is UTF-8, as Yamori writes it; otherwise a lossy copy.
    Text(std::borrow::Cow<'a, str>),
}

impl<'a> From<&'a Value> for Cell<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => Cell::Null,
            Value::Int(i) => Cell::Int(*i),
            Value::Real(f) => Cell::Real(*f),
            Value::Text(s) => Cell::Text(std::borrow::Cow::Borrowed(s)),
        }
    }
}

/// A row as [`Conn::query_each`] hands it over, with [`Row`]'s checked getters.
pub(crate) struct RowRef<'r, 'a>(pub &'r [Cell<'a>]);

impl RowRef<'_, '_> {
    fn at(&self, i: usize) -> Result<&Cell<'_>> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("result row has no column {i}")))
    }
    pub fn text(&self, i: usize) -> Result<&str> {
        match self.at(i)? {
            Cell::Text(s) => Ok(s),
            v => Err(StoreError::Corrupt(format!(
                "column {i}: expected text, found {v:?}"
            ))),
        }
    }
    /// Text, or `None` for NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        match self.at(i)? {
            Cell::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn i64(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            Cell::Int(v) => Ok(*v),
            v => Err(StoreError::Corrupt(format!(
                "column {i}: expected an integer, found {v:?}"
            ))),
        }
    }
}

/// A connection, or a transaction opened by [`Db::write`]. `op` names the operation in errors.
pub(crate) trait Conn {
    fn engine(&self) -> Engine;
    /// Run one statement; rows changed.
    fn execute(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<u64>;
    /// Run one statement and return its rows.
    fn query(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<Vec<Row>>;
    /// Run one statement and hand each row to `each` as it is read; rows read. The cells are
    /// borrowed where the engine allows (SQLite), so a large scan copies and allocates
    /// nothing per row; an error from `each` stops the scan and is returned.
    fn query_each(
        &mut self,
        op: &'static str,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(RowRef<'_, '_>) -> Result<()>,
    ) -> Result<u64> {
        let rows = self.query(op, sql, params)?;
        let mut cells = Vec::new();
        for r in &rows {
            cells.clear();
            cells.extend(r.0.iter().map(Cell::from));
            each(RowRef(&cells))?;
        }
        Ok(rows.len() as u64)
    }
    /// Run one statement once per parameter row, prepared once; rows changed in all.
    fn execute_each(&mut self, op: &'static str, sql: &str, rows: &[Vec<Param>]) -> Result<u64>;
    /// Insert rows of `cols` into `table`, in order. SQLite runs one prepared statement per
    /// row (no round trip to pay); PostgreSQL overrides this with multi-row `VALUES`, so that
    /// thousands of index rows are a few statements, not thousands of round trips.
    fn insert_rows(
        &mut self,
        op: &'static str,
        table: &str,
        cols: &[&str],
        rows: &[Vec<Param>],
    ) -> Result<u64> {
        let marks: Vec<String> = (1..=cols.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            cols.join(", "),
            marks.join(", ")
        );
        self.execute_each(op, &sql, rows)
    }
    /// Run several statements without parameters (DDL).
    fn execute_batch(&mut self, op: &'static str, sql: &str) -> Result<()>;
    /// PostgreSQL only: stream text cells, `width` to a row, through `copy_sql` (a `COPY … FROM
    /// STDIN (FORMAT binary)` naming `width` text columns); rows written. One COPY moves a
    /// bulk load at a fraction of the cost of parameterised INSERTs.
    fn copy_text_rows(
        &mut self,
        op: &'static str,
        copy_sql: &str,
        width: usize,
        cells: &[&str],
    ) -> Result<u64> {
        let _ = (copy_sql, width, cells);
        Err(StoreError::Other(format!(
            "{op}: COPY is a PostgreSQL statement; the SQLite engine inserts instead"
        )))
    }
}

impl dyn Conn + '_ {
    /// The first row, if any.
    pub fn query_opt(
        &mut self,
        op: &'static str,
        sql: &str,
        params: &[Param],
    ) -> Result<Option<Row>> {
        Ok(self.query(op, sql, params)?.into_iter().next())
    }
    /// The single integer a `SELECT COUNT(*)`-like statement returns.
    pub fn query_count(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<u64> {
        match self.query_opt(op, sql, params)? {
            Some(r) => r.u64(0),
            None => Ok(0),
        }
    }
}

/// An open database of either engine.
pub(crate) enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

impl Db {
    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// The PostgreSQL pool, for work on a thread of its own (the statistics refresh).
    pub fn postgres(&self) -> Option<PgDb> {
        match self {
            Db::Sqlite(_) => None,
            Db::Postgres(p) => Some(p.clone()),
        }
    }

    /// Run `f` on a connection that sees every committed write, outside a transaction.
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        match self {
            Db::Sqlite(d) => d.read(f),
            Db::Postgres(d) => d.read(f),
        }
    }

    /// Like [`Self::read`], with PostgreSQL planner settings (`SET LOCAL …`) in force for `f`
    /// only, in a read-only transaction of its own; SQLite has no such settings and reads as
    /// [`Self::read`] does.
    pub fn read_planned<T>(
        &self,
        pg_settings: &str,
        f: impl FnOnce(&mut dyn Conn) -> Result<T>,
    ) -> Result<T> {
        match self {
            Db::Sqlite(d) => d.read(f),
            Db::Postgres(d) => d.read_planned(pg_settings, f),
        }
    }

    /// Run `f` in one transaction: committed when it returns `Ok`, rolled back otherwise (all
    /// or nothing). SQLite takes its write lock at the start (`BEGIN IMMEDIATE`).
    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        match self {
            Db::Sqlite(d) => d.write(f),
            Db::Postgres(d) => d.write(f),
        }
    }

    /// Apply the migrations of `domain` that are not yet recorded, each in its own transaction
    /// (PostgreSQL: under an advisory lock, so two processes starting at once do not race).
    /// A database that records more versions than this build knows was written by a newer
    /// Yamori: refused, so nothing is written with an older idea of the schema.
    pub fn migrate(&self, domain: &'static str, steps: &[&str]) -> Result<()> {
        let known = steps.len() as i64;
        // Every command opens the store: when the schema is current (the usual case), one read
        // says so, instead of one write transaction per step.
        if self.read(|c| newest_version(c, domain))? == known {
            return Ok(());
        }
        for (i, step) in steps.iter().enumerate() {
            let version = i as i64 + 1;
            self.write(|c| {
                if c.engine() == Engine::Postgres {
                    c.execute(
                        "migration lock",
                        "SELECT pg_advisory_xact_lock(?1)",
                        &[Param::Int(MIGRATION_LOCK)],
                    )?;
                }
                let newest = newest_version(c, domain)?;
                if newest > known {
                    return Err(StoreError::Other(format!(
                        "the database holds version {newest} of the `{domain}` schema, but this \
                         yamori knows only up to {known}: it was written by a newer Yamori; \
                         upgrade yamori, or use another --database"
                    )));
                }
                if version <= newest {
                    return Ok(());
                }
                c.execute_batch("migrate", &ddl(c.engine(), step))?;
                c.execute(
                    "record migration",
                    "INSERT INTO yamori_migrations (domain, version, applied_at) VALUES (?1, ?2, ?3)",
                    &[
                        Param::text(domain),
                        Param::Int(version),
                        Param::Text(crate::taxii::taxii_now()),
                    ],
                )?;
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// The newest recorded migration of `domain` (0 when none).
fn newest_version(c: &mut dyn Conn, domain: &str) -> Result<i64> {
    c.query_opt(
        "read migrations",
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM yamori_migrations WHERE domain = ?1",
        &[Param::text(domain)],
    )?
    .map(|r| r.i64(0))
    .transpose()
    .map(|v| v.unwrap_or(0))
}

/// Advisory lock key serialising migrations across processes (PostgreSQL).
const MIGRATION_LOCK: i64 = 0x7961_6d6f_7269; // "yamori"

/// The migrations table, the same on both engines.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS yamori_migrations (
    domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (domain, version))";

/// Render DDL written once for both engines. The tokens are the only type names that differ:
///
/// | token | SQLite | PostgreSQL |
/// |---|---|---|
/// | `{int}` | `INTEGER` | `BIGINT` |
/// | `{real}` | `REAL` | `DOUBLE PRECISION` |
/// | `{bool}` | `INTEGER` | `BOOLEAN` |
/// | `{serial}` | `INTEGER PRIMARY KEY` (the rowid) | `BIGSERIAL PRIMARY KEY` |
/// | `{serial_autoinc}` | `INTEGER PRIMARY KEY AUTOINCREMENT` (ids never reused) | `BIGSERIAL PRIMARY KEY` |
/// | `{bytes}` | `TEXT` (SQLite compares text bytewise) | `TEXT COLLATE "C"` (byte order, not the locale's) |
///
/// A line that starts with `{pg}` is kept on PostgreSQL only (without the token): for tuning
/// that SQLite has no statement for or does not need, so that both engines still take the same
/// numbered steps.
pub(crate) fn ddl(engine: Engine, sql: &str) -> String {
    let sql: String = sql
        .lines()
        .filter_map(|line| match line.trim_start().strip_prefix("{pg}") {
            Some(rest) => (engine == Engine::Postgres).then_some(rest),
            None => Some(line),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let pairs: [(&str, &str, &str); 7] = [
        ("{int}", "INTEGER", "BIGINT"),
        ("{real}", "REAL", "DOUBLE PRECISION"),
        ("{bool}", "INTEGER", "BOOLEAN"),
        (
            "{serial_autoinc}",
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGSERIAL PRIMARY KEY",
        ),
        ("{serial}", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
        ("{bytes}", "TEXT", "TEXT COLLATE \"C\""),
        // SQLite: the table is its primary key's b-tree (one b-tree to write, not two).
        // PostgreSQL has no such option; its heap plus index is the same on either side.
        ("{without_rowid}", " WITHOUT ROWID", ""),
    ];
    let mut out = sql;
    for (token, lite, pg) in pairs {
        out = out.replace(
            token,
            match engine {
                Engine::Sqlite => lite,
                Engine::Postgres => pg,
            },
        );
    }
    out
}

/// Collects parameters and writes their `?n` placeholders, for statements built piece by
/// piece (filters, IN lists).
#[derive(Default)]
pub(crate) struct Binder {
    params: Vec<Param>,
}

impl Binder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("?{}", self.params.len())
    }
    pub fn int(&mut self, i: i64) -> String {
        self.bind(Param::Int(i))
    }
    /// Run the SELECT `sql` built with this binder; rows as plain values.
    pub fn run(self, c: &mut dyn Conn, sql: &str) -> Result<Vec<Vec<Value>>> {
        Ok(c.query("dashboard query", sql, &self.params)?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }
    /// The statement and its parameters, for a write run later in a transaction.
    pub fn statement(self, sql: String) -> (String, Vec<Param>) {
        (sql, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_pg_lines_are_kept_on_postgres_only() {
        let s = "CREATE TABLE t (k {bytes});\n  {pg} ALTER TABLE t ALTER k SET STORAGE EXTERNAL;";
        assert_eq!(ddl(Engine::Sqlite, s), "CREATE TABLE t (k TEXT);");
        assert_eq!(
            ddl(Engine::Postgres, s),
            "CREATE TABLE t (k TEXT COLLATE \"C\");\n ALTER TABLE t ALTER k SET STORAGE EXTERNAL;"
        );
    }

    #[test]
    fn ddl_tokens_render_per_engine() {
        let s = "CREATE TABLE t (id {serial}, n {int}, f {real}, b {bool}, k {bytes})";
        assert_eq!(
            ddl(Engine::Sqlite, s),
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, f REAL, b INTEGER, k TEXT)"
        );
        assert_eq!(
            ddl(Engine::Postgres, s),
            "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, n BIGINT, f DOUBLE PRECISION, \
             b BOOLEAN, k TEXT COLLATE \"C\")"
        );
        let s = "CREATE TABLE t (k TEXT PRIMARY KEY){without_rowid};";
        assert_eq!(
            ddl(Engine::Sqlite, s),
            "CREATE TABLE t (k TEXT PRIMARY KEY) WITHOUT ROWID;"
        );
        assert_eq!(
            ddl(Engine::Postgres, s),
            "CREATE TABLE t (k TEXT PRIMARY KEY);"
        );
    }

    #[test]
    fn binder_numbers_placeholders_in_order() {
        let mut b = Binder::new();
        let a = b.int(5);
        let t = b.bind(Param::text("x"));
        assert_eq!(format!("{a} {t}"), "?1 ?2");
        assert_eq!(b.statement(String::new()).1.len(), 2);
    }
}
