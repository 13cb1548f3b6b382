//! Scanners: Mirai, ZMap (< 4.1 and 4.1+), masscan, UDP service scanners, ICMP echo sweeps, a
//! vertical scanner and a block scanner. Each walks the darknet by a permutation, so after `k`
//! probes it has reached exactly `min(k, hosts)` distinct addresses.
use yamori_telescope::report::Tool;

use crate::classify::{masscan_ip_id, FpMatch, ZMAP_IP_ID};
use crate::darknet::Darknet;
use crate::frame::{Frag, Ip, Spec, L4, TCP_SYN};
use crate::payloads::{udp_payload, UdpService};
use crate::rng::{slice_time, Perm, Rng};
use crate::stats::ScanCounters;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Mirai,
    Zmap,
    /// ZMap 4.1+: random IP ID and Windows-like options, so no header fingerprint.
    Zmap41,
    Masscan,
    Udp(UdpService),
    IcmpSweep,
    /// Many ports on a few hosts.
    Vertical,
    /// masscan over many ports and many hosts.
    MasscanBlock,
}

impl Profile {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Mirai => "mirai",
            Self::Zmap => "zmap",
            Self::Zmap41 => "zmap-4.1",
            Self::Masscan => "masscan",
            Self::Udp(UdpService::Dns) => "udp-dns",
            Self::Udp(UdpService::Ntp) => "udp-ntp",
            Self::Udp(UdpService::Ssdp) => "udp-ssdp",
            Self::Udp(UdpService::Sip) => "udp-sip",
            Self::IcmpSweep => "icmp-echo-sweep",
            Self::Vertical => "vertical",
            Self::MasscanBlock => "masscan-block",
        }
    }

    /// The label the fingerprint rule must give this profile's source.
    pub(crate) fn intended_tool(self) -> Tool {
        match self {
            Self::Mirai => Tool::Mirai,
            Self::Zmap => Tool::Zmap,
            Self::Masscan | Self::MasscanBlock => Tool::Masscan,
            _ => Tool::Unknown,
        }
    }
}

const ZMAP_PORTS: [u16; 9] = [80, 443, 8080, 22, 3389, 8443, 21, 25, 7547];
const MASSCAN_PORTS: [u16; 13] = [
    22, 80, 443, 445, 3389, 5900, 8080, 8443, 6379, 9200, 27017, 1433, 3306,
];
/// MSS 1460, NOP, window scale 8, NOP, NOP, SACK permitted: the Windows-like set of ZMap 4.1.
const WINDOWS_OPTIONS: [u8; 12] = [2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2];
/// MSS 1460 only, as Nmap's SYN scan sends.
pub(crate) const MSS_OPTION: [u8; 4] = [2, 4, 0x05, 0xb4];
/// 56 bytes as `ping` sends after its header (pattern 0x10, 0x11, …).
const PING_PAYLOAD: [u8; 56] = {
    let mut p = [0u8; 56];
    let mut i = 0;
    while i < 56 {
        p[i] = 0x10 + i as u8;
        i += 1;
    }
    p
};

/// How a scanner was set up; the engine turns it into a ground-truth entry.
pub(crate) struct ScannerPlan {
    pub ports: Vec<u16>,
    /// Distinct darknet addresses it will reach.
    pub destinations: u64,
    pub window_start_us: u64,
}

pub(crate) struct Scanner {
    pub profile: Profile,
    pub counters: ScanCounters,
    pub src: u32,
    ttl: u8,
    sport: u16,
    icmp_id: u16,
    total: u64,
    k: u64,
    start_us: u64,
    span_us: u64,
    pub next_ts: u64,
    perm: Perm,
    /// Addresses cycled through: the whole darknet, or a few hosts for vertical/block scans.
    hosts: u64,
    ports: Vec<u16>,
}

/// Parameters the plan fixes for one scanner.
pub(crate) struct ScannerArgs {
    pub profile: Profile,
    pub src: u32,
    pub packets: u64,
    pub start_us: u64,
    pub end_us: u64,
    /// For vertical and block scans: number of hosts and ports.
    pub hosts: u64,
    pub port_count: u64,
    pub window_us: u64,
}

