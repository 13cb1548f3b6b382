//! The reader must never panic or grow without bound on any byte stream, and every record it
//! delivers must decode without panicking. Also checks its promises: offsets increase, no
//! record exceeds MAX_CAPLEN, an error is not located before the last delivered record, and the
//! reader is fused after an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_wire::{decode, CaptureReader, MAX_CAPLEN};

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = CaptureReader::from_read("fuzz", std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut last = None;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                assert!(rec.data.len() <= MAX_CAPLEN as usize);
                assert!(last.is_none_or(|o| rec.offset > o));
                last = Some(rec.offset);
                let _ = decode(rec.link, rec.ts_ns, rec.data);
            }
            Ok(None) => break,
            Err(e) => {
                assert!(last.is_none_or(|o| e.offset >= o));
                assert!(matches!(r.next_record(), Ok(None)));
                break;
            }
        }
    }
});
