//! The large benchmark's reference design (`yamori-bench plain-map`) sees the same darknet
//! packets as the analysis, and at least its sources (it also keeps the spoofed/erratic ones
//! the analysis does not track).
use std::path::Path;
use std::process::Command;

use yamori_telescope::{Analyzer, Config, Report};
use yamori_wire::CaptureReader;

const DARKNET: &str = "203.0.113.0/24";

/// Ten minutes of generated traffic to `DARKNET`, written to `path`.
fn generate(path: &Path) {
    let cfg = yamori_gen::GenConfig {
        darknets: vec![DARKNET.parse().expect("prefix")],
        minutes: 10,
        seed: 13,
        ..yamori_gen::GenConfig::default()
    };
    let out = std::fs::File::create(path).expect("create capture");
    yamori_gen::generate(&cfg, std::io::BufWriter::new(out)).expect("generate");
}

/// The analysis of `yamori analyze` (one thread): every record decoded and observed.
fn analyze(path: &Path) -> Report {
    let mut an = Analyzer::new(Config {
        darknets: vec![DARKNET.parse().expect("prefix")],
        ..Config::default()
    });
    let mut reader = CaptureReader::open(path).expect("open capture");
    while let Some(r) = reader.next_record().expect("read record") {
        match yamori_wire::decode(r.link, r.ts_ns, r.data) {
            Ok(p) => an.observe(&p, r.orig_len),
            Err(_) => an.observe_undecodable(r.ts_ns, r.orig_len),
        }
    }
    an.finish(None)
}

/// `yamori-bench plain-map`'s line: sources, scanners, darknet packets, skipped.
fn plain_map(path: &Path, no_sets: bool) -> [u64; 4] {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yamori-bench"));
    cmd.args(["plain-map", "--darknet", DARKNET]);
    if no_sets {
        cmd.arg("--no-sets");
    }
    let out = cmd.arg(path).output().expect("run yamori-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).expect("utf-8 output");
    // "N sources, M reaching 100 destinations, P darknet packets, S skipped"
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a number"))
        .collect();
    assert_eq!(nums.len(), 5, "{line}");
    [nums[0], nums[1], nums[3], nums[4]]
}

#[test]
fn plain_map_reference_counts_the_same_darknet_packets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pcap = dir.path().join("p.pcap");
    generate(&pcap);
    let totals = analyze(&pcap).totals;
    let (full, lean) = (plain_map(&pcap, false), plain_map(&pcap, true));
    assert_eq!(full[2], totals.darknet_packets);
    assert_eq!(full[3], totals.packets - totals.darknet_packets);
    assert!(full[0] >= totals.distinct_sources);
    assert_eq!((lean[0], lean[1], lean[2]), (full[0], 0, full[2]));
}

/// Without a product binary to time, the harness says how to build one.
#[test]
fn a_missing_product_binary_is_named_with_the_build_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("yamori");
    let out = Command::new(env!("CARGO_BIN_EXE_yamori-bench"))
        .arg("--yamori")
        .arg(&missing)
        .args(["telescope", "--scenario", "small"])
        .output()
        .expect("run yamori-bench");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cargo build --release -p yamori"), "{err}");
}
