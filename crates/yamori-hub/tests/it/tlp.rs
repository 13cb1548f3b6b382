//! TLP clearances (docs/TRUST.md §5): TAXII, the feeds and the API serve a reader only the
//! objects at or below their clearance; unmarked objects count as AMBER; RED goes to nobody.

use axum::http::{Method, StatusCode};
use serde_json::Value;
use yamori_intel::markings::Tlp2;

use crate::common::*;

/// Indicators 1..=6 for 198.51.100.1..6: CLEAR, GREEN, AMBER, AMBER+STRICT, RED, unmarked.
fn marked() -> Vec<Value> {
    let levels = [
        Some(Tlp2::Clear),
        Some(Tlp2::Green),
        Some(Tlp2::Amber),
        Some(Tlp2::AmberStrict),
        Some(Tlp2::Red),
        None,
    ];
    levels
        .iter()
        .zip(1u32..)
        .map(|(level, n)| {
            let mut o = indicator(n, "2024-01-02T00:00:00.000Z");
            if let Some(t) = level {
                o["object_marking_refs"] = serde_json::json!([t.id()]);
            }
            o
        })
        .collect()
}

/// A reader of the telescope collection with `clearance` (None: the default), and its token.
fn reader(h: &Hub, name: &str, clearance: Option<&str>) -> String {
    h.store
        .taxii_put_user(&yamori_store::accounts::User {
            name: name.into(),
            password_hash: None,
        })
        .expect("user");
    h.store
        .taxii_set_grant(
            name,
            &yamori_store::accounts::Grant {
                collection_id: COLL.into(),
                can_read: true,
                can_write: false,
            },
        )
        .expect("grant");
    h.store.taxii_set_user_tlp(name, clearance).expect("tlp");
    yamori_hub::auth::issue_token(h.store.as_ref(), name).expect("token")
}

