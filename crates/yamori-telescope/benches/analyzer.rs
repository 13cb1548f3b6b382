//! Analyzer throughput over decoded packets.
//!
//! ```text
//! cargo bench -p yamori-telescope           # add `-- --quick` for a short run
//! ```
//!
//! Two captures from `yamori-gen` with the same packet count and the mix of the telescope
//! benchmarks: few sources with many packets each (like the 5 M / 5 k scenario) and many
//! sources with ten packets each (like the 20 M / 2 M scenario, where the per-source state
//! outgrows the caches). Each is written to a temporary directory, read and decoded once
//! outside the timer. What is timed, on one thread, in packets/s: `observe`, a fresh
//! `Analyzer` fed every packet (and dropped); `observe_finish`, the same followed by `finish`
//! (verdicts and the report), the whole analysis of `yamori analyze --threads 1`.
use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ipnet::IpNet;
use yamori_telescope::{Analyzer, Config};
use yamori_wire::{CaptureReader, Packet};

/// Packets per capture: steady per-packet figures, seconds per `--quick` run.
const PACKETS: u64 = 200_000;
const DARKNET: &str = "10.128.0.0/16";

/// One record as `yamori analyze` feeds it to the analyzer.
enum Item {
    Packet(Packet, u32),
    Undecodable(u64, u32),
}

fn decoded_capture(dir: &Path, sources: u64) -> Vec<Item> {
    let cfg = yamori_gen::GenConfig {
        darknets: vec![DARKNET.parse().expect("prefix")],
        scale: yamori_gen::Scale::Bench {
            packets: PACKETS,
            sources,
        },
        ..yamori_gen::GenConfig::default()
    };
    let path = dir.join(format!("bench-{sources}.pcap"));
    let out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create capture"));
    yamori_gen::generate(&cfg, out).expect("generate capture");
    let mut r = CaptureReader::open(&path).expect("open capture");
    let mut items = Vec::with_capacity(PACKETS as usize);
    while let Some(rec) = r.next_record().expect("read record") {
        items.push(match yamori_wire::decode(rec.link, rec.ts_ns, rec.data) {
            Ok(p) => Item::Packet(p, rec.orig_len),
            Err(_) => Item::Undecodable(rec.ts_ns, rec.orig_len),
        });
    }
    items
}

fn observe_all(cfg: &Config, items: &[Item]) -> Analyzer {
    let mut an = Analyzer::new(cfg.clone());
    for item in items {
        match item {
            Item::Packet(p, len) => an.observe(p, *len),
            Item::Undecodable(ts, len) => an.observe_undecodable(*ts, *len),
        }
    }
    an
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let darknet: IpNet = DARKNET.parse().expect("prefix");
    let cfg = Config {
        darknets: vec![darknet],
        ..Config::default()
    };
    let mut g = c.benchmark_group("analyzer");
    g.throughput(Throughput::Elements(PACKETS));
    for sources in [2_000u64, 20_000] {
        let items = decoded_capture(dir.path(), sources);
        assert_eq!(items.len() as u64, PACKETS);
        let label = format!("{}k_packets_{}k_sources", PACKETS / 1000, sources / 1000);
        g.bench_with_input(BenchmarkId::new("observe", &label), &items, |b, items| {
            b.iter(|| observe_all(&cfg, items))
        });
        g.bench_with_input(
            BenchmarkId::new("observe_finish", &label),
            &items,
            |b, items| b.iter(|| black_box(observe_all(&cfg, items).finish(None))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