impl Scanner {
    pub(crate) fn new(rng: &mut Rng, dn: &Darknet, a: ScannerArgs) -> (Self, ScannerPlan) {
        let hops = rng.range(4, 24) as u8;
        let ttl = match a.profile {
            // ZMap < 4.1 and masscan send with TTL 255; their fingerprint keeps them from
            // being flagged by the TTL ≥ 200 rule.
            Profile::Zmap | Profile::Masscan | Profile::MasscanBlock => 255 - hops,
            // ZMap 4.1's default TTL is 255 too, but with no fingerprint the TTL ≥ 200 rule
            // would discard every probe as spoofed: we model a scan run with `--probe-ttl 64`.
            _ => 64 - hops,
        };
        let (hosts, ports): (u64, Vec<u16>) = match a.profile {
            Profile::Mirai => (dn.v4_size(), vec![23, 2323]),
            Profile::Zmap | Profile::Zmap41 => (dn.v4_size(), vec![rng.pick(&ZMAP_PORTS)]),
            Profile::Masscan => {
                let mut ports = MASSCAN_PORTS.to_vec();
                let n = rng.range(3, 5) as usize;
                for i in 0..n {
                    let j = i + rng.below((ports.len() - i) as u64) as usize;
                    ports.swap(i, j);
                }
                ports.truncate(n);
                (dn.v4_size(), ports)
            }
            Profile::Udp(s) => (dn.v4_size(), vec![s.port()]),
            Profile::IcmpSweep => (dn.v4_size(), Vec::new()),
            Profile::Vertical | Profile::MasscanBlock => {
                let perm = Perm::new(rng, 65_535);
                let ports = (0..a.port_count).map(|i| perm.at(i) as u16 + 1).collect();
                (a.hosts, ports)
            }
        };
        let destinations = a.packets.min(hosts);
        let mut used_ports: Vec<u16> = match a.profile {
            Profile::Vertical | Profile::MasscanBlock => {
                let per_host_rounds = a.packets.div_ceil(hosts.max(1));
                ports[..(per_host_rounds as usize).min(ports.len())].to_vec()
            }
            _ => ports[..(a.packets as usize).min(ports.len())].to_vec(),
        };
        used_ports.sort_unstable();
        let mut s = Self {
            profile: a.profile,
            counters: ScanCounters::default(),
            src: a.src,
            ttl,
            sport: rng.ephemeral_port(),
            icmp_id: rng.u16(),
            total: a.packets,
            k: 0,
            start_us: a.start_us,
            span_us: (a.end_us - a.start_us).max(1),
            next_ts: 0,
            perm: Perm::new(rng, dn.v4_size()),
            hosts,
            ports,
        };
        s.next_ts = s.time_of(rng, 0);
        let plan = ScannerPlan {
            ports: used_ports,
            destinations,
            window_start_us: a.start_us - a.start_us % a.window_us,
        };
        (s, plan)
    }

    /// Probe `k` falls in the `k`-th of `total` equal slices of the active span: times never
    /// decrease and stay inside the span (and so inside one analysis window).
    fn time_of(&self, rng: &mut Rng, k: u64) -> u64 {
        let jitter = rng.below(self.span_us);
        slice_time(self.start_us, self.span_us, k, jitter, self.total)
    }

    fn target(&self, k: u64) -> (u64, u16) {
        match self.profile {
            Profile::Mirai => {
                // mirai/bot/scanner.c: every 10th probe goes to 2323, the others to 23.
                let port = if k.is_multiple_of(10) { 2323 } else { 23 };
                (self.perm.at(k), port)
            }
            Profile::Vertical | Profile::MasscanBlock => {
                let port = self.ports[((k / self.hosts) as usize) % self.ports.len()];
                (self.perm.at(k % self.hosts), port)
            }
            Profile::IcmpSweep => (self.perm.at(k), 0),
            _ => (self.perm.at(k), self.ports[(k as usize) % self.ports.len()]),
        }
    }

