//! Conversion of a telescope report: conformance (ours and OASIS), determinism, content.

use serde_json::Value;
use yamori_intel::ids::value_sco_id;
use yamori_intel::markings::Tlp2;
use yamori_intel::telescope::{CONFIDENCE_FINGERPRINTED, CONFIDENCE_THRESHOLD_ONLY};
use yamori_intel::{
    telescope_bundle, telescope_bundle_with, validate_object, ConvertError, Options, OrgIdentity,
};

use crate::oasis::{self, Mode};
use crate::sample;

fn org() -> OrgIdentity {
    OrgIdentity {
        name: "Example Telescope Org".into(),
        contact_information: Some("noc@example.org".into()),
    }
}

fn objects_of<'a>(bundle: &'a Value, t: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == t)
        .collect()
}

fn by_id<'a>(bundle: &'a Value, id: &str) -> &'a Value {
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in bundle"))
}

fn bundle_json(options: &Options) -> Value {
    let bundle =
        telescope_bundle_with(&sample::report(), &org(), options).expect("sample converts");
    serde_json::to_value(&bundle).expect("bundle serialises")
}

#[test]
fn generated_bundle_passes_our_validator_and_oasis_strict() {
    for options in [
        Options::default(),
        Options {
            marking: Some(Tlp2::Amber),
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
        let path = dir.path().join("bundle.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&bundle).expect("json"))
            .expect("write bundle");
        if let Some(verdicts) = oasis::validate(std::slice::from_ref(&path), Mode::Bundle) {
            assert!(
                verdicts[0].valid,
                "stix2-validator --strict --disable 103: {:?}",
                verdicts[0].messages
            );
            assert!(
                verdicts[0].messages.is_empty(),
                "{:?}",
                verdicts[0].messages
            );
        }
        // With check 103 on, the only complaints are our deliberate UUIDv5 SDO ids.
        if let Some(verdicts) = oasis::validate(&[path], Mode::All) {
            let messages = &verdicts[0].messages;
            assert!(
                !verdicts[0].valid && !messages.is_empty(),
                "103 should flag UUIDv5 SDO ids"
            );
            assert!(
                messages
                    .iter()
                    .all(|m| m.contains("is not a valid UUIDv4 ID")),
                "unexpected: {messages:?}"
            );
        }
    }
}

#[test]
fn same_report_gives_identical_bytes() {
    let a = serde_json::to_vec(&telescope_bundle(&sample::report(), &org()).expect("converts"))
        .expect("json");
    let b = serde_json::to_vec(&telescope_bundle(&sample::report(), &org()).expect("converts"))
        .expect("json");
    assert_eq!(a, b);
    let mut changed = sample::report();
    changed.scanners[1].packets += 1;
    let c = telescope_bundle(&changed, &org()).expect("converts");
    let first = telescope_bundle(&sample::report(), &org()).expect("converts");
    assert_ne!(first.id, c.id, "another analysis is another bundle");
    // Identity and malware do not depend on the analysis: same ids across analyses.
    assert_eq!(first.objects[0]["id"], c.objects[0]["id"]);
}

#[test]
fn indicators_carry_patterns_windows_and_confidence() {
    let bundle = bundle_json(&Options::default());
    let indicators = objects_of(&bundle, "indicator");
    assert_eq!(indicators.len(), 5, "one per scanner source");
    let mirai = indicators
        .iter()
        .find(|i| i["pattern"] == "[ipv4-addr:value = '198.51.100.7']")
        .expect("mirai indicator");
    assert_eq!(mirai["indicator_types"][0], "malicious-activity");
    assert_eq!(mirai["confidence"], CONFIDENCE_FINGERPRINTED);
    assert_eq!(mirai["valid_from"], "2026-11-20T01:02:03.123Z");
    assert_eq!(
        mirai["valid_until"], "2026-11-27T05:00:00.500Z",
        "last seen + 7 days"
    );
    assert_eq!(
        mirai["created"], "2026-11-20T06:00:00.987Z",
        "last packet, not the wall clock"
    );
    let unknown = indicators
        .iter()
        .find(|i| i["pattern"] == "[ipv4-addr:value = '198.51.100.10']")
        .expect("threshold-only");
    assert_eq!(unknown["confidence"], CONFIDENCE_THRESHOLD_ONLY);
    assert_eq!(unknown["indicator_types"][0], "anomalous-activity");
    assert!(indicators
        .iter()
        .any(|i| i["pattern"] == "[ipv6-addr:value = '2001:db8::7']"));
}

#[test]
fn sightings_link_indicator_identity_and_observed_data() {
    let bundle = bundle_json(&Options::default());
    let identity = objects_of(&bundle, "identity")[0]["id"]
        .as_str()
        .expect("identity id")
        .to_string();
    let sightings = objects_of(&bundle, "sighting");
    assert_eq!(sightings.len(), 5);
    for s in &sightings {
        assert_eq!(s["where_sighted_refs"][0], identity.as_str());
        let indicator = by_id(&bundle, s["sighting_of_ref"].as_str().expect("ref"));
        assert_eq!(indicator["type"], "indicator");
        let observed = by_id(&bundle, s["observed_data_refs"][0].as_str().expect("ref"));
        let sco = by_id(&bundle, observed["object_refs"][0].as_str().expect("ref"));
        assert!(indicator["pattern"]
            .as_str()
            .expect("pattern")
            .contains(sco["value"].as_str().expect("value")));
    }
    let big = sightings
        .iter()
        .find(|s| {
            by_id(&bundle, s["sighting_of_ref"].as_str().expect("ref"))["pattern"]
                == "[ipv4-addr:value = '198.51.100.10']"
        })
        .expect("big source");
    assert_eq!(big["count"], 999_999_999, "capped to the STIX maximum");
}

#[test]
fn fingerprinted_tools_are_related() {
    let bundle = bundle_json(&Options::default());
    let malware = objects_of(&bundle, "malware");
    assert_eq!(malware.len(), 1);
    assert_eq!(malware[0]["name"], "Mirai");
    assert_eq!(malware[0]["is_family"], true);
    let tools: Vec<&str> = objects_of(&bundle, "tool")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(tools, ["ZMap", "masscan"]);
    let relationships = objects_of(&bundle, "relationship");
    assert_eq!(relationships.len(), 3);
    let to_mirai = relationships
        .iter()
        .find(|r| r["target_ref"] == malware[0]["id"])
        .expect("indicates Mirai");
    assert_eq!(to_mirai["relationship_type"], "indicates");
    assert_eq!(
        by_id(&bundle, to_mirai["source_ref"].as_str().expect("ref"))["pattern"],
        "[ipv4-addr:value = '198.51.100.7']"
    );
}

#[test]
fn ddos_victims_get_observed_data_and_a_note_not_an_indicator() {
    let bundle = bundle_json(&Options::default());
    let victim_sco = value_sco_id("ipv4-addr", "192.0.2.50").expect("id");
    assert!(!objects_of(&bundle, "indicator")
        .iter()
        .any(|i| i["pattern"].as_str().expect("p").contains("192.0.2.50")));
    let notes = objects_of(&bundle, "note");
    assert_eq!(notes.len(), 1);
    assert!(notes[0]["content"]
        .as_str()
        .expect("content")
        .contains("40000 backscatter packets"));
    let observed = by_id(&bundle, notes[0]["object_refs"][0].as_str().expect("ref"));
    assert_eq!(observed["object_refs"][0], victim_sco.as_str());
    assert_eq!(observed["number_observed"], 40_000);
}

#[test]
fn markings_apply_to_everything_and_are_included() {
    let bundle = bundle_json(&Options {
        marking: Some(Tlp2::Red),
    });
    let objects = bundle["objects"].as_array().expect("objects");
    assert!(objects.iter().any(|o| o["id"] == Tlp2::Red.id()));
    for o in objects.iter().filter(|o| o["type"] != "marking-definition") {
        assert_eq!(o["object_marking_refs"][0], Tlp2::Red.id(), "{}", o["id"]);
    }
}

#[test]
fn bad_reports_are_errors_naming_the_field() {
    let mut r = sample::report();
    r.scanners[2].address = "not-an-ip".into();
    let e = telescope_bundle(&r, &org()).expect_err("bad address");
    assert_eq!(
        e,
        ConvertError::BadAddress {
            field: "scanners[2].address".into(),
            value: "not-an-ip".into()
        }
    );
    let mut r = sample::report();
    r.attacks[0].end = "yesterday".into();
    assert!(
        matches!(telescope_bundle(&r, &org()), Err(ConvertError::BadTime { field, .. }) if field == "attacks[0].end")
    );
    let empty = OrgIdentity {
        name: " ".into(),
        contact_information: None,
    };
    assert_eq!(
        telescope_bundle(&sample::report(), &empty).expect_err("empty org"),
        ConvertError::EmptyOrganisation
    );
}
