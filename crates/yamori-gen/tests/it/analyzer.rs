//! The real analyzer (`yamori_telescope::Analyzer`, reading through `yamori_wire`) against the
//! ground truth: the end-to-end contract the generator exists for.
use std::collections::BTreeSet;

use yamori_gen::{GenConfig, GroundTruth, Link};
use yamori_telescope::{Analyzer, Config, Report};
use yamori_wire::CaptureReader;

use crate::{darknet, gen, small};

fn analyze(cfg: &GenConfig) -> (GroundTruth, Report) {
    let (bytes, truth) = gen(cfg);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("capture.pcap");
    std::fs::write(&path, &bytes).expect("write capture");
    let rules = Config {
        darknets: cfg.darknets.clone(),
        ..Config::default()
    };
    let mut analyzer = Analyzer::new(rules);
    let mut reader = CaptureReader::open(&path).expect("open capture");
    while let Some(rec) = reader.next_record().expect("read record") {
        match yamori_wire::decode(rec.link, rec.ts_ns, rec.data) {
            Ok(p) => analyzer.observe(&p, rec.orig_len),
            Err(_) => analyzer.observe_undecodable(rec.ts_ns, rec.orig_len),
        }
    }
    (truth, analyzer.finish(None))
}

fn compare(truth: &GroundTruth, report: &Report) {
    let t = &report.totals;
    assert_eq!(t.packets, truth.packets, "packets");
    assert_eq!(t.undecodable, 0, "undecodable");
    assert_eq!(t.darknet_packets, truth.darknet_packets, "darknet packets");
    assert_eq!(t.outside, truth.outside_packets, "outside");
    for (cat, n) in &truth.by_category {
        assert_eq!(
            t.by_category.get(cat).copied().unwrap_or(0),
            *n,
            "category {cat}"
        );
    }
    assert_eq!(
        t.erratic.values().sum::<u64>(),
        truth.erratic.values().sum::<u64>(),
        "erratic packets: report {:?} truth {:?}",
        t.erratic,
        truth.erratic
    );
    assert_eq!(
        t.backscatter_packets, truth.backscatter_packets,
        "backscatter"
    );
    for (tool, n) in &truth.fingerprint_packets {
        assert_eq!(
            t.fingerprint_packets.get(tool).copied().unwrap_or(0),
            *n,
            "fingerprint {tool}"
        );
    }
    let want: BTreeSet<(String, String, String)> = truth
        .scanners
        .iter()
        .map(|s| {
            (
                s.address.clone(),
                format!("{:?}", s.tool),
                format!("{:?}", s.scan),
            )
        })
        .collect();
    let got: BTreeSet<(String, String, String)> = report
        .scanners
        .iter()
        .map(|s| {
            (
                s.address.clone(),
                format!("{:?}", s.tool),
                format!("{:?}", s.scan.unwrap_or(yamori_gen::ScanKind::Horizontal)),
            )
        })
        .collect();
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "scanners reported but not in the truth"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "truth scanners not reported (or with another tool/kind)"
    );
    let want: BTreeSet<(String, u64)> = truth
        .victims
        .iter()
        .map(|v| (v.address.clone(), v.packets))
        .collect();
    let got: BTreeSet<(String, u64)> = report
        .attacks
        .iter()
        .map(|a| (a.victim.clone(), a.packets))
        .collect();
    assert_eq!(got, want, "attacks (victim, packets)");
    for v in &truth.victims {
        let Some(a) = report.attacks.iter().find(|a| a.victim == v.address) else {
            continue;
        };
        let mut ports: Vec<u16> = a.ports.iter().map(|p| p.port).collect();
        ports.sort_unstable();
        assert_eq!(ports, v.ports, "{} attacked ports", v.address);
    }
}

#[test]
fn analyzer_reports_the_truth_realistic() {
    let (truth, report) = analyze(&small(31));
    compare(&truth, &report);
}

#[test]
fn analyzer_reports_the_truth_over_windows() {
    let cfg = GenConfig {
        darknets: darknet(&["198.51.100.0/24", "2001:db8:7::/48"]),
        minutes: 130,
        start_unix_secs: yamori_gen::parse_start("2026-11-01T00:40:00Z").expect("time"),
        link: Link::Sll,
        seed: 32,
        ..GenConfig::default()
    };
    let (truth, report) = analyze(&cfg);
    compare(&truth, &report);
}
