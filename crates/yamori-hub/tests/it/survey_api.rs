//! `GET /api/v1/survey`: unavailable until a run is stored and to callers who may not read
//! the `survey` collection, then counts and devices in KEV → CVSS → address order, paged
//! without drops or repeats; bad parameters are 400s.

use axum::http::StatusCode;
use serde_json::{json, Value};
use yamori_store::accounts::Grant;
use yamori_store::taxii::Collection;

use crate::common::{get, hub};

fn service(port: u16, vendor: Option<&str>, weak: bool, vulns: Value) -> Value {
    json!({
        "port": port, "transport": "tcp", "protocol": "http",
        "device": vendor.map(|v| json!({"vendor": v, "product": "P", "version": null,
            "device_type": "camera", "rule_id": "r"})),
        "weak_credential": weak.then(|| json!({"username": "admin",
            "password_masked": "12***", "source": "vendor"})),
        "vulnerabilities": vulns,
    })
}

fn vuln(id: &str, kev: bool, cvss: f64) -> Value {
    let mut v = json!({"id": id, "source": "nvd", "certainty": "affected",
        "cvss": {"version": "3.1", "score": cvss, "severity": "HIGH"},
        "rule": {"configuration": 0, "node": 0, "criteria": "c", "range": "all versions",
                 "device_cpe": "d"}});
    if kev {
        v["kev"] = json!({"date_added": "2024-01-01", "due_date": "2024-01-22",
            "required_action": "patch", "ransomware_use": "Unknown"});
    }
    v
}

/// 30 hosts with one service each; host 7 has a KEV CVE, host 3 a CVSS 9.0 one, every
/// fifth a weak credential.
fn survey_json() -> String {
    let hosts: Vec<Value> = (1..=30)
        .map(|n| {
            let vulns = match n {
                7 => json!([vuln("CVE-2021-36260", true, 7.5)]),
                3 => json!([vuln("CVE-2020-1", false, 9.0)]),
                _ => json!([]),
            };
            let vendor = (n % 2 == 0).then_some("Hikvision");
            json!({"address": format!("198.51.100.{n}"),
                   "services": [service(80, vendor, n % 5 == 0, vulns)]})
        })
        .collect();
    serde_json::to_string(&json!({
        "schema": "yamori.survey.result/1", "scope": ["198.51.100.0/24"],
        "started": "2026-11-20T00:00:00Z", "finished": "2026-11-20T01:00:00Z",
        "targets": 256, "hosts": hosts,
    }))
    .expect("json")
}

#[tokio::test]
async fn survey_is_unavailable_then_lists_and_pages_devices() {
    let h = hub();
    // Survey findings are for readers of a `survey` collection: bob gets one, dave none.
    let survey_collection = "77777777-2222-4333-8444-555555555555";
    h.store
        .taxii_put_collection(&Collection {
            id: survey_collection.into(),
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
                collection_id: survey_collection.into(),
                can_read: true,
                can_write: false,
            },
        )
        .expect("grant");
    let empty = get(&h.app, "/api/v1/survey", &h.bob).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    let body = empty.json();
    assert_eq!(body["available"], false);
    assert!(body["reason"]
        .as_str()
        .expect("reason")
        .contains("yamori survey"));
    assert_eq!(body["devices"], json!([]));

    h.store.put_survey(&survey_json()).expect("store survey");
    let refused = get(&h.app, "/api/v1/survey", &h.dave).await.json();
    assert_eq!(refused["available"], false);
    assert!(refused["reason"]
        .as_str()
        .expect("reason")
        .contains("may not read"));
    assert_eq!(refused["devices"], json!([]));
    // A reader of the collection below TLP:AMBER does not get the findings either.
    h.store
        .taxii_set_user_tlp("bob", Some("green"))
        .expect("tlp");
    let green = get(&h.app, "/api/v1/survey", &h.bob).await.json();
    assert_eq!(green["available"], false, "{green}");
    assert!(green["reason"]
        .as_str()
        .expect("reason")
        .contains("--tlp amber"));
    assert_eq!(green["devices"], json!([]));
    h.store
        .taxii_set_user_tlp("bob", Some("amber"))
        .expect("tlp");
    let first = get(&h.app, "/api/v1/survey?limit=7", &h.bob).await.json();
    assert_eq!(first["available"], true);
    let summary = &first["summary"];
    assert_eq!(summary["runs"], 1);
    assert_eq!(summary["last_finished"], "2026-11-20T01:00:00Z");
    assert_eq!(summary["devices"], 30);
    assert_eq!(summary["weak_credentials"], 6);
    assert_eq!(summary["vulnerable"], 2);
    assert_eq!(summary["kev"], 1);
    assert_eq!(
        summary["by_vendor"][0],
        json!({"key": "Hikvision", "count": 15})
    );
    assert_eq!(summary["by_vendor"][1], json!({"key": null, "count": 15}));
    let devices = first["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 7);
    assert_eq!(devices[0]["address"], "198.51.100.7", "KEV first");
    assert_eq!(
        devices[0]["vulnerabilities"][0],
        json!({"cve": "CVE-2021-36260", "kev": true, "cvss": 7.5})
    );
    assert_eq!(devices[1]["address"], "198.51.100.3", "then highest CVSS");
    assert_eq!(devices[2]["address"], "198.51.100.1", "then by address");
    assert_eq!(devices[3]["address"], "198.51.100.2");
    assert_eq!(devices[3]["vendor"], "Hikvision");
    assert_eq!(devices[3]["service"], "http");
    assert_eq!(devices[2]["vendor"], Value::Null);

    // Every device once over all pages.
    let mut seen: Vec<String> = Vec::new();
    let mut uri = "/api/v1/survey?limit=7".to_string();
    loop {
        let page = get(&h.app, &uri, &h.bob).await.json();
        for d in page["devices"].as_array().expect("devices") {
            seen.push(format!("{}:{}", d["address"], d["port"]));
        }
        match page["next"].as_str() {
            Some(next) => uri = format!("/api/v1/survey?limit=7&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 30);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 30, "no device repeated");
}

#[tokio::test]
async fn bad_parameters_and_no_credentials_are_refused() {
    let h = hub();
    for (uri, names) in [
        ("/api/v1/survey?limit=0", "limit"),
        ("/api/v1/survey?cursor=abc", "cursor"),
        ("/api/v1/survey?colour=red", "colour"),
    ] {
        let r = get(&h.app, uri, &h.dave).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.text.contains(names), "{uri}: {}", r.text);
    }
    let r = get(&h.app, "/api/v1/survey", "not-a-token").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
