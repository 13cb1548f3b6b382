use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use yamori_hub::HubConfig;

use crate::common::*;

#[tokio::test]
async fn mixed_valid_invalid_and_duplicates() {
    let h = hub();
    let good = indicator(1, "2024-01-01T00:00:00.000Z");
    let mut changed = good.clone();
    changed["name"] = json!("same id and version, other content");
    let objs = vec![
        good.clone(),
        json!({"type": "indicator", "id": "not-an-id"}),
        json!(42),
        json!({"type": "indicator", "spec_version": "2.0", "id": "indicator--00000000-0000-4000-8000-000000000009",
               "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}),
        indicator(2, "2024-01-01T00:00:00.000Z"),
        good.clone(),
        changed,
        json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": []}),
    ];
    let st = post(&h.app, &h.alice, objs).await;
    assert_eq!(st["status"], "complete");
    assert_eq!(st["total_count"], 8);
    // good, indicator 2, and the exact duplicate succeed; 4 invalid + 1 conflicting fail.
    assert_eq!(st["success_count"], 3, "{st}");
    assert_eq!(st["failure_count"], 5, "{st}");
    let msgs: Vec<&str> = st["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["message"].as_str().unwrap_or(""))
        .collect();
    assert!(msgs.iter().any(|m| m.contains("spec_version")), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m.contains("different object")),
        "{msgs:?}"
    );
    // Posting the same envelope again: exact duplicates are successes, not errors.
    let st = post(&h.app, &h.alice, vec![good.clone()]).await;
    assert_eq!(st["success_count"], 1);
    assert_eq!(st["failure_count"], 0);
    let r = get(&h.app, &objects_url(COLL), &h.bob).await;
    assert_eq!(r.json()["objects"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn large_envelope_stored_within_the_wait_answers_complete() {
    let h = hub_with(HubConfig {
        inline_objects: 10,
        ingest_chunk: 50,
        // Far longer than 400 objects take, even in a debug build on a loaded machine.
        ingest_wait: Duration::from_secs(60),
        ..HubConfig::default()
    });
    let objs: Vec<_> = (0..400)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
        .collect();
    let st = post(&h.app, &h.alice, objs).await;
    assert_eq!(st["status"], "complete", "{st}");
    assert_eq!(st["success_count"], 400);
    assert_eq!(st["pending_count"], 0);
    let url = format!("/api1/status/{}/", st["id"].as_str().expect("id"));
    assert_eq!(
        get(&h.app, &url, &h.alice).await.json()["status"],
        "complete"
    );
}

#[tokio::test]
async fn large_envelope_is_pending_then_complete() {
    let h = hub_with(HubConfig {
        inline_objects: 10,
        ingest_chunk: 50,
        ingest_wait: Duration::ZERO,
        ..HubConfig::default()
    });
    let objs: Vec<_> = (0..400)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
        .collect();
    let st = post(&h.app, &h.alice, objs).await;
    assert_eq!(st["total_count"], 400);
    let url = format!("/api1/status/{}/", st["id"].as_str().expect("id"));
    let mut done = false;
    for _ in 0..200 {
        let s = get(&h.app, &url, &h.alice).await.json();
        let counted = s["success_count"].as_u64().unwrap_or(0)
            + s["failure_count"].as_u64().unwrap_or(0)
            + s["pending_count"].as_u64().unwrap_or(0);
        assert_eq!(counted, 400, "{s}");
        if s["status"] == "complete" {
            assert_eq!(s["success_count"], 400);
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(done, "background ingest did not complete");
    let r = get(&h.app, &format!("{}?limit=1000", objects_url(COLL)), &h.bob).await;
    assert_eq!(r.json()["objects"].as_array().map(Vec::len), Some(400));
}

#[tokio::test]
async fn envelope_over_limit_is_413_and_nothing_stored() {
    let h = hub_with(HubConfig {
        max_content_length: 2000,
        ..HubConfig::default()
    });
    let objs: Vec<_> = (0..10)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
        .collect();
    let r = call(
        &h.app,
        Method::POST,
        &objects_url(COLL),
        &h.alice,
        envelope(objs.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["http_status"], "413");
    // Streamed without Content-Length: still stopped at the limit.
    let body = envelope(objs);
    let stream = futures_body(body);
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(objects_url(COLL))
        .header("accept", TAXII)
        .header("content-type", TAXII)
        .header("authorization", format!("Bearer {}", h.alice))
        .body(stream)
        .expect("req");
    assert_eq!(
        send(&h.app, req).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        get(&h.app, &objects_url(COLL), &h.bob).await.json()["objects"],
        serde_json::Value::Null
    );
}

/// A body whose size is unknown up front (chunks, no Content-Length).
fn futures_body(s: String) -> axum::body::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        s.into_bytes().chunks(100).map(|c| Ok(c.to_vec())).collect();
    axum::body::Body::from_stream(tokio_stream_iter(chunks))
}

fn tokio_stream_iter(
    items: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    struct It(std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);
    impl futures_core::Stream for It {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    It(items.into_iter())
}

#[tokio::test]
async fn statuses_left_pending_by_a_crash_are_failed_at_start_up() {
    let h = hub();
    let objs: Vec<serde_json::Value> = (0..3)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
        .collect();
    let raws: Vec<Box<serde_json::value::RawValue>> = objs
        .iter()
        .map(|o| serde_json::value::RawValue::from_string(o.to_string()).expect("json"))
        .collect();
    let refs: Vec<&serde_json::value::RawValue> = raws.iter().map(AsRef::as_ref).collect();
    // A status as a crashed server leaves it: everything prepared, nothing stored.
    let mut st = yamori_hub::ingest::new_status("api1", "alice", 3);
    let prepared = yamori_hub::ingest::prepare_all(&refs, &mut st);
    h.store.taxii_put_status(&st).expect("put");
    yamori_hub::ingest::store_objects(h.store.as_ref(), COLL, &prepared[..1], &mut st, 10)
        .expect("store one");
    assert_eq!(
        yamori_hub::ingest::fail_orphaned(h.store.as_ref()).expect("fail"),
        1
    );
    let s = get(&h.app, &format!("/api1/status/{}/", st.id), &h.alice)
        .await
        .json();
    assert_eq!(s["status"], "complete");
    assert_eq!(
        (s["success_count"].as_u64(), s["failure_count"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        yamori_hub::ingest::fail_orphaned(h.store.as_ref()).expect("again"),
        0
    );
}

/// `yamori publish --local`: the collection is created once, by name; each object is
/// validated on its own; publishing again is harmless (exact duplicates succeed); the status
/// is stored for its owner like a TAXII POST's.
#[test]
fn publish_local_creates_the_collection_once_and_settles_each_object() {
    use yamori_hub::ingest::{publish_local, PUBLISH_OWNER};
    let h = hub();
    let objs = vec![
        indicator(1, "2024-01-01T00:00:00.000Z"),
        json!({"type": "indicator", "id": "not-an-id"}),
        indicator(2, "2024-01-01T00:00:00.000Z"),
    ];
    let first = publish_local(h.store.as_ref(), "api1", "published", &objs).expect("publish");
    assert!(first.created);
    assert_eq!(first.collection.alias.as_deref(), Some("published"));
    assert_eq!(first.collection.title, "published");
    let counts = |s: &yamori_store::taxii::TaxiiStatus| {
        (s.successes.len(), s.failures.len(), s.pendings.len())
    };
    assert_eq!(counts(&first.status), (2, 1, 0), "{:?}", first.status);
    assert!(first.status.failures[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains("invalid STIX")));

    let again = publish_local(h.store.as_ref(), "api1", "published", &objs).expect("again");
    assert!(!again.created);
    assert_eq!(again.collection.id, first.collection.id);
    assert_eq!(counts(&again.status), (2, 1, 0), "duplicates are successes");
    let stored = h
        .store
        .taxii_status(&again.status.id)
        .expect("read status")
        .expect("status stored");
    assert_eq!(stored.owner, PUBLISH_OWNER);
    assert_eq!(counts(&stored), (2, 1, 0));
    let page = h
        .store
        .taxii_query(&yamori_store::taxii::ObjectQuery::new(
            &first.collection.id,
            100,
        ))
        .expect("query");
    assert_eq!(page.objects.len(), 2);
}

#[tokio::test]
async fn a_flood_of_sightings_of_one_indicator_is_bounded_with_the_reason() {
    let h = hub_with(HubConfig {
        ingest_wait: Duration::from_secs(120),
        ..HubConfig::default()
    });
    let of = "indicator--00000000-0000-4000-8000-000000000001";
    let peer = "identity--00000000-0000-4000-8000-0000000000ee";
    let sighting = |n: u64, modified: &str| {
        json!({"type": "sighting", "spec_version": "2.1",
               "id": format!("sighting--00000000-0000-4000-8000-{n:012}"),
               "created": "2026-01-01T00:00:00.000Z", "modified": modified,
               "created_by_ref": peer, "sighting_of_ref": of, "count": 1})
    };
    let max = yamori_store::sightings::MAX_SIGHTINGS_PER_SOURCE;
    let t = "2026-01-01T00:00:00.000Z";
    // The allowance and 200 more in two envelopes, then a new version of a stored one.
    let first: Vec<_> = (0..800).map(|n| sighting(n, t)).collect();
    let st = post(&h.app, &h.alice, first).await;
    assert_eq!(st["success_count"], 800, "{st}");
    let second: Vec<_> = (800..max + 200).map(|n| sighting(n, t)).collect();
    let st = post(&h.app, &h.alice, second).await;
    assert_eq!(st["status"], "complete", "{st}");
    assert_eq!(st["success_count"], 200, "{st}");
    assert_eq!(st["failure_count"], 200, "{st}");
    let failure = &st["failures"][0];
    assert_eq!(
        failure["id"],
        format!("sighting--00000000-0000-4000-8000-{max:012}")
    );
    let message = failure["message"].as_str().expect("message");
    assert!(
        message.contains(peer) && message.contains(of) && message.contains("new version"),
        "{message}"
    );
    let update = vec![sighting(3, "2026-02-01T00:00:00.000Z")];
    assert_eq!(post(&h.app, &h.alice, update).await["success_count"], 1);
    // What was accepted is all there.
    let mut q = yamori_store::taxii::ObjectQuery::new(COLL, 5000);
    q.types = vec!["sighting".into()];
    q.versions = yamori_store::taxii::VersionFilter::all();
    let stored = h.store.taxii_query(&q).expect("query").objects.len() as u64;
    assert_eq!(stored, max + 1);
}

#[tokio::test]
async fn circular_and_dangling_references_are_stored_as_received() {
    // Nothing in the hub follows references, so cycles cannot make it loop and references to
    // objects it never received are kept as sent: STIX allows both (a bundle is not closed).
    let h = hub();
    let id = |t: &str, n: u32| format!("{t}--00000000-0000-4000-8000-{n:012}");
    let t = "2026-01-01T00:00:00.000Z";
    let grouping = |n: u32, refs: Vec<String>| {
        json!({"type": "grouping", "spec_version": "2.1", "id": id("grouping", n),
               "created": t, "modified": t, "context": "suspicious-activity",
               "object_refs": refs})
    };
    let objects = vec![
        // A cycle of two, and one that contains itself.
        grouping(1, vec![id("grouping", 2)]),
        grouping(2, vec![id("grouping", 1)]),
        grouping(3, vec![id("grouping", 3)]),
        // A relationship from an object to itself, and one between objects never sent.
        json!({"type": "relationship", "spec_version": "2.1", "id": id("relationship", 4),
               "created": t, "modified": t, "relationship_type": "related-to",
               "source_ref": id("grouping", 3), "target_ref": id("grouping", 3)}),
        json!({"type": "relationship", "spec_version": "2.1", "id": id("relationship", 5),
               "created": t, "modified": t, "relationship_type": "communicates-with",
               "source_ref": id("malware", 99), "target_ref": id("ipv4-addr", 98),
               "created_by_ref": id("identity", 97)}),
        // A sighting of an indicator the hub does not hold, where no identity is known.
        json!({"type": "sighting", "spec_version": "2.1", "id": id("sighting", 6),
               "created": t, "modified": t, "sighting_of_ref": id("indicator", 96),
               "where_sighted_refs": [id("identity", 95)], "observed_data_refs": [id("observed-data", 94)]}),
        indicator(7, t),
    ];
    let st = post(&h.app, &h.alice, objects.clone()).await;
    assert_eq!(st["success_count"], 7, "{st}");
    assert_eq!(st["failure_count"], 0, "{st}");
    // Read back as sent, and the other paths that read objects still answer.
    let got = get(&h.app, &objects_url(COLL), &h.bob).await.json();
    let mut ids: Vec<&str> = got["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    ids.sort();
    let mut sent: Vec<&str> = objects.iter().filter_map(|o| o["id"].as_str()).collect();
    sent.sort();
    assert_eq!(ids, sent);
    let feed = get(&h.app, "/feeds/telescope/stix", &h.bob).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    let seen = get(&h.app, "/api/v1/observable?value=198.51.100.7", &h.bob).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(
        get(&h.app, "/api/v1/intel", &h.bob).await.status,
        StatusCode::OK
    );
}
