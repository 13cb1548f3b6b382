//! Acceptance for `yamori analyze`: on generated captures, per-category counts equal tshark's
//! counts for the same filters on every capture variant, and scanner, fingerprint and victim
//! verdicts equal the generator's ground truth exactly.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

const DARKNET: &str = "203.0.113.0/24";

/// Display filters equivalent to Yamori's categories (precedence in report.rs). `#1` is the
/// outer IP header; `!icmp` keeps headers quoted inside ICMP errors out of TCP/UDP counts.
fn category_filters() -> Vec<(String, String)> {
    let d = "ip.dst#1==203.0.113.0/24";
    let t = format!("{d} && tcp && !icmp && !icmpv6");
    let f = |rest: &str| format!("{t} && {rest}");
    vec![
        ("tcp_syn".into(), f("tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==0")),
        ("tcp_synack".into(), f("tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==1")),
        ("tcp_ack".into(), f("tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==0 && tcp.flags.ack==1")),
        ("tcp_fin".into(), f("tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==1")),
        ("tcp_rst".into(), f("tcp.flags.reset==1")),
        ("tcp_push".into(), f("tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==1")),
        ("tcp_other".into(), f("tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==0 && tcp.flags.ack==0")),
        ("udp".into(), format!("{d} && udp && !icmp && !icmpv6")),
        ("icmp".into(), format!("{d} && (icmp || icmpv6)")),
        ("other".into(), format!("{d} && !tcp && !udp && !icmp && !icmpv6")),
        ("darknet".into(), d.to_string()),
        ("all".into(), "frame".into()),
    ]
}