/// The numbers (1..=6) of the indicators in a TAXII envelope or manifest.
fn numbers(r: &Resp, key: &str) -> Vec<u32> {
    let mut n: Vec<u32> = r.json()[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_str().or_else(|| o["id"].as_str()))
        .filter_map(|id| id.rsplit('-').next()?.parse().ok())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn each_reader_gets_what_its_clearance_admits_on_taxii_feeds_and_the_api() {
    let h = hub();
    post(&h.app, &h.alice, marked()).await;
    let cases: [(&str, Option<&str>, &[u32]); 5] = [
        ("default", None, &[1, 2]),
        ("clear", Some("clear"), &[1]),
        ("green", Some("green"), &[1, 2]),
        ("amber", Some("amber"), &[1, 2, 3, 6]),
        ("strict", Some("amber+strict"), &[1, 2, 3, 4, 6]),
    ];
    for (name, clearance, want) in cases {
        let token = reader(&h, name, clearance);
        let objects = get(&h.app, &objects_url(COLL), &token).await;
        assert_eq!(objects.status, StatusCode::OK, "{}", objects.text);
        assert_eq!(numbers(&objects, "objects"), want, "objects, {name}");
        let manifest = get(
            &h.app,
            &format!("/api1/collections/{COLL}/manifest/"),
            &token,
        )
        .await;
        assert_eq!(numbers(&manifest, "objects"), want, "manifest, {name}");
        // One object and its versions: 404 when withheld, as for an object that is not there.
        for n in 1..=6u32 {
            let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
            let one = get(&h.app, &format!("{}{id}/", objects_url(COLL)), &token).await;
            let versions = get(
                &h.app,
                &format!("{}{id}/versions/", objects_url(COLL)),
                &token,
            )
            .await;
            let expected = if want.contains(&n) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(one.status, expected, "object {n}, {name}: {}", one.text);
            assert_eq!(versions.status, expected, "versions {n}, {name}");
        }
        // The feed: the addresses of the indicators the reader may see, and `max_tlp` cannot
        // raise the clearance.
        for uri in [
            "/feeds/telescope/txt",
            "/feeds/telescope/txt?max_tlp=amber%2Bstrict",
        ] {
            let feed = get(&h.app, uri, &token).await;
            assert_eq!(feed.status, StatusCode::OK, "{uri}, {name}: {}", feed.text);
            let mut got: Vec<u32> = feed
                .text
                .lines()
                .filter_map(|l| l.strip_prefix("198.51.100.")?.parse().ok())
                .collect();
            got.sort();
            assert_eq!(got, want, "{uri}, {name}");
        }
        // The dashboard's newest indicators and the "seen by" reports.
        let intel = get(&h.app, "/api/v1/intel", &token).await.json();
        let mut shown: Vec<u32> = intel["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .filter_map(|i| i["id"].as_str()?.rsplit('-').next()?.parse().ok())
            .collect();
        shown.sort();
        assert_eq!(shown, want, "intel, {name}");
        for n in 1..=6u32 {
            let seen = get(
                &h.app,
                &format!("/api/v1/observable?value=198.51.100.{n}"),
                &token,
            )
            .await;
            assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
            let reports = seen.json()["reports"].as_array().map_or(0, Vec::len);
            assert_eq!(
                reports,
                usize::from(want.contains(&n)),
                "observable {n}, {name}: {}",
                seen.text
            );
        }
    }
}

/// Pages of withheld objects are read past on the server: the reader gets the GREEN object
/// on the first request, with no page of nothing before it.
#[tokio::test]
async fn pages_of_withheld_objects_are_read_past() {
    let h = hub();
    // Twelve RED indicators, then one GREEN one, read two at a time.
    let mut objects: Vec<Value> = (1..=12u32)
        .map(|n| {
            let mut o = indicator(n, "2024-01-02T00:00:00.000Z");
            o["object_marking_refs"] = serde_json::json!([Tlp2::Red.id()]);
            o
        })
        .collect();
    let mut green = indicator(13, "2024-01-02T00:00:00.000Z");
    green["object_marking_refs"] = serde_json::json!([Tlp2::Green.id()]);
    objects.push(green);
    for o in objects {
        // One POST each, so the GREEN one is added last.
        post(&h.app, &h.alice, vec![o]).await;
    }
    let token = reader(&h, "reader", None);
    let mut url = format!("{}?limit=2", objects_url(COLL));
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let r = get(&h.app, &url, &token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(numbers(&r, "objects"));
        pages += 1;
        let body = r.json();
        if body["more"] != Value::Bool(true) {
            break;
        }
        let next = body["next"].as_str().expect("more comes with next");
        url = format!("{}?limit=2&next={next}", objects_url(COLL));
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(seen, [13]);
    assert_eq!(pages, 1);
}

/// A reader of both collections (so "seen by" may give totals over every collection), or a
/// reader and writer of the telescope collection, with `clearance`.
fn account(h: &Hub, name: &str, clearance: &str, grants: &[(&str, bool, bool)]) -> String {
    h.store
        .taxii_put_user(&yamori_store::accounts::User {
            name: name.into(),
            password_hash: None,
        })
        .expect("user");
    for (collection, r, w) in grants {
        h.store
            .taxii_set_grant(
                name,
                &yamori_store::accounts::Grant {
                    collection_id: (*collection).into(),
                    can_read: *r,
                    can_write: *w,
                },
            )
            .expect("grant");
    }
    h.store
        .taxii_set_user_tlp(name, Some(clearance))
        .expect("tlp");
    yamori_hub::auth::issue_token(h.store.as_ref(), name).expect("token")
}

#[tokio::test]
async fn seen_by_totals_never_count_what_the_reader_may_not_see() {
    let h = hub();
    post(&h.app, &h.alice, marked()).await;
    let all = account(
        &h,
        "all",
        "amber+strict",
        &[(COLL, true, false), (OTHER, true, false)],
    );
    // 198.51.100.5 is named by the RED indicator only: not listed at all.
    let red = get(&h.app, "/api/v1/observable?value=198.51.100.5", &all).await;
    assert_eq!(red.status, StatusCode::OK, "{}", red.text);
    let red = red.json();
    assert_eq!(red["values"], serde_json::json!([]), "{red}");
    assert_eq!(red["reports"], serde_json::json!([]), "{red}");
    // 198.51.100.1 (CLEAR): everything found is readable, so the totals are given.
    let clear = get(&h.app, "/api/v1/observable?value=198.51.100.1", &all)
        .await
        .json();
    assert_eq!(clear["values"][0]["reports"], 1, "{clear}");
}

#[tokio::test]
async fn a_withheld_object_can_be_neither_deleted_nor_told_apart_from_a_missing_one() {
    let h = hub();
    post(&h.app, &h.alice, marked()).await;
    let writer = account(&h, "writer", "green", &[(COLL, true, true)]);
    let url = |n: u32| {
        format!(
            "{}indicator--00000000-0000-4000-8000-{n:012}/",
            objects_url(COLL)
        )
    };
    let delete = |n: u32| {
        let (app, writer, url) = (h.app.clone(), writer.clone(), url(n));
        async move { call(&app, Method::DELETE, &url, &writer, String::new()).await }
    };
    // AMBER (3): 404 as for a missing object (99), and still there.
    assert_eq!(delete(3).await.status, StatusCode::NOT_FOUND);
    assert_eq!(delete(99).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&h.app, &url(3), &h.alice).await.status, StatusCode::OK);
    // GREEN (2): deleted.
    assert_eq!(delete(2).await.status, StatusCode::OK);
    assert_eq!(
        get(&h.app, &url(2), &h.alice).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A withheld first version does not hide a readable later one, and the object does not
/// answer with an empty page that tells it exists.
#[tokio::test]
async fn versions_behind_a_withheld_first_page_are_still_reached() {
    let h = hub();
    // Version 1 is RED, version 2 GREEN.
    let mut v1 = indicator(1, "2024-01-01T00:00:00.000Z");
    v1["object_marking_refs"] = serde_json::json!([Tlp2::Red.id()]);
    let mut v2 = indicator(1, "2024-01-02T00:00:00.000Z");
    v2["object_marking_refs"] = serde_json::json!([Tlp2::Green.id()]);
    post(&h.app, &h.alice, vec![v1]).await;
    post(&h.app, &h.alice, vec![v2]).await;
    let token = reader(&h, "reader", None);
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    for (endpoint, query) in [("versions/", "limit=1"), ("", "limit=1&match[version]=all")] {
        let base = format!("{}{id}/{endpoint}", objects_url(COLL));
        let first = get(&h.app, &format!("{base}?{query}"), &token).await;
        assert_eq!(first.status, StatusCode::OK, "{endpoint}: {}", first.text);
        let second = first.json();
        assert_eq!(second["more"], false, "{second}");
        let text = second.to_string();
        assert!(
            text.contains("2024-01-02T00:00:00.000Z"),
            "{endpoint}: {text}"
        );
        let versions: Vec<&str> = match second.get("versions") {
            Some(v) => v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect(),
            None => second["objects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o["modified"].as_str())
                .collect(),
        };
        assert_eq!(versions, ["2024-01-02T00:00:00.000Z"], "{endpoint}: {text}");
    }
}
