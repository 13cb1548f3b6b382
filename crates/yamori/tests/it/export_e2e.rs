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

/// `--score decay`: confidence × the trust in the source (`yamori trust`), decaying from the
/// last modification or sighting (MISP's NIDS model by default), against `--min-score`.
#[test]
fn decayed_scores_weigh_sources_and_fade_until_a_sighting() {
    let trusted = "identity--00000000-0000-4000-8000-0000000000a1";
    let stranger = "identity--00000000-0000-4000-8000-0000000000b2";
    let by = |n: u32, source: &str, last: u8| {
        let mut i = indicator(n, &format!("[ipv4-addr:value = '198.51.100.{last}']"), 80);
        i["created_by_ref"] = serde_json::json!(source);
        i["valid_until"] = serde_json::json!("2027-12-31T00:00:00Z");
        i
    };
    let sighting = serde_json::json!({
        "type": "sighting", "spec_version": "2.1",
        "id": "sighting--00000000-0000-4000-8000-000000000003",
        "created": "2027-01-19T00:00:00.000Z", "modified": "2027-01-19T00:00:00.000Z",
        "sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000003",
        "first_seen": "2027-01-18T00:00:00Z", "last_seen": "2027-01-19T00:00:00Z", "count": 4,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let data = publish(
        dir.path(),
        vec![
            by(1, trusted, 1),
            by(2, stranger, 2),
            by(3, trusted, 3),
            sighting,
        ],
    );
    let trust = |args: &[&str], code: i32| {
        run_ok(
            yamori()
                .arg("--data-dir")
                .arg(&data)
                .arg("trust")
                .args(args),
            code,
        )
    };
    trust(&["set", trusted, "100"], 0);
    let err = trust(&["set", "peer-a", "100"], 1);
    assert!(String::from_utf8_lossy(&err.stderr).contains("not a STIX identity id"));
    trust(&["set", trusted, "101"], 2);
    let list: serde_json::Value =
        serde_json::from_slice(&trust(&["list", "--json"], 0).stdout).expect("json");
    assert_eq!(
        list,
        serde_json::json!({"default": 50, "sources": [{"source": trusted, "trust": 100}]})
    );
    let listed = |now: &str| -> Vec<String> {
        let out = run_ok(
            yamori().arg("--data-dir").arg(&data).args([
                "export",
                "--format",
                "txt",
                "--score",
                "decay",
                "--min-score",
                "50",
                "--now",
                now,
            ]),
            0,
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    // Ten days on: 80 · (1 − √(10/120)) = 56 for the trusted source; the stranger's base is
    // 80 · 50 / 100 = 40, below 50 from the start.
    assert_eq!(
        listed("2026-12-01T00:00:00Z"),
        ["198.51.100.1", "198.51.100.3"]
    );
    // Sixty days on: 23 — expired; the sighted indicator restarted its clock a day ago (72).
    assert_eq!(listed("2027-01-20T00:00:00Z"), ["198.51.100.3"]);
    // Confidence alone keeps all three.
    let out = run_ok(
        yamori().arg("--data-dir").arg(&data).args([
            "export",
            "--format",
            "txt",
            "--min-score",
            "50",
            "--now",
            "2027-01-20T00:00:00Z",
        ]),
        0,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count(),
        3
    );
    // Corroboration: the trusted source names the stranger's address too, in another
    // collection. The stranger's base becomes 100 · (1 − 0.6 · 0.2) = 88, and ten days on
    // 88 · (1 − √(10/120)) = 62: listed.
    let partner = by(4, trusted, 2);
    let bundle = dir.path().join("partner.json");
    std::fs::write(
        &bundle,
        serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
                           "objects": [partner]})
        .to_string(),
    )
    .expect("bundle");
    run_ok(
        yamori()
            .arg("--data-dir")
            .arg(&data)
            .args(["publish", "--local", "--collection", "partners"])
            .arg(&bundle),
        0,
    );
    assert_eq!(
        listed("2026-12-01T00:00:00Z"),
        ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    );
    let bad = run_ok(
        yamori().arg("--data-dir").arg(&data).args([
            "export",
            "--format",
            "txt",
            "--score",
            "decay",
            "--decay-model",
            "nope",
        ]),
        1,
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no decay model \"nope\""));
}
