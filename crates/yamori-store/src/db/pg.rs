//! PostgreSQL through the synchronous `postgres` client and a bounded r2d2 pool.
//!
//! Why the synchronous client (not tokio-postgres directly): the store is synchronous by
//! design (the hub calls it from `spawn_blocking`), and `postgres` is the same driver with a
//! blocking face, so no runtime is nested or hidden here.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::time::Duration;

use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::types::{IsNull, ToSql, Type};
use ::postgres::{Client, GenericClient, NoTls};
use bytes::BytesMut;
use r2d2_postgres::PostgresConnectionManager;

use super::{Conn, Engine, Param, Row, Value, MIGRATIONS_TABLE};
use crate::{Result, StoreError};

fn pg(op: &'static str) -> impl FnOnce(::postgres::Error) -> StoreError {
    move |source| StoreError::Postgres { op, source }
}

/// Connections kept at most; callers beyond this wait up to [`POOL_WAIT`].
pub const POOL_SIZE: u32 = 16;
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How long the first connection may take before `connect` gives up with a clear error (an
/// unreachable server must not hang a command for the pool's 30 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// Cheap to clone: the pool is shared.
#[derive(Clone)]
pub(crate) struct PgDb {
    pool: Pool,
}

impl PgDb {
    /// Connect (e.g. `postgres://postgres@127.0.0.1/yamori`) and create the migrations table.
    /// TLS to the database is not configured: use a local socket or a trusted network.
    pub fn connect(url: &str) -> Result<Self> {
        let mut config: ::postgres::Config = url.parse().map_err(|e: ::postgres::Error| {
            StoreError::Other(format!(
                "--database {}: not a PostgreSQL URL ({e}); expected postgres://user@host:port/dbname",
                redact(url)
            ))
        })?;
        // No JIT: our queries are short index scans whose cost PostgreSQL overestimates (the
        // correlated latest-version subqueries), so it compiled every TAXII page with LLVM:
        // 177 ms of JIT for a 5 ms scan (EXPLAIN ANALYZE, 200,000 objects).
        let options = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} -c jit=off"),
            _ => "-c jit=off".to_string(),
        };
        config.options(&options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // One direct connection first: its error says what is wrong (refused, unknown
        // database, authentication), where the pool would only report a time-out.
        let mut first = config.connect(NoTls).map_err(|e| {
            StoreError::Other(format!(
                "cannot connect to PostgreSQL at {}: {e}; check that the server runs and the URL \
                 names an existing database (createdb NAME)",
                redact(url)
            ))
        })?;
        first
            .batch_execute(MIGRATIONS_TABLE)
            .map_err(pg("create migrations table"))?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(POOL_WAIT)
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        Ok(Self { pool })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        self.pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }

    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut c = self.conn()?;
        f(&mut PgConn(&mut *c))
    }

    pub fn read_planned<T>(
        &self,
        settings: &str,
        f: impl FnOnce(&mut dyn Conn) -> Result<T>,
    ) -> Result<T> {
        let mut c = self.conn()?;
        // Dropped without commit on error: the transaction, and its settings, roll back.
        let mut tx = c
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(pg("begin"))?;
        tx.batch_execute(settings).map_err(pg("planner settings"))?;
        let out = f(&mut PgConn(&mut tx))?;
        tx.commit().map_err(pg("commit"))?;
        Ok(out)
    }

    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg("begin"))?;
        let out = f(&mut PgConn(&mut tx))?;
        tx.commit().map_err(pg("commit"))?;
        Ok(out)
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `?n` placeholders (the store's one spelling) as PostgreSQL's `$n`, outside string literals
/// and quoted identifiers.
fn dollar_placeholders(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                out.push(ch);
            }
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    out.push(ch);
                }
                '?' if chars.peek().is_some_and(|c| c.is_ascii_digit()) => out.push('$'),
                _ => out.push(ch),
            },
        }
    }
    Cow::Owned(out)
}

/// Integers bind to whichever width the server inferred for the parameter (a `version` of
/// INTEGER, a `seq` of BIGINT), checked, instead of failing on a type mismatch.
fn int_to_sql(
    i: i64,
    ty: &Type,
    out: &mut BytesMut,
) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
    if *ty == Type::INT4 {
        i32::try_from(i)?.to_sql(ty, out)
    } else if *ty == Type::INT2 {
        i16::try_from(i)?.to_sql(ty, out)
    } else if *ty == Type::BOOL {
        (i != 0).to_sql(ty, out)
    } else if *ty == Type::FLOAT8 {
        (i as f64).to_sql(ty, out)
    } else {
        i.to_sql(ty, out)
    }
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Param::Text(s) | Param::OptText(Some(s)) => s.as_str().to_sql(ty, out),
            Param::Int(i) | Param::OptInt(Some(i)) => int_to_sql(*i, ty, out),
            Param::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            Param::Bool(b) => int_to_sql(i64::from(*b), ty, out),
            Param::OptReal(Some(f)) => f.to_sql(ty, out),
            Param::OptText(None) | Param::OptInt(None) | Param::OptReal(None) => Ok(IsNull::Yes),
            // Checked: an array bound where the server inferred a scalar is an error, not a panic.
            Param::TextArray(v) => v.to_sql_checked(ty, out),
            Param::IntArray(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Checked per value in `to_sql`, where the value is known.
    fn accepts(_: &Type) -> bool {
        true
    }

    ::postgres::types::to_sql_checked!();
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn row_values(op: &'static str, r: &::postgres::Row) -> Result<Row> {
    let get = |e: ::postgres::Error| StoreError::Postgres { op, source: e };
    let mut row = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let t = col.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i).map_err(get)?.map(Value::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)
                .map_err(get)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)
                .map_err(get)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)
                .map_err(get)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)
                .map_err(get)?
                .map(Value::Real)
        } else if *t == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)
                .map_err(get)?
                .map(|v| Value::Real(f64::from(v)))
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(t) {
            r.try_get::<_, Option<String>>(i)
                .map_err(get)?
                .map(Value::Text)
        } else {
            return Err(StoreError::Other(format!(
                "{op}: column {} has type {t}, which the store does not read (cast it in the SQL)",
                col.name()
            )));
        };
        row.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(row))
}

