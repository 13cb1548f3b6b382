use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn discovery_root_collections() {
    let h = hub();
    let r = get(&h.app, "/taxii2/", &h.alice).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], TAXII);
    assert_eq!(r.json()["api_roots"][0], "/api1/");
    let r = get(&h.app, "/api1/", &h.alice).await;
    assert_eq!(r.json()["versions"][0], TAXII);
    assert!(r.json()["max_content_length"].as_u64().expect("number") > 0);
    assert_eq!(
        get(&h.app, "/api9/", &h.alice).await.status,
        StatusCode::NOT_FOUND
    );
    // Alice sees only the collection she has a grant on, with her permissions.
    let r = get(&h.app, "/api1/collections/", &h.alice).await;
    let cs = r.json()["collections"].as_array().expect("list").clone();
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0]["id"], COLL);
    assert_eq!(cs[0]["can_read"], true);
    assert_eq!(cs[0]["can_write"], true);
    assert_eq!(cs[0]["media_types"][0], "application/stix+json;version=2.1");
    // By alias too.
    let r = get(&h.app, "/api1/collections/telescope/", &h.bob).await;
    assert_eq!(r.json()["id"], COLL);
    assert_eq!(r.json()["can_write"], false);
    // Dave sees no collections, and an existing one answers exactly like a missing one.
    assert_eq!(
        get(&h.app, "/api1/collections/", &h.dave).await.json(),
        serde_json::json!({})
    );
    let hidden = get(&h.app, &format!("/api1/collections/{OTHER}/"), &h.alice).await;
    let missing = get(&h.app, "/api1/collections/nope/", &h.alice).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.text, missing.text);
}

#[tokio::test]
async fn auth_failures() {
    let h = hub();
    let r = get(&h.app, "/taxii2/", "ymr_nope_nope").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("Basic"));
    assert_eq!(r.json()["http_status"], "401");
    let req = axum::http::Request::builder()
        .uri("/taxii2/")
        .body(axum::body::Body::empty())
        .expect("req");
    assert_eq!(send(&h.app, req).await.status, StatusCode::UNAUTHORIZED);
    // Basic with password, and with the token as password; wrong password refused.
    use base64::Engine;
    for (cred, want) in [
        ("alice:pw-alice", StatusCode::OK),
        (&*format!("alice:{}", h.alice), StatusCode::OK),
        (&*format!("bob:{}", h.alice), StatusCode::UNAUTHORIZED),
        ("alice:wrong", StatusCode::UNAUTHORIZED),
    ] {
        let b = base64::engine::general_purpose::STANDARD.encode(cred);
        let req = axum::http::Request::builder()
            .uri("/taxii2/")
            .header("authorization", format!("Basic {b}"))
            .body(axum::body::Body::empty())
            .expect("req");
        assert_eq!(send(&h.app, req).await.status, want, "{cred}");
    }
}

