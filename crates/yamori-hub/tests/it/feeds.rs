//! Feeds (`/feeds/{collection}/{format}`): the bytes of the export with the same options,
//! TAXII's access rules, validators and 304s, gzip, a cache that a TAXII POST invalidates,
//! and one generation however many ask at once — off the request path.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use yamori_act::{ConfidenceScore, Criteria, Format, Options, Tlp};
use yamori_store::Store;

use crate::common::*;

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn fetch(app: &Router, uri: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Got {
    let mut req = Request::builder().uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("router is infallible");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Got {
        status,
        headers,
        body: body.to_vec(),
    }
}

const NOW: &str = "2026-12-01T00:00:00Z";

/// What `yamori export` writes for the collection with these options (the same request over
/// the same store walk): the files by name.
fn exported(store: &Store, format: Format, min_score: u8) -> Vec<(String, Vec<u8>)> {
    let now = time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339)
        .expect("now");
    let request = yamori_act::Request {
        format,
        criteria: Criteria {
            now,
            min_score,
            max_tlp: Tlp::AmberStrict,
            max_age: None,
            types: Vec::new(),
            warninglists: None,
        },
        options: Options {
            list_name: "block".into(),
            collection: "telescope".into(),
            now,
            rpz_zone: "rpz.yamori".into(),
            rpz_serial: None,
            org_name: "Yamori".into(),
        },
    };
    let export = request
        .read(&ConfidenceScore, |push| {
            store.taxii_each_latest_indicator(COLL, push)
        })
        .expect("read");
    let (files, _) = export.render().expect("render");
    files.into_iter().map(|f| (f.name, f.bytes)).collect()
}

fn scored(n: u32, confidence: u8) -> serde_json::Value {
    let mut i = indicator(n, "2026-11-21T00:00:00.000Z");
    i["confidence"] = confidence.into();
    i
}

