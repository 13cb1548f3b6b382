//! `yamori gateway` end to end. In three namespaces (device, gateway, cloud; see
//! `gateway_lab.rs`) the ruleset the binary writes from a MUD file, with the cloud's name
//! resolved inside the gateway's namespace, lets the device reach its cloud host on 443 and
//! nothing else; quarantined (by address, or from a weak credential the survey stored and the
//! decoy's records of it) it reaches nothing. Bad MUD files fail with the JSON Pointer of the problem and leave the
//! previous ruleset in place.

use std::path::Path;

use crate::gateway_lab::{self, Lab};
use crate::support::*;

/// The device may open HTTPS connections to cloud.example.test, and nothing else.
const MUD: &str = r#"{
  "ietf-mud:mud": {
    "mud-version": 1, "mud-url": "https://device.example.test/mud/d1",
    "last-update": "2026-11-01T00:00:00Z", "cache-validity": 48, "is-supported": true,
    "from-device-policy": {"access-lists": {"access-list": [{"name": "d1-from"}]}},
    "to-device-policy": {"access-lists": {"access-list": [{"name": "d1-to"}]}}
  },
  "ietf-access-control-list:acls": {"acl": [
    {"name": "d1-from", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "cloud",
      "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "cloud.example.test"},
                  "tcp": {"destination-port": {"operator": "eq", "port": 443},
                          "ietf-mud:direction-initiated": "from-device"}},
      "actions": {"forwarding": "accept"}}]}},
    {"name": "d1-to", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "cloud",
      "matches": {"ipv4": {"protocol": 6, "ietf-acldns:src-dnsname": "cloud.example.test"},
                  "tcp": {"source-port": {"operator": "eq", "port": 443},
                          "ietf-mud:direction-initiated": "from-device"}},
      "actions": {"forwarding": "accept"}}]}}
  ]}
}"#;

fn lab() -> Option<Lab> {
    if let Err(e) = gateway_lab::available() {
        crate::peers::missing("gateway namespaces", &e);
        return None;
    }
    Some(Lab::new("203.0.113.10 cloud.example.test\n").expect("lab"))
}

