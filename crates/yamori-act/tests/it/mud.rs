//! The MUD reader on the test fixtures (final and draft shape) and on broken files: every
//! error names its JSON Pointer, unknown members are warnings, limits hold.

use std::path::PathBuf;

use yamori_act::mud::{self, Action, Direction, Family, MudError, PortMatch, MAX_ACES};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/mud")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

fn error_of(json: &str) -> String {
    mud::parse(json.as_bytes())
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn final_shape_is_read_with_its_flows_and_warnings() {
    let m = mud::parse(&read("camera.mud.json")).expect("camera");
    assert_eq!(m.url, "https://camera.example.test/.well-known/mud/cam-1");
    let names: Vec<&str> = m.from_device.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["cloud-https", "ntp", "local-rtsp-replies"]);
    let https = &m.from_device[0];
    assert_eq!(https.family, Family::V4);
    assert_eq!(https.protocol, Some(6));
    assert_eq!(https.dst_dnsname.as_deref(), Some("cloud.example.test"));
    assert_eq!(https.dst_port, Some(PortMatch::Eq(443)));
    assert_eq!(https.initiated, Some(Direction::FromDevice));
    assert_eq!(https.action, Action::Accept);
    let rtsp = &m.to_device[2];
    assert!(rtsp.local_networks);
    assert_eq!(rtsp.dst_port, Some(PortMatch::Range(554, 555)));
    assert_eq!(rtsp.initiated, Some(Direction::ToDevice));
    let warnings: Vec<String> = m
        .warnings
        .iter()
        .map(|w| format!("{} | {}", w.path, w.message))
        .collect();
    assert_eq!(
        warnings,
        [
            "/ietf-mud:mud/example-vendor:colour | unknown member, ignored".to_string(),
            "/ietf-access-control-list:acls/acl/0/aces/ace/3/matches/ietf-mud:mud/same-manufacturer | \
             needs other devices' MUD data (only local-networks is enforced); the ACE is left out (it allows nothing)"
                .to_string(),
        ]
    );
    let mut dns: Vec<&str> = m.dns_names().collect();
    dns.sort_unstable();
    dns.dedup();
    assert_eq!(dns, ["cloud.example.test", "ntp.example.test"]);
}

#[test]
fn draft_shape_reads_like_the_final_one() {
    let m = mud::parse(&read("sensor-draft.mud.json")).expect("draft");
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert_eq!(m.from_device.len(), 2);
    let https = &m.from_device[0];
    assert_eq!(
        (https.acl.as_str(), https.name.as_str()),
        ("s2-v4fr", "cl0-frdev")
    );
    assert_eq!(https.dst_port, Some(PortMatch::Eq(443)));
    assert_eq!(https.initiated, Some(Direction::FromDevice));
    assert_eq!(https.action, Action::Accept, "draft `permit`");
    let udp = &m.from_device[1];
    assert_eq!(
        udp.dst_network,
        Some("198.51.100.0/24".parse().expect("net"))
    );
    assert_eq!(udp.dst_port, Some(PortMatch::Gte(5000)));
    assert_eq!(udp.protocol, Some(17));
    let back = &m.to_device[0];
    assert_eq!(back.src_dnsname.as_deref(), Some("cloud.example.test"));
    assert_eq!(back.src_port, Some(PortMatch::Eq(443)));
}

/// A minimal final-shape file with one ACE whose `matches` is `matches`.
fn one_ace(matches: &str) -> String {
    format!(
        r#"{{"ietf-mud:mud": {{"mud-url": "https://x.example.test/m",
             "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
           "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type",
             "aces": {{"ace": [{{"name": "e", "matches": {matches},
               "actions": {{"forwarding": "accept"}}}}]}}}}]}}}}"#
    )
}