fn assert_counts_match_tshark(file: &Path, report: &Value) {
    let filters = category_filters();
    let counts = tshark_counts(
        file,
        &filters.iter().map(|f| f.1.clone()).collect::<Vec<_>>(),
    );
    let totals = &report["totals"];
    let mut mismatches = Vec::new();
    for ((name, filter), want) in filters.iter().zip(counts) {
        let got = match name.as_str() {
            "darknet" => totals["darknet_packets"].as_u64(),
            "all" => totals["packets"].as_u64(),
            c => totals["by_category"][c].as_u64().or(Some(0)),
        };
        if got != Some(want) {
            mismatches.push(format!("{name}: yamori {got:?}, tshark {want} ({filter})"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}: {}",
        file.display(),
        mismatches.join("\n")
    );
}

/// Scanner verdicts as address → (tool, scan kind), from a report or a ground truth (both
/// list `scanners` with `address`, `tool` and `scan`).
fn scanners_of(v: &Value) -> BTreeMap<String, (String, String)> {
    v["scanners"]
        .as_array()
        .expect("scanners array")
        .iter()
        .map(|s| {
            let field = |k: &str| s[k].as_str().unwrap_or("none").to_string();
            (field("address"), (field("tool"), field("scan")))
        })
        .collect()
}

fn victims(v: &Value, list: &str, key: &str) -> Vec<String> {
    let mut out: Vec<String> = v[list]
        .as_array()
        .expect("victim list")
        .iter()
        .map(|a| a[key].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn verdicts_equal_ground_truth_and_counts_equal_tshark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, truth) = gen(dir.path(), DARKNET, 60, 7, "sample.pcap");
    let data = dir.path().join("data");
    let report = analyze(&data, DARKNET, &[&pcap], &[], 0);

    // Verdicts: exactly the generator's ground truth.
    assert_eq!(scanners_of(&report), scanners_of(&truth), "scanners");
    assert_eq!(
        victims(&report, "attacks", "victim"),
        victims(&truth, "victims", "address"),
        "DDoS victims"
    );
    assert!(
        !truth["scanners"].as_array().expect("array").is_empty(),
        "the sample has scanners"
    );
    let tools: Vec<&str> = truth["scanners"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["tool"].as_str())
        .collect();
    for t in ["mirai", "zmap", "masscan", "unknown"] {
        assert!(tools.contains(&t), "ground truth has a {t} scanner");
    }
    // Per-category totals equal the generator's own count and tshark's.
    for (k, v) in truth["by_category"].as_object().expect("truth categories") {
        assert_eq!(
            report["totals"]["by_category"][k].as_u64().or(Some(0)),
            v.as_u64(),
            "category {k} vs ground truth"
        );
    }
    if tool("tshark").is_none() {
        crate::peers::missing(
            "the tshark comparison",
            "tshark not installed (scripts/setup installs it)",
        );
        return;
    }
    assert_counts_match_tshark(&pcap, &report);
}

/// A copy of `v` with every `bytes` field removed (byte totals include the link header).
fn without_bytes(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "bytes")
                .map(|(k, v)| (k.clone(), without_bytes(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_bytes).collect()),
        other => other.clone(),
    }
}

#[test]
fn captures_written_by_tshark_tools_read_the_same() {
    let (Some(editcap), Some(_)) = (tool("editcap"), tool("tshark")) else {
        crate::peers::missing(
            "reading captures written by editcap",
            "editcap/tshark not installed (scripts/setup installs them)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 15, 11, "base.pcap");
    let data = dir.path().join("data");
    let base = analyze(&data, DARKNET, &[&pcap], &["--no-store"], 0);

    let variants: Vec<(&str, Vec<&str>)> = vec![
        ("v.pcapng", vec!["-F", "pcapng"]),
        ("v-ns.pcap", vec!["-F", "nsecpcap"]),
        ("v.pcapng.gz", vec!["-F", "pcapng"]),
    ];
    for (name, args) in variants {
        let out = dir.path().join(name.trim_end_matches(".gz"));
        let st = Command::new(&editcap)
            .args(&args)
            .arg(&pcap)
            .arg(&out)
            .status()
            .expect("editcap");
        assert!(st.success(), "editcap {args:?}");
        let file = if name.ends_with(".gz") {
            let st = Command::new("gzip")
                .arg("-kf")
                .arg(&out)
                .status()
                .expect("gzip");
            assert!(st.success());
            dir.path().join(name)
        } else {
            out
        };
        let r = analyze(&data, DARKNET, &[&file], &["--no-store"], 0);
        assert_eq!(
            r["totals"], base["totals"],
            "{name}: totals differ from the original pcap"
        );
        assert_eq!(r["scanners"], base["scanners"], "{name}: scanners differ");
        assert_eq!(r["attacks"], base["attacks"], "{name}: attacks differ");
        assert_counts_match_tshark(&file, &r);
    }

    // Other link types: the generator writes the same packets behind Linux SLL or raw IP
    // headers (`editcap -T` would only relabel Ethernet frames). Everything but byte totals,
    // which include the link header, must be the same.
    for link in ["sll", "raw"] {
        let (file, _) = gen_with(
            dir.path(),
            DARKNET,
            15,
            11,
            &format!("base-{link}.pcap"),
            &["--link", link],
        );
        let r = analyze(&data, DARKNET, &[&file], &["--no-store"], 0);
        for k in ["totals", "scanners", "top_sources"] {
            assert_eq!(
                without_bytes(&r[k]),
                without_bytes(&base[k]),
                "{link}: {k} differ from the Ethernet capture"
            );
        }
        assert_eq!(r["attacks"], base["attacks"], "{link}: attacks differ");
        assert_counts_match_tshark(&file, &r);
    }
}

/// The report of `files` must not depend on the thread count or the file order. Returns the
/// one-thread report.
fn assert_thread_and_order_invariant(data: &Path, files: &[&Path]) -> Value {
    let keys = [
        "totals",
        "timeseries",
        "scanners",
        "attacks",
        "top_sources",
        "top_tcp_ports",
        "top_udp_ports",
        "warnings",
    ];
    let base = analyze(data, DARKNET, files, &["--no-store", "--threads", "1"], 0);
    let reversed: Vec<&Path> = files.iter().rev().copied().collect();
    for (order, threads) in [(files, "2"), (&reversed[..], "2"), (files, "3")] {
        let r = analyze(
            data,
            DARKNET,
            order,
            &["--no-store", "--threads", threads],
            0,
        );
        for k in keys {
            assert_eq!(
                base[k],
                r[k],
                "{k}: {threads} threads, {} files",
                order.len()
            );
        }
    }
    base
}

#[test]
fn threads_and_file_order_do_not_change_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = gen(dir.path(), DARKNET, 20, 21, "a.pcap");
    let (b, _) = gen(dir.path(), DARKNET, 20, 22, "b.pcap");
    let data = dir.path().join("data");
    // One file: read on one thread, analysed on the others.
    assert_thread_and_order_invariant(&data, &[&a]);
    // Two files covering the same hour.
    assert_thread_and_order_invariant(&data, &[&a, &b]);
}

#[test]
fn reanalysing_the_same_file_replaces_instead_of_double_counting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = gen(dir.path(), DARKNET, 10, 5, "a.pcap");
    let (b, _) = gen(dir.path(), DARKNET, 10, 6, "b.pcap");
    let data = dir.path().join("data");
    analyze(&data, DARKNET, &[&a], &[], 0);
    analyze(&data, DARKNET, &[&a], &[], 0);
    analyze(&data, DARKNET, &[&b], &[], 0);
    let db = yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("db");
    let list = db.list_analyses().expect("list");
    assert_eq!(list.len(), 2, "a twice + b → two analyses, not three");
    // A set overlapping a stored one is refused (exit 1) unless --replace.
    let mut cmd = yamori();
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["analyze", "--darknet", DARKNET])
        .arg(&a)
        .arg(&b);
    let out = run_ok(&mut cmd, 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--replace"),
        "the error says what to do"
    );
    analyze(&data, DARKNET, &[&a, &b], &["--replace"], 0);
    assert_eq!(db.list_analyses().expect("list").len(), 1);
}

