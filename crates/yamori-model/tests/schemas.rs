//! The model's types serialise to documents their JSON Schemas (`schemas/`) accept, and the
//! schema ids the types write are the ones the schemas require.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use yamori_model::survey::{
    mask_password, CredentialSource, DeviceId, Host, Protocol, Service, SurveyResult, Transport,
    WeakCredential, SCHEMA_ID,
};
use yamori_model::telescope::{
    Attack, MinuteCounts, PortCount, Report, ScanKind, SourceSummary, Tool, SCHEMA,
};
use yamori_model::vuln::{Certainty, Cvss, CvssScore, KevFlag, MatchRule, VulnMatch};

fn check(schema_file: &str, doc: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(schema_file);
    let schema: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("schema file")).expect("schema json");
    assert_eq!(
        schema["properties"]["schema"]["const"], doc["schema"],
        "{schema_file}: the schema id"
    );
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn source() -> SourceSummary {
    SourceSummary {
        address: "192.0.2.1".into(),
        packets: 10,
        bytes: 600,
        first_seen: "2026-11-20T00:00:00Z".into(),
        last_seen: "2026-11-20T00:00:59Z".into(),
        destinations: 10,
        destination_ports: 1,
        top_ports: vec![PortCount {
            port: 23,
            packets: 10,
        }],
        ttl_min: 50,
        ttl_max: 60,
        syn_probes: 10,
        fingerprint_matches: BTreeMap::from([("mirai".into(), 10)]),
        tool: Tool::Mirai,
        scan: Some(ScanKind::Horizontal),
        scanner_windows: vec!["2026-11-20T00:00:00Z".into()],
        country: Some("JP".into()),
        asn: Some(64_500),
        as_org: None,
        location: None,
    }
}

#[test]
fn a_report_matches_its_schema() {
    let report = Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some("2026-11-20T00:00:00.5Z".into()),
        last_packet: Some("2026-11-20T00:00:59Z".into()),
        timeseries: vec![MinuteCounts {
            minute: "2026-11-20T00:00:00Z".into(),
            counts: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }],
        top_sources: vec![source()],
        scanners: vec![source()],
        attacks: vec![Attack {
            victim: "198.51.100.9".into(),
            start: "2026-11-20T00:00:00Z".into(),
            end: "2026-11-20T00:00:30Z".into(),
            packets: 100,
            peak_pps: 5.0,
            mean_pps: 3.3,
            ports: vec![],
            darknet_destinations: 10,
            kinds: vec!["tcp_synack".into()],
            country: None,
            asn: None,
        }],
        ..Report::default()
    };
    check(
        "telescope-report.v1.json",
        &serde_json::to_value(&report).expect("json"),
    );
}

#[test]
fn a_survey_result_matches_its_schema() {
    let t = time::OffsetDateTime::from_unix_timestamp(1_795_132_800).expect("time");
    let mut r = SurveyResult::new(vec!["198.51.100.0/24".into()], t);
    assert_eq!(r.schema, SCHEMA_ID);
    let mut s = Service::new(23, Transport::Tcp, Protocol::Telnet);
    s.banner = "login: ".into();
    s.device = Some(DeviceId {
        vendor: "Hikvision".into(),
        product: "DS-2CD".into(),
        version: Some("5.4".into()),
        device_type: "camera".into(),
        cpe: Some("cpe:2.3:h:hikvision:ds-2cd:5.4:*:*:*:*:*:*:*".into()),
        rule_id: "hikvision-telnet".into(),
    });
    s.weak_credential = Some(WeakCredential {
        username: "root".into(),
        password_masked: mask_password("xc3511"),
        source: CredentialSource::MiraiList,
    });
    let rule = MatchRule {
        configuration: 0,
        node: 0,
        criteria: "cpe:2.3:h:hikvision:ds-2cd:*:*:*:*:*:*:*:*".into(),
        range: "all versions".into(),
        device_cpe: "cpe:2.3:h:hikvision:ds-2cd:5.4:*:*:*:*:*:*:*".into(),
    };
    s.vulnerabilities.push(VulnMatch {
        id: "CVE-2021-36260".into(),
        source: "nvd".into(),
        certainty: Certainty::Affected,
        unknown_reason: None,
        kev: Some(KevFlag {
            date_added: "2022-01-10".into(),
            due_date: "2022-01-24".into(),
            required_action: "patch".into(),
            ransomware_use: "Unknown".into(),
        }),
        cvss: Some(Cvss {
            version: "3.1".into(),
            score: CvssScore(98),
            severity: "CRITICAL".into(),
            vector: String::new(),
        }),
        summary: "command injection".into(),
        rule,
        platform: vec![],
    });
    r.hosts.push(Host {
        address: "198.51.100.9".parse().expect("address"),
        services: vec![s],
    });
    r.targets = 256;
    check(
        "survey-result.v1.json",
        &serde_json::to_value(&r).expect("json"),
    );
}
