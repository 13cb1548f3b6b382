//! The dashboard's REST API (`/api/v1/…`) through the router: credentials and sessions,
//! numbers that add up, paging that neither drops nor repeats, and 400s that name the
//! parameter.

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use yamori_hub::HubConfig;
use yamori_model::telescope::{
    GeoPoint, KeyCount, MinuteCounts, PortCount, Report, SourceSummary, Tool, SCHEMA,
};
use yamori_store::{FileDigest, NewAnalysis};

use crate::common::{hub, hub_with, indicator, post, send, Hub, Resp};

const SOURCES: u64 = 120;

/// 120 sources (198.51.100.N, N packets each, every third without a position), 30 minutes.
fn report() -> Report {
    let src = |n: u64| SourceSummary {
        address: format!("198.51.100.{n}"),
        packets: n,
        bytes: n * 60,
        first_seen: "2026-11-20T00:00:00Z".into(),
        last_seen: "2026-11-20T00:29:00Z".into(),
        destinations: 1,
        destination_ports: 1,
        top_ports: vec![PortCount {
            port: 23,
            packets: n,
        }],
        ttl_min: 50,
        ttl_max: 50,
        syn_probes: n,
        fingerprint_matches: Default::default(),
        tool: if n.is_multiple_of(2) {
            Tool::Mirai
        } else {
            Tool::Unknown
        },
        scan: None,
        scanner_windows: vec![],
        country: Some(if n.is_multiple_of(2) { "JP" } else { "BR" }.into()),
        asn: None,
        as_org: None,
        location: (!n.is_multiple_of(3)).then_some(GeoPoint {
            latitude: 36.0,
            longitude: 138.0,
        }),
    };
    Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some("2026-11-20T00:00:00Z".into()),
        last_packet: Some("2026-11-20T00:29:59Z".into()),
        timeseries: (0..30)
            .map(|m| MinuteCounts {
                minute: format!("2026-11-20T00:{m:02}:00Z"),
                counts: [m, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            })
            .collect(),
        top_countries: vec![KeyCount {
            key: "JP".into(),
            packets: 10,
            sources: 2,
        }],
        top_sources: (1..=SOURCES).map(src).collect(),
        ..Report::default()
    }
}

fn with_data(h: &Hub) {
    with_report(h, &report());
}

fn with_report(h: &Hub, r: &Report) {
    h.store
        .put_analysis(&NewAnalysis {
            files: vec![FileDigest {
                name: "a.pcap".into(),
                sha256: "a".repeat(64),
                bytes: 1,
            }],
            report_json: serde_json::to_string(&r).expect("json"),
            first_packet: r.first_packet.clone(),
            last_packet: r.last_packet.clone(),
            darknet_packets: 1,
            replace_overlapping: false,
        })
        .expect("store");
}

async fn api(h: &Hub, uri: &str, token: &str) -> Resp {
    let req = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
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

async fn with_cookie(h: &Hub, method: Method, uri: &str, cookie: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    send(&h.app, req).await
}

fn session_cookie(r: &Resp) -> String {
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("Set-Cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure"));
    set.split(';').next().expect("pair").to_string()
}

