//! `yamori notify --asn`: hosts outside the owners file are notified per autonomous system.
use crate::support::*;

#[test]
fn notices_go_to_the_autonomous_system_when_no_owner_is_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../yamori-notify/tests/fixtures");
    // The fixture's 203.0.113.5 gets 198.51.100.10's weak login, so it has a finding without
    // a vulnerability database.
    let mut survey: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("survey.json")).expect("fixture"))
            .expect("json");
    let weak = survey["hosts"][0]["services"][0]["weak_credential"].clone();
    assert!(weak.is_object(), "fixture changed: {weak}");
    survey["hosts"][4]["services"][0]["weak_credential"] = weak;
    let survey_path = dir.path().join("survey.json");
    std::fs::write(&survey_path, survey.to_string()).expect("survey");
    let asn = dir.path().join("ip2asn.tsv");
    std::fs::write(
        &asn,
        "203.0.113.0\t203.0.113.255\t64500\tJP\tEXAMPLE-TRANSIT Example Transit\n\
         198.51.100.0\t198.51.100.255\t64501\tJP\tEXAMPLE-ISP Example ISP\n",
    )
    .expect("asn table");
    let out = dir.path().join("notices");
    // Owners file and AS table together: the owners file wins where it has an owner.
    run_ok(
        yamori()
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args([
                "notify",
                "--no-annotate",
                "--format",
                "text",
                "--lang",
                "en",
            ])
            .arg("--owners")
            .arg(fixtures.join("owners.tsv"))
            .arg("--asn")
            .arg(&asn)
            .arg("--out-dir")
            .arg(&out)
            .arg(&survey_path),
        0,
    );
    let index = std::fs::read_to_string(out.join("index.tsv")).expect("index");
    assert!(
        index.contains("AS64500 EXAMPLE-TRANSIT Example Transit"),
        "{index}"
    );
    assert!(!index.contains("(unassigned)"), "{index}");
    assert!(index.contains("Example ISP <A>"), "{index}");

    // No owners file at all: the AS table alone decides.
    let out2 = dir.path().join("notices2");
    run_ok(
        yamori()
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args([
                "notify",
                "--no-annotate",
                "--format",
                "text",
                "--lang",
                "en",
            ])
            .arg("--asn")
            .arg(&asn)
            .arg("--out-dir")
            .arg(&out2)
            .arg(&survey_path),
        0,
    );
    let index = std::fs::read_to_string(out2.join("index.tsv")).expect("index");
    assert!(index.contains("AS64501 EXAMPLE-ISP Example ISP"), "{index}");
    assert!(index.contains("AS64500"), "{index}");

    // Neither: a clear usage error.
    let o = yamori()
        .args(["notify", "--out-dir"])
        .arg(dir.path().join("x"))
        .arg(&survey_path)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--owners"));
}
