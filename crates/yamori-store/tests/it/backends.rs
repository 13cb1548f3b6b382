use yamori_store::{pg_execute_admin, Store};

/// Where the test databases are created.
pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database of its own, dropped with the guard.
pub struct PgDb {
    pub url: String,
    name: String,
}

impl PgDb {
    pub fn create() -> Self {
        let name = format!("yamori_test_{:016x}", rand::random::<u64>());
        pg_execute_admin(PG_ADMIN, &format!("CREATE DATABASE {name}")).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {PG_ADMIN} ({e}): the conformance suite runs every \
                 area on both engines; start it (scripts/setup does)"
            )
        });
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        PgDb { url, name }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = pg_execute_admin(
            PG_ADMIN,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A store on a fresh PostgreSQL database; the store is dropped before the database.
pub struct PgStore {
    pub store: Option<Store>,
    pub db: PgDb,
}

pub fn pg() -> PgStore {
    let db = PgDb::create();
    let store = Store::connect_postgres(&db.url).expect("connect to the test database");
    PgStore {
        store: Some(store),
        db,
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Close the pool first so the database has no sessions left.
        self.store.take();
    }
}

pub fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = Store::open_sqlite(&dir.path().join("t.sqlite")).expect("open sqlite");
    (dir, s)
}

/// Run `f` on every engine.
pub fn each(f: impl Fn(&Store)) {
    let (_dir, s) = sqlite();
    f(&s);
    let db = pg();
    f(db.store.as_ref().expect("store is set until drop"));
}

/// Run `f` on every engine and require the same result from each, field by field. Timestamps
/// the store writes itself (`stored_at`, `date_added`, …) differ in value between the runs;
/// `f` passes them through [`stamp`], which checks their format and masks the value.
pub fn same_on_each<T: PartialEq + std::fmt::Debug>(f: impl Fn(&Store) -> T) -> T {
    let (_dir, s) = sqlite();
    let lite = f(&s);
    let db = pg();
    let pg = f(db.store.as_ref().expect("store is set until drop"));
    assert_eq!(lite, pg, "SQLite and PostgreSQL disagree");
    lite
}

/// A timestamp written by the store: checked to be a TAXII timestamp (UTC, microseconds, `Z`),
/// the one format both engines write, and masked for comparison.
pub fn stamp(t: &str) -> String {
    let ok = t.len() == 27
        && t.ends_with('Z')
        && t.as_bytes()[10] == b'T'
        && t.as_bytes()[19] == b'.'
        && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok();
    assert!(
        ok,
        "{t:?} is not a TAXII timestamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)"
    );
    "<timestamp>".into()
}
