//! The gateway ruleset from the MUD fixtures: the rules each ACE becomes, the sets, the
//! warnings, the same bytes for the same input, and `nft -c` accepting the file.

use std::collections::BTreeMap;

use yamori_act::gateway::{self, Device, GatewayError, Policy};
use yamori_act::mud;

use crate::mud::fixture;
use crate::netns::{self, Pair};
use crate::peers;

fn device(addr: &str, file: &str) -> Device {
    let bytes = std::fs::read(fixture(file)).expect("fixture");
    Device {
        address: addr.parse().expect("address"),
        source: file.into(),
        mud: mud::parse(&bytes).expect("fixture parses"),
    }
}

fn policy() -> Policy {
    Policy {
        name: "gateway".into(),
        site: vec!["192.0.2.0/24".parse().expect("net")],
        quarantine: vec![
            "192.0.2.30/32".parse().expect("net"),
            "192.0.2.31/32".parse().expect("net"),
            "2001:db8::30/128".parse().expect("net"),
        ],
        resolved: BTreeMap::from([(
            "cloud.example.test".to_string(),
            vec!["203.0.113.10".parse().expect("ip")],
        )]),
        dns_timeout_secs: 3600,
    }
}

fn ruleset(devices: &[Device], p: &Policy) -> (String, gateway::GatewayWritten) {
    let mut out = Vec::new();
    let written = gateway::write(devices, p, &mut out).expect("written");
    (String::from_utf8(out).expect("utf-8"), written)
}

fn two_devices() -> Vec<Device> {
    vec![
        device("192.0.2.20", "camera.mud.json"),
        device("192.0.2.21", "sensor-draft.mud.json"),
    ]
}

/// The lines of chain `name` between its header and its closing brace, comments left out.
fn chain<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| l.trim() != format!("chain {name} {{"))
        .skip(1)
        .take_while(|l| l.trim() != "}")
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect()
}

#[test]
fn each_ace_becomes_its_rule() {
    let (text, written) = ruleset(&two_devices(), &policy());
    assert!(text.starts_with("#!/usr/sbin/nft -f\n"), "{text}");
    assert!(text.contains(
        "table inet yamori_gateway\ndelete table inet yamori_gateway\ntable inet yamori_gateway {\n"
    ));
    let drop = [
        "limit rate 10/second burst 20 packets log prefix \"yamori-mud drop: \"",
        "counter drop",
    ];
    let mut expect = vec![
        "ct state related return",
        "ip daddr @yamori_dns_0_v4 tcp dport 443 ct direction original return",
        "ip daddr @yamori_dns_1_v4 udp dport 123 return",
        "ip daddr { 192.0.2.0/24 } tcp sport 554-555 ct direction reply return",
    ];
    expect.extend(drop);
    assert_eq!(chain(&text, "yamori_dev_0_from"), expect);
    let mut expect = vec![
        "ct state related return",
        "ip saddr @yamori_dns_0_v4 tcp sport 443 ct direction reply return",
        "ip saddr @yamori_dns_1_v4 udp sport 123 return",
        "ip saddr { 192.0.2.0/24 } tcp dport 554-555 ct direction original return",
    ];
    expect.extend(drop);
    assert_eq!(chain(&text, "yamori_dev_0_to"), expect);
    let mut expect = vec![
        "ct state related return",
        "ip daddr @yamori_dns_0_v4 tcp dport 443 ct direction original return",
        "ip daddr 198.51.100.0/24 udp dport >= 5000 return",
    ];
    expect.extend(drop);
    assert_eq!(chain(&text, "yamori_dev_1_from"), expect);
    assert_eq!(
        chain(&text, "yamori_forward"),
        [
            "type filter hook forward priority filter; policy accept;",
            "ip saddr @yamori_quarantine_v4 jump yamori_quarantined",
            "ip daddr @yamori_quarantine_v4 jump yamori_quarantined",
            "ip6 saddr @yamori_quarantine_v6 jump yamori_quarantined",
            "ip6 daddr @yamori_quarantine_v6 jump yamori_quarantined",
            "ip saddr 192.0.2.20 jump yamori_dev_0_from",
            "ip daddr 192.0.2.20 jump yamori_dev_0_to",
            "ip saddr 192.0.2.21 jump yamori_dev_1_from",
            "ip daddr 192.0.2.21 jump yamori_dev_1_to",
        ]
    );
    // The two quarantined neighbours merge into one prefix.
    assert!(
        text.contains("add element inet yamori_gateway yamori_quarantine_v4 { 192.0.2.30/31 }\n")
    );
    assert!(
        text.contains("add element inet yamori_gateway yamori_quarantine_v6 { 2001:db8::30 }\n")
    );
    assert!(text.contains(
        "add element inet yamori_gateway yamori_dns_0_v4 { 203.0.113.10 timeout 3600s }\n"
    ));
    assert_eq!(written.devices, 2);
    assert_eq!(written.rules, 6 + 2 + 1);
    assert_eq!(written.dns_names, 2);
    assert_eq!(written.unresolved, ["ntp.example.test"]);
    assert_eq!(written.quarantine_elements, 2);
    // The camera's two warnings from its file, attributed to it.
    assert_eq!(written.warnings.len(), 2, "{:?}", written.warnings);
    assert!(written
        .warnings
        .iter()
        .all(|w| w.device.to_string() == "192.0.2.20" && w.source == "camera.mud.json"));
    // Same input, same bytes.
    assert_eq!(ruleset(&two_devices(), &policy()).0, text);
}

