//! The decoy's telnet side on any bytes: the option negotiator never panics, passes on no
//! more data than it was given and answers only with whole three-byte commands; a whole
//! session fed the same bytes in two pieces never speaks after it has ended.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_decoy::profile::DVR;
use yamori_decoy::session::TelnetSession;
use yamori_decoy::telnet::{Negotiator, IAC};

fuzz_target!(|data: &[u8]| {
    let mut n = Negotiator::new();
    let (mut text, mut reply) = (Vec::new(), Vec::new());
    n.feed(data, &mut text, &mut reply);
    assert!(text.len() <= data.len());
    assert_eq!(reply.len() % 3, 0);
    assert!(reply.chunks(3).all(|c| c[0] == IAC && (251..=254).contains(&c[1])));

    let (mut s, _) = TelnetSession::new(&DVR, 512);
    let (a, b) = data.split_at(data.len() / 2);
    let first = s.feed(a);
    let second = s.feed(b);
    if first.end.is_some() {
        assert!(second.send.is_empty() && second.details.is_empty());
    }
    let _ = s.finish();
});
