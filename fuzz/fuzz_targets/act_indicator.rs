//! The exports' borrowed reading of a stored object never panics, reads every text that
//! `serde_json` reads as a value, and reads its members as that value has them (the last of
//! repeated names). It may read a little more: members it skips are not converted, so a
//! number too large for a float in one of them is no error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let view = yamori_act::Indicator::parse(text);
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let o = view.expect("the view reads every JSON value");
    assert_eq!(o.id.as_str(), value.get("id").and_then(|v| v.as_str()));
    assert_eq!(o.pattern.as_str(), value.get("pattern").and_then(|v| v.as_str()));
    let _ = o.tlp();
});
