//! The dashboard API against its contract, `docs/api/openapi.yaml`: every operation the spec
//! lists is called, for every status it declares, on a hub over a real SQLite file seeded
//! with two analyses, a survey run and STIX objects; each real response is checked against
//! what the spec declares for that status (media type, body schema, headers).
//!
//! The cases are keyed by (method, path, status) and must match the spec's list exactly: an
//! endpoint or status added to the spec without a case here fails, and so does a case for
//! something the spec does not declare.
//!
//! OpenAPI 3.0 schemas are turned into JSON Schema 2020-12 by [`json_schema`] (see there for
//! the differences it handles). It closes every object that lists its properties
//! (`additionalProperties: false`), so a field the code sends under a name the spec does not
//! know fails, and the 200 responses of each operation must between them carry every property
//! the spec declares with a non-null value ([`declared`], [`seen`]), so that a field the code
//! stops sending, or that the seed never exercises, fails too.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use serde_json::{json, Map, Value};
use yamori_hub::HubConfig;
use yamori_model::telescope::{
    Attack, GeoPoint, KeyCount, MinuteCounts, PortCount, Report, ScanKind, SourceSummary, Tool,
    SCHEMA,
};
use yamori_store::accounts::Grant;
use yamori_store::taxii::Collection;
use yamori_store::{FileDigest, NewAnalysis, Store};

use crate::common::{hub_on, indicator, post, send, Hub, Resp};

/// The contract, as the hub serves it at `/api/v1/openapi.yaml`.
const SPEC: &str = include_str!("../../../../docs/api/openapi.yaml");
/// A user who is never created: failed logins for this name make the throttle answer 429.
const MALLORY: &str = "mallory";
const SURVEY_COLLECTION: &str = "77777777-2222-4333-8444-555555555555";

fn spec() -> Value {
    serde_norway::from_str(SPEC).expect("docs/api/openapi.yaml is YAML")
}

// ---- OpenAPI 3.0 → JSON Schema ----

/// What a local `$ref` (`#/components/…`) points to.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = r
                .strip_prefix('#')
                .and_then(|p| spec.pointer(p))
                .unwrap_or_else(|| panic!("$ref {r} points to nothing in the spec"));
            resolve(spec, target)
        }
        None => v,
    }
}

/// The keywords [`json_schema`] knows how to carry over; anything else in the spec fails the
/// test, so that a new construct is handled here instead of being silently ignored.
const KNOWN: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "default",
    "description",
];

/// A self-contained JSON Schema (2020-12) for an OpenAPI 3.0 schema object:
/// - `$ref`s are replaced by what they point to in `components` (the spec has no recursive
///   schema; a depth bound says so if one appears);
/// - `nullable: true` (OpenAPI 3.0 only) becomes `type: [T, "null"]`, and null joins an
///   `enum` that lacks it;
/// - `allOf` of object schemas (how the spec extends `Source` into `SourceDetail`) is merged
///   into one object schema, so that it can be closed like the others;
/// - an object schema that lists `properties` and says nothing of `additionalProperties`
///   gets `additionalProperties: false`. This is stricter than OpenAPI, whose objects are
///   open by default: the code may send only what the spec declares, and a renamed field
///   fails. Schemas without `properties` (STIX objects passed through) stay open;
/// - `format` is kept and checked (`date-time` is RFC 3339), `description` and `default`
///   are annotations in both.
fn json_schema(spec: &Value, s: &Value, depth: usize) -> Value {
    assert!(
        depth < 32,
        "schema nested too deep (a recursive $ref?): {s}"
    );
    let s = resolve(spec, s);
    let obj = s
        .as_object()
        .unwrap_or_else(|| panic!("a schema must be an object: {s}"));
    for k in obj.keys() {
        assert!(
            KNOWN.contains(&k.as_str()),
            "schema keyword {k:?} is not handled by json_schema(): {s}"
        );
    }
    let mut out = Map::new();
    if let Some(parts) = obj.get("allOf").and_then(Value::as_array) {
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for p in parts {
            let p = json_schema(spec, p, depth + 1);
            assert_eq!(p["type"], "object", "allOf of non-objects: {p}");
            for (k, v) in p["properties"].as_object().into_iter().flatten() {
                assert!(
                    properties.insert(k.clone(), v.clone()).is_none(),
                    "allOf declares {k:?} twice"
                );
            }
            required.extend(p["required"].as_array().into_iter().flatten().cloned());
        }
        out.insert("type".into(), json!("object"));
        out.insert("properties".into(), Value::Object(properties));
        out.insert("required".into(), Value::Array(required));
    }
    for (k, v) in obj {
        match k.as_str() {
            "$ref" | "nullable" | "allOf" => {}
            "properties" => {
                let props: Map<String, Value> = v
                    .as_object()
                    .expect("properties is a map")
                    .iter()
                    .map(|(name, p)| (name.clone(), json_schema(spec, p, depth + 1)))
                    .collect();
                out.insert(k.clone(), Value::Object(props));
            }
            "items" => {
                out.insert(k.clone(), json_schema(spec, v, depth + 1));
            }
            "additionalProperties" if v.is_object() => {
                out.insert(k.clone(), json_schema(spec, v, depth + 1));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), json!(false));
    }
    if obj.get("nullable") == Some(&json!(true)) {
        if let Some(t) = out.get("type").and_then(Value::as_str) {
            let t = t.to_string();
            out.insert("type".into(), json!([t, "null"]));
        }
        if let Some(e) = out.get_mut("enum").and_then(Value::as_array_mut) {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
    }
    Value::Object(out)
}

/// Problems of `instance` against a converted schema, one line each.
fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("not a valid JSON Schema ({e}): {schema}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect()
}

/// Every property path a converted schema declares (`.top_sources[].asn`).
fn declared(schema: &Value, at: &str, out: &mut BTreeSet<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            let path = format!("{at}.{k}");
            out.insert(path.clone());
            declared(p, &path, out);
        }
    }
    if let Some(items) = schema.get("items") {
        declared(items, &format!("{at}[]"), out);
    }
}

