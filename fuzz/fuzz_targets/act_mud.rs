//! MUD files come from device makers and from the network (a MUD URL a device announces):
//! `yamori_act::mud::parse` must never panic, and a file it accepts must become a ruleset
//! without panicking in which text from the file appears only in comments: every other line
//! starts with a statement the writer itself spells.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_act::gateway::{self, Device, Policy};

/// How the writer's own lines start (after indentation).
const STARTS: &[&str] = &[
    "#", "table ", "delete table ", "set ", "type ", "flags ", "}", "chain ", "ip ", "ip6 ",
    "ct ", "limit ", "counter ", "add element ", "meta ", "tcp ", "udp ", "return", "drop",
    "reject",
];

fuzz_target!(|data: &[u8]| {
    let Ok(mud) = yamori_act::mud::parse(data) else {
        return;
    };
    let names: Vec<String> = mud.dns_names().map(str::to_string).collect();
    let devices: Vec<Device> = ["192.0.2.20", "2001:db8::20"]
        .iter()
        .map(|a| Device {
            address: a.parse().expect("literal address"),
            source: "fuzz".into(),
            mud: mud.clone(),
        })
        .collect();
    let policy = Policy {
        name: "fuzz".into(),
        site: vec!["192.0.2.0/24".parse().expect("literal prefix")],
        quarantine: vec![],
        resolved: names
            .into_iter()
            .map(|n| (n, vec!["203.0.113.10".parse().expect("literal address")]))
            .collect(),
        dns_timeout_secs: 60,
    };
    let mut out = Vec::new();
    gateway::write(&devices, &policy, &mut out).expect("writing to memory succeeds");
    let text = String::from_utf8(out).expect("the ruleset is UTF-8");
    for line in text.lines() {
        let t = line.trim_start();
        assert!(
            STARTS.iter().any(|s| t.starts_with(s)),
            "a line the writer does not spell: {line:?}"
        );
    }
});
