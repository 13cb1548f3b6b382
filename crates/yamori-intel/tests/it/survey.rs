//! Conversion of a survey result: conformance (ours and OASIS), determinism, content.

use serde_json::Value;
use time::OffsetDateTime;
use yamori_intel::ids::value_sco_id;
use yamori_intel::markings::Tlp2;
use yamori_intel::{survey_bundle, validate_object, ConvertError, Options, OrgIdentity};
use yamori_model::survey::{
    CredentialSource, DeviceId, Host, Protocol, Service, SurveyResult, Transport, WeakCredential,
};
use yamori_model::vuln::{Certainty, KevFlag, MatchRule, VulnMatch};
use yamori_model::vuln::{Cvss, CvssScore};

use crate::oasis::{self, Mode};

fn org() -> OrgIdentity {
    OrgIdentity {
        name: "Example Survey CSIRT".into(),
        contact_information: Some("csirt@example.org".into()),
    }
}

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_763_600_000 + s).expect("valid time")
}

fn vuln(id: &str, kev: bool, score: Option<u8>) -> VulnMatch {
    VulnMatch {
        id: id.into(),
        source: if id.starts_with("CVE-") { "nvd" } else { "osv" }.into(),
        certainty: Certainty::Affected,
        unknown_reason: None,
        kev: kev.then(|| KevFlag {
            date_added: "2021-11-03".into(),
            due_date: "2022-05-03".into(),
            required_action: "Apply updates per vendor instructions.".into(),
            ransomware_use: "Known".into(),
        }),
        cvss: score.map(|s| Cvss {
            version: "3.1".into(),
            score: CvssScore(s),
            severity: "CRITICAL".into(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
        }),
        summary: "Command injection in the web server.".into(),
        rule: MatchRule {
            configuration: 0,
            node: 0,
            criteria: "cpe:2.3:o:hikvision:ds-2cd2026g2-iu_firmware:*:*:*:*:*:*:*:*".into(),
            range: "< 5.5.800".into(),
            device_cpe: "cpe:2.3:o:hikvision:ds-2cd2026g2-iu_firmware:5.5.0:*:*:*:*:*:*:*".into(),
        },
        platform: vec![],
    }
}

/// A camera with two vulnerabilities, a router with a weak telnet password, an IPv6 host
/// with an unidentified weak MQTT broker, and a plain service that yields nothing.
pub fn result() -> SurveyResult {
    let mut r = SurveyResult::new(vec!["198.51.100.0/24".into(), "2001:db8::/64".into()], t(0));
    r.finished = t(3600);
    r.targets = 256;
    let mut camera = Service::new(80, Transport::Tcp, Protocol::Http);
    camera.device = Some(DeviceId {
        vendor: "Hikvision".into(),
        product: "DS-2CD2026G2-IU".into(),
        version: Some("5.5.0".into()),
        device_type: "camera".into(),
        cpe: Some("cpe:2.3:h:hikvision:ds-2cd2026g2-iu:5.5.0:*:*:*:*:*:*:*".into()),
        rule_id: "hikvision-web".into(),
    });
    camera.vulnerabilities = vec![
        vuln("CVE-2021-36260", true, Some(98)),
        vuln("GHSA-xxxx-yyyy-zzzz", false, None),
    ];
    let mut router = Service::new(23, Transport::Tcp, Protocol::Telnet);
    router.device = Some(DeviceId {
        vendor: "ZTE".into(),
        product: "F660".into(),
        version: None,
        device_type: "router".into(),
        cpe: None,
        rule_id: "zte-telnet".into(),
    });
    router.weak_credential = Some(WeakCredential {
        username: "root".into(),
        password_masked: "Zt*******".into(),
        source: CredentialSource::MiraiList,
    });
    let mut broker = Service::new(1883, Transport::Tcp, Protocol::Mqtt);
    broker.weak_credential = Some(WeakCredential {
        username: "admin".into(),
        password_masked: "pa******".into(),
        source: CredentialSource::Vendor,
    });
    let plain = Service::new(22, Transport::Tcp, Protocol::Ssh);
    let camera2 = {
        let mut s = camera.clone();
        s.port = 8080;
        s
    };
    r.hosts = vec![
        Host {
            address: "198.51.100.9".parse().expect("literal"),
            services: vec![plain, camera, camera2],
        },
        Host {
            address: "198.51.100.10".parse().expect("literal"),
            services: vec![router],
        },
        Host {
            address: "2001:db8::7".parse().expect("literal"),
            services: vec![broker],
        },
    ];
    r
}

fn bundle_json(options: &Options) -> Value {
    let bundle = survey_bundle(&result(), &org(), options).expect("sample converts");
    serde_json::to_value(&bundle).expect("bundle serialises")
}

fn objects_of<'a>(bundle: &'a Value, t: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == t)
        .collect()
}