    pub(crate) fn emit<'s>(
        &mut self,
        rng: &mut Rng,
        dn: &Darknet,
        scratch: &'s mut Vec<u8>,
    ) -> (Spec<'s>, Option<u64>) {
        let k = self.k;
        let ts_us = self.next_ts;
        let (idx, dport) = self.target(k);
        let dst = dn.v4_at(idx);
        let mut id = rng.u16();
        let mut df = false;
        scratch.clear();
        let l4 = match self.profile {
            Profile::Mirai => {
                // Random ID and window, seq = destination address, no options.
                while FpMatch::of(dst, dport, dst, id).count() > 1 {
                    id = rng.u16();
                }
                syn(self.sport, dport, dst, rng.u16(), &[])
            }
            Profile::Zmap => {
                id = ZMAP_IP_ID;
                let seq = seq_matching_only(rng, |seq| {
                    FpMatch::of(dst, dport, seq, ZMAP_IP_ID).count() == 1
                });
                syn(rng.range(32_768, 61_000) as u16, dport, seq, 65_535, &[])
            }
            Profile::Zmap41 => {
                // Random ID: it matches the ZMap or masscan test by chance (1 in 65,536); only
                // a double match is redrawn, so each packet counts for at most one tool.
                let seq = rng.u32();
                while FpMatch::of(dst, dport, seq, id).count() > 1 {
                    id = rng.u16();
                }
                df = true;
                syn(
                    rng.range(32_768, 61_000) as u16,
                    dport,
                    seq,
                    65_535,
                    &WINDOWS_OPTIONS,
                )
            }
            Profile::Masscan | Profile::MasscanBlock => {
                let seq = seq_matching_only(rng, |seq| {
                    FpMatch::of(dst, dport, seq, masscan_ip_id(dst, dport, seq)).count() == 1
                });
                id = masscan_ip_id(dst, dport, seq);
                syn(self.sport, dport, seq, 1024, &[])
            }
            Profile::Vertical => {
                let seq = rng.u32();
                while FpMatch::of(dst, dport, seq, id).count() > 1 {
                    id = rng.u16();
                }
                syn(self.sport, dport, seq, 1024, &MSS_OPTION)
            }
            Profile::Udp(service) => {
                udp_payload(scratch, rng, service, self.src, dst, self.sport);
                L4::Udp {
                    sport: self.sport,
                    dport,
                    payload: scratch.as_slice(),
                    extra: 0,
                }
            }
            Profile::IcmpSweep => {
                let seq = (k as u16).wrapping_add(1);
                let mut rest = [0u8; 4];
                rest[..2].copy_from_slice(&self.icmp_id.to_be_bytes());
                rest[2..].copy_from_slice(&seq.to_be_bytes());
                L4::Icmp {
                    ty: 8,
                    code: 0,
                    rest,
                    payload: &PING_PAYLOAD,
                }
            }
        };
        self.k += 1;
        let next = (self.k < self.total).then(|| self.time_of(rng, self.k));
        if let Some(t) = next {
            self.next_ts = t;
        }
        let spec = Spec {
            ts_us,
            ip: Ip::V4 {
                src: self.src,
                dst,
                ttl: self.ttl,
                id,
                df,
                frag: Frag::None,
            },
            l4,
        };
        (spec, next)
    }
}

fn syn<'s>(sport: u16, dport: u16, seq: u32, window: u16, options: &'s [u8]) -> L4<'s> {
    L4::Tcp {
        sport,
        dport,
        seq,
        ack: 0,
        flags: TCP_SYN,
        window,
        options,
        payload: &[],
    }
}

/// A random sequence number for which `ok` holds (tool packets match exactly one fingerprint).
fn seq_matching_only(rng: &mut Rng, ok: impl Fn(u32) -> bool) -> u32 {
    loop {
        let seq = rng.u32();
        if ok(seq) {
            return seq;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ZMap 4.1's random IP IDs match the ZMap or masscan test by chance, about twice in
    /// 65,536 probes: realistic, and far below the 90 % a label needs.
    #[test]
    fn zmap41_matches_only_by_chance() {
        let nets = ["10.0.0.0/16".parse().expect("prefix")];
        let dn = Darknet::new(&nets).expect("darknet");
        let mut rng = Rng::new(41);
        let probes = 1_000_000;
        let (mut s, plan) = Scanner::new(
            &mut rng,
            &dn,
            ScannerArgs {
                profile: Profile::Zmap41,
                src: 0x0102_0304,
                packets: probes,
                start_us: 0,
                end_us: 3_600_000_000,
                hosts: 0,
                port_count: 0,
                window_us: 3_600_000_000,
            },
        );
        assert_eq!(plan.destinations, 65_536);
        let mut scratch = Vec::new();
        let (mut hits, mut last_ts) = (0u64, 0u64);
        for _ in 0..probes {
            let (spec, _) = s.emit(&mut rng, &dn, &mut scratch);
            assert!(spec.ts_us >= last_ts);
            last_ts = spec.ts_us;
            let (Ip::V4 { dst, id, ttl, .. }, L4::Tcp { dport, seq, .. }) = (spec.ip, spec.l4)
            else {
                panic!("ZMap sends IPv4 TCP");
            };
            assert!(ttl < 200, "not flagged by the TTL rule");
            let fp = FpMatch::of(dst, dport, seq, id);
            assert!(fp.count() <= 1);
            hits += u64::from(fp.any());
        }
        // Expected 2 × 10^6 / 65,536 ≈ 30.5.
        assert!((10..=60).contains(&hits), "{hits} chance matches");
        assert!((hits as f64) < 0.9 * probes as f64);
    }
}
