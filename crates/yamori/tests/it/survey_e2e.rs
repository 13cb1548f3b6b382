//! `yamori survey` end to end against emulated devices on 127.0.0.1: its JSON matches
//! `schemas/survey-result.v1.json`, the run is stored (once) where the dashboard reads it,
//! and `yamori publish` turns the file into STIX for the local hub.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use yamori_lab::{self as lab, Emu, LabLog};
use yamori_store::Store;
use yamori_survey::model::{
    CredentialSource, DeviceId, Evidence, Host, Protocol, Service, SurveyResult, Transport,
    WeakCredential,
};
use yamori_vuln::record::{Cvss, CvssScore};
use yamori_vuln::{Certainty, KevFlag, MatchRule, VulnMatch};

use crate::support::{run_ok, yamori};

fn schema_errors(doc: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/survey-result.v1.json");
    let schema: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("schema file")).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Emulators on loopback, kept running by the returned runtime.
fn emulators(specs: &[&str]) -> (tokio::runtime::Runtime, Vec<u16>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let log = Arc::new(LabLog::default());
    let ports = specs
        .iter()
        .map(|s| {
            let emu = Emu::parse(s).expect("emulator spec");
            rt.block_on(lab::spawn(
                "127.0.0.1".parse().expect("ip"),
                emu,
                log.clone(),
            ))
            .expect("bind emulator")
            .port()
        })
        .collect();
    (rt, ports)
}

#[test]
fn survey_output_matches_its_schema_is_stored_once_and_publishes() {
    let (_rt, ports) = emulators(&["telnet:0:root:xc3511", "http:0:Hikvision-Webs:admin:12345"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let scope = dir.path().join("scope.txt");
    std::fs::write(&scope, "127.0.0.1\n").expect("scope");
    let out = dir.path().join("survey.json");
    let port_list = format!("{}/telnet,{}/http", ports[0], ports[1]);
    let survey = |data: &Path, extra: &[&str]| {
        run_ok(
            yamori()
                .arg("--data-dir")
                .arg(data)
                .args(["survey", "--scope"])
                .arg(&scope)
                .args(["--ports", &port_list, "--contact", "test@example.org"])
                .args(["--rate", "200", "--timeout", "2", "--out"])
                .arg(&out)
                .args(extra),
            0,
        )
    };
    let run = survey(&data, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("stored as survey run"), "{stderr}");

    let text = std::fs::read_to_string(&out).expect("survey.json");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "survey.json vs schema: {errors:#?}");
    let services = doc["hosts"][0]["services"].as_array().expect("services");
    assert_eq!(services.len(), 2, "{doc:#}");
    assert!(services
        .iter()
        .any(|s| s["weak_credential"]["username"] == "root"));

    // Stored as the file's bytes: storing the file again is a no-op.
    let store = Store::open_sqlite(&data.join("yamori.sqlite")).expect("store");
    let again = store.put_survey(&text).expect("put");
    assert!(!again.inserted, "the CLI stored exactly the --out bytes");
    let summary = store.survey_summary().expect("summary");
    assert_eq!((summary.runs, summary.devices), (1, 2));
    assert!(summary.weak_credentials >= 1);
    drop(store);

    // `yamori publish` reads the survey file (told apart by its schema field).
    run_ok(
        yamori()
            .arg("--data-dir")
            .arg(&data)
            .arg("publish")
            .arg(&out)
            .args(["--org", "Example CSIRT", "--local"]),
        0,
    );
    let store = Store::open_sqlite(&data.join("yamori.sqlite")).expect("store");
    let collection = store
        .taxii_collection("api1", "survey")
        .expect("query")
        .expect("the survey collection was created");
    let page = store
        .taxii_query(&yamori_store::taxii::ObjectQuery::new(&collection.id, 1000))
        .expect("objects");
    assert!(page
        .objects
        .iter()
        .any(|o| o.id.starts_with("infrastructure--")));

    // --no-store leaves the data directory alone.
    let bare = dir.path().join("bare");
    survey(&bare, &["--no-store", "--no-vulns"]);
    assert!(!bare.join("yamori.sqlite").exists());
}

/// Every field of the model (including the vulnerability match, which the lab cannot produce
/// without a vulnerability database) against the schema.
#[test]
fn every_field_of_the_model_matches_the_schema() {
    let t = time::OffsetDateTime::from_unix_timestamp(1_763_600_000).expect("time");
    let mut r = SurveyResult::new(vec!["198.51.100.0/24".into()], t);
    r.targets = 256;
    let rule = MatchRule {
        configuration: 0,
        node: 1,
        criteria: "cpe:2.3:o:hikvision:firmware:*:*:*:*:*:*:*:*".into(),
        range: "< 5.5.800".into(),
        device_cpe: "cpe:2.3:o:hikvision:firmware:5.5.0:*:*:*:*:*:*:*".into(),
    };
    let mut s = Service::new(80, Transport::Tcp, Protocol::Http);
    s.banner = "HTTP/1.1 401 Unauthorized\r\n".into();
    s.fields.insert("server".into(), "Hikvision-Webs".into());
    s.device = Some(DeviceId {
        vendor: "Hikvision".into(),
        product: "DS-2CD2026G2-IU".into(),
        version: Some("5.5.0".into()),
        device_type: "camera".into(),
        cpe: Some("cpe:2.3:h:hikvision:ds-2cd2026g2-iu:5.5.0:*:*:*:*:*:*:*".into()),
        rule_id: "hikvision-web".into(),
    });
    s.weak_credential = Some(WeakCredential {
        username: "admin".into(),
        password_masked: "12***".into(),
        source: CredentialSource::Vendor,
    });
    s.evidence.push(Evidence {
        time: t,
        source: "192.0.2.1:40000".into(),
        destination: "198.51.100.9:80".into(),
        action: "login http user=admin".into(),
    });
    s.vulnerabilities = vec![
        VulnMatch {
            id: "CVE-2021-36260".into(),
            source: "nvd".into(),
            certainty: Certainty::Affected,
            unknown_reason: None,
            kev: Some(KevFlag {
                date_added: "2022-01-10".into(),
                due_date: "2022-01-24".into(),
                required_action: "Apply updates.".into(),
                ransomware_use: "Known".into(),
            }),
            cvss: Some(Cvss {
                version: "3.1".into(),
                score: CvssScore(98),
                severity: "CRITICAL".into(),
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            }),
            summary: "Command injection.".into(),
            rule: rule.clone(),
            platform: vec![rule.clone()],
        },
        VulnMatch {
            id: "OSV-2024-1".into(),
            source: "osv".into(),
            certainty: Certainty::Unknown,
            unknown_reason: Some("no version captured".into()),
            kev: None,
            cvss: None,
            summary: String::new(),
            rule,
            platform: vec![],
        },
    ];
    r.hosts.push(Host {
        address: "198.51.100.9".parse().expect("ip"),
        services: vec![s, Service::new(5683, Transport::Udp, Protocol::Coap)],
    });
    r.hosts.push(Host {
        address: "2001:db8::1".parse().expect("ip"),
        services: vec![Service::new(23, Transport::Tcp, Protocol::Telnet)],
    });
    let doc = serde_json::to_value(&r).expect("serialise");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");

    // The schema is closed where the model is: an unknown field or a bad enum is refused.
    let mut extra = doc.clone();
    extra["hosts"][0]["services"][0]["device"]["colour"] = "red".into();
    assert!(!schema_errors(&extra).is_empty());
    let mut bad = doc;
    bad["hosts"][0]["services"][0]["transport"] = "sctp".into();
    assert!(!schema_errors(&bad).is_empty());
}
