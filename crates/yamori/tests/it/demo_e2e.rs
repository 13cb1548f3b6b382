//! `yamori demo --no-serve`: the observe → store → share loop on generated data, twice.
use yamori_store::taxii::ObjectQuery;

use crate::support::*;

fn indicators(store: &yamori_store::Store) -> (usize, usize) {
    let cols = store.taxii_collections("api1").expect("collections");
    let tel = cols
        .iter()
        .find(|c| c.alias.as_deref() == Some("telescope"))
        .expect("telescope collection");
    let mut q = ObjectQuery::new(&tel.id, 100_000);
    let all = store.taxii_query(&q).expect("query").objects.len();
    q.types = vec!["indicator".into()];
    let ind = store.taxii_query(&q).expect("query").objects.len();
    (all, ind)
}

#[test]
fn demo_publishes_the_analysis_and_is_repeatable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = || {
        run_ok(
            yamori().arg("--data-dir").arg(&data).args([
                "demo",
                "--no-serve",
                "--minutes",
                "10",
                "--geo",
                "generated",
            ]),
            0,
        )
    };
    let out = demo();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ymr_"),
        "a token is printed for the demo user"
    );
    let store = yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("db");
    assert_eq!(store.list_analyses().expect("list").len(), 1);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("demo/report.json")).expect("report"))
            .expect("json");
    let scanners = report["scanners"].as_array().expect("scanners").len();
    let (objects, inds) = indicators(&store);
    assert_eq!(inds, scanners, "one indicator per scanner");
    assert!(objects > inds);

    // The decoy: the scripted botnet's sessions from six loopback addresses, and the
    // download URLs and their hosts as indicators in collection "decoy".
    let decoy = decoy_numbers(&store);
    assert_eq!(
        decoy.0,
        (9, 6, 7, 7, 7),
        "sessions, sources, logins ok/failed, downloads"
    );
    assert_eq!(decoy.1[0], ("root".into(), "xc3511".into(), 2, 2));
    let urls = decoy_indicators(&store);
    assert_eq!(urls.len(), 13, "5 URLs, 2 hosts, 6 sources: {urls:?}");
    assert!(urls.contains(&"[ipv4-addr:value = '127.0.0.6']".to_string()));
    assert!(urls
        .iter()
        .any(|p| p.contains("http://203.0.113.66/bins/mirai.arm7")));
    // The loaders' probes and build names give their families away.
    assert_eq!(decoy_objects(&store, "malware", "name"), ["Mirai", "Sora"]);
    let indicates = decoy_objects(&store, "relationship", "relationship_type");
    assert_eq!(
        indicates.len(),
        7,
        "mirai.arm7, sora.mips, sora.sh, and the bots on 127.0.0.2-5: {indicates:?}"
    );
    assert_eq!(
        decoy_objects(&store, "sighting", "type").len(),
        6,
        "a sighting per source"
    );

    // Again: the analysis is replaced and publishing adds no duplicates; the decoy's records
    // are kept from both runs, its indicators are the same objects.
    demo();
    assert_eq!(store.list_analyses().expect("list").len(), 1);
    assert_eq!(indicators(&store), (objects, inds));
    assert_eq!(decoy_numbers(&store).0 .0, 18);
    assert_eq!(decoy_indicators(&store), urls);
}

/// The decoy page's figures: (sessions, sources, logins succeeded, failed, downloads) and
/// the credential pairs tried, with attempts and successes.
#[allow(clippy::type_complexity)]
fn decoy_numbers(
    store: &yamori_store::Store,
) -> ((u64, u64, u64, u64, u64), Vec<(String, String, u64, u64)>) {
    let a = store
        .decoy_activity("2000-01-01T00:00:00Z", 100)
        .expect("decoy activity");
    (
        (
            a.sessions,
            a.sources,
            a.logins_succeeded,
            a.logins_failed,
            a.downloads,
        ),
        a.credentials
            .into_iter()
            .map(|c| (c.username, c.password, c.attempts, c.succeeded))
            .collect(),
    )
}

