//! Rewriting an object before it is shared never panics; with every address withheld, no
//! string it shares (outside the properties never rewritten, such as a pattern) holds four
//! dot-separated numbers up to 255 — checked by a scan written here, independent of the
//! finder under test — and it reports no shared host; with Crypto-PAn the rewrite is
//! deterministic.
#![no_main]
use std::collections::{HashMap, HashSet};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use yamori_intel::anonymise::{Anonymiser, Rewritten};

/// Properties the anonymiser may leave as they are (on any object, to be safe).
const LEFT_AS_IS: &[&str] = &[
    "type", "spec_version", "created", "modified", "pattern", "pattern_type",
    "pattern_version", "version", "cpe", "swid", "hashes", "serial_number", "granular_markings",
];

/// Whether `s` holds a dotted quad: whole numbers of 1–3 digits ≤ 255 joined by single dots.
fn has_dotted_quad(s: &str) -> bool {
    let b = s.as_bytes();
    for start in 0..b.len() {
        // Numbers are read whole: "663.99.2.9" does not hold 63.99.2.9.
        if start > 0 && b[start - 1].is_ascii_digit() {
            continue;
        }
        let (mut i, mut parts) = (start, 0);
        loop {
            let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 3 {
                break;
            }
            let n: u32 = s[i..i + digits].parse().unwrap_or(999);
            if n > 255 {
                break;
            }
            parts += 1;
            i += digits;
            if parts == 4 {
                return true;
            }
            if b.get(i) != Some(&b'.') {
                break;
            }
            i += 1;
        }
    }
    false
}

fn check(v: &Value, key: Option<&str>) {
    if key.is_some_and(|k| LEFT_AS_IS.contains(&k)) {
        return;
    }
    match v {
        Value::String(s) => assert!(!has_dotted_quad(s), "{s:?} shared"),
        Value::Array(items) => items.iter().for_each(|i| check(i, None)),
        Value::Object(map) => {
            for (k, v) in map {
                assert!(!has_dotted_quad(k), "key {k:?} shared");
                check(v, Some(k));
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(obj) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let keep = HashSet::new();
    let none = Anonymiser::new(&keep, &|_| None, uuid::Uuid::nil());
    if let Rewritten::Shared(out) = none.rewrite(&obj, &HashMap::new()) {
        assert!(out.hosts.is_empty());
        check(&out.object, None);
    }
    let pan = yamori_trust::CryptoPan::new(&[7; 32]);
    let map = |n: ipnet::IpNet| ipnet::IpNet::new(pan.anonymize(n.addr()), n.prefix_len()).ok();
    let pseudonyms = Anonymiser::new(&keep, &map, uuid::Uuid::nil());
    assert_eq!(
        pseudonyms.rewrite(&obj, &HashMap::new()),
        pseudonyms.rewrite(&obj, &HashMap::new())
    );
});
