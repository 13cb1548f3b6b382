//! Survey runs: stored as given and once, indexed per service, listed and counted alike on
//! both backends.

use serde_json::{json, Value};
use yamori_store::Store;

use crate::backends::each;

pub fn service(port: u16, device: Option<(&str, &str, &str)>, weak: bool, vulns: Value) -> Value {
    let mut s = json!({
        "port": port, "transport": "tcp", "protocol": "telnet", "banner": "login: ",
        "fields": {"login_prompt": "true"}, "device": null, "weak_credential": null,
        "evidence": [], "vulnerabilities": vulns,
    });
    if let Some((device_type, vendor, product)) = device {
        s["device"] = json!({"vendor": vendor, "product": product, "version": "1.0",
            "device_type": device_type, "cpe": null, "rule_id": "r"});
    }
    if weak {
        s["weak_credential"] =
            json!({"username": "root", "password_masked": "xc****", "source": "mirai-list"});
    }
    s
}

pub fn vuln(id: &str, kev: bool, cvss: Option<f64>) -> Value {
    let mut v = json!({"id": id, "source": "nvd", "certainty": "affected", "summary": "",
        "rule": {"configuration": 0, "node": 0, "criteria": "cpe:2.3:h:a:b:*:*:*:*:*:*:*:*",
                 "range": "all versions", "device_cpe": "cpe:2.3:h:a:b:1.0:*:*:*:*:*:*:*"}});
    if kev {
        v["kev"] = json!({"date_added": "2024-01-01", "due_date": "2024-01-22",
            "required_action": "patch", "ransomware_use": "Unknown"});
    }
    if let Some(c) = cvss {
        v["cvss"] = json!({"version": "3.1", "score": c, "severity": "HIGH", "vector": ""});
    }
    v
}

/// Pretty-printed like `yamori survey --out`, so "bytes unchanged" is a real check.
pub fn run(finished: &str, hosts: Value) -> String {
    serde_json::to_string_pretty(&json!({
        "schema": "yamori.survey.result/1", "scope": ["198.51.100.0/24"],
        "started": "2026-11-20T00:00:00Z", "finished": finished, "targets": 256, "hosts": hosts,
    }))
    .expect("serialise")
}

pub fn first_run() -> String {
    run(
        "2026-11-20T01:00:00Z",
        json!([
            {"address": "198.51.100.9", "services": [
                service(23, Some(("camera", "Hikvision", "DS-2CD")), true, json!([])),
                service(80, Some(("camera", "Hikvision", "DS-2CD")), false,
                        json!([vuln("CVE-2021-36260", true, Some(9.8))])),
            ]},
            {"address": "198.51.100.10", "services": [
                service(23, Some(("router", "ZTE", "F660")), false,
                        json!([vuln("CVE-2020-1", false, Some(7.5)), vuln("CVE-2020-2", false, None)])),
            ]},
            {"address": "198.51.100.11", "services": [service(23, None, false, json!([]))]},
            {"address": "2001:db8::1", "services": [service(23, None, false, json!([]))]},
        ]),
    )
}

fn order(s: &Store) -> Vec<String> {
    s.survey_devices(None, 100)
        .expect("devices")
        .iter()
        .map(|d| format!("{}:{}", d.address, d.port))
        .collect()
}

#[test]
fn a_run_is_stored_once_as_given() {
    each(|s| {
        let doc = first_run();
        let a = s.put_survey(&doc).expect("put");
        assert!(a.inserted);
        assert_eq!(a.services, 5);
        let b = s.put_survey(&doc).expect("put again");
        assert_eq!((b.id.as_str(), b.inserted), (a.id.as_str(), false));
        assert_eq!(
            s.survey_document(&a.id).expect("get").as_deref(),
            Some(doc.as_str())
        );
        let summary = s.survey_summary().expect("summary");
        assert_eq!(summary.runs, 1);
        assert_eq!(summary.devices, 5, "no service counted twice");
    });
}