/// The patterns of the indicators in collection "decoy", sorted.
fn decoy_indicators(store: &yamori_store::Store) -> Vec<String> {
    decoy_objects(store, "indicator", "pattern")
}

/// A field of the objects of one type in collection "decoy", sorted.
fn decoy_objects(store: &yamori_store::Store, kind: &str, field: &str) -> Vec<String> {
    let cols = store.taxii_collections("api1").expect("collections");
    let c = cols
        .iter()
        .find(|c| c.alias.as_deref() == Some("decoy"))
        .expect("decoy collection");
    let mut q = ObjectQuery::new(&c.id, 100_000);
    q.types = vec![kind.into()];
    let mut patterns: Vec<String> = store
        .taxii_query(&q)
        .expect("query")
        .objects
        .iter()
        .map(|o| {
            let v: serde_json::Value =
                serde_json::from_str(o.body.as_deref().expect("body")).expect("json");
            v[field].as_str().expect("field").to_string()
        })
        .collect();
    patterns.sort();
    patterns
}

/// What the dashboard shows of a store: totals, series, facets, the first sources, attacks,
/// the survey summary and the published indicators.
fn dashboard_numbers(s: &yamori_store::Store) -> Vec<String> {
    let all = yamori_store::dashboard::SourceFilter {
        from: 0,
        to: i64::MAX,
        ..Default::default()
    };
    let mut survey = s.survey_summary().expect("survey");
    survey.last_finished = None; // the run's own clock
    let sources: Vec<(String, u64)> = s
        .dash_sources(&all, None, 20)
        .expect("sources")
        .into_iter()
        .map(|r| (r.address, r.packets))
        .collect();
    vec![
        format!("{:?}", s.dash_totals(0, i64::MAX).expect("totals")),
        format!("{:?}", s.dash_series(0, i64::MAX / 4, 600).expect("series")),
        format!(
            "{:?}",
            s.dash_facet("country", 0, i64::MAX, 20).expect("facet")
        ),
        format!(
            "{:?}",
            s.dash_facet("tool", 0, i64::MAX, 20).expect("facet")
        ),
        format!(
            "{:?}",
            s.dash_facet("tcp_port", 0, i64::MAX, 20).expect("facet")
        ),
        format!("{sources:?}"),
        format!("{:?}", s.dash_attack_count(0, i64::MAX).expect("attacks")),
        format!("{survey:?}"),
        format!("{:?}", indicators(s)),
        format!("{:?}", decoy_numbers(s)),
    ]
}

#[test]
fn demo_on_postgresql_shows_what_it_shows_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = PgDb::create();
    let demo = |data: &std::path::Path, database: Option<&str>| {
        let mut cmd = yamori();
        cmd.arg("--data-dir").arg(data);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        run_ok(
            cmd.args([
                "demo",
                "--no-serve",
                "--minutes",
                "10",
                "--geo",
                "generated",
            ]),
            0,
        )
    };
    demo(&dir.path().join("lite"), None);
    demo(&dir.path().join("pg"), Some(&pg.url));
    assert!(
        !dir.path().join("pg/yamori.sqlite").exists(),
        "with --database, no command wrote the embedded file"
    );
    let lite =
        yamori_store::Store::open_sqlite(&dir.path().join("lite/yamori.sqlite")).expect("db");
    let on_pg = yamori_store::Store::connect_postgres(&pg.url).expect("pg");
    let numbers = dashboard_numbers(&lite);
    assert!(numbers[0].contains("analyses: 1"), "{numbers:?}");
    assert!(
        !numbers[7].contains("devices: 0"),
        "the survey stored devices: {numbers:?}"
    );
    assert_eq!(numbers, dashboard_numbers(&on_pg));
    drop(on_pg);
}
