//! The PostgreSQL backend.
//!
//! Why the synchronous `postgres` crate (not tokio-postgres directly): the [`Store`] trait is
//! synchronous by design (the hub calls it from `spawn_blocking`), and `postgres` is the same
//! driver with a blocking face, so no runtime is nested or hidden here. Connections come from
//! an r2d2 pool, bounded by [`POOL_SIZE`].

use std::time::Duration;

use ::postgres::{Client, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use crate::analysis::{AnalysisMeta, FileDigest, NewAnalysis, PutOutcome, StoredAnalysis};
use crate::{Result, Store, StoreError};

/// Connections kept at most; callers beyond this wait up to [`POOL_WAIT`].
pub const POOL_SIZE: u32 = 16;
const POOL_WAIT: Duration = Duration::from_secs(30);
/// Advisory lock key serialising migrations across processes.
const MIGRATION_LOCK: i64 = 0x7961_6d6f_7269; // "yamori"

pub(crate) fn pg(op: &'static str) -> impl FnOnce(::postgres::Error) -> StoreError {
    move |source| StoreError::Postgres { op, source }
}

/// Migrations of the `analysis` domain on PostgreSQL; never edit a released entry.
const ANALYSIS_MIGRATIONS: &[&str] = &["CREATE TABLE analyses (
        id TEXT PRIMARY KEY,
        stored_at TEXT NOT NULL,
        first_packet TEXT,
        last_packet TEXT,
        darknet_packets BIGINT NOT NULL,
        report_json TEXT NOT NULL
     );
     CREATE TABLE analysis_files (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        name TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        PRIMARY KEY (analysis_id, sha256)
     );
     CREATE INDEX analysis_files_sha ON analysis_files(sha256);"];

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub(crate) type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

pub struct PgStore {
    pool: Pool,
    /// Objects stored since this process last refreshed the planner's statistics.
    pub(crate) added_since_analyze: std::sync::atomic::AtomicU64,
}

/// Refresh statistics after this many stored objects. A bulk load (a sync pulling a million
/// objects) outruns autovacuum; with statistics that still say "empty table" PostgreSQL sorted
/// the whole collection for every TAXII page (100+ ms a page at 30,000 objects, growing).
pub(crate) const ANALYZE_EVERY: u64 = 20_000;

impl PgStore {
    /// Connect (e.g. `postgres://postgres@127.0.0.1/yamori`) and bring the schema up to date.
    /// TLS to the database is not configured: use a local socket or a trusted network.
    pub fn connect(url: &str) -> Result<Self> {
        let mut config: ::postgres::Config = url
            .parse()
            .map_err(|e: ::postgres::Error| StoreError::Other(format!("database URL: {e}")))?;
        // No JIT: our queries are short index scans whose cost PostgreSQL overestimates (the
        // correlated latest-version subqueries), so it compiled every TAXII page with LLVM:
        // 177 ms of JIT for a 5 ms scan (EXPLAIN ANALYZE, 200,000 objects).
        let options = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} -c jit=off"),
            _ => "-c jit=off".to_string(),
        };
        config.options(&options);
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(POOL_WAIT)
            .build(manager)
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let store = Self {
            pool,
            added_since_analyze: std::sync::atomic::AtomicU64::new(0),
        };
        {
            let mut c = store.conn()?;
            c.batch_execute(
                "CREATE TABLE IF NOT EXISTS yamori_migrations (
                    domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
                    PRIMARY KEY (domain, version))",
            )
            .map_err(pg("configure"))?;
        }
        store.migrate("analysis", ANALYSIS_MIGRATIONS)?;
        store.migrate("taxii", crate::pg_taxii::TAXII_MIGRATIONS)?;
        store.migrate("dashboard", crate::dashboard::PG_MIGRATIONS)?;
        store.migrate("survey", crate::survey::PG_MIGRATIONS)?;
        store.index_unindexed()?;
        Ok(store)
    }

    pub(crate) fn conn(&self) -> Result<Conn> {
        self.pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// Apply the migrations of `domain` not yet recorded, each in its own transaction, under
    /// an advisory lock so two processes starting at once do not race.
    pub fn migrate(&self, domain: &str, steps: &[&str]) -> Result<()> {
        let mut c = self.conn()?;
        for (i, sql) in steps.iter().enumerate() {
            let version = i as i32 + 1;
            let mut tx = c.transaction().map_err(pg("migrate"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .map_err(pg("migrate lock"))?;
            let done: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM yamori_migrations WHERE domain = $1 AND version = $2",
                    &[&domain, &version],
                )
                .map_err(pg("read migrations"))?
                .get(0);
            if done > 0 {
                continue;
            }
            tx.batch_execute(sql).map_err(pg("migrate"))?;
            tx.execute(
                "INSERT INTO yamori_migrations (domain, version, applied_at) VALUES ($1, $2, $3)",
                &[&domain, &version, &crate::taxii::taxii_now()],
            )
            .map_err(pg("migrate"))?;
            tx.commit().map_err(pg("migrate"))?;
        }
        Ok(())
    }
}

fn files_of(c: &mut impl ::postgres::GenericClient, id: &str) -> Result<Vec<FileDigest>> {
    let rows = c
        .query(
            "SELECT name, sha256, bytes FROM analysis_files WHERE analysis_id = $1 ORDER BY name",
            &[&id],
        )
        .map_err(pg("list analysis files"))?;
    Ok(rows
        .iter()
        .map(|r| FileDigest {
            name: r.get(0),
            sha256: r.get(1),
            bytes: r.get::<_, i64>(2) as u64,
        })
        .collect())
}

/// Write the dashboard index of one analysis (inside the caller's transaction).
fn index_analysis(tx: &mut Transaction<'_>, id: &str, report_json: &str) -> Result<usize> {
    let batch = crate::dashboard::index_report(id, report_json, &|n| format!("${n}"))?;
    let mut prepared = Vec::with_capacity(batch.sqls.len());
    for sql in &batch.sqls {
        prepared.push(tx.prepare(sql).map_err(pg("index analysis"))?);
    }
    for (table, params) in &batch.rows {
        let boxed = crate::pg_taxii::boxed(params);
        tx.execute(&prepared[*table], &crate::pg_taxii::refs(&boxed))
            .map_err(pg("index analysis"))?;
    }
    Ok(batch.rows.len())
}

impl PgStore {
    /// Index analyses stored before the dashboard tables existed (once, at open).
    fn index_unindexed(&self) -> Result<()> {
        let mut c = self.conn()?;
        let ids: Vec<String> = c
            .query(
                "SELECT id FROM analyses WHERE id NOT IN (SELECT analysis_id FROM tel_analyses)",
                &[],
            )
            .map_err(pg("find unindexed analyses"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in ids {
            let mut tx = c.transaction().map_err(pg("index analysis"))?;
            let json: String = tx
                .query_one("SELECT report_json FROM analyses WHERE id = $1", &[&id])
                .map_err(pg("index analysis"))?
                .get(0);
            index_analysis(&mut tx, &id, &json)?;
            tx.commit().map_err(pg("index analysis"))?;
        }
        Ok(())
    }
}

impl crate::dashboard::DashboardStore for PgStore {
    fn dash_select(
        &self,
        sql: &str,
        params: &[crate::taxii::Param],
    ) -> Result<Vec<Vec<crate::dashboard::Value>>> {
        use crate::dashboard::Value;
        use ::postgres::types::Type;
        let mut c = self.conn()?;
        let boxed = crate::pg_taxii::boxed(params);
        let rows = c
            .query(sql, &crate::pg_taxii::refs(&boxed))
            .map_err(pg("dashboard query"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let t = col.type_();
                let v = if *t == Type::INT8 {
                    r.get::<_, Option<i64>>(i).map(Value::Int)
                } else if *t == Type::INT4 {
                    r.get::<_, Option<i32>>(i).map(|v| Value::Int(i64::from(v)))
                } else if *t == Type::FLOAT8 {
                    r.get::<_, Option<f64>>(i).map(Value::Real)
                } else {
                    r.get::<_, Option<String>>(i).map(Value::Text)
                };
                row.push(v.unwrap_or(Value::Null));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn dash_placeholder(&self, n: usize) -> String {
        format!("${n}")
    }
}

impl crate::survey::SurveyStore for PgStore {
    fn survey_write(&self, statements: &[crate::survey::Statement]) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg("begin survey write"))?;
        // One row per service shares one statement text: prepare each text once.
        let mut prepared = std::collections::HashMap::new();
        for (sql, params) in statements {
            let st = match prepared.get(sql.as_str()) {
                Some(st) => st,
                None => {
                    let st = tx.prepare(sql).map_err(pg("survey write"))?;
                    prepared.entry(sql.as_str()).or_insert(st)
                }
            };
            let boxed = crate::pg_taxii::boxed(params);
            tx.execute(st, &crate::pg_taxii::refs(&boxed))
                .map_err(pg("survey write"))?;
        }
        tx.commit().map_err(pg("commit survey write"))
    }
}

fn put_analysis_tx(tx: &mut Transaction<'_>, a: &NewAnalysis) -> Result<PutOutcome> {
    let id = a.id();
    let mut overlapping: Vec<String> = Vec::new();
    for f in &a.files {
        for r in tx
            .query(
                "SELECT DISTINCT analysis_id FROM analysis_files WHERE sha256 = $1",
                &[&f.sha256],
            )
            .map_err(pg("find overlapping"))?
        {
            let other: String = r.get(0);
            if !overlapping.contains(&other) {
                overlapping.push(other);
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
        tx.execute("DELETE FROM analyses WHERE id = $1", &[o])
            .map_err(pg("remove superseded analysis"))?;
    }
    tx.execute(
        "INSERT INTO analyses (id, stored_at, first_packet, last_packet, darknet_packets, report_json)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id,
            &crate::taxii::taxii_now(),
            &a.first_packet,
            &a.last_packet,
            &(a.darknet_packets as i64),
            &a.report_json,
        ],
    )
    .map_err(pg("insert analysis"))?;
    let indexed = index_analysis(tx, &id, &a.report_json)?;
    if indexed as u64 >= ANALYZE_EVERY {
        // Fresh statistics for the dashboard's tables after a big report (see ANALYZE_EVERY).
        tx.batch_execute("ANALYZE tel_analyses, tel_minutes, tel_facets, tel_sources, tel_attacks")
            .map_err(pg("analyze dashboard tables"))?;
    }
    for f in &a.files {
        tx.execute(
            "INSERT INTO analysis_files (analysis_id, sha256, name, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&id, &f.sha256, &f.name, &(f.bytes as i64)],
        )
        .map_err(pg("insert analysis file"))?;
    }
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

impl Store for PgStore {
    fn put_analysis(&self, a: &NewAnalysis) -> Result<PutOutcome> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg("begin put_analysis"))?;
        let out = put_analysis_tx(&mut tx, a)?;
        tx.commit().map_err(pg("commit analysis"))?;
        Ok(out)
    }

    fn get_analysis(&self, id: &str) -> Result<Option<StoredAnalysis>> {
        let mut c = self.conn()?;
        let Some(r) = c
            .query_opt(
                "SELECT stored_at, first_packet, last_packet, darknet_packets, report_json
                 FROM analyses WHERE id = $1",
                &[&id],
            )
            .map_err(pg("get analysis"))?
        else {
            return Ok(None);
        };
        let files = files_of(&mut *c, id)?;
        Ok(Some(StoredAnalysis {
            meta: AnalysisMeta {
                id: id.to_string(),
                stored_at: r.get(0),
                files,
                first_packet: r.get(1),
                last_packet: r.get(2),
                darknet_packets: r.get::<_, i64>(3) as u64,
            },
            report_json: r.get(4),
        }))
    }

    fn list_analyses(&self) -> Result<Vec<AnalysisMeta>> {
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT id, stored_at, first_packet, last_packet, darknet_packets
                 FROM analyses ORDER BY stored_at DESC, id",
                &[],
            )
            .map_err(pg("list analyses"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let files = files_of(&mut *c, &id)?;
            out.push(AnalysisMeta {
                id,
                stored_at: r.get(1),
                files,
                first_packet: r.get(2),
                last_packet: r.get(3),
                darknet_packets: r.get::<_, i64>(4) as u64,
            });
        }
        Ok(out)
    }
}

/// For tests and tools: run one statement outside the Store API.
pub fn execute_admin(url: &str, sql: &str) -> Result<()> {
    let mut c = Client::connect(url, NoTls).map_err(pg("connect"))?;
    c.batch_execute(sql).map_err(pg("admin statement"))
}