/// The declared property paths that `v` carries with a non-null value.
fn seen(schema: &Value, v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, x) in m {
                if let Some(p) = props.and_then(|props| props.get(k)) {
                    let path = format!("{at}.{k}");
                    if !x.is_null() {
                        out.insert(path.clone());
                    }
                    seen(p, x, &path, out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for x in items {
                    seen(s, x, &format!("{at}[]"), out);
                }
            }
        }
        _ => {}
    }
}

// ---- The seeded hub ----

/// Source `n` of a day: 198.51.100.n on the 20th, 192.0.2.(100 + n) on the 21st.
fn source(n: u64, located: bool, day: u32) -> SourceSummary {
    let scanner = n.is_multiple_of(2);
    let mirai = n.is_multiple_of(4);
    SourceSummary {
        address: if day == 20 {
            format!("198.51.100.{n}")
        } else {
            format!("192.0.2.{}", 100 + n)
        },
        packets: n * 10,
        bytes: n * 600,
        first_seen: format!("2026-11-{day}T00:00:00Z"),
        last_seen: format!("2026-11-{day}T00:09:00Z"),
        destinations: n,
        destination_ports: 1,
        top_ports: vec![PortCount {
            port: 23,
            packets: n * 10,
        }],
        ttl_min: 40,
        ttl_max: 60,
        syn_probes: n * 10,
        fingerprint_matches: if mirai {
            [("mirai".to_string(), n * 10)].into()
        } else {
            Default::default()
        },
        tool: if mirai { Tool::Mirai } else { Tool::Unknown },
        scan: scanner.then_some(ScanKind::Horizontal),
        scanner_windows: if scanner {
            vec![format!("2026-11-{day}T00:00:00Z")]
        } else {
            vec![]
        },
        country: located.then(|| "JP".to_string()),
        asn: located.then_some(64_496),
        as_org: located.then(|| "Example Net".to_string()),
        location: located.then_some(GeoPoint {
            latitude: 35.5,
            longitude: 139.75,
        }),
    }
}