#[test]
fn devices_are_listed_kev_first_then_cvss_then_address() {
    each(|s| {
        s.put_survey(&first_run()).expect("put");
        assert_eq!(
            order(s),
            [
                "198.51.100.9:80",
                "198.51.100.10:23",
                "198.51.100.9:23",
                "198.51.100.11:23",
                "2001:db8::1:23",
            ]
        );
        let all = s.survey_devices(None, 100).expect("devices");
        let top = &all[0];
        assert!(top.kev);
        assert_eq!(top.max_cvss, Some(9.8));
        assert_eq!(
            (
                top.device_type.as_deref(),
                top.vendor.as_deref(),
                top.product.as_deref()
            ),
            (Some("camera"), Some("Hikvision"), Some("DS-2CD"))
        );
        assert_eq!(top.version.as_deref(), Some("1.0"));
        assert_eq!(
            (top.transport.as_str(), top.protocol.as_str()),
            ("tcp", "telnet")
        );
        assert_eq!(top.vulnerabilities[0].cve, "CVE-2021-36260");
        let zte = &all[1];
        assert_eq!(zte.vulnerabilities.len(), 2);
        assert_eq!(zte.vulnerabilities[1].cvss, None);
        assert!(!zte.kev && !zte.weak_credentials);
        assert!(all[2].weak_credentials);
        assert_eq!(all[3].device_type, None);
        // Pages of two neither drop nor repeat a row.
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = s.survey_devices(after, 2).expect("page");
            paged.extend(page.iter().map(|d| d.id));
            match page.last() {
                Some(last) if page.len() == 2 => after = Some((last.sort_key, last.id)),
                _ => break,
            }
        }
        assert_eq!(paged, all.iter().map(|d| d.id).collect::<Vec<_>>());
    });
}

#[test]
fn summary_counts_the_newest_observation_of_each_service() {
    each(|s| {
        s.put_survey(&first_run()).expect("put");
        // A later run finds the ZTE router patched and the camera's telnet closed-down
        // credentials changed; the other hosts were not answered this time.
        let later = run(
            "2026-11-21T01:00:00Z",
            json!([
                {"address": "198.51.100.9", "services": [
                    service(23, Some(("camera", "Hikvision", "DS-2CD")), false, json!([])),
                ]},
                {"address": "198.51.100.10", "services": [
                    service(23, Some(("router", "ZTE", "F660")), false, json!([])),
                ]},
            ]),
        );
        s.put_survey(&later).expect("put later");
        let sum = s.survey_summary().expect("summary");
        assert_eq!(sum.runs, 2);
        assert_eq!(sum.last_finished.as_deref(), Some("2026-11-21T01:00:00Z"));
        assert_eq!(sum.devices, 5);
        assert_eq!(sum.weak_credentials, 0);
        assert_eq!(
            sum.vulnerable, 1,
            "only the camera's web service is still vulnerable"
        );
        assert_eq!(sum.kev, 1);
        assert_eq!(
            sum.by_device_type,
            [
                (Some("camera".to_string()), 2),
                (None, 2),
                (Some("router".to_string()), 1)
            ]
        );
        assert_eq!(sum.by_vendor[0], (Some("Hikvision".to_string()), 2));
        assert_eq!(order(s)[0], "198.51.100.9:80");
    });
}

#[test]
fn empty_store_and_bad_documents() {
    each(|s| {
        assert_eq!(s.survey_summary().expect("summary").runs, 0);
        assert!(s.survey_devices(None, 10).expect("devices").is_empty());
        let wrong = run("2026-11-20T01:00:00Z", json!([])).replace("result/1", "result/9");
        let e = s.put_survey(&wrong).expect_err("other schema").to_string();
        assert!(e.contains("schema"), "{e}");
        let bad_ip = run(
            "2026-11-20T01:00:00Z",
            json!([{"address": "300.1.1.1", "services": []}]),
        );
        let e = s.put_survey(&bad_ip).expect_err("bad address").to_string();
        assert!(e.contains("hosts[0].address"), "{e}");
        let bad_time = run("yesterday", json!([]));
        let e = s.put_survey(&bad_time).expect_err("bad time").to_string();
        assert!(e.contains("finished"), "{e}");
        assert!(s.put_survey("{").is_err());
        assert_eq!(
            s.survey_summary().expect("summary").runs,
            0,
            "nothing half-stored"
        );
    });
}
