//! Bad input to `yamori analyze`: a clear error naming the file and byte offset, the packets
//! before it counted and reported, no panic, documented exit codes (1 nothing usable, 3 partial).
use crate::support::*;

const DARKNET: &str = "203.0.113.0/24";

fn stderr_of(args: &[&str], files: &[&std::path::Path], code: i32) -> (String, String) {
    let mut cmd = yamori();
    cmd.args(["analyze", "--no-store", "--json", "--darknet", DARKNET])
        .args(args);
    for f in files {
        cmd.arg(f);
    }
    let out = run_ok(&mut cmd, code);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn truncated_capture_reports_offset_and_keeps_earlier_packets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 5, 9, "t.pcap");
    let bytes = std::fs::read(&pcap).expect("read");
    let cut = dir.path().join("cut.pcap");
    // Cut in the middle of a record: 24-byte header + some records + half a record.
    let at = bytes.len() / 2 + 7;
    std::fs::write(&cut, &bytes[..at]).expect("write");
    let (stdout, stderr) = stderr_of(&[], &[&cut], 3);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("report still printed");
    let input = &report["inputs"][0];
    let packets = input["packets"].as_u64().expect("packets");
    assert!(packets > 0, "records before the cut were analysed");
    assert_eq!(report["totals"]["packets"].as_u64(), Some(packets));
    let err = input["error"].as_str().expect("error recorded");
    assert!(
        err.contains("cut.pcap") && err.contains("offset"),
        "names file and offset: {err}"
    );
    assert!(
        stderr.contains("cut.pcap"),
        "stderr names the file: {stderr}"
    );
}

#[test]
fn garbage_empty_and_missing_files_fail_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture file at all, just text\n").expect("write");
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").expect("write");
    let missing = dir.path().join("missing.pcap");
    for (f, word) in [
        (&garbage, "not a pcap"),
        (&empty, "empty"),
        (&missing, "cannot open"),
    ] {
        let (_, stderr) = stderr_of(&[], &[f], 1);
        assert!(
            stderr.contains(&*f.display().to_string()),
            "names the file: {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains(word),
            "says why ({word}): {stderr}"
        );
        assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    }
}

#[test]
fn one_bad_file_among_good_ones_is_partial_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, _) = gen(dir.path(), DARKNET, 5, 4, "good.pcap");
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, [0xde, 0xad, 0xbe, 0xef, 1, 2, 3]).expect("write");
    let (stdout, _) = stderr_of(&[], &[&good, &garbage], 3);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("report");
    assert!(report["totals"]["packets"].as_u64().unwrap_or(0) > 0);
    assert!(report["inputs"][1]["error"].as_str().is_some());
}

#[test]
fn missing_darknet_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_ok(
        yamori()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["analyze", "x.pcap"]),
        1,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--darknet"), "{stderr}");
}
