//! Times `Analyzer::observe` over synthetic packets held in memory.
//!
//! `cargo run --release -p yamori-telescope --example throughput -- [packets] [sources] [hours]`
//! (defaults 5,000,000 and 5,000). Packets: each packet's source drawn uniformly at random (the
//! cache-hostile case), destinations random in a /16 darknet; 85 % TCP SYN to Mirai/IoT ports
//! (a source mostly to one port), 8 % UDP, 3 % ICMP echo, 4 % SYN/ACK backscatter from 32
//! victims; spread over `hours` (third argument, default 2; one window per hour). Packets are
//! generated in chunks of 65,536 outside the timed loop.

use std::time::Instant;
use yamori_telescope::{Analyzer, Config};
use yamori_wire::{Addr, Icmp, Packet, Tcp, Transport, Udp};

/// xorshift64*: a fast deterministic generator; the data only needs to look random.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const DARKNET: u32 = 0x0A00_0000; // 10.0.0.0/16
/// 2023-11-14T22:00:00Z, aligned to a one-hour window.
const START_NS: u64 = 1_699_999_200 * 1_000_000_000;

/// Packets `from..to` of an `n`-packet run (generated in chunks so memory stays small).
/// Source number `i` as an address in 100.0.0.0/2, spread out, never ending in .0/.255.
fn source_addr(i: u32) -> u32 {
    (0x6400_0000 | (i.wrapping_mul(2_654_435_761) & 0x3FFF_FF00)) | (1 + i % 250)
}

fn synth(
    rng: &mut Rng,
    from: usize,
    to: usize,
    n: usize,
    sources: u32,
    span_ns: u64,
    out: &mut Vec<Packet>,
) {
    out.clear();
    let ports = [23u16, 23, 23, 2323, 445, 22, 80, 8080, 37215, 5555];
    out.extend((from..to).map(|i| {
        let r = rng.next();
        let src = source_addr((r % u64::from(sources)) as u32);
        let dst = DARKNET | ((r >> 32) as u32 & 0xFFFF);
        let kind = (r >> 48) % 100;
        // Most darknet sources stick to one or two ports: 80 % of a source's packets go to
        // its own port, the rest to 2323 or 445.
        let port = match (r >> 56) % 10 {
            0 => 2323,
            1 => 445,
            _ => ports[(r % u64::from(sources) % ports.len() as u64) as usize],
        };
        let transport = match kind {
            0..=84 => Transport::Tcp(Tcp {
                src_port: 40_000 + (r as u16 & 0x3FF),
                dst_port: port,
                seq: if kind < 40 { dst } else { r as u32 },
                ack: 0,
                flags: Tcp::SYN,
                window: 14600,
                has_options: false,
            }),
            85..=92 => Transport::Udp(Udp {
                src_port: 5353,
                dst_port: port,
            }),
            93..=95 => Transport::Icmp(Icmp {
                v6: false,
                icmp_type: 8,
                code: 0,
                quoted: None,
            }),
            _ => Transport::Tcp(Tcp {
                src_port: 80,
                dst_port: 40_000,
                seq: r as u32,
                ack: 1,
                flags: Tcp::SYN | Tcp::ACK,
                window: 1024,
                has_options: true,
            }),
        };
        Packet {
            ts_ns: START_NS + span_ns / n as u64 * i as u64,
            ip_len: 40,
            // Backscatter comes from a few victims under attack (192.0.2.1-32), not from the
            // scanning sources.
            src: Addr::V4(if kind > 95 {
                0xC000_0201 + (r as u32 & 31)
            } else {
                src
            }),
            dst: Addr::V4(dst),
            ttl: 40 + (r >> 40) as u8 % 30,
            ip_id: Some((r >> 16) as u16),
            fragment: false,
            transport,
        }
    }));
}

/// Peak resident set size of this process so far, from /proc (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time this thread has run, in seconds (Linux schedstat), so a busy machine does not
/// distort the figure as much as wall-clock time does.
fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// Packets generated and timed per chunk.
const CHUNK: usize = 1 << 16;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let s: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000)
        .max(1);
    let hours: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let span_ns = hours.max(1) * 3600 * 1_000_000_000 - 1;
    let cfg = Config {
        darknets: vec!["10.0.0.0/16".parse().expect("literal prefix")],
        ..Config::default()
    };
    let mut a = Analyzer::new(cfg);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut buf = Vec::with_capacity(CHUNK);
    let mut observe = 0.0;
    let mut observe_cpu = 0.0;
    let mut from = 0;
    while from < n {
        let to = (from + CHUNK).min(n);
        synth(&mut rng, from, to, n, s, span_ns, &mut buf);
        let (t0, c0) = (Instant::now(), thread_cpu_secs());
        for p in &buf {
            a.observe(p, 60);
        }
        observe += t0.elapsed().as_secs_f64();
        observe_cpu += thread_cpu_secs() - c0;
        from = to;
    }
    let (tracked, state) = (a.tracked_sources(), a.state_bytes());
    let t1 = Instant::now();
    let report = a.finish(None);
    let finish = t1.elapsed().as_secs_f64();
    println!(
        "packets {n} sources {s}: observe {observe:.3} s wall = {:.2} M packets/s, \
         {observe_cpu:.3} s CPU = {:.2} M packets/s per core; finish {finish:.3} s; \
         tracked sources {tracked}; state estimate {:.1} MB; peak RSS {:.0} MB (incl. {:.0} MB packet buffer); \
         scanners {}; attacks {}",
        n as f64 / observe / 1e6,
        n as f64 / observe_cpu / 1e6,
        state as f64 / 1e6,
        peak_rss_mb().unwrap_or(f64::NAN),
        (CHUNK * std::mem::size_of::<Packet>()) as f64 / 1e6 / 1.048_576,
        report.scanners.len(),
        report.attacks.len()
    );
}
