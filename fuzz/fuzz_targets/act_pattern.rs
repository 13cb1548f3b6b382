//! The exports' pattern reader and value checks never panic; every value they accept is one
//! a list can hold (checked again through the writers' own parse).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(comparisons) = yamori_act::pattern::literal_values(text) {
        assert!(!comparisons.is_empty());
        for c in comparisons {
            if let Ok(o) = yamori_act::observable::parse(c.object_type, &c.value) {
                assert_eq!(o.stix_type(), c.object_type);
                assert!(!o.text().is_empty());
            }
        }
    }
    let _ = yamori_act::observable::dns_name(text);
});