#[tokio::test]
async fn credentials_are_required_and_sessions_end() {
    let h = hub();
    let anon = send(
        &h.app,
        Request::builder()
            .uri("/api/v1/overview")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert!(anon.json()["error"]
        .as_str()
        .expect("msg")
        .contains("login"));
    assert_eq!(
        api(&h, "/api/v1/overview", "ymr_bad_token").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api(&h, "/api/v1/me", &h.bob).await.json()["user"], "bob");

    assert_eq!(
        login(&h, "bob", "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad = send(
        &h.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .body(Body::from("username=bob"))
            .expect("req"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let ok = login(&h, "bob", "pw-bob").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let cookie = session_cookie(&ok);
    let me = with_cookie(&h, Method::GET, "/api/v1/me", &cookie).await;
    assert_eq!(me.json()["user"], "bob");
    assert!(me.json()["expires"].is_string());
    // A token works as the password too.
    assert_eq!(login(&h, "bob", &h.bob).await.status, StatusCode::OK);

    let out = with_cookie(&h, Method::DELETE, "/api/v1/session", &cookie).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = with_cookie(&h, Method::GET, "/api/v1/overview", &cookie).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let forged = with_cookie(&h, Method::GET, "/api/v1/me", "yamori_session=00ff").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    // Sessions expire.
    let short = hub_with(HubConfig {
        session_ttl: Duration::from_secs(1),
        ..HubConfig::default()
    });
    let cookie = session_cookie(&login(&short, "bob", "pw-bob").await);
    assert_eq!(
        with_cookie(&short, Method::GET, "/api/v1/me", &cookie)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = with_cookie(&short, Method::GET, "/api/v1/me", &cookie).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.json()["error"]
        .as_str()
        .expect("msg")
        .contains("expired"));
}

#[tokio::test]
async fn overview_numbers_add_up() {
    let h = hub();
    with_data(&h);
    let o = api(&h, "/api/v1/overview?top=5", &h.bob).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    let o = o.json();
    // Default range: the stored data (less than a day).
    assert_eq!(o["range"]["from"], "2026-11-20T00:00:00Z");
    assert_eq!(o["range"]["to"], "2026-11-20T00:30:00Z");
    let series_sum: u64 = o["series"]["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .flat_map(|c| {
            c.as_array()
                .expect("row")
                .iter()
                .map(|v| v.as_u64().expect("n"))
        })
        .sum();
    assert_eq!(series_sum, (0..30).sum::<u64>() + 30);
    assert_eq!(o["totals"]["packets"].as_u64(), Some(series_sum));
    assert_eq!(o["series"]["t"].as_array().expect("t").len(), 30);
    let top: Vec<u64> = o["top_sources"]
        .as_array()
        .expect("top")
        .iter()
        .map(|s| s["packets"].as_u64().expect("packets"))
        .collect();
    assert_eq!(top, vec![120, 119, 118, 117, 116]);
    let map = o["map"].as_array().expect("map");
    assert_eq!(map.len() as u64, SOURCES - SOURCES / 3);
    assert!(map.iter().all(|m| m["latitude"].is_number()));
    assert_eq!(o["geo"]["reason"], Value::Null);
    // A narrower range narrows the series.
    let late = api(
        &h,
        "/api/v1/overview?from=2026-11-20T00:20:00Z&to=2026-11-20T00:30:00Z",
        &h.bob,
    )
    .await
    .json();
    assert_eq!(
        late["totals"]["packets"].as_u64(),
        Some((20..30).sum::<u64>() + 10)
    );
}

/// Stores a MISP warninglist as `yamori warninglist import` does.
fn import_list(h: &Hub, name: &str, description: &str, entries: &[&str]) {
    let list = json!({"name": name, "version": 1, "description": description, "type": "cidr",
        "list": entries, "matching_attributes": ["ip-src"]});
    h.store
        .kv_set(
            &format!("{}{name}", yamori_trust::warninglist::STORE_KEY_PREFIX),
            &list.to_string(),
        )
        .expect("store the list");
    h.store
        .kv_count_up(yamori_trust::warninglist::STORE_IMPORTS_KEY)
        .expect("count the import");
}

#[tokio::test]
async fn warninglisted_sources_are_labelled_and_research_scanners_benign() {
    let h = hub();
    let mut r = report();
    // 198.51.100.120 and .119 (the two busiest) are scanners.
    for s in &mut r.top_sources[118..] {
        s.scan = Some(yamori_model::telescope::ScanKind::Horizontal);
    }
    r.scanners = r.top_sources[118..].to_vec();
    with_report(&h, &r);
    let label = |j: &Value, addr: &str| -> (Vec<String>, bool) {
        let items = j["items"].as_array().or(j["top_sources"].as_array());
        let s = items
            .expect("sources")
            .iter()
            .find(|s| s["address"] == addr)
            .unwrap_or_else(|| panic!("{addr} listed"))
            .clone();
        let lists = s["warninglists"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        (
            lists,
            s["benign_scanner"].as_bool().expect("benign_scanner"),
        )
    };
    let before = api(&h, "/api/v1/sources?limit=500", &h.bob).await.json();
    assert_eq!(label(&before, "198.51.100.120"), (vec![], false));

    import_list(
        &h,
        "Example research scanning",
        "Ranges used for scanning",
        &["198.51.100.120/32", "198.51.100.7/32"],
    );
    import_list(
        &h,
        "Cloud ranges",
        "A provider's address ranges",
        &["198.51.100.0/25"],
    );
    let after = api(&h, "/api/v1/sources?limit=500", &h.bob).await.json();
    let both = vec![
        "Cloud ranges".to_string(),
        "Example research scanning".to_string(),
    ];
    let sorted = |(mut l, b): (Vec<String>, bool)| {
        l.sort();
        (l, b)
    };
    // A scanner on a list of scanners is benign; on a cloud list alone it is only listed.
    assert_eq!(
        sorted(label(&after, "198.51.100.120")),
        (both.clone(), true)
    );
    assert_eq!(
        label(&after, "198.51.100.119"),
        (vec!["Cloud ranges".to_string()], false)
    );
    // Not a scanner: listed, never benign.
    assert_eq!(sorted(label(&after, "198.51.100.7")), (both, false));
    assert_eq!(
        label(&after, "198.51.100.1"),
        (vec!["Cloud ranges".to_string()], false)
    );
    let o = api(&h, "/api/v1/overview?top=3", &h.bob).await.json();
    assert!(label(&o, "198.51.100.120").1);
    let d = api(&h, "/api/v1/sources/198.51.100.120", &h.bob)
        .await
        .json();
    assert_eq!(d["benign_scanner"], true);
}

#[tokio::test]
async fn source_pages_cover_every_source_once() {
    let h = hub();
    with_data(&h);
    let mut seen = HashSet::new();
    let mut last = u64::MAX;
    let mut uri = "/api/v1/sources?limit=50".to_string();
    let mut pages = 0;
    loop {
        let r = api(&h, &uri, &h.bob).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let j = r.json();
        for s in j["items"].as_array().expect("items") {
            let p = s["packets"].as_u64().expect("packets");
            assert!(p <= last, "not sorted");
            last = p;
            assert!(seen.insert(s["address"].as_str().expect("addr").to_string()));
        }
        pages += 1;
        match j["next"].as_str() {
            Some(n) => uri = format!("/api/v1/sources?limit=50&cursor={n}"),
            None => break,
        }
    }
    assert_eq!((seen.len() as u64, pages), (SOURCES, 3));
    let jp = api(&h, "/api/v1/sources?country=JP&limit=500", &h.bob)
        .await
        .json();
    assert_eq!(
        jp["items"].as_array().expect("items").len() as u64,
        SOURCES / 2
    );
}

#[tokio::test]
async fn bad_parameters_get_400_naming_them() {
    let h = hub();
    with_data(&h);
    for (uri, names) in [
        ("/api/v1/overview?from=yesterday", "`from`"),
        ("/api/v1/overview?to=2026-13-01T00:00:00Z", "`to`"),
        ("/api/v1/overview?top=0", "`top`"),
        ("/api/v1/overview?form=2026-11-20T00:00:00Z", "`form`"),
        (
            "/api/v1/overview?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z",
            "`from`",
        ),
        ("/api/v1/sources?limit=abc", "`limit`"),
        ("/api/v1/sources?cursor=zz", "`cursor`"),
        ("/api/v1/sources?country=jp", "`country`"),
        ("/api/v1/sources?tool=nmap", "`tool`"),
        ("/api/v1/sources?scanners=maybe", "`scanners`"),
        ("/api/v1/attacks?limit=501", "`limit`"),
        ("/api/v1/sources/not-an-ip", "address"),
    ] {
        let r = api(&h, uri, &h.bob).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(names), "{uri}: {msg}");
        assert_eq!(
            r.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }
    assert_eq!(
        api(&h, "/api/v1/sources/192.0.2.99", &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api(&h, "/api/v1/nothing", &h.bob).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn source_detail_shows_readable_indicators_only() {
    let h = hub();
    with_data(&h);
    // indicator(7) is about 198.51.100.7.
    post(
        &h.app,
        &h.alice,
        vec![indicator(7, "2024-01-01T00:00:00.000Z")],
    )
    .await;
    let d = api(&h, "/api/v1/sources/198.51.100.7", &h.bob).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    let d = d.json();
    assert_eq!(d["packets"], 7);
    assert_eq!(d["timeline"].as_array().expect("timeline").len(), 1);
    let ind = d["indicators"].as_array().expect("indicators");
    assert_eq!(ind.len(), 1);
    assert_eq!(ind[0]["pattern"], "[ipv4-addr:value = '198.51.100.7']");
    // 198.51.100.70 contains "198.51.100.7" but not "'198.51.100.7'".
    let other = api(&h, "/api/v1/sources/198.51.100.70", &h.bob)
        .await
        .json();
    assert_eq!(other["indicators"].as_array().expect("i").len(), 0);
    // dave may read no collection.
    let dave = api(&h, "/api/v1/sources/198.51.100.7", &h.dave)
        .await
        .json();
    assert_eq!(dave["indicators"].as_array().expect("i").len(), 0);
    let intel = api(&h, "/api/v1/intel", &h.bob).await.json();
    assert_eq!(intel["collections"].as_array().expect("c").len(), 1);
    assert_eq!(intel["indicators"].as_array().expect("i").len(), 1);
    assert_eq!(
        api(&h, "/api/v1/intel", &h.dave).await.json()["indicators"],
        json!([])
    );

    // TLP (docs/TRUST.md §5): a RED indicator goes to nobody; the unmarked one (AMBER) and its
    // sighting not to a reader cleared for GREEN.
    let mut red = indicator(8, "2024-01-01T00:00:00.000Z");
    red["object_marking_refs"] = json!([yamori_intel::markings::Tlp2::Red.id()]);
    let sighting = json!({"type": "sighting", "spec_version": "2.1",
        "id": "sighting--00000000-0000-4000-8000-000000000007",
        "created": "2024-01-02T00:00:00.000Z", "modified": "2024-01-02T00:00:00.000Z",
        "sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000007"});
    post(&h.app, &h.alice, vec![red, sighting]).await;
    let red = api(&h, "/api/v1/sources/198.51.100.8", &h.bob).await.json();
    assert_eq!(red["indicators"], json!([]), "{red}");
    let seven = api(&h, "/api/v1/sources/198.51.100.7", &h.bob).await.json();
    assert_eq!(
        seven["sightings"].as_array().expect("s").len(),
        1,
        "{seven}"
    );
    h.store
        .taxii_set_user_tlp("bob", Some("green"))
        .expect("tlp");
    let green = api(&h, "/api/v1/sources/198.51.100.7", &h.bob).await.json();
    assert_eq!(green["indicators"], json!([]), "{green}");
    assert_eq!(green["sightings"], json!([]), "{green}");
}

#[tokio::test]
async fn the_dashboard_is_served_with_a_strict_policy() {
    let h = hub();
    let r = send(
        &h.app,
        Request::builder()
            .uri("/")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<html"));
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).expect("CSP");
    assert!(csp.to_str().expect("ascii").contains("default-src 'self'"));
    let missing = send(
        &h.app,
        Request::builder()
            .uri("/assets/none.js")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let spec = send(
        &h.app,
        Request::builder()
            .uri("/api/v1/openapi.yaml")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(spec.text.starts_with("openapi: 3"));
}
