//! Packet builders and a one-call analysis for the tests.

use yamori_telescope::{Analyzer, Config, Report};
use yamori_wire::{Addr, Icmp, Packet, Quoted, Tcp, Transport, Udp};

/// 2023-11-14T21:00:00Z: aligned to a one-hour window.
pub const T0: u64 = 1_699_995_600 * SEC;
pub const SEC: u64 = 1_000_000_000;

pub fn cfg() -> Config {
    Config {
        darknets: vec![
            "10.0.0.0/16".parse().expect("prefix"),
            "2001:db8:dead::/48".parse().expect("prefix"),
        ],
        ..Config::default()
    }
}

pub fn a(s: &str) -> Addr {
    Addr::from(s.parse::<std::net::IpAddr>().expect("test address"))
}

/// The i-th address of the IPv4 darknet 10.0.0.0/16 (never .0 or .255).
pub fn dark(i: u32) -> Addr {
    Addr::V4(0x0A00_0000 | ((i / 250) << 8) | (1 + i % 250))
}

pub fn tcp(ts: u64, src: Addr, dst: Addr, sport: u16, dport: u16, flags: u8) -> Packet {
    Packet {
        ts_ns: ts,
        ip_len: 40,
        src,
        dst,
        ttl: 50,
        ip_id: matches!(src, Addr::V4(_)).then_some(4321),
        fragment: false,
        transport: Transport::Tcp(Tcp {
            src_port: sport,
            dst_port: dport,
            seq: 0x1234_5678,
            ack: 0,
            flags,
            window: 1024,
            has_options: false,
        }),
    }
}

pub fn syn(ts: u64, src: Addr, dst: Addr, dport: u16) -> Packet {
    tcp(ts, src, dst, 40_000, dport, Tcp::SYN)
}

pub fn udp(ts: u64, src: Addr, dst: Addr, dport: u16) -> Packet {
    Packet {
        transport: Transport::Udp(Udp {
            src_port: 5353,
            dst_port: dport,
        }),
        ..syn(ts, src, dst, dport)
    }
}

pub fn icmp(ts: u64, src: Addr, dst: Addr, icmp_type: u8, quoted: Option<Quoted>) -> Packet {
    Packet {
        transport: Transport::Icmp(Icmp {
            v6: matches!(src, Addr::V6(_)),
            icmp_type,
            code: 0,
            quoted,
        }),
        ..syn(ts, src, dst, 0)
    }
}

pub fn analyze(cfg: Config, pkts: &[Packet]) -> Report {
    let mut an = Analyzer::new(cfg);
    for p in pkts {
        an.observe(p, 60);
    }
    an.finish(None)
}

pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("report serialises")
}

/// A horizontal scanner: `n` distinct darknet destinations on `port`, one per second.
pub fn sweep(src: Addr, start: u64, n: u32, port: u16) -> Vec<Packet> {
    (0..n)
        .map(|i| syn(start + u64::from(i) * SEC, src, dark(i), port))
        .collect()
}