#[tokio::test]
async fn a_reader_gets_the_exports_bytes_with_validators_and_types() {
    let h = hub();
    post(
        &h.app,
        &h.alice,
        (1..=6).map(|n| scored(n, 20 * n as u8 - 10)).collect(),
    )
    .await;
    let want = exported(&h.store, Format::Nftables, 50);
    let uri = format!("/feeds/telescope/nftables?min_score=50&now={NOW}");
    let got = fetch(&h.app, &uri, Some(&h.bob), &[]).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    assert_eq!(got.body, want[0].1, "{}", got.text());
    assert!(got.text().contains("198.51.100.3"), "{}", got.text());
    assert!(
        !got.text().contains("198.51.100.2 "),
        "score 30 is left out"
    );
    assert_eq!(got.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        got.header("content-disposition"),
        "attachment; filename=\"yamori-block.nft\""
    );
    let etag = got.header("etag").to_string();
    assert_eq!(etag.len(), 66, "a quoted SHA-256: {etag}");
    let last_modified = got.header("last-modified").to_string();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    // The same tag: 304 without a body; another tag: the bytes.
    let again = fetch(&h.app, &uri, Some(&h.bob), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    let other = fetch(&h.app, &uri, Some(&h.bob), &[("if-none-match", "\"0\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
    // Last-Modified: 304 at or after it, the bytes before it.
    let since = fetch(
        &h.app,
        &uri,
        Some(&h.bob),
        &[("if-modified-since", &last_modified)],
    )
    .await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);
    let old = "Mon, 01 Jan 2024 00:00:00 GMT";
    let before = fetch(&h.app, &uri, Some(&h.bob), &[("if-modified-since", old)]).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body, want[0].1);

    // Other formats: their own media types, and the same bytes as the export.
    for (format, path, media) in [
        (Format::Csv, "csv", "text/csv; charset=utf-8"),
        (Format::Stix, "stix", "application/stix+json;version=2.1"),
        (Format::Rpz, "rpz", "text/dns"),
    ] {
        let got = fetch(
            &h.app,
            &format!("/feeds/telescope/{path}?min_score=50&now={NOW}"),
            Some(&h.alice),
            &[],
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.text());
        assert_eq!(got.header("content-type"), media, "{path}");
        assert_eq!(got.body, exported(&h.store, format, 50)[0].1, "{path}");
    }
    // A directory format: each file by name, as the export writes it.
    let misp = exported(&h.store, Format::MispFeed, 0);
    assert!(misp.iter().any(|(n, _)| n == "manifest.json"));
    for (name, bytes) in &misp {
        let got = fetch(
            &h.app,
            &format!("/feeds/telescope/misp-feed/{name}?now={NOW}"),
            Some(&h.bob),
            &[],
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{name}: {}", got.text());
        assert_eq!(&got.body, bytes, "{name}");
    }
    let none = fetch(
        &h.app,
        "/feeds/telescope/misp-feed/x.json",
        Some(&h.bob),
        &[],
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.text().contains("manifest.json"), "{}", none.text());
}

#[tokio::test]
async fn access_is_taxiis_and_bad_parameters_are_named() {
    let h = hub();
    post(&h.app, &h.alice, vec![scored(1, 90)]).await;
    let ok = "/feeds/telescope/txt";
    let unauth = fetch(&h.app, ok, None, &[]).await;
    assert_eq!(unauth.status, StatusCode::UNAUTHORIZED);
    assert!(unauth.header("www-authenticate").contains("Basic"));
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bob:pw-bob")
        )
    };
    let by_password = fetch(&h.app, ok, None, &[("authorization", &basic)]).await;
    assert_eq!(by_password.status, StatusCode::OK);
    assert_eq!(by_password.text(), "198.51.100.1\n");
    // Write-only: 403. No grant and no such collection: the same 404, so the answer does not
    // tell which collections exist.
    assert_eq!(
        fetch(&h.app, ok, Some(&h.carol), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let hidden = fetch(&h.app, ok, Some(&h.dave), &[]).await;
    let missing = fetch(&h.app, "/feeds/nowhere/txt", Some(&h.alice), &[]).await;
    let secret = fetch(&h.app, "/feeds/secret/txt", Some(&h.alice), &[]).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (hidden.text(), hidden.status),
        (missing.text(), missing.status)
    );
    assert_eq!(
        (secret.text(), secret.status),
        (missing.text(), missing.status)
    );
    for (uri, needle) in [
        (
            "/feeds/telescope/txt?min_scor=9",
            "unknown parameter \"min_scor\"",
        ),
        ("/feeds/telescope/txt?max_tlp=purple", "max_tlp"),
        ("/feeds/telescope/txt?max_tlp=red", "never serves TLP:RED"),
        ("/feeds/telescope/txt?now=soon", "now"),
    ] {
        let r = fetch(&h.app, uri, Some(&h.bob), &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.text().contains(needle), "{uri}: {}", r.text());
    }
    let format = fetch(&h.app, "/feeds/telescope/pdf", Some(&h.bob), &[]).await;
    assert_eq!(format.status, StatusCode::NOT_FOUND);
    assert!(format.text().contains("nftables"), "{}", format.text());
    let dir = fetch(&h.app, "/feeds/telescope/misp-feed", Some(&h.bob), &[]).await;
    assert_eq!(dir.status, StatusCode::NOT_FOUND);
    assert!(dir.text().contains("directory"), "{}", dir.text());
}

#[tokio::test]
async fn gzip_when_accepted_with_its_own_tag() {
    let h = hub();
    post(&h.app, &h.alice, (1..=200).map(|n| scored(n, 90)).collect()).await;
    let uri = format!("/feeds/telescope/csv?now={NOW}");
    let plain = fetch(&h.app, &uri, Some(&h.bob), &[]).await;
    let gz = fetch(&h.app, &uri, Some(&h.bob), &[("accept-encoding", "gzip")]).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert!(
        gz.body.len() * 3 < plain.body.len(),
        "{} vs {}",
        gz.body.len(),
        plain.body.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(gz.body.as_slice())
        .read_to_end(&mut unzipped)
        .expect("gunzip");
    assert_eq!(unzipped, plain.body);
    let hash = plain.header("etag").trim_matches('"');
    assert_eq!(gz.header("etag"), format!("\"{hash}-gz\""));
    assert!(gz.header("vary").contains("Accept-Encoding"));
    // Either tag names the same bytes.
    let cached = fetch(
        &h.app,
        &uri,
        Some(&h.bob),
        &[("if-none-match", plain.header("etag"))],
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    let refused = fetch(
        &h.app,
        &uri,
        Some(&h.bob),
        &[("accept-encoding", "gzip;q=0")],
    )
    .await;
    assert_eq!(refused.body, plain.body);
}

#[tokio::test]
async fn a_posted_indicator_makes_a_new_feed_and_an_unchanged_one_is_kept() {
    let h = hub();
    post(&h.app, &h.alice, vec![scored(1, 90)]).await;
    let uri = "/feeds/telescope/txt";
    let first = fetch(&h.app, uri, Some(&h.bob), &[]).await;
    assert_eq!(first.text(), "198.51.100.1\n");
    for _ in 0..5 {
        assert_eq!(fetch(&h.app, uri, Some(&h.bob), &[]).await.body, first.body);
    }
    assert_eq!(
        h.state.feeds.generations(),
        1,
        "an unchanged collection is not read again"
    );
    post(&h.app, &h.alice, vec![scored(2, 90)]).await;
    let second = fetch(
        &h.app,
        uri,
        Some(&h.bob),
        &[("if-none-match", first.header("etag"))],
    )
    .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.text(), "198.51.100.1\n198.51.100.2\n");
    assert_ne!(second.header("etag"), first.header("etag"));
    assert_eq!(h.state.feeds.generations(), 2);
    // Another parameter set is another feed.
    fetch(
        &h.app,
        "/feeds/telescope/txt?min_score=95",
        Some(&h.bob),
        &[],
    )
    .await;
    assert_eq!(h.state.feeds.generations(), 3);
}

#[tokio::test]
async fn concurrent_requests_share_one_generation_that_blocks_no_one() {
    let h = hub();
    // Enough indicators that a generation takes a while in a debug build.
    let objects: Vec<serde_json::Value> = (1..=20_000).map(|n| scored(n, 90)).collect();
    yamori_hub::ingest::publish_local(&h.store, "api1", "telescope", &objects).expect("publish");
    let app = Arc::new(h.app.clone());
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (app, bob) = (app.clone(), h.bob.clone());
        tasks.push(tokio::spawn(async move {
            let got = fetch(&app, "/feeds/telescope/csv", Some(&bob), &[]).await;
            (got.status, got.body.len(), std::time::Instant::now())
        }));
    }
    // This test runs on one thread: had the generation run on it, nothing else would answer
    // until it ended. A TAXII request answers meanwhile.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let discovery = get(&h.app, "/taxii2/", &h.bob).await;
    let answered = std::time::Instant::now();
    assert_eq!(discovery.status, StatusCode::OK);
    let mut sizes = Vec::new();
    let mut first_feed = None::<std::time::Instant>;
    for t in tasks {
        let (status, len, at) = t.await.expect("task");
        assert_eq!(status, StatusCode::OK);
        sizes.push(len);
        first_feed = Some(first_feed.map_or(at, |f| f.min(at)));
    }
    assert!(
        first_feed.is_some_and(|f| answered < f),
        "TAXII answered only after the feed was generated"
    );
    assert!(
        sizes.iter().all(|s| *s == sizes[0] && *s > 100_000),
        "{sizes:?}"
    );
    assert_eq!(
        h.state.feeds.generations(),
        1,
        "sixteen requests, one generation"
    );
}

/// Feeds leave out warninglisted values, as `yamori export` does; an import (which counts up
/// the store's import count, as `yamori warninglist import` does) makes a new feed.
#[tokio::test]
async fn an_imported_warninglist_leaves_its_values_out_of_a_new_feed() {
    use yamori_trust::warninglist::{STORE_IMPORTS_KEY, STORE_KEY_PREFIX};
    let h = hub();
    post(&h.app, &h.alice, vec![scored(1, 90), scored(2, 90)]).await;
    let uri = "/feeds/telescope/txt";
    let first = fetch(&h.app, uri, Some(&h.bob), &[]).await;
    assert_eq!(first.text(), "198.51.100.1\n198.51.100.2\n");
    let list = serde_json::json!({"name": "Test scanners", "version": 1, "description": "benign",
        "type": "cidr", "list": ["198.51.100.2/32"], "matching_attributes": ["ip-src"]});
    h.state
        .store
        .kv_set(
            &format!("{STORE_KEY_PREFIX}Test scanners"),
            &list.to_string(),
        )
        .expect("list");
    h.state.store.kv_count_up(STORE_IMPORTS_KEY).expect("count");
    let second = fetch(&h.app, uri, Some(&h.bob), &[]).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.text(), "198.51.100.1\n");
    assert_eq!(h.state.feeds.generations(), 2);
}
