//! The decoy's HTTP side on any bytes, fed in two pieces: no panic, at most one answer, an
//! answer is an HTTP/1.1 status line, and nothing is said after the connection ended.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_decoy::http::{injected_commands, parse_head, url_decode, HttpSession};
use yamori_decoy::profile::CAMERA;

fuzz_target!(|data: &[u8]| {
    let (mut s, _) = HttpSession::new(&CAMERA);
    let (a, b) = data.split_at(data.len() / 2);
    let first = s.feed(a);
    let second = s.feed(b);
    if first.end.is_some() {
        assert!(second.send.is_empty() && second.details.is_empty());
    }
    for step in [&first, &second] {
        if !step.send.is_empty() {
            assert!(step.send.starts_with(b"HTTP/1.1 "));
        }
    }
    let _ = parse_head(data);
    let text = String::from_utf8_lossy(data);
    assert!(url_decode(&text).len() <= text.len() + text.len() * 2);
    assert!(injected_commands(&text).len() <= 8);
});
