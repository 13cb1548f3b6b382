//! `yamori warninglist`: a list in the MISP format is imported into the store, listed, and
//! values are checked against it; a malformed list is refused and stores nothing.

use crate::support::*;

const SCANNERS: &str = r#"{
  "name": "Test scanners",
  "version": 2,
  "description": "documentation ranges standing in for a scanner's networks",
  "type": "cidr",
  "list": ["192.0.2.0/24", "2001:db8:5ca::/48"],
  "matching_attributes": ["ip-src", "ip-dst"]
}"#;

#[test]
fn import_list_and_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = dir.path().join("list.json");
    std::fs::write(&file, SCANNERS).expect("write list");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, SCANNERS.replace("192.0.2.0/24", "192.0.2.0/40")).expect("write bad");
    let wl = |args: &[&str], code: i32| {
        let out = run_ok(
            yamori()
                .arg("--data-dir")
                .arg(&data)
                .arg("warninglist")
                .args(args),
            code,
        );
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (_, err) = wl(&["import", bad.to_str().expect("utf-8 path")], 1);
    assert!(
        err.contains("bad.json: at /list/0: \"192.0.2.0/40\" is not an address or CIDR prefix"),
        "{err}"
    );
    let (out, _) = wl(&["list", "--json"], 0);
    assert_eq!(out.trim(), "[]");

    let (out, _) = wl(&["import", file.to_str().expect("utf-8 path")], 0);
    assert!(
        out.contains("imported \"Test scanners\": 2 cidr entries (version 2)"),
        "{out}"
    );
    let (out, _) = wl(&["list", "--json"], 0);
    let listed: serde_json::Value = serde_json::from_str(&out).expect("list json");
    assert_eq!(listed[0]["name"], "Test scanners");
    assert_eq!(listed[0]["entries"], 2);

    let (out, _) = wl(
        &[
            "check",
            "192.0.2.130/25",
            "192.0.0.0/16",
            "198.51.100.1",
            "--json",
        ],
        0,
    );
    let checked: serde_json::Value = serde_json::from_str(&out).expect("check json");
    assert_eq!(checked[0]["matches"][0]["relation"], "listed_contains");
    assert_eq!(checked[0]["matches"][0]["entry"], "192.0.2.0/24");
    assert_eq!(checked[1]["matches"][0]["relation"], "contains_listed");
    assert_eq!(checked[2]["matches"].as_array().map(Vec::len), Some(0));
    let (out, _) = wl(&["check", "2001:db8:5ca::9"], 0);
    assert!(
        out.contains("\"Test scanners\" (listed prefix contains it: 2001:db8:5ca::/48)"),
        "{out}"
    );
}
