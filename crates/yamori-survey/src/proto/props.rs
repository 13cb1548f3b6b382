//! Property tests: every reply parser takes arbitrary bytes without panicking, and keeps its
//! outputs within their named bounds.

use proptest::prelude::*;

use super::{coap, digest, head, http, modbus, mqtt, ssdp, telnet};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn telnet_decoder_never_panics_and_output_is_bounded(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let mut d = telnet::Decoder::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        let total: usize = chunks.iter().map(Vec::len).sum();
        for c in &chunks {
            d.feed(c, &mut text, &mut reply);
        }
        prop_assert!(text.len() <= total);
        // One 3-byte refusal per DO/WILL, each consuming 3 input bytes.
        prop_assert!(reply.len() <= total);
        prop_assert!(reply.len() % 3 == 0);
        let _ = telnet::classify_login(&text);
        let _ = telnet::is_login_prompt(&text);
    }

    #[test]
    fn head_parser_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
        if let Some(h) = head::parse(&raw) {
            prop_assert!(h.headers.len() <= head::MAX_HEADERS);
            prop_assert!(h.headers.iter().all(|(_, v)| v.chars().count() <= head::MAX_HEADER_VALUE));
            prop_assert!(h.body_offset.is_none_or(|o| o <= raw.len()));
        }
        let _ = http::fields(&raw);
        let _ = http::auth_challenge(&raw);
        let _ = ssdp::parse_reply(&raw);
        let _ = head::parse_request_auth(&raw);
    }

    #[test]
    fn http_like_text_never_panics(s in "(HTTP/1\\.[01] [0-9]{3} [a-zA-Z ]{0,10}\r?\n)([A-Za-z-]{1,12}: [ -~]{0,40}\r?\n){0,10}(\r?\n)?(<[tT][iI][tT][lL][eE]>[ -~]{0,30}(</title>)?)?") {
        let f = http::fields(s.as_bytes());
        prop_assert!(f.is_some());
        if let Some(t) = f.and_then(|f| f.into_iter().find(|(k, _)| *k == "title")) {
            prop_assert!(t.1.chars().count() <= http::MAX_TITLE);
        }
    }

    #[test]
    fn challenge_parser_never_panics(s in "[ -~]{0,200}") {
        if let Some(ch) = digest::parse_challenge(&s) {
            prop_assert!(ch.params.len() <= 33);
            let _ = digest::digest(&ch, "GET", "/", "u", "p", "c");
            let _ = digest::verify_digest(&s, "GET", "p");
        }
    }

    #[test]
    fn mqtt_connack_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        match mqtt::parse_connack(&raw) {
            Ok(mqtt::Connack::Code(_)) => prop_assert!(raw.len() >= 4),
            Ok(mqtt::Connack::Incomplete) => prop_assert!(raw.len() < mqtt::MAX_REPLY_PACKET + 5),
            Err(_) => {}
        }
    }

    #[test]
    fn coap_and_modbus_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = coap::parse(&raw) {
            prop_assert!(m.token.len() <= 8);
            prop_assert!(m.payload.len() <= raw.len());
        }
        let _ = modbus::parse(&raw);
    }
}
