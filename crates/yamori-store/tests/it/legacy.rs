//! Databases written by the store before the single-store rewrite (`tests/fixtures/`) open
//! with every row kept, and bad `--database` values fail with errors that say what to do.

use std::io::Read;
use std::path::{Path, PathBuf};

use yamori_store::taxii::{ObjectQuery, VersionFilter};
use yamori_store::{pg_execute_admin, Database, Store};

use crate::backends::PgDb;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut out)
        .expect("fixture is gzip");
    out
}

/// Objects per collection of the default API root, every version.
fn objects(s: &Store) -> Vec<(String, usize)> {
    s.taxii_collections("api1")
        .expect("collections")
        .into_iter()
        .map(|c| {
            let mut q = ObjectQuery::new(&c.id, 100_000);
            q.versions = VersionFilter::all();
            q.with_body = false;
            let n = s.taxii_query(&q).expect("query").objects.len();
            (c.alias.unwrap_or(c.id), n)
        })
        .collect()
}

#[test]
fn a_sqlite_file_of_the_earlier_schema_keeps_all_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("yamori.sqlite");
    std::fs::write(&path, fixture("v1.sqlite.gz")).expect("write fixture");
    for _ in 0..2 {
        // Twice: the second open finds everything migrated already.
        let s = Store::open_sqlite(&path).expect("open the earlier schema");
        let analyses = s.list_analyses().expect("list");
        assert_eq!(analyses.len(), 1);
        assert!(analyses[0].darknet_packets > 0);
        let totals = s.dash_totals(0, i64::MAX).expect("totals");
        assert_eq!(totals.analyses, 1);
        assert_eq!(totals.packets, analyses[0].darknet_packets);
        let summary = s.survey_summary().expect("survey");
        assert_eq!((summary.runs, summary.devices), (1, 5));
        let mut objs = objects(&s);
        objs.sort();
        assert_eq!(objs.iter().map(|(_, n)| n).sum::<usize>(), 1690, "{objs:?}");
        // The index is built again from every object: all are its backlog.
        assert_eq!(s.correlation_backlog(100_000).expect("backlog").len(), 1690);
        let users: Vec<String> = s
            .taxii_users()
            .expect("users")
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(users, ["demo", "olduser"]);
        assert_eq!(s.taxii_tokens_of("olduser").expect("tokens").len(), 1);
        assert!(!s.taxii_grants("demo").expect("grants").is_empty());
        let v = s.vulndb_counts().expect("vulndb");
        assert_eq!((v.cves, v.kev, v.osv), (4, 2, 1));
        assert_eq!(s.find_osv_by_package("DropBear").expect("osv").len(), 1);
        // The login kept in the key/value table is a typed session now, and only there.
        let sess = s
            .session(
                "8868e5b9829fc5dee94d49e57763dffbcd28d37216977a50cfe195bfdaae5cbb",
                0,
            )
            .expect("session")
            .expect("moved");
        assert_eq!(
            (sess.user.as_str(), sess.expires_s),
            ("demo", 1_796_564_029)
        );
        assert!(s.kv_prefixed("session.").expect("kv").is_empty());
        assert!(s.kv_get("taxii.next_key").expect("kv").is_some());
    }
}

#[test]
fn a_postgresql_database_of_the_earlier_schema_keeps_all_its_data() {
    let db = PgDb::create();
    let dump = String::from_utf8(fixture("v1-pg.sql.gz")).expect("utf-8 dump");
    pg_execute_admin(&db.url, &dump).expect("load the dump");
    {
        let s = Store::connect_postgres(&db.url).expect("open the earlier schema");
        assert_eq!(objects(&s), [("telescope".to_string(), 1669)]);
        assert_eq!(s.correlation_backlog(100_000).expect("backlog").len(), 1669);
        assert_eq!(s.taxii_users().expect("users").len(), 1);
        assert!(s
            .taxii_user("demo")
            .expect("user")
            .and_then(|u| u.password_hash)
            .is_some());
        let sess = s
            .session(
                "e1d919f1fd158080c8365f74272a7c82782542ec8ed27ab05629523fc9bed691",
                0,
            )
            .expect("session")
            .expect("moved");
        assert_eq!(
            (sess.user.as_str(), sess.expires_s),
            ("demo", 1_796_564_045)
        );
        assert_eq!(
            s.vulndb_counts().expect("vulndb").cves,
            0,
            "vulndb created on open"
        );
    }
}

fn open_err(arg: &str, data_dir: &Path) -> String {
    match Database::from_arg(Some(arg), data_dir).and_then(|d| d.open()) {
        Ok(_) => panic!("{arg} opened"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_databases_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let junk = d.join("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 8192]).expect("write");
    let e = open_err(junk.to_str().expect("utf-8"), d);
    assert!(e.contains("is not a SQLite database"), "{e}");

    // A data directory that cannot be created (its parent is a file).
    let blocked: PathBuf = junk.join("sub/yamori.sqlite");
    let e = open_err(blocked.to_str().expect("utf-8"), d);
    assert!(e.contains("cannot create the data directory"), "{e}");

    let e = open_err("mysql://root@127.0.0.1/x", d);
    assert!(e.contains("unknown scheme"), "{e}");
    let e = open_err("postgres://u:pw@127.0.0.1:1/none", d);
    assert!(e.contains("cannot connect to PostgreSQL"), "{e}");
    assert!(!e.contains(":pw@"), "password shown: {e}");
    let e = open_err("postgres://127.0.0.1:5432/yamori_no_such_db_xyz", d);
    assert!(e.contains("createdb"), "{e}");

    // A file written by a newer Yamori: refused, and left as it was.
    let newer = d.join("newer.sqlite");
    drop(Store::open_sqlite(&newer).expect("create"));
    let c = rusqlite::Connection::open(&newer).expect("open");
    c.execute(
        "INSERT INTO yamori_migrations (domain, version, applied_at) VALUES ('taxii', 99, 'x')",
        [],
    )
    .expect("insert");
    drop(c);
    let e = open_err(newer.to_str().expect("utf-8"), d);
    assert!(e.contains("newer Yamori"), "{e}");
}
