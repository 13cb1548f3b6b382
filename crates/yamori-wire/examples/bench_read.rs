//! Measure read + decode throughput, and compare with the crates we chose not to use.
//!
//! ```text
//! cargo run --release -p yamori-wire --example bench_read -- gen /tmp/darknet.pcap 5000000
//! cargo run --release -p yamori-wire --example bench_read -- read /tmp/darknet.pcap
//! tcpdump -n -r /tmp/darknet.pcap -w /dev/null 'tcp[13]==2'      # the peer figure
//! ```
//!
//! `gen` writes a darknet-like Ethernet/IPv4 pcap: 80 % TCP SYN (a third with MSS option),
//! 10 % UDP, 5 % ICMP echo, 5 % SYN/ACK backscatter, sources spread over 2^20 addresses.
//! `read` times, each over the whole file: our reader alone; reader + `decode` (counting SYNs);
//! pcap-parser's streaming `LegacyPcapReader` alone; and `decode` vs etherparse's
//! `LaxSlicedPacket::from_ethernet` over the same in-memory frames.
use std::time::Instant;

use yamori_wire::{decode, CaptureReader, LinkType, PcapWriter, Tcp, Transport};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("gen"), Some(path)) => {
            let n: u64 = args.get(3).map_or(Ok(5_000_000), |s| s.parse())?;
            generate(path, n)
        }
        (Some("read"), Some(path)) => read(path),
        (Some("count"), Some(path)) => count(path),
        _ => Err("usage: bench_read gen FILE [N] | read FILE | count FILE-or-'-'".into()),
    }
}

fn generate(path: &str, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut w = PcapWriter::new(out, LinkType::ETHERNET, 65535, false)?;
    let mut x: u64 = 0x1234_5678;
    let mut frame = Vec::with_capacity(80);
    for i in 0..n {
        // xorshift64: cheap, deterministic variety.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let src = 0x0100_0000u32 | (x as u32 & 0xf_ffff) << 4;
        let dst = 0xcb00_7100u32 | (x >> 40) as u32 & 0xff;
        let kind = x % 20;
        let (proto, l4): (u8, Vec<u8>) = match kind {
            0..=15 => {
                let opts = kind % 3 == 0;
                let mut t = vec![0u8; if opts { 24 } else { 20 }];
                t[0..2].copy_from_slice(&((x >> 16) as u16 | 1024).to_be_bytes());
                t[2..4].copy_from_slice(
                    &[23u16, 2323, 22, 80, 445][(x >> 8) as usize % 5].to_be_bytes(),
                );
                t[4..8].copy_from_slice(&dst.to_be_bytes());
                t[12] = if opts { 0x60 } else { 0x50 };
                t[13] = Tcp::SYN;
                t[14..16].copy_from_slice(&(x as u16).to_be_bytes());
                if opts {
                    t[20..24].copy_from_slice(&[2, 4, 5, 0xb4]);
                }
                (6, t)
            }
            16 | 17 => (
                17,
                [&((x >> 16) as u16).to_be_bytes()[..], &[0, 53, 0, 8, 0, 0]].concat(),
            ),
            18 => (1, vec![8, 0, 0, 0, 0, 1, 0, 1]),
            _ => {
                let mut t = vec![0u8; 20];
                t[0..2].copy_from_slice(&80u16.to_be_bytes());
                t[12] = 0x50;
                t[13] = Tcp::SYN | Tcp::ACK;
                (6, t)
            }
        };
        frame.clear();
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
        let total = (20 + l4.len()) as u16;
        frame.extend_from_slice(&[0x45, 0]);
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&((x >> 24) as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 64 + (x % 190) as u8, proto, 0, 0]);
        frame.extend_from_slice(&src.to_be_bytes());
        frame.extend_from_slice(&dst.to_be_bytes());
        frame.extend_from_slice(&l4);
        w.write(1_700_000_000_000_000_000 + i * 1_000, &frame)?;
    }
    w.into_inner()?;
    Ok(())
}

/// A wall-clock start and this thread's CPU time so far: the machine is shared, so the rate
/// per CPU-second (from `/proc/thread-self/schedstat`, Linux) is reported beside the wall rate.
struct Start(Instant, Option<u64>);

fn start() -> Start {
    Start(Instant::now(), cpu_ns())
}

fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn rate(label: &str, n: u64, t: Start, extra: &str) {
    let s = t.0.elapsed().as_secs_f64();
    let cpu = match (t.1, cpu_ns()) {
        (Some(a), Some(b)) => format!("{:>7.2} M/cpu-s", n as f64 / ((b - a) as f64 / 1e9) / 1e6),
        _ => String::new(),
    };
    println!(
        "{label:<44} {n:>8} rec {s:>6.3} s {:>7.2} M/s {cpu} {extra}",
        n as f64 / s / 1e6
    );
}

