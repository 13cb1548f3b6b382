use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use crate::common::*;

async fn with_headers(
    h: &Hub,
    method: Method,
    uri: &str,
    accept: &str,
    ctype: &str,
    body: &str,
) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept", accept)
        .header("content-type", ctype)
        .header("authorization", format!("Bearer {}", h.alice))
        .body(Body::from(body.to_string()))
        .expect("req");
    send(&h.app, req).await
}

#[tokio::test]
async fn media_types() {
    let h = hub();
    let env = envelope(vec![indicator(1, "2024-01-01T00:00:00.000Z")]);
    let u = objects_url(COLL);
    assert_eq!(
        with_headers(&h, Method::GET, &u, "application/json", TAXII, "")
            .await
            .status,
        StatusCode::NOT_ACCEPTABLE
    );
    assert_eq!(
        with_headers(
            &h,
            Method::GET,
            &u,
            "application/taxii+json;version=2.0",
            TAXII,
            ""
        )
        .await
        .status,
        StatusCode::NOT_ACCEPTABLE
    );
    assert_eq!(
        with_headers(&h, Method::GET, &u, "application/taxii+json", TAXII, "")
            .await
            .status,
        StatusCode::OK
    );
    let r = with_headers(&h, Method::POST, &u, TAXII, "application/json", &env).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.headers["content-type"], TAXII);
    assert_eq!(r.json()["http_status"], "415");
    assert_eq!(
        with_headers(
            &h,
            Method::POST,
            &u,
            TAXII,
            "application/stix+json;version=2.1",
            &env
        )
        .await
        .status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn malformed_bodies_and_queries() {
    let h = hub();
    let u = objects_url(COLL);
    for (body, want) in [
        ("{\"objects\": [", StatusCode::BAD_REQUEST),
        ("not json", StatusCode::BAD_REQUEST),
        ("[1,2]", StatusCode::UNPROCESSABLE_ENTITY),
        ("[]", StatusCode::UNPROCESSABLE_ENTITY),
        ("{\"objects\": {}}", StatusCode::UNPROCESSABLE_ENTITY),
        ("{\"objects\": 5}", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = call(&h.app, Method::POST, &u, &h.alice, body.into()).await;
        assert_eq!(r.status, want, "{body}");
        assert!(r.json()["title"].is_string(), "{}", r.text);
    }
    for q in [
        "limit=0",
        "limit=abc",
        "bogus=1",
        "added_after=2024-13-01",
        "match[version]=yesterday",
    ] {
        let r = get(&h.app, &format!("{u}?{q}"), &h.bob).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
    }
    let many = vec!["indicator"; 5000].join(",");
    assert_eq!(
        get(&h.app, &format!("{u}?match[type]={many}"), &h.bob)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Path traversal and junk ids: never found, never a panic.
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "indicator--..",
        "%00",
        "' OR 1=1 --",
    ] {
        let uri = format!(
            "/api1/collections/{COLL}/objects/{}/",
            id.replace(' ', "%20")
        );
        let r = get(&h.app, &uri, &h.bob).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(
        get(&h.app, "/api1/collections/../../", &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&h.app, "/api1/status/nope/", &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
}
