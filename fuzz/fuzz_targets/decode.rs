//! `decode` must never panic: link type from the first 2 bytes (big-endian), frame = the rest.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [a, b, frame @ ..] = data {
        let link = yamori_wire::LinkType(u32::from(u16::from_be_bytes([*a, *b])));
        if let Ok(p) = yamori_wire::decode(link, 1, frame) {
            assert_eq!(p.ts_ns, 1);
        }
    }
});
