//! Read and decode throughput of the capture layer on a generated darknet capture.
//!
//! ```text
//! cargo bench -p yamori-wire                # add `-- --quick` for a short run
//! ```
//!
//! The capture comes from `yamori-gen` (the telescope benchmark's mix: mostly SYN probes, then
//! backscatter, UDP and ICMP; Ethernet, microsecond pcap). It is written once to a temporary
//! directory and read from the page cache, so what is timed is parsing, not the disk:
//! `read` walks the records (bytes/s of the file; also gzip-compressed, bytes/s of the pcap
//! inside), `read_decode` decodes every record as `yamori analyze` does (packets/s), and
//! `decode` decodes frames already in memory (packets/s).
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yamori_wire::{CaptureReader, LinkType, Tcp, Transport};

/// Packets in the capture: large enough for steady per-packet figures (~15 MiB of pcap),
/// small enough that a `--quick` run takes seconds.
const PACKETS: u64 = 200_000;
/// Distinct sources (the telescope's small scenario has 1,000 packets per source).
const SOURCES: u64 = 2_000;

/// Writes the capture (and a gzip copy) into `dir`.
fn captures(dir: &Path) -> (PathBuf, PathBuf) {
    let cfg = yamori_gen::GenConfig {
        darknets: vec!["10.128.0.0/16".parse().expect("prefix")],
        scale: yamori_gen::Scale::Bench {
            packets: PACKETS,
            sources: SOURCES,
        },
        ..yamori_gen::GenConfig::default()
    };
    let pcap = dir.join("bench.pcap");
    let out = std::io::BufWriter::new(std::fs::File::create(&pcap).expect("create capture"));
    yamori_gen::generate(&cfg, out).expect("generate capture");
    let gz = dir.join("bench.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gzip capture"),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(&pcap).expect("read capture"))
        .expect("compress capture");
    enc.finish().expect("finish gzip");
    (pcap, gz)
}

/// Walks every record; returns the sum of original lengths (so nothing is optimised away).
fn read_all(path: &Path) -> u64 {
    let mut r = CaptureReader::open(path).expect("open capture");
    let mut bytes = 0u64;
    while let Some(rec) = r.next_record().expect("read record") {
        bytes += u64::from(rec.orig_len);
    }
    bytes
}

fn is_syn(t: &Transport) -> bool {
    matches!(t, Transport::Tcp(t) if t.flags & (Tcp::SYN | Tcp::ACK) == Tcp::SYN)
}

/// Reads and decodes every record; returns the SYN count.
fn read_decode_all(path: &Path) -> u64 {
    let mut r = CaptureReader::open(path).expect("open capture");
    let mut syns = 0u64;
    while let Some(rec) = r.next_record().expect("read record") {
        if let Ok(p) = yamori_wire::decode(rec.link, rec.ts_ns, rec.data) {
            syns += u64::from(is_syn(&p.transport));
        }
    }
    syns
}

/// Where one frame sits in the buffer of [`frames_in_memory`]: link, time, start, end.
type FrameAt = (LinkType, u64, usize, usize);

/// Every frame of the capture in one buffer.
fn frames_in_memory(path: &Path) -> (Vec<u8>, Vec<FrameAt>) {
    let mut r = CaptureReader::open(path).expect("open capture");
    let (mut data, mut index) = (Vec::new(), Vec::new());
    while let Some(rec) = r.next_record().expect("read record") {
        let start = data.len();
        data.extend_from_slice(rec.data);
        index.push((rec.link, rec.ts_ns, start, data.len()));
    }
    (data, index)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pcap, gz) = captures(dir.path());
    let pcap_bytes = std::fs::metadata(&pcap).expect("capture size").len();

    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(pcap_bytes));
    g.bench_function("pcap", |b| b.iter(|| black_box(read_all(&pcap))));
    g.bench_function("pcap.gz", |b| b.iter(|| black_box(read_all(&gz))));
    g.finish();

    let mut g = c.benchmark_group("read_decode");
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("pcap", |b| b.iter(|| black_box(read_decode_all(&pcap))));
    g.finish();

    let (data, index) = frames_in_memory(&pcap);
    assert_eq!(index.len() as u64, PACKETS);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("in_memory", |b| {
        b.iter(|| {
            let mut syns = 0u64;
            for &(link, ts, start, end) in &index {
                if let Ok(p) = yamori_wire::decode(link, ts, &data[start..end]) {
                    syns += u64::from(is_syn(&p.transport));
                }
            }
            black_box(syns)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