/// Ten minutes of traffic on `day` (20 or 21 November 2026); located sources (with a
/// country, an AS and a position) only when `located`, and DDoS attacks.
fn report(day: u32, located: bool) -> Report {
    let sources: Vec<SourceSummary> = (1..=12).map(|n| source(n, located, day)).collect();
    let attack = |victim: &str, start: &str, end: &str, packets: u64| Attack {
        victim: victim.into(),
        start: format!("2026-11-{day}T00:0{start}Z"),
        end: format!("2026-11-{day}T00:0{end}Z"),
        packets,
        peak_pps: 2.5,
        mean_pps: 1.25,
        ports: vec![PortCount { port: 80, packets }],
        darknet_destinations: 7,
        kinds: vec!["tcp_synack".into()],
        country: Some("US".into()),
        asn: Some(64_500),
    };
    Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some(format!("2026-11-{day}T00:00:00Z")),
        last_packet: Some(format!("2026-11-{day}T00:09:59Z")),
        timeseries: (0..10)
            .map(|m| MinuteCounts {
                minute: format!("2026-11-{day}T00:{m:02}:00Z"),
                counts: [m + 5, 1, 1, 0, 1, 0, 0, 2, 1, 0],
            })
            .collect(),
        top_tcp_ports: vec![PortCount {
            port: 23,
            packets: 60,
        }],
        top_udp_ports: vec![PortCount {
            port: 53,
            packets: 20,
        }],
        scanners: sources
            .iter()
            .filter(|s| s.scan.is_some() || s.tool != Tool::Unknown)
            .cloned()
            .collect(),
        top_sources: sources,
        attacks: vec![
            attack("192.0.2.10", "1:00", "4:00", 300),
            attack("192.0.2.20", "5:00", "8:00", 200),
        ],
        top_countries: vec![KeyCount {
            key: "JP".into(),
            packets: 780,
            sources: 12,
        }],
        top_asns: vec![KeyCount {
            key: "64496".into(),
            packets: 780,
            sources: 12,
        }],
        ..Report::default()
    }
}

fn survey_json() -> String {
    let service = |n: u32| {
        let vulns = if n == 2 {
            json!([{"id": "CVE-2021-36260", "source": "nvd", "certainty": "affected",
                "cvss": {"version": "3.1", "score": 9.8, "severity": "CRITICAL"},
                "kev": {"date_added": "2021-12-10", "due_date": "2021-12-24",
                        "required_action": "patch", "ransomware_use": "Unknown"},
                "rule": {"configuration": 0, "node": 0, "criteria": "c",
                         "range": "all versions", "device_cpe": "d"}}])
        } else {
            json!([])
        };
        json!({
            "port": 80, "transport": "tcp", "protocol": "http",
            "device": n.is_multiple_of(2).then(|| json!({"vendor": "Hikvision", "product": "DS-2CD",
                "version": "5.4.0", "device_type": "camera", "rule_id": "r"})),
            "weak_credential": (n == 3).then(|| json!({"username": "admin",
                "password_masked": "12***", "source": "vendor"})),
            "vulnerabilities": vulns,
        })
    };
    let hosts: Vec<Value> = (1..=4)
        .map(|n| json!({"address": format!("198.51.100.{n}"), "services": [service(n)]}))
        .collect();
    json!({
        "schema": "yamori.survey.result/1", "scope": ["198.51.100.0/24"],
        "started": "2026-11-20T00:00:00Z", "finished": "2026-11-20T01:00:00Z",
        "targets": 256, "hosts": hosts,
    })
    .to_string()
}

