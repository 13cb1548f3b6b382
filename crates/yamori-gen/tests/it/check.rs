//! An independent, test-only implementation of the rules in `yamori_telescope::config`, run
//! over the decoded capture, to check the generator's ground truth against the bytes.
use std::collections::{BTreeMap, HashMap, HashSet};

use yamori_gen::{ScanKind, Tool};

use crate::pcap::{Addr, Pkt, L4};

pub struct Rules {
    pub darknets: Vec<ipnet::IpNet>,
    pub threshold: u64,
    pub window_secs: u64,
}

#[derive(Default)]
pub struct Source {
    pub packets: u64,
    pub syn_probes: u64,
    /// mirai, zmap, masscan
    pub matches: [u64; 3],
    pub dsts_by_window: HashMap<u64, HashSet<Addr>>,
    pub ports: HashSet<u16>,
    pub windows: HashSet<u64>,
}

#[derive(Default)]
pub struct Analysis {
    pub packets: u64,
    pub darknet: u64,
    pub outside: u64,
    pub by_category: BTreeMap<String, u64>,
    pub erratic: u64,
    /// Packets with more than one erratic reason (must be 0).
    pub multi_reason: u64,
    pub backscatter: u64,
    pub fingerprint: [u64; 3],
    pub sources: HashMap<Addr, Source>,
    /// Backscatter per victim: (time ns, attacked port).
    pub victims: HashMap<u32, Vec<(u64, u16)>>,
    pub last_ts: u64,
    pub out_of_order: u64,
}

fn in_darknet(rules: &Rules, a: Addr) -> bool {
    let ip: std::net::IpAddr = match a {
        Addr::V4(v) => std::net::Ipv4Addr::from(v).into(),
        Addr::V6(v) => std::net::Ipv6Addr::from(v).into(),
    };
    rules.darknets.iter().any(|n| n.contains(&ip))
}

fn category(p: &Pkt) -> &'static str {
    match p.l4 {
        L4::Tcp { flags, .. } => {
            if flags & 0x04 != 0 {
                "tcp_rst"
            } else if flags & 0x12 == 0x12 {
                "tcp_synack"
            } else if flags & 0x02 != 0 {
                "tcp_syn"
            } else if flags & 0x01 != 0 {
                "tcp_fin"
            } else if flags & 0x08 != 0 {
                "tcp_push"
            } else if flags & 0x10 != 0 {
                "tcp_ack"
            } else {
                "tcp_other"
            }
        }
        L4::Udp { .. } => "udp",
        L4::Icmp { .. } => "icmp",
        L4::Fragment => "other",
    }
}

