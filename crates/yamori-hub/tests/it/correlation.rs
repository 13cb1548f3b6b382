//! Correlation through the hub: objects posted over TAXII (and published locally into another
//! collection) are indexed as they are stored; `GET /api/v1/observable` finds an address by
//! itself, by a prefix around it and inside a prefix, names who reported it, hides what the
//! caller may not read, and a database from before the index is filled in by the backfill.

use serde_json::{json, Value};
use yamori_store::accounts::Grant;
use yamori_store::Store;

use crate::common::{get, hub, indicator, post, OTHER};

fn pattern_indicator(n: u32, pattern: &str, by: Option<&str>) -> Value {
    let mut i = indicator(n, "2026-12-01T00:00:00.000Z");
    i["pattern"] = json!(pattern);
    if let Some(by) = by {
        i["created_by_ref"] = json!(by);
    }
    i
}

async fn observable(h: &crate::common::Hub, value: &str, token: &str) -> Value {
    let r = get(&h.app, &format!("/api/v1/observable?value={value}"), token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn reports(v: &Value) -> Vec<(String, String, String)> {
    v["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap_or("").to_string(),
                r["relation"].as_str().unwrap_or("").to_string(),
                r["collection"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_is_found_by_itself_its_prefixes_and_inside_a_prefix() {
    let h = hub();
    let peer = "identity--00000000-0000-4000-8000-0000000000aa";
    // The same address, earlier, in a collection bob may not read.
    yamori_hub::ingest::add_objects(
        h.store.as_ref(),
        "api1",
        OTHER,
        "test",
        &[pattern_indicator(
            5,
            "[ipv4-addr:value = '203.0.113.5']",
            None,
        )],
    )
    .expect("add");
    let status = post(
        &h.app,
        &h.alice,
        vec![
            pattern_indicator(1, "[ipv4-addr:value = '203.0.113.5']", Some(peer)),
            pattern_indicator(2, "[ipv4-addr:value ISSUBSET '203.0.113.0/24']", None),
            pattern_indicator(3, "[url:value = 'http://203.0.113.5/bins/x.arm']", None),
            pattern_indicator(4, "[ipv4-addr:value = '198.51.100.1']", None),
        ],
    )
    .await;
    assert_eq!(status["success_count"], 4, "{status}");

    let v = observable(&h, "203.0.113.5", &h.bob).await;
    assert_eq!(
        (v["value"].as_str(), v["kind"].as_str()),
        (Some("203.0.113.5"), Some("ipv4"))
    );
    let mut got = reports(&v);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "203.0.113.0/24".into(),
                "contains".into(),
                "telescope".into()
            ),
            ("203.0.113.5".into(), "equal".into(), "telescope".into()),
            ("203.0.113.5".into(), "equal".into(), "telescope".into()),
        ],
        "the secret collection's report is hidden from bob"
    );
    let by: Vec<&str> = v["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter_map(|r| r["created_by"].as_str())
        .collect();
    assert_eq!(by, [peer]);
    // Bob does not read every collection: no counts, and the times of his reports only (the
    // secret collection's report came first).
    let values = v["values"].as_array().expect("values");
    assert!(values.iter().all(|x| x["reports"].is_null()));
    let own = values
        .iter()
        .find(|x| x["value"] == "203.0.113.5")
        .expect("the address");
    let earliest = v["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter(|r| r["value"] == "203.0.113.5")
        .filter_map(|r| r["first_added"].as_str())
        .min()
        .expect("reports of the address");
    assert_eq!(own["first_added"].as_str(), Some(earliest));
    assert_eq!(v["seen_by"]["telescope"], json!([]));
    assert_eq!(v["index_complete"], true);

    // Alice, given the other collection too, reads everything: she sees all four reports and
    // the counts (the address: indicators 1, 3 by the URL's host, and 5).
    let g = Grant {
        collection_id: OTHER.into(),
        can_read: true,
        can_write: false,
    };
    h.store.taxii_set_grant("alice", &g).expect("grant");
    let v = observable(&h, "203.0.113.5", &h.alice).await;
    assert_eq!(reports(&v).len(), 4);
    let counts: Vec<(String, u64)> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|x| {
            (
                x["value"].as_str().unwrap_or("").into(),
                x["reports"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("203.0.113.0/24".into(), 1), ("203.0.113.5".into(), 3)]
    );

    // A prefix finds what lies inside it, not the address outside.
    let v = observable(&h, "203.0.113.0/25", &h.bob).await;
    let mut got = reports(&v);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "203.0.113.0/24".into(),
                "contains".into(),
                "telescope".into()
            ),
            ("203.0.113.5".into(), "within".into(), "telescope".into()),
            ("203.0.113.5".into(), "within".into(), "telescope".into()),
        ]
    );
    assert!(v["seen_by"].is_null(), "only single addresses have sensors");
    // The URL by itself.
    let v = observable(&h, "http://203.0.113.5/bins/x.arm", &h.bob).await;
    assert_eq!(reports(&v).len(), 1);
    // Bad values are refused with what is expected.
    let r = get(&h.app, "/api/v1/observable?value=not%20a%20value", &h.bob).await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("domain name"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_the_index_is_indexed() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("yamori.sqlite");
    let gz = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../yamori-store/tests/fixtures/v1.sqlite.gz"),
    )
    .expect("fixture");
    let mut db = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut db)
        .expect("gzip");
    std::fs::write(&path, db).expect("write");
    let store = Store::open_sqlite(&path).expect("open");
    assert_eq!(
        store.correlation_backlog(10_000).expect("backlog").len(),
        1690
    );
    let done = yamori_hub::ingest::index_correlation(&store).expect("index");
    assert_eq!((done.indexed, done.skipped, done.complete), (1690, 0, true));
    assert!(store.correlation_backlog(10).expect("backlog").is_empty());
    // Again: nothing left, nothing counted twice.
    assert_eq!(
        yamori_hub::ingest::index_correlation(&store)
            .expect("again")
            .indexed,
        0
    );
    // A telescope indicator of the fixture is now found by its address.
    let sample = store
        .taxii_collections("api1")
        .expect("collections")
        .into_iter()
        .find_map(|c| {
            let mut q = yamori_store::taxii::ObjectQuery::new(&c.id, 50);
            q.types = vec!["indicator".into()];
            store.taxii_query(&q).ok()?.objects.into_iter().next()
        })
        .expect("an indicator in the fixture");
    let body: Value = serde_json::from_str(sample.body.as_deref().unwrap_or("")).expect("json");
    let pattern = body["pattern"].as_str().expect("pattern");
    let address = pattern.split('\'').nth(1).expect("a quoted value");
    let keys = yamori_intel::observables::Observable::guess(address)
        .expect("value")
        .lookup_keys();
    let (values, _) = store
        .correlation_lookup(&yamori_store::correlation::Lookup {
            kind: "ipv4",
            exact: &keys.exact,
            within: None,
            own_key: None,
            collections: None,
            limit: 10,
        })
        .expect("lookup");
    assert_eq!(values.len(), 1, "{address} from {pattern}");
    assert!(values[0].reports >= 1);
}

/// The score `/api/v1/intel` gives indicator `n`.
fn score_of(intel: &Value, n: u32) -> u64 {
    intel["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["id"] == format!("indicator--00000000-0000-4000-8000-{n:012}"))
        .and_then(|i| i["score"].as_u64())
        .expect("a score")
}

/// The intel page's indicators carry their decayed score: confidence × the stored trust in
/// their source, decayed by the NIDS model since their modification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_are_shown_with_their_decayed_score() {
    let h = hub();
    let trusted = "identity--00000000-0000-4000-8000-0000000000a1";
    h.store.trust_set(trusted, 100).expect("trust");
    let month_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("time");
    let with = |n: u32, by: &str, last: u8| {
        let pattern = format!("[ipv4-addr:value = '203.0.113.{last}']");
        let mut i = pattern_indicator(n, &pattern, Some(by));
        i["modified"] = json!(month_ago);
        i["created"] = json!(month_ago);
        i["confidence"] = json!(80);
        i
    };
    let other = "identity--00000000-0000-4000-8000-0000000000b2";
    let status = post(
        &h.app,
        &h.alice,
        vec![with(1, trusted, 5), with(2, other, 6), with(3, other, 7)],
    )
    .await;
    assert_eq!(status["success_count"], 3, "{status}");
    let r = get(&h.app, "/api/v1/intel", &h.bob).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let score = |n: u32| score_of(&v, n);
    // 80 · (1 − √(30/120)) = 40 at full trust; the default trust (50) halves the base.
    assert!((39..=40).contains(&score(1)), "{}", score(1));
    assert!((19..=20).contains(&score(2)), "{}", score(2));
    // The other source also names 203.0.113.5, in another object: the two corroborate
    // (docs/TRUST.md §1), each base 100 · (1 − 0.2 · 0.6) = 88, a month on 44.
    let status = post(&h.app, &h.alice, vec![with(4, other, 5)]).await;
    assert_eq!(status["success_count"], 1, "{status}");
    let v = get(&h.app, "/api/v1/intel", &h.bob).await.json();
    let score = |n: u32| score_of(&v, n);
    assert!((43..=44).contains(&score(1)), "{}", score(1));
    assert!((43..=44).contains(&score(4)), "{}", score(4));
    assert!((19..=20).contains(&score(3)), "{}", score(3));
}