/// The hub on a SQLite file in `dir`, with both analyses, the survey run (readable by bob),
/// an indicator and a sighting of it in the `telescope` collection (bob reads it), a sync
/// peer and a geolocation attribution.
async fn seeded(dir: &std::path::Path) -> Hub {
    let store = Store::open_sqlite(&dir.join("yamori.sqlite")).expect("SQLite store");
    let h = hub_on(store, HubConfig::default());
    for (day, located) in [(20, true), (21, false)] {
        let r = report(day, located);
        h.store
            .put_analysis(&NewAnalysis {
                files: vec![FileDigest {
                    name: format!("day{day}.pcap"),
                    sha256: format!("{day:x}").repeat(32),
                    bytes: 1,
                }],
                report_json: serde_json::to_string(&r).expect("json"),
                first_packet: r.first_packet.clone(),
                last_packet: r.last_packet.clone(),
                darknet_packets: 1,
                replace_overlapping: false,
            })
            .expect("store the analysis");
    }
    h.store
        .taxii_put_collection(&Collection {
            id: SURVEY_COLLECTION.into(),
            api_root: "api1".into(),
            alias: Some("survey".into()),
            title: "survey".into(),
            description: None,
        })
        .expect("collection");
    h.store
        .taxii_set_grant(
            "bob",
            &Grant {
                collection_id: SURVEY_COLLECTION.into(),
                can_read: true,
                can_write: false,
            },
        )
        .expect("grant");
    h.store.put_survey(&survey_json()).expect("store survey");
    // Alice reads every collection: she is given the correlation's counts.
    for id in [SURVEY_COLLECTION, crate::common::OTHER] {
        let g = Grant {
            collection_id: id.into(),
            can_read: true,
            can_write: false,
        };
        h.store.taxii_set_grant("alice", &g).expect("grant");
    }
    // A live sensor's minute and the decoy saw 198.51.100.2 too (the observable's `seen_by`).
    let minute = report(20, true);
    h.store
        .put_sensor_minute(&yamori_store::sensor::NewSensorMinute {
            sensor_id: "tokyo-1".into(),
            minute_s: 1_795_132_800,
            partial: false,
            report_json: serde_json::to_string(&minute).expect("json"),
            first_packet: minute.first_packet.clone(),
            last_packet: minute.last_packet.clone(),
            darknet_packets: 1,
            counts: Default::default(),
        })
        .expect("sensor minute");
    h.store
        .decoy_add_events(&[yamori_store::decoy::NewDecoyEvent {
            session: "s1".into(),
            eventid: "cowrie.login.failed".into(),
            src_ip: "198.51.100.2".into(),
            timestamp: "2026-11-20T00:00:00Z".into(),
            url: None,
            record: "{}".into(),
        }])
        .expect("decoy");
    let mut ind = indicator(2, "2024-01-01T00:00:00.000Z");
    ind["created_by_ref"] = json!("identity--00000000-0000-4000-8000-000000000042");
    ind["confidence"] = json!(80);
    ind["valid_until"] = json!("2027-01-01T00:00:00Z");
    let sighting = json!({
        "type": "sighting", "spec_version": "2.1",
        "id": "sighting--00000000-0000-4000-8000-000000000099",
        "created": "2024-01-02T00:00:00.000Z", "modified": "2024-01-02T00:00:00.000Z",
        "sighting_of_ref": ind["id"], "count": 3,
        "first_seen": "2026-11-20T00:00:00Z", "last_seen": "2026-11-20T00:09:00Z",
    });
    let status = post(&h.app, &h.alice, vec![ind, sighting]).await;
    assert_eq!(status["success_count"], 2, "{status}");
    h.store
        .kv_set("geo.attribution", "Example geolocation data")
        .expect("kv");
    // A list of research scanners holding two sources: `warninglists` and `benign_scanner`.
    let list = serde_json::json!({"name": "Example research scanning", "version": 1,
        "description": "Ranges used for scanning", "type": "cidr",
        "list": ["198.51.100.2/31", "198.51.100.12/32", "192.0.2.102/31"]});
    h.store
        .kv_set(
            &format!(
                "{}Example research scanning",
                yamori_trust::warninglist::STORE_KEY_PREFIX
            ),
            &list.to_string(),
        )
        .expect("kv");
    h.store
        .kv_count_up(yamori_trust::warninglist::STORE_IMPORTS_KEY)
        .expect("kv");
    h.store
        .kv_set(
            &format!("sync.pull|https://peer.example.net/taxii2/|{SURVEY_COLLECTION}"),
            "2026-11-20T00:00:00.000Z",
        )
        .expect("kv");
    seed_decoy(&h.store);
    h
}