#[test]
fn what_cannot_be_written_is_a_warning_and_stays_dropped() {
    let mut p = policy();
    p.site.clear();
    // The camera's file on an IPv6 address: all its ACEs are IPv4.
    let (text, written) = ruleset(&[device("2001:db8::20", "camera.mud.json")], &p);
    assert_eq!(written.rules, 0);
    assert_eq!(
        chain(&text, "yamori_dev_0_from"),
        [
            "ct state related return",
            "limit rate 10/second burst 20 packets log prefix \"yamori-mud drop: \"",
            "counter drop",
        ]
    );
    let messages: Vec<&str> = written
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.starts_with("an ACE of the other IP family"))
            .count(),
        6
    );
    // On an IPv4 address without --site, local-networks cannot be written.
    let (_, written) = ruleset(&[device("192.0.2.20", "camera.mud.json")], &p);
    assert_eq!(written.rules, 4);
    assert!(written.warnings.iter().any(|w| w
        .message
        .starts_with("local-networks needs the site's IPv4 networks")));
}

#[test]
fn bad_options_are_refused_before_writing() {
    let mut out = Vec::new();
    let mut p = policy();
    let twice = [
        device("192.0.2.20", "camera.mud.json"),
        device("192.0.2.20", "sensor-draft.mud.json"),
    ];
    assert!(matches!(
        gateway::write(&twice, &p, &mut out),
        Err(GatewayError::Duplicate(_))
    ));
    p.name = "No-Caps".into();
    assert!(matches!(
        gateway::write(&two_devices(), &p, &mut out),
        Err(GatewayError::Name(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn nft_accepts_the_ruleset() {
    if !crate::nft_ipset::have("nft", "nftables") {
        return;
    }
    if let Err(e) = netns::available() {
        peers::missing("network namespace", &e);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("gateway.nft");
    let (text, _) = ruleset(&two_devices(), &policy());
    std::fs::write(&path, &text).expect("write");
    let file = path.to_str().expect("utf-8 path");
    let pair = Pair::new("gw").expect("namespaces");
    // Loaded twice: the second load replaces the table (its `delete table` finds one).
    for _ in 0..2 {
        pair.exec(&pair.host, &["nft", "-f", file])
            .unwrap_or_else(|e| panic!("nft refused the ruleset: {e}\n{text}"));
    }
    let listed = pair
        .exec(
            &pair.host,
            &[
                "nft",
                "list",
                "set",
                "inet",
                "yamori_gateway",
                "yamori_quarantine_v4",
            ],
        )
        .expect("list");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("192.0.2.30/31"), "{listed}");
}