#[test]
fn errors_name_the_member() {
    assert_eq!(
        error_of(r#"{"ietf-mud:mud": {}}"#),
        "/ietf-mud:mud: missing member \"mud-url\""
    );
    assert_eq!(error_of("[1]"), "/: expected an object, found an array");
    assert_eq!(error_of("{}"), "/: missing member \"ietf-mud:mud\"");
    assert_eq!(
        error_of(&one_ace(
            r#"{"ipv4": {"protocol": 6}, "tcp": {"destination-port": {"operator": "eq", "port": 70000}}}"#
        )),
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/destination-port/port: \
         expected an integer from 0 to 65535, found 70000"
    );
    assert_eq!(
        error_of(&one_ace(
            r#"{"ipv4": {"ietf-acldns:dst-dnsname": "bad name!"}}"#
        ))
        .split(": not a DNS name")
        .next(),
        Some(
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv4/ietf-acldns:dst-dnsname"
        )
    );
    assert_eq!(
        error_of(&one_ace(
            r#"{"tcp": {"source-port": {"lower-port": 9, "upper-port": 1}}}"#
        )),
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/source-port: \
         lower-port 9 is above upper-port 1"
    );
    assert_eq!(
        error_of(&one_ace(r#"{"tcp": {"ietf-mud:direction-initiated": "sideways"}}"#)),
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/ietf-mud:direction-initiated: \
         \"sideways\": expected from-device or to-device"
    );
    let no_acl = r#"{"ietf-mud:mud": {"mud-url": "u",
        "to-device-policy": {"access-lists": {"access-list": [{"name": "gone"}]}}},
        "ietf-access-control-list:acls": {"acl": []}}"#;
    assert_eq!(
        error_of(no_acl),
        "/ietf-mud:mud/to-device-policy/access-lists/access-list/0/name: \
         names ACL \"gone\", which the file lacks"
    );
    assert!(error_of("{\"ietf-mud:mud\": ").starts_with("not JSON: "));
    let deep = "[".repeat(10_000);
    assert!(error_of(&deep).starts_with("not JSON: "), "deep nesting");
}

#[test]
fn an_unknown_match_leaves_its_ace_out() {
    let m = mud::parse(
        one_ace(
            r#"{"ipv4": {"protocol": 6, "dscp": 10}, "tcp": {"destination-port": {"port": 22}}}"#,
        )
        .as_bytes(),
    )
    .expect("usable");
    assert!(
        m.from_device.is_empty(),
        "an unenforced condition would widen the ACE"
    );
    assert_eq!(
        m.warnings[0].path,
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv4/dscp"
    );
    // A known match with an operator defaulting to eq.
    let m = mud::parse(one_ace(r#"{"tcp": {"destination-port": {"port": 22}}}"#).as_bytes())
        .expect("usable");
    assert_eq!(m.from_device[0].dst_port, Some(PortMatch::Eq(22)));
    assert_eq!(m.from_device[0].protocol, Some(6));
}

fn many_aces(n: usize) -> String {
    let ace = r#"{"name": "e", "actions": {"forwarding": "accept"}}"#;
    let aces = vec![ace; n].join(",");
    format!(
        r#"{{"ietf-mud:mud": {{"mud-url": "u",
             "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
           "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type",
             "aces": {{"ace": [{aces}]}}}}]}}}}"#
    )
}

#[test]
fn limits_are_errors() {
    assert_eq!(
        mud::parse(many_aces(MAX_ACES).as_bytes())
            .expect("at the limit")
            .from_device
            .len(),
        MAX_ACES
    );
    assert_eq!(
        error_of(&many_aces(MAX_ACES + 1)),
        format!(
            "/ietf-access-control-list:acls/acl/0/aces/ace/{MAX_ACES}: more than {MAX_ACES} ACEs in one MUD file"
        )
    );
    let open = mud::parse(many_aces(1).as_bytes()).expect("one open ACE");
    assert_eq!(
        open.warnings[0].message,
        "this ACE matches every packet of its family: the device is not restricted"
    );
    let million = many_aces(1_000_000);
    assert!(matches!(
        mud::parse(million.as_bytes()),
        Err(MudError::TooLarge { bytes }) if bytes == million.len()
    ));
}