/// Two decoy sessions an hour ago (the decoy endpoint's window is relative to now): one
/// closed with a login, a command and a download; one still open without a login.
fn seed_decoy(store: &Store) {
    use yamori_store::decoy::NewDecoyEvent;
    let at = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let ts = |s: i64| yamori_decoy::events::timestamp(at + time::Duration::seconds(s));
    let rec = |session: &str, eventid: &str, s: i64, url: Option<&str>, extra: Value| {
        let mut r = json!({
            "eventid": eventid, "session": session, "src_ip": "198.51.100.9", "src_port": 40000,
            "dst_ip": "192.0.2.1", "dst_port": 23, "protocol": "telnet", "sensor": "decoy",
            "timestamp": ts(s), "message": "",
        });
        if let (Some(o), Some(e)) = (r.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        NewDecoyEvent {
            session: session.into(),
            eventid: eventid.into(),
            src_ip: "198.51.100.9".into(),
            timestamp: ts(s),
            url: url.map(str::to_string),
            record: r.to_string(),
        }
    };
    let url = "http://203.0.113.7/bins/mirai.arm7";
    store
        .decoy_add_events(&[
            rec("0123456789ab", "cowrie.session.connect", 0, None, json!({})),
            rec(
                "0123456789ab",
                "cowrie.login.success",
                1,
                None,
                json!({"username": "root", "password": "xc3511"}),
            ),
            rec(
                "0123456789ab",
                "cowrie.command.input",
                2,
                None,
                json!({"input": "/bin/busybox ECCHI"}),
            ),
            rec(
                "0123456789ab",
                "cowrie.session.file_download",
                3,
                Some(url),
                json!({"url": url, "destfile": "/tmp/.m"}),
            ),
            rec(
                "0123456789ab",
                "cowrie.session.closed",
                4,
                None,
                json!({"duration_ms": 4000}),
            ),
            rec("ba9876543210", "cowrie.session.connect", 5, None, json!({})),
        ])
        .expect("decoy records");
}

// ---- Cases ----

enum Auth {
    None,
    Bearer(String),
    Basic(&'static str, &'static str),
    Cookie(String),
}

struct Case {
    method: &'static str,
    /// The path as the spec writes it (with `{parameters}`).
    path: &'static str,
    status: u16,
    uri: String,
    auth: Auth,
    body: Option<String>,
}

fn case(method: &'static str, path: &'static str, status: u16, uri: &str, auth: Auth) -> Case {
    Case {
        method,
        path,
        status,
        uri: uri.into(),
        auth,
        body: None,
    }
}

fn login_body(user: &str, password: &str) -> Option<String> {
    Some(json!({ "username": user, "password": password }).to_string())
}

/// Every (method, path, status) the spec declares, with requests that answer it. The 429s
/// are for [`MALLORY`], whom [`throttle`] has made wait.
fn cases(h: &Hub, me_cookie: &str, logout_cookie: &str) -> Vec<Case> {
    let bob = || Auth::Bearer(h.bob.clone());
    let dave = || Auth::Bearer(h.dave.clone());
    let throttled = || Auth::Basic(MALLORY, "guess");
    let day = "from=2026-11-20T00:00:00Z&to=2026-11-20T00:10:00Z";
    let mut v = vec![
        Case {
            body: login_body("alice", "pw-alice"),
            ..case(
                "post",
                "/api/v1/session",
                200,
                "/api/v1/session",
                Auth::None,
            )
        },
        Case {
            body: Some("username=alice".into()),
            ..case(
                "post",
                "/api/v1/session",
                400,
                "/api/v1/session",
                Auth::None,
            )
        },
        Case {
            body: login_body("nobody", "wrong"),
            ..case(
                "post",
                "/api/v1/session",
                401,
                "/api/v1/session",
                Auth::None,
            )
        },
        Case {
            body: Some(format!(r#"{{"username": "{}"}}"#, "x".repeat(9 * 1024))),
            ..case(
                "post",
                "/api/v1/session",
                413,
                "/api/v1/session",
                Auth::None,
            )
        },
        Case {
            body: login_body(MALLORY, "guess"),
            ..case(
                "post",
                "/api/v1/session",
                429,
                "/api/v1/session",
                Auth::None,
            )
        },
        case(
            "delete",
            "/api/v1/session",
            204,
            "/api/v1/session",
            Auth::Cookie(logout_cookie.into()),
        ),
        case(
            "get",
            "/api/v1/me",
            200,
            "/api/v1/me",
            Auth::Cookie(me_cookie.into()),
        ),
        case("get", "/api/v1/me", 200, "/api/v1/me", bob()),
        case("get", "/api/v1/me", 401, "/api/v1/me", Auth::None),
        case("get", "/api/v1/me", 429, "/api/v1/me", throttled()),
        case(
            "get",
            "/api/v1/openapi.yaml",
            200,
            "/api/v1/openapi.yaml",
            Auth::None,
        ),
    ];
    // The first day has located sources; the second none (the map's `reason`).
    let overview = "/api/v1/overview";
    for uri in [
        format!("{overview}?{day}"),
        format!("{overview}?from=2026-11-21T00:00:00Z&to=2026-11-21T00:10:00Z&top=3"),
        overview.to_string(),
    ] {
        v.push(case("get", overview, 200, &uri, bob()));
    }
    v.push(case(
        "get",
        overview,
        400,
        &format!("{overview}?top=0"),
        bob(),
    ));
    let sources = "/api/v1/sources";
    for uri in [
        format!("{sources}?{day}&limit=2"),
        format!("{sources}?{day}&country=JP&tool=mirai&scanners=true"),
    ] {
        v.push(case("get", sources, 200, &uri, bob()));
    }
    v.push(case(
        "get",
        sources,
        400,
        &format!("{sources}?country=jp"),
        bob(),
    ));
    let one = "/api/v1/sources/{address}";
    v.push(case("get", one, 200, "/api/v1/sources/198.51.100.2", bob()));
    v.push(case("get", one, 200, "/api/v1/sources/192.0.2.103", bob()));
    v.push(case(
        "get",
        one,
        400,
        "/api/v1/sources/not-an-address",
        bob(),
    ));
    v.push(case("get", one, 404, "/api/v1/sources/192.0.2.99", bob()));
    let attacks = "/api/v1/attacks";
    v.push(case(
        "get",
        attacks,
        200,
        &format!("{attacks}?{day}&limit=1"),
        bob(),
    ));
    v.push(case("get", attacks, 200, attacks, bob()));
    v.push(case(
        "get",
        attacks,
        400,
        &format!("{attacks}?cursor=x"),
        bob(),
    ));
    let survey = "/api/v1/survey";
    v.push(case(
        "get",
        survey,
        200,
        &format!("{survey}?limit=2"),
        bob(),
    ));
    v.push(case("get", survey, 200, survey, dave()));
    v.push(case(
        "get",
        survey,
        400,
        &format!("{survey}?limit=0"),
        bob(),
    ));
    let intel = "/api/v1/intel";
    v.push(case("get", intel, 200, intel, bob()));
    v.push(case("get", intel, 400, &format!("{intel}?limit=x"), bob()));
    let observable = "/api/v1/observable";
    for uri in [
        "?value=198.51.100.2",
        "?value=198.51.100.0/24&limit=5",
        "?value=x.example",
    ] {
        v.push(case(
            "get",
            observable,
            200,
            &format!("{observable}{uri}"),
            bob(),
        ));
    }
    v.push(case(
        "get",
        observable,
        200,
        &format!("{observable}?value=198.51.100.2"),
        Auth::Bearer(h.alice.clone()),
    ));
    v.push(case("get", observable, 400, observable, bob()));
    v.push(case(
        "get",
        observable,
        400,
        &format!("{observable}?value=not%20a%20value"),
        bob(),
    ));
    let sensors = "/api/v1/sensors";
    v.push(case("get", sensors, 200, sensors, bob()));
    v.push(case(
        "get",
        sensors,
        200,
        &format!("{sensors}?window=10080"),
        bob(),
    ));
    v.push(case(
        "get",
        sensors,
        400,
        &format!("{sensors}?window=0"),
        bob(),
    ));
    let decoy = "/api/v1/decoy";
    v.push(case("get", decoy, 200, decoy, bob()));
    v.push(case(
        "get",
        decoy,
        200,
        &format!("{decoy}?window=1&top=1"),
        bob(),
    ));
    v.push(case("get", decoy, 400, &format!("{decoy}?window=0"), bob()));
    v.push(case("get", decoy, 400, &format!("{decoy}?top=101"), bob()));
    let session = "/api/v1/decoy/sessions/{session}";
    v.push(case(
        "get",
        session,
        200,
        "/api/v1/decoy/sessions/0123456789ab",
        bob(),
    ));
    v.push(case(
        "get",
        session,
        404,
        "/api/v1/decoy/sessions/ffffffffffff",
        bob(),
    ));
    v.push(case(
        "get",
        session,
        400,
        "/api/v1/decoy/sessions/..%2Fetc",
        bob(),
    ));
    v.push(case(
        "get",
        session,
        401,
        "/api/v1/decoy/sessions/0123456789ab",
        Auth::None,
    ));
    v.push(case(
        "get",
        session,
        429,
        "/api/v1/decoy/sessions/0123456789ab",
        throttled(),
    ));
    // Credentials: none, and a throttled user name, on every endpoint that needs them.
    for p in [
        overview, sources, attacks, survey, intel, observable, sensors, decoy,
    ] {
        v.push(case("get", p, 401, p, Auth::None));
        v.push(case("get", p, 429, p, throttled()));
    }
    v.push(case(
        "get",
        one,
        401,
        "/api/v1/sources/198.51.100.2",
        Auth::None,
    ));
    v.push(case(
        "get",
        one,
        429,
        "/api/v1/sources/198.51.100.2",
        throttled(),
    ));
    v
}

fn request(c: &Case) -> Request<Body> {
    let method = Method::from_bytes(c.method.to_uppercase().as_bytes()).expect("method");
    let mut b = Request::builder().method(method).uri(&c.uri);
    b = match &c.auth {
        Auth::None => b,
        Auth::Bearer(t) => b.header(header::AUTHORIZATION, format!("Bearer {t}")),
        Auth::Basic(u, p) => {
            let up = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            b.header(header::AUTHORIZATION, format!("Basic {up}"))
        }
        Auth::Cookie(c) => b.header(header::COOKIE, c),
    };
    if c.body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(Body::from(c.body.clone().unwrap_or_default()))
        .expect("request")
}

async fn login_cookie(h: &Hub) -> String {
    let r = send(
        &h.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(login_body("bob", "pw-bob").expect("body")))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let set = r.headers[header::SET_COOKIE].to_str().expect("ascii");
    set.split(';').next().expect("name=value").to_string()
}

/// Fail logins for [`MALLORY`] until the throttle makes the name wait.
async fn throttle(h: &Hub) {
    for _ in 0..yamori_hub::throttle::USER_FREE_FAILURES {
        let r = send(
            &h.app,
            request(&Case {
                body: login_body(MALLORY, "guess"),
                ..case("post", "", 0, "/api/v1/session", Auth::None)
            }),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
}

/// Send a case. A 429 case that finds the wait over (a slow machine) gets 401 and is counted
/// as one more failure, which starts a longer wait: the retry then gets the 429.
async fn run(h: &Hub, c: &Case) -> Resp {
    let r = send(&h.app, request(c)).await;
    if c.status == 429 && r.status == StatusCode::UNAUTHORIZED {
        return send(&h.app, request(c)).await;
    }
    r
}

/// What is wrong with `r` as the spec's answer for this case.
fn check(spec: &Value, c: &Case, r: &Resp, seen_paths: &mut BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if r.status.as_u16() != c.status {
        return vec![format!("status {} ({})", r.status, r.text)];
    }
    let declared = resolve(
        spec,
        &spec["paths"][c.path][c.method]["responses"][c.status.to_string()],
    );
    let content_type = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string());
    match declared.get("content").and_then(Value::as_object) {
        None => {
            if !r.text.is_empty() {
                problems.push(format!("the spec declares no body; got {:?}", r.text));
            }
        }
        Some(content) => {
            let Some((media, declared_media)) = content_type
                .as_deref()
                .and_then(|ct| content.get_key_value(ct))
            else {
                return vec![format!(
                    "Content-Type {content_type:?}; the spec declares {:?}",
                    content.keys().collect::<Vec<_>>()
                )];
            };
            let body: Value = match media.as_str() {
                "application/json" => serde_json::from_str(&r.text).unwrap_or_else(|e| {
                    panic!("{} {}: not JSON ({e}): {}", c.method, c.uri, r.text)
                }),
                "application/yaml" => serde_norway::from_str(&r.text)
                    .unwrap_or_else(|e| panic!("{} {}: not YAML ({e})", c.method, c.uri)),
                other => panic!("teach this test to read {other}"),
            };
            let schema = json_schema(spec, &declared_media["schema"], 0);
            problems.extend(validate(&schema, &body));
            if c.status == 200 {
                seen(&schema, &body, "", seen_paths);
            }
        }
    }
    for (name, h) in declared
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let h = resolve(spec, h);
        let Some(value) = r.headers.get(name.as_str()).and_then(|v| v.to_str().ok()) else {
            problems.push(format!("no {name} header"));
            continue;
        };
        let schema = json_schema(spec, &h["schema"], 0);
        let value = match schema["type"].as_str() {
            Some("integer" | "number") => value.parse::<Value>().unwrap_or(json!(value)),
            _ => json!(value),
        };
        problems.extend(
            validate(&schema, &value)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    problems
}

#[tokio::test]
async fn every_endpoint_answers_as_the_spec_declares() {
    let spec = spec();
    let dir = tempfile::tempdir().expect("temp dir");
    let h = seeded(dir.path()).await;
    let (me_cookie, logout_cookie) = (login_cookie(&h).await, login_cookie(&h).await);
    let cases = cases(&h, &me_cookie, &logout_cookie);

    // The cases cover exactly what the spec declares.
    let mut wanted: BTreeSet<(String, String, u16)> = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for status in op["responses"].as_object().expect("responses").keys() {
                let status: u16 = status.parse().expect("numeric status");
                wanted.insert((method.clone(), path.clone(), status));
            }
        }
    }
    let have: BTreeSet<(String, String, u16)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.path.to_string(), c.status))
        .collect();
    let untested: Vec<_> = wanted.difference(&have).collect();
    let undeclared: Vec<_> = have.difference(&wanted).collect();
    assert!(
        untested.is_empty() && undeclared.is_empty(),
        "declared in the spec without a case here: {untested:?}; \
         cases for what the spec does not declare: {undeclared:?}"
    );

    // Everything but the 429s, then those (the throttle's wait is short).
    let mut problems: Vec<String> = Vec::new();
    let mut seen_by_op: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    let (later, first): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| c.status == 429);
    for (i, batch) in [first, later].into_iter().enumerate() {
        if i == 1 {
            throttle(&h).await;
        }
        for c in batch {
            let r = run(&h, c).await;
            let seen_paths = seen_by_op.entry((c.method, c.path)).or_default();
            for p in check(&spec, c, &r, seen_paths) {
                problems.push(format!(
                    "{} {} → {}: {p}",
                    c.method.to_uppercase(),
                    c.uri,
                    c.status
                ));
            }
        }
    }

    // The 200s of each operation carry every declared property (non-null) between them.
    for ((method, path), got) in &seen_by_op {
        let ok = &spec["paths"][*path][*method]["responses"]["200"];
        let Some(schema) = ok
            .get("content")
            .and_then(|c| c.get("application/json"))
            .map(|m| json_schema(&spec, &m["schema"], 0))
        else {
            continue;
        };
        let mut all = BTreeSet::new();
        declared(&schema, "", &mut all);
        for missing in all.difference(got) {
            problems.push(format!(
                "{} {path}: no 200 response carries {missing} (not sent, or not seeded)",
                method.to_uppercase()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The checker itself: the conversion keeps what the spec refuses refused, including the
/// strictness it adds (closed objects, formats).
#[test]
fn the_schema_conversion_refuses_what_it_should() {
    let spec = spec();
    let schema = |name: &str| {
        json_schema(
            &spec,
            &json!({ "$ref": format!("#/components/schemas/{name}") }),
            0,
        )
    };
    let me = schema("Me");
    for ok in [
        json!({"user": "bob", "expires": null}),
        json!({"user": "bob", "expires": "2026-11-20T00:00:00Z"}),
        json!({"user": "bob"}),
    ] {
        assert_eq!(validate(&me, &ok), Vec::<String>::new(), "{ok}");
    }
    for (bad, why) in [
        (
            json!({"user": "bob", "expires": "tomorrow"}),
            "not a date-time",
        ),
        (json!({"user": "bob", "expiry": null}), "a renamed field"),
        (json!({"expires": null}), "no required field"),
        (json!({"user": null}), "null where not nullable"),
    ] {
        assert!(!validate(&me, &bad).is_empty(), "{why}: {bad}");
    }
    // `allOf` merged and closed: SourceDetail takes Source's fields and its own, no others.
    let detail = schema("SourceDetail");
    let mut d = json!({
        "address": "192.0.2.1", "packets": 1, "bytes": 60, "first_seen": "2026-11-20T00:00:00Z",
        "last_seen": "2026-11-20T00:00:00Z", "scanner": false, "scan": null, "tool": "unknown",
        "kind": "other", "top_ports": [], "fingerprint_matches": {}, "syn_probes": 0,
        "timeline": [], "indicators": [{"type": "indicator", "x_any": 1}], "sightings": [],
    });
    assert_eq!(validate(&detail, &d), Vec::<String>::new());
    d["scan"] = json!("diagonal");
    assert!(!validate(&detail, &d).is_empty(), "scan outside its enum");
    d["scan"] = json!(null);
    d["timeline"] = json!([{"packets": 1, "scanner_window": []}]);
    assert!(
        !validate(&detail, &d).is_empty(),
        "a renamed field in a nested item"
    );
    d["timeline"] = json!([]);
    d.as_object_mut().expect("object").remove("syn_probes");
    assert!(
        !validate(&detail, &d).is_empty(),
        "a required field of the allOf's second part"
    );
}