pub fn analyze(rules: &Rules, pkts: impl Iterator<Item = Pkt>) -> Analysis {
    let mut a = Analysis::default();
    for p in pkts {
        a.packets += 1;
        if p.ts_ns < a.last_ts {
            a.out_of_order += 1;
        }
        a.last_ts = p.ts_ns;
        if !in_darknet(rules, p.dst) {
            a.outside += 1;
            continue;
        }
        a.darknet += 1;
        *a.by_category.entry(category(&p).to_string()).or_default() += 1;
        let v4_dst = match p.dst {
            Addr::V4(d) => Some(d),
            Addr::V6(_) => None,
        };
        let (syn_probe, fp) = match (p.l4, v4_dst) {
            (
                L4::Tcp {
                    flags, dport, seq, ..
                },
                Some(dst),
            ) if flags & 0x16 == 0x02 => {
                let masscan = ((dst ^ u32::from(dport) ^ seq) & 0xffff) as u16;
                (true, [seq == dst, p.id == 54321, p.id == masscan])
            }
            (L4::Tcp { flags, .. }, None) => (flags & 0x16 == 0x02, [false; 3]),
            _ => (false, [false; 3]),
        };
        for (n, hit) in a.fingerprint.iter_mut().zip(fp) {
            *n += u64::from(hit);
        }
        let mut reasons = 0;
        reasons += u32::from(p.ttl >= 200 && !fp.iter().any(|&f| f));
        if let Addr::V4(s) = p.src {
            reasons += u32::from(matches!(s & 0xff, 0 | 255));
        }
        reasons += u32::from(p.src == p.dst);
        reasons += u32::from(p.frag);
        match p.l4 {
            L4::Tcp {
                sport,
                dport,
                flags,
                ..
            } => {
                reasons += u32::from(sport == 0 || dport == 0);
                let f = flags & 0x3f;
                reasons +=
                    u32::from(f == 0 || f & 0x03 == 0x03 || f & 0x06 == 0x06 || f & 0x29 == 0x29);
            }
            L4::Udp { sport, dport } => reasons += u32::from(sport == 0 || dport == 0),
            _ => {}
        }
        let backscatter = match p.l4 {
            L4::Tcp { flags, .. } => flags & 0x04 != 0 || flags & 0x12 == 0x12,
            L4::Icmp { ty, .. } => match p.src {
                Addr::V4(_) => matches!(ty, 0 | 3 | 4 | 5 | 11 | 12 | 14 | 16 | 18),
                Addr::V6(_) => matches!(ty, 1..=4 | 129),
            },
            _ => false,
        };
        a.backscatter += u64::from(backscatter);
        let src = a.sources.entry(p.src).or_default();
        src.packets += 1;
        if reasons > 0 {
            a.erratic += 1;
            a.multi_reason += u64::from(reasons > 1);
            continue;
        }
        let window = p.ts_ns / 1_000_000_000 / rules.window_secs;
        src.windows.insert(window);
        let probe = syn_probe
            || matches!(p.l4, L4::Udp { .. })
            || matches!(p.l4, L4::Icmp { ty: 8 | 128, .. });
        if probe {
            src.dsts_by_window.entry(window).or_default().insert(p.dst);
            match p.l4 {
                L4::Tcp { dport, .. } | L4::Udp { dport, .. } => {
                    src.ports.insert(dport);
                }
                _ => {}
            }
        }
        if syn_probe && v4_dst.is_some() {
            src.syn_probes += 1;
            for (n, hit) in src.matches.iter_mut().zip(fp) {
                *n += u64::from(hit);
            }
        }
        if backscatter {
            let entry = match (p.l4, p.src) {
                (L4::Tcp { sport, .. }, Addr::V4(s)) => Some((s, sport)),
                (
                    L4::Icmp {
                        quoted_dst: Some((d, port)),
                        ..
                    },
                    _,
                ) => Some((d, port)),
                _ => None,
            };
            if let Some((victim, port)) = entry {
                a.victims.entry(victim).or_default().push((p.ts_ns, port));
            }
        }
    }
    a
}

/// The tool label by the rule (≥ 5 SYN probes, ≥ 90 % matching).
pub fn label(s: &Source) -> Tool {
    if s.syn_probes < 5 {
        return Tool::Unknown;
    }
    for (i, tool) in [Tool::Mirai, Tool::Zmap, Tool::Masscan]
        .into_iter()
        .enumerate()
    {
        if s.matches[i] as f64 >= 0.9 * s.syn_probes as f64 {
            return tool;
        }
    }
    Tool::Unknown
}

pub fn scan_kind(rules: &Rules, s: &Source) -> Option<ScanKind> {
    let max_dsts = s
        .dsts_by_window
        .values()
        .map(HashSet::len)
        .max()
        .unwrap_or(0) as u64;
    let ports = s.ports.len();
    match (max_dsts >= rules.threshold, ports) {
        (true, p) if p >= 100 => Some(ScanKind::Block),
        (true, p) if p <= 5 => Some(ScanKind::Horizontal),
        (true, _) => panic!("ambiguous scan kind: {ports} ports"),
        (false, p) if p >= 100 => Some(ScanKind::Vertical),
        (false, _) => None,
    }
}

/// An attack per the rules: gap ≤ 300 s, ≥ 25 packets, ≥ 60 s, ≥ 30 in a 60 s window sliding
/// by 10 s. Returns (start, end, packets) of each attack.
pub fn attacks(times: &[(u64, u16)]) -> Vec<(u64, u64, u64)> {
    let mut ts: Vec<u64> = times.iter().map(|t| t.0).collect();
    ts.sort_unstable();
    let mut out = Vec::new();
    let mut runs: Vec<&[u64]> = Vec::new();
    let mut begin = 0;
    for i in 1..=ts.len() {
        if i == ts.len() || ts[i] - ts[i - 1] > 300_000_000_000 {
            runs.push(&ts[begin..i]);
            begin = i;
        }
    }
    for run in runs {
        let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
            continue;
        };
        let mut best = 0;
        let mut w = first - first % 10_000_000_000;
        while w <= last {
            let n = run
                .iter()
                .filter(|&&t| t >= w && t < w + 60_000_000_000)
                .count();
            best = best.max(n);
            w += 10_000_000_000;
        }
        if run.len() >= 25 && last - first >= 60_000_000_000 && best >= 30 {
            out.push((first, last, run.len() as u64));
        }
    }
    out
}
