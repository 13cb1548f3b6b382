//! The decoy's MQTT side on any bytes, fed in two pieces: no panic, and nothing is said
//! after the connection ended.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_decoy::mqtt::MqttSession;
use yamori_decoy::profile::ROUTER;

fuzz_target!(|data: &[u8]| {
    let (mut s, _) = MqttSession::new(&ROUTER);
    let (a, b) = data.split_at(data.len() / 2);
    let first = s.feed(a);
    let second = s.feed(b);
    if first.end.is_some() {
        assert!(second.send.is_empty() && second.details.is_empty());
    }
});
