//! Login throttling: after a few failed logins for a user name (HTTP Basic on TAXII, the
//! dashboard's login) or from an address, attempts get 429 with `Retry-After`, even with the
//! right password, until the wait is over; the wait doubles with each further failure; other
//! users are not slowed; a success resets the user's counter.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use serde_json::json;
use yamori_hub::throttle::{ADDR_FREE_FAILURES, USER_FREE_FAILURES};
use yamori_hub::HubConfig;

use crate::common::*;
use crate::tls_client::start;

fn basic(user: &str, password: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {b}")
}

/// GET the TAXII discovery resource with these credentials, from `from` when given.
async fn discovery(h: &Hub, authorization: &str, from: Option<&str>) -> Resp {
    let mut req = Request::builder()
        .uri("/taxii2/")
        .header(header::ACCEPT, TAXII)
        .header(header::AUTHORIZATION, authorization)
        .body(Body::empty())
        .expect("request");
    if let Some(a) = from {
        let a: SocketAddr = a.parse().expect("address");
        req.extensions_mut().insert(ConnectInfo(a));
    }
    send(&h.app, req).await
}

async fn login(h: &Hub, user: &str, password: &str) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "username": user, "password": password }).to_string(),
        ))
        .expect("request");
    send(&h.app, req).await
}

/// The `Retry-After` seconds of a 429.
fn retry_after(r: &Resp) -> u64 {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    r.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn wait(r: &Resp) {
    tokio::time::sleep(Duration::from_secs(retry_after(r)) + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn basic_auth_backs_off_per_user() {
    let h = hub();
    for _ in 0..USER_FREE_FAILURES {
        let r = discovery(&h, &basic("alice", "wrong"), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The right password during the wait is refused, unchecked, with the TAXII error body.
    let r = discovery(&h, &basic("alice", "pw-alice"), None).await;
    assert_eq!(retry_after(&r), 1);
    assert_eq!(r.headers[header::CONTENT_TYPE], TAXII);
    assert_eq!(r.json()["http_status"], "429");
    // Another user is not affected, nor is alice's token (tokens cannot be guessed).
    let bob = discovery(&h, &basic("bob", "pw-bob"), None).await;
    assert_eq!(bob.status, StatusCode::OK);
    let bob_wrong = discovery(&h, &basic("bob", "wrong"), None).await;
    assert_eq!(bob_wrong.status, StatusCode::UNAUTHORIZED);
    let token = discovery(&h, &basic("alice", &h.alice), None).await;
    assert_eq!(token.status, StatusCode::OK);
    // After the wait, one more failure doubles it.
    wait(&r).await;
    let r = discovery(&h, &basic("alice", "wrong"), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = discovery(&h, &basic("alice", "pw-alice"), None).await;
    assert_eq!(retry_after(&r), 2);
    // Once it is over, the right password gets in and resets the counter: the next
    // failures are plain 401s again.
    wait(&r).await;
    let ok = discovery(&h, &basic("alice", "pw-alice"), None).await;
    assert_eq!(ok.status, StatusCode::OK);
    for _ in 0..USER_FREE_FAILURES {
        let r = discovery(&h, &basic("alice", "wrong"), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The right password waits again, although it was verified moments ago.
    retry_after(&discovery(&h, &basic("alice", "pw-alice"), None).await);
}

#[tokio::test]
async fn dashboard_login_backs_off_per_user() {
    let h = hub();
    for _ in 0..USER_FREE_FAILURES {
        assert_eq!(
            login(&h, "bob", "wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = login(&h, "bob", "pw-bob").await;
    assert_eq!(retry_after(&r), 1);
    assert!(r.json()["error"]
        .as_str()
        .expect("message")
        .contains("too many failed logins"));
    assert_eq!(login(&h, "carol", "pw-carol").await.status, StatusCode::OK);
    // Basic for the same user name is throttled too: one counter per name.
    retry_after(&discovery(&h, &basic("bob", "pw-bob"), None).await);
    wait(&r).await;
    assert_eq!(login(&h, "bob", "pw-bob").await.status, StatusCode::OK);
    assert_eq!(
        login(&h, "bob", "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_address_trying_many_names_backs_off() {
    let h = hub();
    let (a, b) = ("192.0.2.1:40000", "192.0.2.2:40000");
    for i in 0..ADDR_FREE_FAILURES {
        let r = discovery(&h, &basic(&format!("nobody{i}"), "guess"), Some(a)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Every attempt from that address now waits, whatever the name or credential...
    retry_after(&discovery(&h, &basic("alice", "pw-alice"), Some(a)).await);
    retry_after(&discovery(&h, &format!("Bearer {}", h.alice), Some(a)).await);
    // ...but not from another address.
    let other = discovery(&h, &basic("alice", "pw-alice"), Some(b)).await;
    assert_eq!(other.status, StatusCode::OK);
    // A credential verified moments ago waits too at the first address.
    retry_after(&discovery(&h, &basic("alice", "pw-alice"), Some(a)).await);
}

/// Over a real socket the accept loop supplies the client's address; a 429 on a large POST
/// reaches the client too.
#[test]
fn the_socket_address_is_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = hub();
    let addr = start(dir.path(), &h, HubConfig::default());
    let ca = std::fs::read(yamori_hub::tls::generated_ca(dir.path())).expect("ca");
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
        .build()
        .expect("client");
    let base = format!("https://127.0.0.1:{}", addr.port());
    for i in 0..ADDR_FREE_FAILURES {
        let r = client
            .get(format!("{base}/taxii2/"))
            .basic_auth(format!("nobody{i}"), Some("guess"))
            .header(header::ACCEPT, TAXII)
            .send()
            .expect("response");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The dashboard's login from that address waits (the first wait is one second: these
    // run well within it).
    let r = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "bob", "password": "pw-bob"}))
        .send()
        .expect("response");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    // So does a large POST, and the 429 reaches the client.
    let r = client
        .post(format!("{base}{}", objects_url(COLL)))
        .basic_auth("alice", Some("pw-alice"))
        .header(header::ACCEPT, TAXII)
        .header(header::CONTENT_TYPE, TAXII)
        .body(vec![b' '; 4 * 1024 * 1024])
        .send()
        .expect("an answer, not a reset");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = r.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(secs >= 1);
    let body: serde_json::Value = r.json().expect("json");
    assert_eq!(body["http_status"], "429");
}

#[tokio::test]
async fn an_oversized_login_body_is_413_and_not_counted() {
    let h = hub();
    let big = json!({ "username": "bob", "password": "x".repeat(9000) }).to_string();
    for _ in 0..USER_FREE_FAILURES + 1 {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(big.clone()))
            .expect("request");
        let r = send(&h.app, req).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
        assert!(r.json()["error"].is_string());
    }
    // Refused before any credential check: bob was never slowed.
    assert_eq!(login(&h, "bob", "pw-bob").await.status, StatusCode::OK);
}

/// A client with many connections and a valid token (a list fetcher, a benchmark) is not
/// throttled when its credential is verified: concurrent requests with one header share one
/// verification instead of each counting as an attempt from the same address.
#[tokio::test]
async fn concurrent_requests_with_a_valid_token_are_not_throttled() {
    let h = std::sync::Arc::new(hub());
    let bearer = format!("Bearer {}", h.bob);
    let n = 2 * ADDR_FREE_FAILURES as usize + 8;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (h, bearer) = (h.clone(), bearer.clone());
            tokio::spawn(async move {
                discovery(&h, &bearer, Some("203.0.113.9:40000"))
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
}
