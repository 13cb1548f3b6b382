//! Per-packet rules from the [`crate::config`] module docs: darknet membership, NICTER
//! category, probe, tool fingerprints, erratic/spoofed reasons and backscatter. Pure functions
//! on one [`Packet`], so each rule is testable on its own.

use crate::report::Category;
use ipnet::IpNet;
use yamori_wire::{Addr, Packet, Tcp, Transport};

/// The darknet prefixes, pre-masked for a branch-light membership test.
#[derive(Debug, Clone, Default)]
pub(crate) struct Darknet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl Darknet {
    pub(crate) fn new(nets: &[IpNet]) -> Self {
        let mut d = Darknet::default();
        for n in nets {
            match n {
                IpNet::V4(p) => {
                    let mask = u32::from(p.netmask());
                    d.v4.push((u32::from(p.network()) & mask, mask));
                }
                IpNet::V6(p) => {
                    let mask = u128::from(p.netmask());
                    d.v6.push((u128::from(p.network()) & mask, mask));
                }
            }
        }
        d
    }

    #[inline]
    pub(crate) fn contains(&self, a: Addr) -> bool {
        match a {
            Addr::V4(x) => self.v4.iter().any(|&(net, mask)| x & mask == net),
            Addr::V6(x) => self.v6.iter().any(|&(net, mask)| x & mask == net),
        }
    }
}

/// NICTER category with the precedence documented on [`Category`].
#[inline]
pub(crate) fn category(t: &Transport) -> Category {
    match t {
        Transport::Tcp(tcp) => {
            let f = tcp.flags;
            if f & Tcp::RST != 0 {
                Category::TcpRst
            } else if f & (Tcp::SYN | Tcp::ACK) == Tcp::SYN | Tcp::ACK {
                Category::TcpSynack
            } else if f & Tcp::SYN != 0 {
                Category::TcpSyn
            } else if f & Tcp::FIN != 0 {
                Category::TcpFin
            } else if f & Tcp::PSH != 0 {
                Category::TcpPush
            } else if f & Tcp::ACK != 0 {
                Category::TcpAck
            } else {
                Category::TcpOther
            }
        }
        Transport::Udp(_) => Category::Udp,
        Transport::Icmp(_) => Category::Icmp,
        Transport::Fragment { .. } | Transport::Other { .. } => Category::Other,
    }
}

/// TCP SYN (SYN set, ACK and RST not set).
#[inline]
pub(crate) fn is_syn_probe(t: &Transport) -> bool {
    matches!(t, Transport::Tcp(tcp) if tcp.flags & (Tcp::SYN | Tcp::ACK | Tcp::RST) == Tcp::SYN)
}

/// Probe: TCP SYN, UDP datagram, or ICMP/ICMPv6 echo request (8 / 128).
#[inline]
pub(crate) fn is_probe(t: &Transport) -> bool {
    match t {
        Transport::Tcp(_) => is_syn_probe(t),
        Transport::Udp(_) => true,
        Transport::Icmp(i) => i.icmp_type == if i.v6 { 128 } else { 8 },
        _ => false,
    }
}

/// Fingerprint bits (one per [`FINGERPRINTS`] entry).
pub(crate) const FP_MIRAI: u8 = 1;
pub(crate) const FP_ZMAP: u8 = 2;
pub(crate) const FP_MASSCAN: u8 = 4;
/// Report names in bit order.
pub(crate) const FINGERPRINTS: [&str; 3] = ["mirai", "zmap", "masscan"];

/// Fingerprint bits matched by an IPv4 TCP SYN probe (0 for anything else).
#[inline]
pub(crate) fn fingerprints(pkt: &Packet) -> u8 {
    let (Transport::Tcp(tcp), Addr::V4(dst), Some(id)) = (&pkt.transport, pkt.dst, pkt.ip_id)
    else {
        return 0;
    };
    if !is_syn_probe(&pkt.transport) {
        return 0;
    }
    let mut bits = 0;
    if tcp.seq == dst {
        bits |= FP_MIRAI;
    }
    if id == 54321 {
        bits |= FP_ZMAP;
    }
    if u32::from(id) == (dst ^ u32::from(tcp.dst_port) ^ tcp.seq) & 0xFFFF {
        bits |= FP_MASSCAN;
    }
    bits
}

/// Why a darknet packet is treated as erratic/spoofed. A packet is counted under the first
/// reason that applies, in this order, so the per-reason counts add up to the erratic packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Erratic {
    HighTtl,
    SourceBroadcast,
    SourceIsDestination,
    PortZero,
    Fragment,
    OddTcpFlags,
}

