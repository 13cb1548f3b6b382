//! `yamori_intel::validate_object` and the STIX pattern checker must never panic, and must give
//! a verdict for anything that parses as JSON (the hub runs them on every POSTed object).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Err(issues) = yamori_intel::validate_object(&value) {
            assert!(!issues.is_empty());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = yamori_intel::validate::pattern::check(text);
    }
});