#[test]
fn json_report_validates_against_its_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 10, 3, "s.pcap");
    let report = analyze(
        &dir.path().join("data"),
        DARKNET,
        &[&pcap],
        &["--no-store"],
        0,
    );
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/telescope-report.v1.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_path).expect("schema file"))
        .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}"
    );
    assert_eq!(report["schema"], "yamori.telescope.report/1");
}

#[test]
fn files_from_different_hours_give_the_same_report_on_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = gen(dir.path(), DARKNET, 30, 31, "h0.pcap");
    let (b, _) = gen_with(
        dir.path(),
        DARKNET,
        30,
        32,
        "h1.pcap",
        &["--start", "2026-11-01T01:00:00Z"],
    );
    let one = assert_thread_and_order_invariant(&dir.path().join("data"), &[&a, &b]);
    // Minutes with packets only: 00:00–00:29 and 01:00–01:29.
    let minutes: Vec<&str> = one["timeseries"]
        .as_array()
        .expect("series")
        .iter()
        .filter_map(|m| m["minute"].as_str())
        .collect();
    assert_eq!(minutes.len(), 60);
    assert_eq!(minutes[29], "2026-11-01T00:29:00Z");
    assert_eq!(minutes[30], "2026-11-01T01:00:00Z");
}

#[test]
fn input_digest_is_computed_when_stored_or_asked_for() {
    use sha2::Digest;
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 5, 3, "d.pcap");
    let want = hex::encode(sha2::Sha256::digest(std::fs::read(&pcap).expect("read")));
    let data = dir.path().join("data");
    let digest_of = |r: &Value| {
        r["inputs"][0]["sha256"]
            .as_str()
            .expect("sha256")
            .to_string()
    };
    for threads in ["1", "2"] {
        let bare = analyze(
            &data,
            DARKNET,
            &[&pcap],
            &["--no-store", "--threads", threads],
            0,
        );
        assert_eq!(digest_of(&bare), "", "--no-store computes no digest");
        let asked = analyze(
            &data,
            DARKNET,
            &[&pcap],
            &["--no-store", "--digest", "--threads", threads],
            0,
        );
        assert_eq!(digest_of(&asked), want);
        // The digest is the only difference.
        let mut a = asked.clone();
        a["inputs"][0]["sha256"] = Value::from("");
        assert_eq!(a, bare);
    }
    let stored = analyze(&data, DARKNET, &[&pcap], &[], 0);
    assert_eq!(digest_of(&stored), want, "storing needs the digest");
}
