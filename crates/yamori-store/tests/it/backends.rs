use yamori_store::pg::{execute_admin, PgStore};
use yamori_store::{SqliteStore, Store};

/// Where the test databases are created.
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A PostgreSQL store on its own database, dropped with the guard.
pub struct PgDb {
    pub store: Option<PgStore>,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        // Close the pool first so the database has no sessions left.
        self.store.take();
        let _ = execute_admin(
            PG_ADMIN,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

pub fn pg() -> Option<PgDb> {
    if std::env::var("YAMORI_SKIP_PG").is_ok_and(|v| v == "1") {
        return None;
    }
    let name = format!("yamori_test_{:016x}", rand::random::<u64>());
    execute_admin(PG_ADMIN, &format!("CREATE DATABASE {name}")).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {PG_ADMIN} ({e}); start it, or set YAMORI_SKIP_PG=1 \
             to run the SQLite half only"
        )
    });
    let mut db = PgDb { store: None, name };
    let url = format!("postgres://postgres@127.0.0.1:5432/{}", db.name);
    db.store = Some(PgStore::connect(&url).expect("connect to the test database"));
    Some(db)
}

pub fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = SqliteStore::open(&dir.path().join("t.sqlite")).expect("open sqlite");
    (dir, s)
}

/// Run `f` on every backend.
pub fn each(f: impl Fn(&dyn Store)) {
    let (_dir, s) = sqlite();
    f(&s);
    if let Some(db) = pg() {
        f(db.store.as_ref().expect("store is set until drop"));
    }
}
