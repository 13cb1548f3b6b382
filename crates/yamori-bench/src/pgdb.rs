//! A PostgreSQL database of a benchmark's own: `yamori_bench_<random>`, created on the given
//! server and dropped (with its connections) when the value goes.

use anyhow::Context;

/// `create(pg)` takes a server URL without a database (`postgres://user@host:port`).
pub struct PgDb {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDb {
    pub fn create(pg: &str) -> anyhow::Result<PgDb> {
        let name = format!("yamori_bench_{:016x}", rand::random::<u64>());
        let admin = format!("{}/postgres", pg.trim_end_matches('/'));
        yamori_store::pg_execute_admin(&admin, &format!("CREATE DATABASE {name}"))
            .with_context(|| format!("cannot create a database on {pg}"))?;
        let url = format!("{}/{name}", pg.trim_end_matches('/'));
        Ok(PgDb { admin, name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = yamori_store::pg_execute_admin(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
