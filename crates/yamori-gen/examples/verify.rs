//! Generate a capture and run it through `yamori_telescope::Analyzer`, then compare the report
//! with the ground truth. For sizes too big for the debug-mode tests (a /16 realistic hour):
//! `cargo run --release -p yamori-gen --example verify -- [prefix] [minutes] [seed]`.
use std::collections::BTreeSet;
use std::time::Instant;

use yamori_telescope::{Analyzer, Config};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let prefix = args.next().unwrap_or_else(|| "10.0.0.0/16".to_string());
    let minutes: u32 = args.next().map_or(Ok(60), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(1), |a| a.parse())?;
    let cfg = yamori_gen::GenConfig {
        darknets: vec![prefix.parse()?],
        minutes,
        seed,
        link: yamori_gen::Link::Raw,
        ..yamori_gen::GenConfig::default()
    };
    let t = Instant::now();
    let mut bytes = Vec::new();
    let truth = yamori_gen::generate(&cfg, &mut bytes)?;
    let gen_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut analyzer = Analyzer::new(Config {
        darknets: cfg.darknets.clone(),
        ..Config::default()
    });
    let mut reader = yamori_wire::CaptureReader::from_read("memory", std::io::Cursor::new(bytes))?;
    while let Some(rec) = reader.next_record()? {
        match yamori_wire::decode(rec.link, rec.ts_ns, rec.data) {
            Ok(p) => analyzer.observe(&p, rec.orig_len),
            Err(_) => analyzer.observe_undecodable(rec.ts_ns, rec.orig_len),
        }
    }
    let report = analyzer.finish(None);
    let an_secs = t.elapsed().as_secs_f64();
    println!(
        "{} packets, {} scanners, {} victims; generated in {gen_secs:.2} s, analysed in {an_secs:.2} s",
        truth.packets,
        truth.scanners.len(),
        truth.victims.len()
    );
    println!(
        "sources: truth {} (of which {} sent only erratic packets), report {}",
        truth.sources, truth.erratic_only_sources, report.totals.distinct_sources
    );
    let mut problems = Vec::new();
    let tot = &report.totals;
    let pairs = [
        ("packets", tot.packets, truth.packets),
        ("darknet", tot.darknet_packets, truth.darknet_packets),
        ("outside", tot.outside, truth.outside_packets),
        (
            "backscatter",
            tot.backscatter_packets,
            truth.backscatter_packets,
        ),
        (
            "sources with a non-erratic packet",
            tot.distinct_sources,
            truth.sources - truth.erratic_only_sources,
        ),
        (
            "erratic",
            tot.erratic.values().sum(),
            truth.erratic.values().sum(),
        ),
    ];
    for (what, got, want) in pairs {
        if got != want {
            problems.push(format!("{what}: report {got}, truth {want}"));
        }
    }
    for (cat, n) in &truth.by_category {
        let got = tot.by_category.get(cat).copied().unwrap_or(0);
        if got != *n {
            problems.push(format!("category {cat}: report {got}, truth {n}"));
        }
    }
    let want: BTreeSet<String> = truth
        .scanners
        .iter()
        .map(|s| format!("{} {:?} {:?}", s.address, s.tool, s.scan))
        .collect();
    let got: BTreeSet<String> = report
        .scanners
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {:?}",
                s.address,
                s.tool,
                s.scan.unwrap_or(yamori_gen::ScanKind::Horizontal)
            )
        })
        .collect();
    for s in got.symmetric_difference(&want).take(20) {
        problems.push(format!("scanner differs: {s}"));
    }
    let want: BTreeSet<String> = truth
        .victims
        .iter()
        .map(|v| format!("{} {}", v.address, v.packets))
        .collect();
    let got: BTreeSet<String> = report
        .attacks
        .iter()
        .map(|a| format!("{} {}", a.victim, a.packets))
        .collect();
    for s in got.symmetric_difference(&want) {
        problems.push(format!("attack differs: {s}"));
    }
    if problems.is_empty() {
        println!("report matches the ground truth");
        Ok(())
    } else {
        for p in &problems {
            println!("MISMATCH {p}");
        }
        Err(format!("{} mismatches", problems.len()).into())
    }
}
