//! A hub's check of a message from NATS never panics, and a message it accepts encodes back to
//! a message it accepts with the same sensor, minute and report.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_bus::message::{decode, DEFAULT_MAX_MESSAGE_BYTES};

fuzz_target!(|data: &[u8]| {
    // The first line is the subject, the rest the payload.
    let (subject, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"yamori.minutes.s1"[..], data),
    };
    let subject = String::from_utf8_lossy(subject);
    let Ok(m) = decode(&subject, payload, DEFAULT_MAX_MESSAGE_BYTES, None) else {
        return;
    };
    let again = decode(&subject, &m.encode(), usize::MAX, None).expect("an accepted message re-encodes");
    assert_eq!((again.sensor_id, again.minute_s), (m.sensor_id.clone(), m.minute_s));
    assert_eq!(again.report.get(), m.report.get());
    let _ = m.msg_id(payload);
});