fn read(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let p = std::path::Path::new(path);
    let _ = std::fs::read(p)?; // warm the page cache

    let t = start();
    let mut r = CaptureReader::open(p)?;
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Some(rec) = r.next_record()? {
        n += 1;
        bytes += rec.data.len() as u64;
    }
    rate(
        "yamori CaptureReader (read only)",
        n,
        t,
        &format!("({bytes} bytes)"),
    );

    let t = start();
    let mut r = CaptureReader::open(p)?;
    let (mut n, mut syn, mut err) = (0u64, 0u64, 0u64);
    while let Some(rec) = r.next_record()? {
        n += 1;
        match decode(rec.link, rec.ts_ns, rec.data) {
            Ok(pkt) => {
                if let Transport::Tcp(t) = pkt.transport {
                    syn += u64::from(t.flags == Tcp::SYN);
                }
            }
            Err(_) => err += 1,
        }
    }
    rate(
        "yamori CaptureReader + decode",
        n,
        t,
        &format!("(SYN-only {syn}, errors {err})"),
    );

    let t = start();
    let n = pcap_parser_count(p)?;
    rate("pcap-parser 0.17 LegacyPcapReader (read only)", n, t, "");

    // Decode alone, over frames already in memory (first 1M records).
    let mut frames = Vec::new();
    let mut r = CaptureReader::open(p)?;
    while let Some(rec) = r.next_record()? {
        frames.push(rec.data.to_vec());
        if frames.len() == 1_000_000 {
            break;
        }
    }
    for round in 0..2 {
        let t = start();
        let mut syn = 0u64;
        for f in &frames {
            if let Ok(pkt) = decode(LinkType::ETHERNET, 0, f) {
                if let Transport::Tcp(t) = pkt.transport {
                    syn += u64::from(t.flags == Tcp::SYN);
                }
            }
        }
        rate(
            &format!("yamori decode, frames in memory (round {round})"),
            frames.len() as u64,
            t,
            &format!("(SYN-only {syn})"),
        );
        let t = start();
        let mut syn = 0u64;
        for f in &frames {
            if let Ok(pkt) = etherparse::LaxSlicedPacket::from_ethernet(f) {
                if let Some(etherparse::TransportSlice::Tcp(t)) = pkt.transport {
                    syn += u64::from(t.syn() && !t.ack() && !t.rst() && !t.fin());
                }
            }
        }
        rate(
            &format!("etherparse LaxSlicedPacket (round {round})"),
            frames.len() as u64,
            t,
            &format!("(SYN-only {syn})"),
        );
    }
    Ok(())
}

/// Read + decode any capture (gzip, pcapng, `-` for stdin) once, with the reader's progress
/// counters: `gzip -c x.pcap | bench_read count -`.
fn count(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let t = start();
    let mut r = CaptureReader::open(std::path::Path::new(path))?;
    let (mut n, mut syn, mut err) = (0u64, 0u64, 0u64);
    while let Some(rec) = r.next_record()? {
        n += 1;
        match decode(rec.link, rec.ts_ns, rec.data) {
            Ok(pkt) => {
                if let Transport::Tcp(t) = pkt.transport {
                    syn += u64::from(t.flags == Tcp::SYN);
                }
            }
            Err(_) => err += 1,
        }
    }
    let extra = format!(
        "({:?}, gzip {}, SYN-only {syn}, decode errors {err}, source bytes {}, stream bytes {})",
        r.format(),
        r.is_compressed(),
        r.source_bytes_read(),
        r.stream_offset()
    );
    rate(&format!("count {path}"), n, t, &extra);
    Ok(())
}

fn pcap_parser_count(p: &std::path::Path) -> Result<u64, Box<dyn std::error::Error>> {
    use pcap_parser::traits::PcapReaderIterator;
    let mut reader = pcap_parser::LegacyPcapReader::new(1 << 20, std::fs::File::open(p)?)?;
    let mut n = 0u64;
    loop {
        match reader.next() {
            Ok((size, block)) => {
                if matches!(block, pcap_parser::PcapBlockOwned::Legacy(_)) {
                    n += 1;
                }
                reader.consume(size);
            }
            Err(pcap_parser::PcapError::Eof) => return Ok(n),
            Err(pcap_parser::PcapError::Incomplete(_)) => reader
                .refill()
                .map_err(|e| format!("pcap-parser refill: {e:?}"))?,
            Err(e) => return Err(format!("pcap-parser: {e:?}").into()),
        }
    }
}
