use axum::http::StatusCode;
use serde_json::Value;

use crate::common::*;

fn ids(v: &Value) -> Vec<String> {
    v["objects"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn next_pages_are_stable_under_concurrent_adds() {
    let h = hub();
    // Two envelopes: each batch shares one date_added, so paging must use the sequence too.
    post(
        &h.app,
        &h.alice,
        (0..25)
            .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await;
    post(
        &h.app,
        &h.alice,
        (25..50)
            .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await;
    let first = get(
        &h.app,
        &format!("{}?limit=10&match[type]=indicator", objects_url(COLL)),
        &h.bob,
    )
    .await;
    let mut seen = ids(&first.json());
    let mut next = first.json()["next"].as_str().map(str::to_owned);
    let mut pages = 1;
    let mut added = false;
    while let Some(n) = next {
        if !added {
            // Objects added mid-paging appear after the ones already there, never in between.
            post(
                &h.app,
                &h.alice,
                (50..55)
                    .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
                    .collect(),
            )
            .await;
            added = true;
        }
        let r = get(
            &h.app,
            &format!(
                "{}?limit=10&match[type]=indicator&next={n}",
                objects_url(COLL)
            ),
            &h.bob,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let j = r.json();
        let page = ids(&j);
        assert!(page.len() <= 10);
        seen.extend(page);
        next = j["next"].as_str().map(str::to_owned);
        assert_eq!(j["more"], next.is_some());
        pages += 1;
    }
    let want: Vec<String> = (0..55)
        .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
        .collect();
    assert_eq!(seen, want);
    assert_eq!(pages, 6);
}

#[tokio::test]
async fn next_token_is_bound_to_caller_and_query() {
    let h = hub();
    post(
        &h.app,
        &h.alice,
        (0..5)
            .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await;
    let r = get(&h.app, &format!("{}?limit=2", objects_url(COLL)), &h.bob).await;
    let next = r.json()["next"].as_str().expect("next").to_string();
    // Same caller, same query: fine. Other caller, other filter, or tampering: 400.
    let ok = get(
        &h.app,
        &format!("{}?limit=2&next={next}", objects_url(COLL)),
        &h.bob,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    for (uri, tok) in [
        (
            format!("{}?limit=2&next={next}", objects_url(COLL)),
            &h.alice,
        ),
        (
            format!(
                "{}?limit=2&match[type]=malware&next={next}",
                objects_url(COLL)
            ),
            &h.bob,
        ),
        (
            format!("{}?limit=2&next=x{next}", objects_url(COLL)),
            &h.bob,
        ),
        (format!("{}?next=AAAA.BBBB", objects_url(COLL)), &h.bob),
    ] {
        let r = get(&h.app, &uri, tok).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(r.json()["http_status"], "400");
    }
}

#[tokio::test]
async fn added_after_and_headers() {
    let h = hub();
    post(
        &h.app,
        &h.alice,
        vec![indicator(1, "2024-01-01T00:00:00.000Z")],
    )
    .await;
    let r1 = get(&h.app, &objects_url(COLL), &h.bob).await;
    let last = r1.headers["x-taxii-date-added-last"]
        .to_str()
        .expect("ascii")
        .to_string();
    post(
        &h.app,
        &h.alice,
        vec![indicator(2, "2024-01-01T00:00:00.000Z")],
    )
    .await;
    let r2 = get(
        &h.app,
        &format!("{}?added_after={last}", objects_url(COLL)),
        &h.bob,
    )
    .await;
    assert_eq!(
        ids(&r2.json()),
        vec!["indicator--00000000-0000-4000-8000-000000000002"]
    );
    let first2 = r2.headers["x-taxii-date-added-first"]
        .to_str()
        .expect("ascii");
    assert!(first2 > last.as_str());
    // Microsecond precision with Z.
    assert_eq!(last.len(), "2024-01-01T00:00:00.000000Z".len());
    let r3 = get(
        &h.app,
        &format!("{}?added_after={first2}", objects_url(COLL)),
        &h.bob,
    )
    .await;
    assert_eq!(r3.json(), serde_json::json!({"more": false}));
    assert!(!r3.headers.contains_key("x-taxii-date-added-first"));
}
