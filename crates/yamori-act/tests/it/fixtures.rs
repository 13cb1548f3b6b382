//! Indicators as the store keeps them (STIX JSON text), and the selection over them.

use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use yamori_act::{ConfidenceScore, Criteria, Entry, Options, Selection, Skips, Tlp};
use yamori_intel::markings::Tlp2;

/// The time every test exports at.
pub const NOW: OffsetDateTime = datetime!(2026-12-01 00:00 UTC);

/// An indicator with `pattern`; `extra` fields are merged over the defaults (valid for 10 days
/// from NOW, confidence 80, TLP:GREEN).
pub fn indicator(n: u32, pattern: &str, extra: Value) -> String {
    let mut v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-11-20T00:00:00.000Z",
        "modified": "2026-11-21T00:00:00.000Z",
        "name": format!("test indicator {n}"),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-20T00:00:00Z",
        "valid_until": "2026-12-11T00:00:00Z",
        "confidence": 80,
        "object_marking_refs": [Tlp2::Green.id()],
    });
    if let (Some(base), Value::Object(over)) = (v.as_object_mut(), extra) {
        for (k, val) in over {
            if val.is_null() {
                base.remove(&k);
            } else {
                base.insert(k, val);
            }
        }
    }
    v.to_string()
}

/// The standard test list: listed and unlisted addresses, an overlap, IPv6, names, a URL, and
/// indicators that must be left out (expired, TLP:RED, low score, malformed).
pub fn standard() -> Vec<String> {
    vec![
        indicator(1, "[ipv4-addr:value = '198.51.100.7']", json!({})),
        // Overlapping and adjacent prefixes: merged into 203.0.113.0/24.
        indicator(2, "[ipv4-addr:value = '203.0.113.0/25']", json!({})),
        indicator(
            3,
            "[ipv4-addr:value = '203.0.113.128/25' OR ipv4-addr:value = '203.0.113.200']",
            json!({"valid_until": "2027-02-01T00:00:00Z"}),
        ),
        indicator(4, "[ipv6-addr:value = '2001:db8::7']", json!({})),
        indicator(
            5,
            "[domain-name:value = 'listed.test']",
            json!({"valid_until": null}),
        ),
        indicator(
            6,
            "[url:value = 'http://malware.test:8080/x.sh']",
            json!({}),
        ),
        // Left out: expired, red, low score, malformed values.
        indicator(
            7,
            "[ipv4-addr:value = '198.51.100.9']",
            json!({"valid_until": "2026-11-30T00:00:00Z"}),
        ),
        indicator(
            8,
            "[ipv4-addr:value = '198.51.100.10']",
            json!({"object_marking_refs": [Tlp2::Red.id()]}),
        ),
        indicator(
            9,
            "[ipv4-addr:value = '198.51.100.11']",
            json!({"confidence": 10}),
        ),
        indicator(10, "[ipv4-addr:value = '2001:db8::1']", json!({})),
        indicator(11, "[domain-name:value = 'bad!name.test']", json!({})),
        indicator(12, "[ipv4-addr:value = '198.51.100.7/24']", json!({})),
    ]
}

pub fn criteria() -> Criteria {
    Criteria {
        now: NOW,
        min_score: 50,
        max_tlp: Tlp::AmberStrict,
        max_age: None,
        types: Vec::new(),
        warninglists: None,
    }
}

pub fn select(objects: &[String]) -> (Vec<Entry>, yamori_act::Objects, Skips) {
    let mut s = Selection::new(criteria(), &ConfidenceScore, true);
    for o in objects {
        s.push(o);
    }
    let done = s.finish();
    (done.entries, done.objects, done.skips)
}

pub fn options() -> Options {
    Options {
        list_name: "block".into(),
        collection: "telescope".into(),
        now: NOW,
        rpz_zone: "rpz.yamori".into(),
        rpz_serial: None,
        org_name: "Yamori test".into(),
    }
}

/// The export of `objects` in `format` as text.
pub fn export(format: yamori_act::Format, objects: &[String]) -> (String, yamori_act::Written) {
    let (entries, selected, _) = select(objects);
    let mut out = Vec::new();
    let written =
        yamori_act::write(format, &entries, &selected, &options(), &mut out).expect("write");
    (String::from_utf8(out).expect("utf-8"), written)
}