impl Erratic {
    pub(crate) const COUNT: usize = 6;
    /// Keys of `totals.erratic`, in enum order.
    pub(crate) const NAMES: [&'static str; Self::COUNT] = [
        "ttl",
        "source_address",
        "source_is_destination",
        "port_zero",
        "fragment",
        "tcp_flags",
    ];
}

/// TTL at or above which a packet without a tool fingerprint is erratic (Corsaro's filter).
const ERRATIC_MIN_TTL: u8 = 200;

/// The erratic reason of a darknet packet, if any; `fp` are its fingerprint bits.
#[inline]
pub(crate) fn erratic(pkt: &Packet, fp: u8) -> Option<Erratic> {
    if pkt.ttl >= ERRATIC_MIN_TTL && fp == 0 {
        return Some(Erratic::HighTtl);
    }
    if let Addr::V4(s) = pkt.src {
        let last = s & 0xFF;
        if last == 0 || last == 0xFF {
            return Some(Erratic::SourceBroadcast);
        }
    }
    if pkt.src == pkt.dst {
        return Some(Erratic::SourceIsDestination);
    }
    let ports = match &pkt.transport {
        Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
        Transport::Udp(u) => Some((u.src_port, u.dst_port)),
        _ => None,
    };
    if let Some((s, d)) = ports {
        if s == 0 || d == 0 {
            return Some(Erratic::PortZero);
        }
    }
    if pkt.fragment || matches!(pkt.transport, Transport::Fragment { .. }) {
        return Some(Erratic::Fragment);
    }
    if let Transport::Tcp(t) = &pkt.transport {
        let f = t.flags & 0x3F;
        let odd = f == 0
            || f & (Tcp::SYN | Tcp::FIN) == Tcp::SYN | Tcp::FIN
            || f & (Tcp::SYN | Tcp::RST) == Tcp::SYN | Tcp::RST
            || f & (Tcp::FIN | Tcp::PSH | Tcp::URG) == Tcp::FIN | Tcp::PSH | Tcp::URG;
        if odd {
            return Some(Erratic::OddTcpFlags);
        }
    }
    None
}

/// Backscatter kinds, bit positions in a victim's kind mask; names in [`KIND_NAMES`].
pub(crate) const KIND_NAMES: [&str; 16] = [
    "tcp_synack",
    "tcp_rst",
    "icmp_0",
    "icmp_3",
    "icmp_4",
    "icmp_5",
    "icmp_11",
    "icmp_12",
    "icmp_14",
    "icmp_16",
    "icmp_18",
    "icmpv6_1",
    "icmpv6_2",
    "icmpv6_3",
    "icmpv6_4",
    "icmpv6_129",
];
const ICMP4_KINDS: [u8; 9] = [0, 3, 4, 5, 11, 12, 14, 16, 18];
const ICMP6_KINDS: [u8; 5] = [1, 2, 3, 4, 129];

/// A backscatter packet: the victim it points at (`None` when an ICMP error's quote did not
/// parse), the attacked port when known, and the kind bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backscatter {
    pub victim: Option<Addr>,
    pub port: Option<u16>,
    pub kind: u8,
}

#[inline]
pub(crate) fn backscatter(pkt: &Packet) -> Option<Backscatter> {
    match &pkt.transport {
        Transport::Tcp(t) => {
            let kind = if t.flags & Tcp::RST != 0 {
                1
            } else if t.flags & (Tcp::SYN | Tcp::ACK) == Tcp::SYN | Tcp::ACK {
                0
            } else {
                return None;
            };
            Some(Backscatter {
                victim: Some(pkt.src),
                port: Some(t.src_port),
                kind,
            })
        }
        Transport::Icmp(i) => {
            let (kinds, base, errors): (&[u8], u8, &[u8]) = if i.v6 {
                (&ICMP6_KINDS, 11, &[1, 2, 3, 4])
            } else {
                (&ICMP4_KINDS, 2, &[3, 4, 5, 11, 12])
            };
            let pos = kinds.iter().position(|&k| k == i.icmp_type)?;
            let kind = base + pos as u8;
            if errors.contains(&i.icmp_type) {
                Some(Backscatter {
                    victim: i.quoted.map(|q| q.dst),
                    port: i.quoted.and_then(|q| q.dst_port),
                    kind,
                })
            } else {
                Some(Backscatter {
                    victim: Some(pkt.src),
                    port: None,
                    kind,
                })
            }
        }
        _ => None,
    }
}