#[tokio::test]
async fn objects_round_trip_byte_exact() {
    let h = hub();
    // Odd spacing and key order must come back exactly as sent.
    let raw = r#"{ "type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000001",  "spec_version":"2.1","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z", "x_note": 1.50 }"#;
    let body = format!("{{\"objects\":[{raw}]}}");
    let r = call(&h.app, Method::POST, &objects_url(COLL), &h.alice, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let st = r.json();
    assert_eq!(st["status"], "complete");
    assert_eq!(st["success_count"], 1);
    let r = get(&h.app, &objects_url(COLL), &h.bob).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(raw), "{}", r.text);
    assert!(r.headers.contains_key("x-taxii-date-added-first"));
    assert!(r.headers.contains_key("x-taxii-date-added-last"));
    // The status resource is readable by its requester only.
    let url = format!("/api1/status/{}/", st["id"].as_str().expect("id"));
    assert_eq!(get(&h.app, &url, &h.alice).await.json()["success_count"], 1);
    assert_eq!(
        get(&h.app, &url, &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn versions_object_manifest_delete() {
    let h = hub();
    let v = [
        "2024-01-01T00:00:00.000Z",
        "2024-02-01T00:00:00.000Z",
        "2024-03-01T00:00:00.000Z",
    ];
    post(
        &h.app,
        &h.alice,
        v.iter().map(|m| indicator(1, m)).collect(),
    )
    .await;
    post(&h.app, &h.alice, vec![indicator(2, v[0])]).await;
    let id1 = "indicator--00000000-0000-4000-8000-000000000001";
    let base = format!("/api1/collections/{COLL}/objects/{id1}/");
    let mods = |r: &Resp| -> Vec<String> {
        r.json()["objects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| o["modified"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(mods(&get(&h.app, &base, &h.bob).await), vec![v[2]]);
    assert_eq!(
        mods(&get(&h.app, &format!("{base}?match[version]=first"), &h.bob).await),
        vec![v[0]]
    );
    assert_eq!(
        mods(&get(&h.app, &format!("{base}?match[version]=all"), &h.bob).await),
        v.to_vec()
    );
    assert_eq!(
        mods(&get(&h.app, &format!("{base}?match[version]=first,last"), &h.bob).await),
        vec![v[0], v[2]]
    );
    // Exact version, written with another precision.
    assert_eq!(
        mods(
            &get(
                &h.app,
                &format!("{base}?match[version]=2024-02-01T00:00:00Z"),
                &h.bob
            )
            .await
        ),
        vec![v[1]]
    );
    let r = get(&h.app, &format!("{base}versions/"), &h.bob).await;
    assert_eq!(r.json()["versions"], serde_json::json!(v));
    // Manifest: latest version of each object.
    let r = get(
        &h.app,
        &format!("/api1/collections/{COLL}/manifest/"),
        &h.bob,
    )
    .await;
    let m = r.json()["objects"].as_array().expect("manifest").clone();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["version"], v[2]);
    assert_eq!(m[0]["media_type"], "application/stix+json;version=2.1");
    // match[type] / match[id].
    let r = get(
        &h.app,
        &format!("{}?match[id]={id1}&match[version]=all", objects_url(COLL)),
        &h.bob,
    )
    .await;
    assert_eq!(r.json()["objects"].as_array().map(Vec::len), Some(3));
    let r = get(
        &h.app,
        &format!("{}?match[type]=malware", objects_url(COLL)),
        &h.bob,
    )
    .await;
    assert_eq!(r.json(), serde_json::json!({"more": false}));
    // DELETE matrix (TAXII 2.1 §5.7): bob (r) 403, carol (w) 403, dave 404, alice deletes.
    assert_eq!(
        call(&h.app, Method::DELETE, &base, &h.bob, String::new())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&h.app, Method::DELETE, &base, &h.carol, String::new())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&h.app, Method::DELETE, &base, &h.dave, String::new())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = call(
        &h.app,
        Method::DELETE,
        &format!("{base}?match[version]=first"),
        &h.alice,
        String::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        mods(&get(&h.app, &format!("{base}?match[version]=all"), &h.bob).await),
        vec![v[1], v[2]]
    );
    assert_eq!(
        call(&h.app, Method::DELETE, &base, &h.alice, String::new())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&h.app, &base, &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&h.app, &format!("{base}versions/"), &h.bob)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn read_write_permissions() {
    let h = hub();
    let body = envelope(vec![indicator(1, "2024-01-01T00:00:00.000Z")]);
    // bob reads only: POST 403; carol writes only: GET 403; dave: 404 both.
    assert_eq!(
        call(
            &h.app,
            Method::POST,
            &objects_url(COLL),
            &h.bob,
            body.clone()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &h.app,
            Method::POST,
            &objects_url(COLL),
            &h.carol,
            body.clone()
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        get(&h.app, &objects_url(COLL), &h.carol).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&h.app, &objects_url(COLL), &h.dave).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&h.app, Method::POST, &objects_url(COLL), &h.dave, body)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r: Value = get(&h.app, &objects_url(COLL), &h.bob).await.json();
    assert_eq!(r["objects"].as_array().map(Vec::len), Some(1));
}
