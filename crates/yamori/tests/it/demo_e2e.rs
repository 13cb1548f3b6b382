//! `yamori demo --no-serve`: the observe → store → share loop on generated data, twice.
use yamori_store::taxii::ObjectQuery;
use yamori_store::taxii::TaxiiStore;
use yamori_store::Store;

use crate::support::*;

fn indicators(store: &yamori_store::SqliteStore) -> (usize, usize) {
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
    let store = yamori_store::SqliteStore::open(&data.join("yamori.sqlite")).expect("db");
    assert_eq!(store.list_analyses().expect("list").len(), 1);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("demo/report.json")).expect("report"))
            .expect("json");
    let scanners = report["scanners"].as_array().expect("scanners").len();
    let (objects, inds) = indicators(&store);
    assert_eq!(inds, scanners, "one indicator per scanner");
    assert!(objects > inds);

    // Again: the analysis is replaced and publishing adds no duplicates.
    demo();
    assert_eq!(store.list_analyses().expect("list").len(), 1);
    assert_eq!(indicators(&store), (objects, inds));
}