/// `yamori gateway` inside the gateway namespace (so names resolve from its hosts file),
/// then `nft -f` of the result there; returns the JSON summary.
fn apply(lab: &Lab, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mud = dir.join("d1.mud.json");
    let out = dir.join("gateway.nft");
    let (mud, out) = (mud.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let data = dir.join("data");
    let mut args = vec![
        env!("CARGO_BIN_EXE_yamori"),
        "--data-dir",
        data.to_str().expect("utf-8"),
        "gateway",
        "--mud",
        mud,
        "--device",
        "192.0.2.20",
        "--site",
        "192.0.2.0/24",
        "--resolve",
        "--json",
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    let ran = lab
        .exec(&lab.gateway, &args)
        .unwrap_or_else(|e| panic!("yamori gateway: {e}"));
    lab.exec(&lab.gateway, &["nft", "-c", "-f", out])
        .unwrap_or_else(|e| panic!("nft -c: {e}"));
    lab.exec(&lab.gateway, &["nft", "-f", out])
        .unwrap_or_else(|e| panic!("nft -f: {e}"));
    serde_json::from_slice(&ran.stdout).expect("summary JSON")
}

fn survey_with_weak_credentials(addresses: &[&str]) -> String {
    let hosts: Vec<serde_json::Value> = addresses
        .iter()
        .map(|a| {
            serde_json::json!({"address": a, "services": [{
                "port": 23, "transport": "tcp", "protocol": "telnet",
                "weak_credential": {"username": "root", "password_masked": "xc****",
                                    "source": "mirai-list"},
                "vulnerabilities": []}]})
        })
        .collect();
    serde_json::json!({"schema": "yamori.survey.result/1", "scope": ["192.0.2.0/24"],
        "started": "2026-11-20T00:00:00Z", "finished": "2026-11-20T01:00:00Z",
        "targets": 256, "hosts": hosts})
    .to_string()
}

#[test]
fn the_device_reaches_its_cloud_only_and_nothing_once_quarantined() {
    let Some(lab) = lab() else { return };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("d1.mud.json"), MUD).expect("mud");
    // Without a ruleset the lab routes everything: what the ruleset stops, it stops.
    assert!(lab.device_reaches("203.0.113.10", 443));
    assert!(lab.device_reaches("203.0.113.11", 443));
    assert!(lab.device_reaches("203.0.113.10", 80));

    let summary = apply(&lab, dir.path(), &[]);
    assert_eq!(summary["rules"], 2, "{summary}");
    assert_eq!(summary["unresolved"], serde_json::json!([]), "{summary}");
    let set = lab
        .exec(
            &lab.gateway,
            &[
                "nft",
                "list",
                "set",
                "inet",
                "yamori_gateway",
                "yamori_dns_0_v4",
            ],
        )
        .expect("list set");
    assert!(
        String::from_utf8_lossy(&set.stdout).contains("203.0.113.10"),
        "the name resolved from the namespace's hosts file"
    );
    assert!(
        lab.device_reaches("203.0.113.10", 443),
        "the MUD file allows its cloud on 443"
    );
    assert!(
        !lab.device_reaches("203.0.113.11", 443),
        "another host is dropped"
    );
    assert!(
        !lab.device_reaches("203.0.113.10", 80),
        "another port is dropped"
    );
    // The cloud cannot open connections to the device either (initiated from the device only).
    assert!(!lab.reaches(&lab.cloud, "192.0.2.20", 443));
    let chain = lab
        .exec(
            &lab.gateway,
            &[
                "nft",
                "list",
                "chain",
                "inet",
                "yamori_gateway",
                "yamori_dev_0_from",
            ],
        )
        .expect("list chain");
    let chain = String::from_utf8_lossy(&chain.stdout).to_string();
    assert!(
        !chain.contains("counter packets 0 bytes 0 drop"),
        "the device's drops are counted:\n{chain}"
    );

    // Quarantined by address: cut off, its allowed flow included.
    apply(&lab, dir.path(), &["--quarantine", "192.0.2.20"]);
    assert!(!lab.device_reaches("203.0.113.10", 443), "quarantined");
    // Released: reachable again.
    apply(&lab, dir.path(), &[]);
    assert!(lab.device_reaches("203.0.113.10", 443), "released");

    // Quarantined from the store: the survey found a weak credential on it and the decoy
    // recorded it logging in; the other survey finding and the other decoy source are outside
    // --site and left out.
    let db = dir.path().join("findings.sqlite");
    let store = yamori_store::Database::from_arg(Some(db.to_str().expect("utf-8")), dir.path())
        .expect("database")
        .open()
        .expect("open");
    store
        .put_survey(&survey_with_weak_credentials(&[
            "192.0.2.20",
            "198.51.100.5",
        ]))
        .expect("survey");
    let decoy = |src: &str| yamori_store::decoy::NewDecoyEvent {
        session: format!("s-{src}"),
        eventid: "cowrie.login.failed".into(),
        src_ip: src.into(),
        timestamp: "2026-11-20T01:00:00.000000Z".into(),
        url: None,
        record: serde_json::json!({"eventid": "cowrie.login.failed", "src_ip": src}).to_string(),
    };
    store
        .decoy_add_events(&[decoy("192.0.2.20"), decoy("203.0.113.4")])
        .expect("decoy records");
    drop(store);
    let summary = apply(
        &lab,
        dir.path(),
        &[
            "--database",
            db.to_str().expect("utf-8"),
            "--quarantine-from-store",
        ],
    );
    assert_eq!(
        summary["quarantined"],
        serde_json::json!({"192.0.2.20": ["decoy-attacker", "weak-credentials"]}),
        "{summary}"
    );
    assert_eq!(summary["findings_outside_site"], 2);
    assert!(
        !lab.device_reaches("203.0.113.10", 443),
        "quarantined from the store"
    );
}

#[test]
fn bad_mud_files_name_the_problem_and_leave_the_ruleset() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("gateway.nft");
    std::fs::write(&out, "previous ruleset\n").expect("old");
    let gateway = |mud: &Path, code: i32| -> String {
        let o = run_ok(
            yamori()
                .arg("gateway")
                .arg("--mud")
                .arg(mud)
                .args(["--device", "192.0.2.20", "-o"])
                .arg(&out),
            code,
        );
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let bad = dir.path().join("bad.mud.json");
    std::fs::write(&bad, MUD.replace("\"port\": 443", "\"port\": \"https\"")).expect("bad");
    let err = gateway(&bad, 1);
    assert!(
        err.contains(&format!("MUD file {}: /ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/destination-port/port: expected an integer from 0 to 65535", bad.display())),
        "{err}"
    );
    std::fs::write(&bad, MUD.replace("\"mud-url\"", "\"url\"")).expect("bad");
    let err = gateway(&bad, 1);
    assert!(
        err.contains("/ietf-mud:mud: missing member \"mud-url\""),
        "{err}"
    );
    // A million ACEs: refused by size before being read whole.
    let ace = r#"{"name": "e", "actions": {"forwarding": "accept"}},"#;
    let huge = MUD.replacen(
        r#"{"ace": ["#,
        &format!("{{\"ace\": [{}", ace.repeat(1_000_000)),
        1,
    );
    std::fs::write(&bad, huge).expect("huge");
    let err = gateway(&bad, 1);
    assert!(err.contains("more than 1048576 bytes"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).expect("old"),
        "previous ruleset\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The good file replaces it.
    let good = dir.path().join("good.mud.json");
    std::fs::write(&good, MUD).expect("good");
    gateway(&good, 0);
    assert!(std::fs::read_to_string(&out)
        .expect("new")
        .starts_with("#!/usr/sbin/nft -f\n"));
}
