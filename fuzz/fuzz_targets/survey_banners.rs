//! yamori-survey reply parsers must never panic: the first byte picks the parser (telnet IAC,
//! HTTP head/fields, MQTT CONNACK, CoAP, SSDP, Modbus, WWW-Authenticate, a raw-socket reply to
//! the SYN sweep), the rest is the reply.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_survey::net::syn;
use yamori_survey::proto::{coap, digest, head, http, modbus, mqtt, ssdp, telnet};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 8 {
        0 => {
            let mut d = telnet::Decoder::default();
            let (mut text, mut reply) = (Vec::new(), Vec::new());
            d.feed(rest, &mut text, &mut reply);
            assert!(text.len() <= rest.len() && reply.len() <= rest.len());
            let _ = telnet::classify_login(&text);
        }
        1 => {
            if let Some(h) = head::parse(rest) {
                assert!(h.headers.len() <= head::MAX_HEADERS);
            }
            let _ = http::fields(rest);
            let _ = http::auth_challenge(rest);
        }
        2 => {
            let _ = mqtt::parse_connack(rest);
        }
        3 => {
            if let Ok(m) = coap::parse(rest) {
                assert!(m.token.len() <= 8);
            }
        }
        4 => {
            let _ = ssdp::parse_reply(rest);
        }
        5 => {
            let _ = modbus::parse(rest);
        }
        6 => {
            static COOKIE: std::sync::OnceLock<syn::Cookie> = std::sync::OnceLock::new();
            let cookie = COOKIE.get_or_init(syn::Cookie::default);
            let _ = syn::classify(rest, cookie.source_port(), cookie);
        }
        _ => {
            if let Some(ch) = digest::parse_challenge(&String::from_utf8_lossy(rest)) {
                let _ = digest::digest(&ch, "GET", "/", "u", "p", "c");
            }
        }
    }
});