/// A pooled client or an open transaction.
struct PgConn<'a, C: GenericClient>(&'a mut C);

impl<C: GenericClient> Conn for PgConn<'_, C> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn execute(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<u64> {
        self.0
            .execute(dollar_placeholders(sql).as_ref(), &refs(params))
            .map_err(pg(op))
    }

    fn query(&mut self, op: &'static str, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let rows = self
            .0
            .query(dollar_placeholders(sql).as_ref(), &refs(params))
            .map_err(pg(op))?;
        rows.iter().map(|r| row_values(op, r)).collect()
    }

    fn execute_each(&mut self, op: &'static str, sql: &str, rows: &[Vec<Param>]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let st = self
            .0
            .prepare(dollar_placeholders(sql).as_ref())
            .map_err(pg(op))?;
        let mut n = 0;
        for params in rows {
            n += self.0.execute(&st, &refs(params)).map_err(pg(op))?;
        }
        Ok(n)
    }

    fn insert_rows(
        &mut self,
        op: &'static str,
        table: &str,
        cols: &[&str],
        rows: &[Vec<Param>],
    ) -> Result<u64> {
        if rows.is_empty() || cols.is_empty() {
            return Ok(0);
        }
        // At most 1,000 rows and 30,000 parameters per statement (PostgreSQL allows 65,535).
        let per = (30_000 / cols.len()).clamp(1, 1_000);
        let statement = |n: usize| {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
            for r in 0..n {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..cols.len() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", r * cols.len() + c + 1));
                }
                sql.push(')');
            }
            sql
        };
        let mut prepared: Option<(usize, ::postgres::Statement)> = None;
        let mut n = 0;
        for chunk in rows.chunks(per) {
            let st = match &prepared {
                Some((len, st)) if *len == chunk.len() => st.clone(),
                _ => {
                    let st = self.0.prepare(&statement(chunk.len())).map_err(pg(op))?;
                    prepared = Some((chunk.len(), st.clone()));
                    st
                }
            };
            for row in chunk {
                if row.len() != cols.len() {
                    return Err(StoreError::Other(format!(
                        "{op}: a row of {} values for {} columns of {table}",
                        row.len(),
                        cols.len()
                    )));
                }
            }
            let params: Vec<&(dyn ToSql + Sync)> = chunk
                .iter()
                .flat_map(|r| r.iter().map(|p| p as &(dyn ToSql + Sync)))
                .collect();
            n += self.0.execute(&st, &params).map_err(pg(op))?;
        }
        Ok(n)
    }

    fn execute_batch(&mut self, op: &'static str, sql: &str) -> Result<()> {
        self.0.batch_execute(sql).map_err(pg(op))
    }

    fn copy_text_rows(
        &mut self,
        op: &'static str,
        copy_sql: &str,
        width: usize,
        cells: &[&str],
    ) -> Result<u64> {
        if width == 0 || !cells.len().is_multiple_of(width) {
            return Err(StoreError::Other(format!(
                "{op}: {} cells do not make rows of {width}",
                cells.len()
            )));
        }
        // Binary format: values go over as length-prefixed bytes, so text needs no escaping.
        let sink = self.0.copy_in(copy_sql).map_err(pg(op))?;
        let types = vec![Type::TEXT; width];
        let mut w = BinaryCopyInWriter::new(sink, &types);
        let mut row: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(width);
        for r in cells.chunks_exact(width) {
            row.clear();
            row.extend(r.iter().map(|c| c as &(dyn ToSql + Sync)));
            w.write(&row).map_err(pg(op))?;
        }
        w.finish().map_err(pg(op))
    }
}

/// For tests and tools: run statements outside the store, on a connection of its own.
pub fn execute_admin(url: &str, sql: &str) -> Result<()> {
    let mut c = Client::connect(url, NoTls).map_err(pg("connect"))?;
    c.batch_execute(sql).map_err(pg("admin statement"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT '?1', \"a?2\" FROM t WHERE a = ?1 AND b IN (?2,?10)"),
            "SELECT '?1', \"a?2\" FROM t WHERE a = $1 AND b IN ($2,$10)"
        );
        assert!(matches!(dollar_placeholders("SELECT 1"), Cow::Borrowed(_)));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
