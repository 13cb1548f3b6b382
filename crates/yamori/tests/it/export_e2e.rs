//! `yamori export` end to end: a bundle published into the store comes out as an nftables
//! file and a CSV, byte-identical on a second run; a failing export leaves the previous file
//! in place; the JSON summary names what was skipped and why.

use crate::support::*;

fn indicator(n: u32, pattern: &str, confidence: u8) -> serde_json::Value {
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-11-20T00:00:00.000Z", "modified": "2026-11-21T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-11-20T00:00:00Z",
        "valid_until": "2026-12-11T00:00:00Z", "confidence": confidence,
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    })
}

/// A data directory in `dir` whose `telescope` collection holds `objects` (published as
/// `yamori publish --local` does).
fn publish(dir: &std::path::Path, objects: Vec<serde_json::Value>) -> std::path::PathBuf {
    let data = dir.join("data");
    let bundle = serde_json::json!({
        "type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": objects,
    });
    let path = dir.join("bundle.json");
    std::fs::write(&path, bundle.to_string()).expect("bundle");
    run_ok(
        yamori()
            .arg("--data-dir")
            .arg(&data)
            .args(["publish", "--local", "--collection", "telescope"])
            .arg(&path),
        0,
    );
    data
}

#[test]
fn exports_are_deterministic_atomic_and_summarised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = publish(
        dir.path(),
        vec![
            indicator(1, "[ipv4-addr:value = '198.51.100.7']", 90),
            indicator(2, "[ipv4-addr:value = '198.51.100.0/25']", 90),
            indicator(3, "[ipv4-addr:value = '198.51.100.128/25']", 90),
            indicator(4, "[domain-name:value = 'listed.test']", 20),
        ],
    );
    let export = |format: &str, out: &std::path::Path, collection: &str, code: i32| {
        run_ok(
            yamori().arg("--data-dir").arg(&data).args([
                "export",
                "--format",
                format,
                "--collection",
                collection,
                "--min-score",
                "50",
                "--now",
                "2026-12-01T00:00:00Z",
                "--json",
                "-o",
                out.to_str().expect("utf-8 path"),
            ]),
            code,
        )
    };
    let nft = dir.path().join("block.nft");
    let out = export("nftables", &nft, "telescope", 0);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(summary["read"], 4);
    assert_eq!(summary["selected"], 3);
    assert_eq!(summary["skipped"]["by_kind"]["score"], 1);
    assert_eq!(summary["written"]["ipv4_elements"], 1, "{summary}");
    let first = std::fs::read_to_string(&nft).expect("nft file");
    // The two /25 and the address inside them are one element.
    assert!(
        first.contains(
            "add element inet yamori_block yamori_block_v4 { 198.51.100.0/24 timeout 864000s }"
        ),
        "{first}"
    );
    export("nftables", &nft, "telescope", 0);
    assert_eq!(std::fs::read_to_string(&nft).expect("again"), first);

    // A failing export (no such collection) leaves the file and no temporary behind.
    let out = export("nftables", &nft, "nowhere", 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no collection \"nowhere\""), "{err}");
    assert_eq!(std::fs::read_to_string(&nft).expect("kept"), first);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");

    let csv = dir.path().join("list.csv");
    export("csv", &csv, "telescope", 0);
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.starts_with("type,value,indicator_id,score,tlp,valid_until,modified,name\n"));
}

/// Imported warninglists apply to every export by default: a listed address (a `cidr` list)
/// and a listed domain's subdomain (a `hostname` list) are left out and counted with the list's
/// name; `--warninglist` picks lists, `--no-warninglists` applies none.
#[test]
fn warninglisted_values_are_left_out_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = publish(
        dir.path(),
        vec![
            indicator(1, "[ipv4-addr:value = '198.51.100.7']", 90),
            indicator(
                2,
                "[ipv4-addr:value = '203.0.113.9' OR ipv4-addr:value = '198.51.100.8']",
                90,
            ),
            indicator(3, "[domain-name:value = 'www.resolver.test']", 90),
            indicator(4, "[domain-name:value = 'bad.test']", 90),
        ],
    );
    let y = || {
        let mut c = yamori();
        c.arg("--data-dir").arg(&data);
        c
    };
    for (name, kind, entry) in [
        ("Test scanners", "cidr", "203.0.113.0/24"),
        ("Test resolvers", "hostname", "resolver.test"),
    ] {
        let list = dir.path().join(format!("{kind}.json"));
        std::fs::write(
            &list,
            serde_json::json!({"name": name, "version": 1, "description": "benign",
                "type": kind, "list": [entry], "matching_attributes": ["ip-src", "domain"]})
            .to_string(),
        )
        .expect("list");
        run_ok(y().args(["warninglist", "import"]).arg(&list), 0);
    }
    let export = |extra: &[&str]| -> (serde_json::Value, String) {
        let out = dir.path().join("list.txt");
        let o = run_ok(
            y().args([
                "export",
                "--format",
                "txt",
                "--now",
                "2026-12-01T00:00:00Z",
                "--json",
                "-o",
                out.to_str().expect("utf-8 path"),
            ])
            .args(extra),
            0,
        );
        let summary = serde_json::from_slice(&o.stdout).expect("summary JSON");
        (summary, std::fs::read_to_string(&out).expect("txt"))
    };

    let (summary, text) = export(&[]);
    assert_eq!(text, "198.51.100.7\n198.51.100.8\nbad.test\n", "{summary}");
    assert_eq!(summary["skipped"]["by_kind"]["warninglist"], 2, "{summary}");
    let reasons = summary["skipped"]["listed"].to_string();
    assert!(
        reasons.contains("203.0.113.9 is on warninglist Test scanners"),
        "{reasons}"
    );
    assert!(
        reasons.contains("www.resolver.test is on warninglist Test resolvers"),
        "{reasons}"
    );
    // Indicator 3's only value is listed: it is not selected; indicator 2 still is.
    assert_eq!(summary["selected"], 3, "{summary}");

    let (_, text) = export(&["--warninglist", "Test resolvers"]);
    assert_eq!(text, "198.51.100.7\n198.51.100.8\n203.0.113.9\nbad.test\n");
    let (summary, text) = export(&["--no-warninglists"]);
    assert_eq!(
        summary["skipped"]["by_kind"]["warninglist"],
        serde_json::Value::Null
    );
    assert_eq!(text.lines().count(), 5, "{text}");

    // A list that is not imported is an error naming it.
    let out = dir.path().join("never.txt");
    let o = run_ok(
        y().args(["export", "--format", "txt", "--warninglist", "nope", "-o"])
            .arg(&out),
        1,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--warninglist \"nope\": no such list imported"),
        "{err}"
    );
    assert!(!out.exists());
}