fn relationships<'a>(bundle: &'a Value, from: &str, kind: &str) -> Vec<&'a str> {
    objects_of(bundle, "relationship")
        .into_iter()
        .filter(|r| r["source_ref"] == from && r["relationship_type"] == kind)
        .map(|r| r["target_ref"].as_str().expect("target_ref"))
        .collect()
}

#[test]
fn survey_bundle_passes_our_validator_and_oasis_strict() {
    for options in [
        Options::default(),
        Options {
            marking: Some(Tlp2::Red),
        },
    ] {
        let bundle = bundle_json(&options);
        if let Err(issues) = validate_object(&bundle) {
            panic!(
                "our validator: {:?}",
                issues.iter().map(ToString::to_string).collect::<Vec<_>>()
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("survey-bundle.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&bundle).expect("json"))
            .expect("write bundle");
        if let Some(verdicts) = oasis::validate(&[path], Mode::Bundle) {
            assert!(
                verdicts[0].valid && verdicts[0].messages.is_empty(),
                "stix2-validator --strict --disable 103: {:?}",
                verdicts[0].messages
            );
        }
    }
}

#[test]
fn same_result_gives_identical_bytes_and_ids_differ_by_org() {
    let a = serde_json::to_vec(&bundle_json(&Options::default())).expect("json");
    let b = serde_json::to_vec(&bundle_json(&Options::default())).expect("json");
    assert_eq!(a, b);
    let other = OrgIdentity {
        name: "Another Org".into(),
        contact_information: None,
    };
    let c = survey_bundle(&result(), &other, &Options::default()).expect("converts");
    assert_ne!(c.id, bundle_json(&Options::default())["id"]);
}

#[test]
fn devices_become_infrastructure_with_address_software_and_vulnerabilities() {
    let bundle = bundle_json(&Options::default());
    let infra = objects_of(&bundle, "infrastructure");
    let names: Vec<&str> = infra
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "Hikvision DS-2CD2026G2-IU at 198.51.100.9:80",
            "Hikvision DS-2CD2026G2-IU at 198.51.100.9:8080",
            "ZTE F660 at 198.51.100.10:23",
            "mqtt service at [2001:db8::7]:1883",
        ],
        "the plain SSH service has nothing to report"
    );
    let camera = infra[0];
    assert_eq!(
        camera["infrastructure_types"],
        serde_json::json!(["unknown"])
    );
    assert_eq!(
        infra[2]["infrastructure_types"],
        serde_json::json!(["routers-switches"])
    );
    assert_eq!(camera["first_seen"], "2025-11-20T00:53:20.000Z");
    assert_eq!(camera["last_seen"], "2025-11-20T01:53:20.000Z");
    let id = camera["id"].as_str().expect("id");
    let parts = relationships(&bundle, id, "consists-of");
    let ip = value_sco_id("ipv4-addr", "198.51.100.9").expect("id");
    assert!(parts.contains(&ip.as_str()), "{parts:?}");
    let software = objects_of(&bundle, "software");
    assert_eq!(
        software.len(),
        2,
        "one per distinct product+version, shared"
    );
    let sw = software
        .iter()
        .find(|s| s["vendor"] == "Hikvision")
        .expect("camera software");
    assert_eq!(sw["name"], "DS-2CD2026G2-IU");
    assert_eq!(sw["version"], "5.5.0");
    assert!(sw["cpe"]
        .as_str()
        .expect("cpe")
        .starts_with("cpe:2.3:h:hikvision"));
    assert!(parts.contains(&sw["id"].as_str().expect("id")));
    // Each address SCO once, though the camera has two services.
    assert_eq!(objects_of(&bundle, "ipv4-addr").len(), 2);
    assert_eq!(objects_of(&bundle, "ipv6-addr").len(), 1);

    let has = relationships(&bundle, id, "has");
    assert_eq!(has.len(), 2);
    let vulns = objects_of(&bundle, "vulnerability");
    assert_eq!(vulns.len(), 2, "shared by both camera services");
    let cve = vulns
        .iter()
        .find(|v| v["name"] == "CVE-2021-36260")
        .expect("CVE");
    assert_eq!(cve["external_references"][0]["source_name"], "cve");
    assert_eq!(
        cve["external_references"][0]["external_id"],
        "CVE-2021-36260"
    );
    let ghsa = vulns
        .iter()
        .find(|v| v["name"] != "CVE-2021-36260")
        .expect("OSV");
    assert_eq!(ghsa["external_references"][0]["source_name"], "osv");
    let has_cve = objects_of(&bundle, "relationship")
        .into_iter()
        .find(|r| r["source_ref"] == id && r["target_ref"] == cve["id"])
        .expect("has CVE");
    let d = has_cve["description"].as_str().expect("description");
    assert!(d.contains("CVSS 3.1 9.8") && d.contains("CISA KEV"), "{d}");
}

#[test]
fn weak_credentials_are_notes_without_the_password() {
    let bundle = bundle_json(&Options::default());
    let notes = objects_of(&bundle, "note");
    assert_eq!(notes.len(), 2);
    let text = serde_json::to_string(&bundle).expect("json");
    assert!(
        !text.contains("Zt*") && !text.contains("pa***"),
        "no password, even masked"
    );
    let router = objects_of(&bundle, "infrastructure")
        .into_iter()
        .find(|i| i["name"] == "ZTE F660 at 198.51.100.10:23")
        .expect("router");
    let note = notes
        .iter()
        .find(|n| n["object_refs"][0] == router["id"])
        .expect("router note");
    let content = note["content"].as_str().expect("content");
    assert!(
        content.contains("\"root\"") && content.contains("Mirai"),
        "{content}"
    );
}

#[test]
fn amber_by_default_and_the_marking_can_be_chosen() {
    for (options, id) in [
        (Options::default(), Tlp2::Amber.id()),
        (
            Options {
                marking: Some(Tlp2::Red),
            },
            Tlp2::Red.id(),
        ),
    ] {
        let bundle = bundle_json(&options);
        for o in bundle["objects"].as_array().expect("objects") {
            if o["type"] == "marking-definition" {
                assert_eq!(o["id"], id);
            } else if o["type"] != "identity" {
                assert_eq!(o["object_marking_refs"], serde_json::json!([id]), "{o}");
            }
        }
    }
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let mut r = result();
    r.finished = t(-1);
    assert_eq!(
        survey_bundle(&r, &org(), &Options::default()).map(|_| ()),
        Err(ConvertError::BadWindow {
            field: "finished".into()
        })
    );
    let nobody = OrgIdentity {
        name: " ".into(),
        contact_information: None,
    };
    assert_eq!(
        survey_bundle(&result(), &nobody, &Options::default()).map(|_| ()),
        Err(ConvertError::EmptyOrganisation)
    );
}
