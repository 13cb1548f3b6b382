//! Low-volume sources: 1–3 packets each, far below every threshold (never ≥ 5 SYN probes, never
//! more than 3 destinations), including the erratic/spoofed kinds the analyzer must set aside.
//! Each erratic packet carries exactly one erratic reason and matches no tool fingerprint.
use crate::classify::FpMatch;
use crate::darknet::{v4_outside, AddrAlloc, Darknet};
use crate::frame::{Frag, Ip, Spec, L4, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG};
use crate::payloads::{udp_payload, UdpService};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoiseKind {
    Syn,
    Udp,
    Echo,
    Fin,
    Push,
    Ack,
    Rst,
    SynAck,
    ErrTtl,
    ErrEdgeSource,
    ErrPortZero,
    ErrFragFirst,
    ErrFragLater,
    ErrSynFin,
    ErrNull,
    ErrXmas,
}

/// Relative frequency of each kind among darknet noise sources.
pub(crate) const NOISE_MIX: [(NoiseKind, u32); 16] = [
    (NoiseKind::Syn, 300),
    (NoiseKind::Udp, 150),
    (NoiseKind::Echo, 80),
    (NoiseKind::Fin, 50),
    (NoiseKind::Push, 50),
    (NoiseKind::Ack, 80),
    (NoiseKind::Rst, 80),
    (NoiseKind::SynAck, 80),
    (NoiseKind::ErrTtl, 20),
    (NoiseKind::ErrEdgeSource, 20),
    (NoiseKind::ErrPortZero, 20),
    (NoiseKind::ErrFragFirst, 10),
    (NoiseKind::ErrFragLater, 10),
    (NoiseKind::ErrSynFin, 10),
    (NoiseKind::ErrNull, 10),
    (NoiseKind::ErrXmas, 10),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Darknet,
    /// IPv4 addresses outside the darknet.
    OutsideV4,
    /// IPv6: the darknet's IPv6 prefixes when it has some, else outside addresses.
    V6,
}

const TCP_PORTS: [u16; 14] = [
    22, 445, 80, 443, 3389, 8080, 5555, 7547, 37215, 52869, 81, 1433, 23, 2323,
];
const UDP_PORTS: [u16; 10] = [53, 123, 161, 1900, 5060, 11211, 137, 5353, 19, 389];
const WINDOWS: [u16; 5] = [5840, 14_600, 29_200, 64_240, 65_535];
/// Linux SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const LINUX_SYN_OPTIONS: [u8; 20] = [
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x1c, 0x3a, 0x7e, 0x01, 0, 0, 0, 0, 1, 3, 3, 7,
];
const HTTP_GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\n\r\n";

#[derive(Debug, Clone, Copy)]
enum Src {
    V4(u32),
    V6(u128),
}

pub(crate) struct Noise {
    pub kind: NoiseKind,
    pub target: Target,
    src: Src,
    ttl: u8,
    sport: u16,
    n: u8,
    k: u8,
    pub next_ts: u64,
}

impl Noise {
    pub(crate) fn new(
        rng: &mut Rng,
        alloc: &mut AddrAlloc,
        dn: &Darknet,
        kind: NoiseKind,
        target: Target,
        packets: u8,
        start_us: u64,
    ) -> Self {
        let src = match (target, kind) {
            (Target::V6, _) => Src::V6(alloc.v6()),
            (_, NoiseKind::ErrEdgeSource) => Src::V4(alloc.v4_edge(dn)),
            _ => Src::V4(alloc.v4(dn)),
        };
        let ttl = if rng.chance(2, 3) { 64 } else { 128 } - rng.range(5, 25) as u8;
        Self {
            kind,
            target,
            src,
            ttl,
            sport: rng.ephemeral_port(),
            n: packets.clamp(1, 3),
            k: 0,
            next_ts: start_us,
        }
    }

    pub(crate) fn emit<'s>(
        &mut self,
        rng: &mut Rng,
        dn: &Darknet,
        alloc: &AddrAlloc,
        scratch: &'s mut Vec<u8>,
    ) -> (Spec<'s>, Option<u64>) {
        let ts_us = self.next_ts;
        self.k += 1;
        // The next packet of the same source follows within 3 s.
        let next = (self.k < self.n).then(|| ts_us + rng.range(1, 3_000_000));
        if let Some(t) = next {
            self.next_ts = t;
        }
        scratch.clear();
        let ip = match self.src {
            Src::V6(src) => {
                let dst = dn.random_v6(rng).unwrap_or_else(|| alloc.v6_outside(rng));
                let l4 = if self.kind == NoiseKind::Echo {
                    scratch.extend_from_slice(&rng.u64().to_be_bytes());
                    let mut rest = [0u8; 4];
                    rest[..2].copy_from_slice(&(self.sport).to_be_bytes());
                    rest[3] = self.k;
                    L4::Icmp {
                        ty: 128,
                        code: 0,
                        rest,
                        payload: scratch.as_slice(),
                    }
                } else {
                    tcp(
                        self.sport,
                        rng.pick(&TCP_PORTS),
                        rng.u32(),
                        0,
                        TCP_SYN,
                        64_800,
                    )
                };
                let ip = Ip::V6 {
                    src,
                    dst,
                    hlim: self.ttl,
                };
                return (Spec { ts_us, ip, l4 }, next);
            }
            Src::V4(src) => {
                let dst = match self.target {
                    Target::OutsideV4 => v4_outside(rng, dn),
                    _ => dn.v4_at(rng.below(dn.v4_size())),
                };
                (src, dst)
            }
        };
        let (src, dst) = ip;
        let mut ttl = self.ttl;
        let mut frag = Frag::None;
        let sport = self.sport;
        let mut id = rng.u16();
        let port = rng.pick(&TCP_PORTS);
        let l4 = match self.kind {
            NoiseKind::Syn => {
                let dport = rng.pick(&TCP_PORTS);
                let seq = rng.u32();
                while FpMatch::of(dst, dport, seq, id).count() > 1 {
                    id = rng.u16();
                }
                L4::Tcp {
                    sport,
                    dport,
                    seq,
                    ack: 0,
                    flags: TCP_SYN,
                    window: rng.pick(&WINDOWS),
                    options: &LINUX_SYN_OPTIONS,
                    payload: &[],
                }
            }
            NoiseKind::Udp => {
                let dport = rng.pick(&UDP_PORTS);
                match UdpService::ALL.iter().find(|s| s.port() == dport) {
                    Some(&s) => udp_payload(scratch, rng, s, src, dst, sport),
                    None => scratch.extend_from_slice(&rng.u64().to_be_bytes()),
                }
                L4::Udp {
                    sport,
                    dport,
                    payload: scratch.as_slice(),
                    extra: 0,
                }
            }
            NoiseKind::Echo => {
                scratch.extend_from_slice(&rng.u64().to_be_bytes());
                let mut rest = [0u8; 4];
                rest[..2].copy_from_slice(&sport.to_be_bytes());
                rest[3] = self.k;
                L4::Icmp {
                    ty: 8,
                    code: 0,
                    rest,
                    payload: scratch.as_slice(),
                }
            }
            NoiseKind::Fin => tcp(sport, 80, rng.u32(), rng.u32(), TCP_FIN | TCP_ACK, 501),
            NoiseKind::Push => L4::Tcp {
                sport,
                dport: 80,
                seq: rng.u32(),
                ack: rng.u32(),
                flags: TCP_PSH | TCP_ACK,
                window: 502,
                options: &[],
                payload: HTTP_GET,
            },
            NoiseKind::Ack => {
                let dport = rng.pick(&TCP_PORTS);
                tcp(sport, dport, rng.u32(), rng.u32(), TCP_ACK, 1024)
            }
            // Single replies to spoofed traffic: backscatter far too thin to be an attack.
            NoiseKind::Rst => {
                let port = rng.pick(&[80u16, 443, 22]);
                tcp(port, rng.ephemeral_port(), rng.u32(), 0, TCP_RST, 0)
            }
            NoiseKind::SynAck => {
                let port = rng.pick(&[80u16, 443, 22]);
                let seq = rng.u32();
                tcp(
                    port,
                    rng.ephemeral_port(),
                    seq,
                    rng.u32(),
                    TCP_SYN | TCP_ACK,
                    29_200,
                )
            }
            NoiseKind::ErrTtl => {
                ttl = rng.range(230, 254) as u8;
                unmatched_syn(rng, dst, sport, port, TCP_SYN, &mut id)
            }
            NoiseKind::ErrEdgeSource => unmatched_syn(rng, dst, sport, port, TCP_SYN, &mut id),
            NoiseKind::ErrPortZero => unmatched_syn(rng, dst, sport, 0, TCP_SYN, &mut id),
            NoiseKind::ErrSynFin => {
                unmatched_syn(rng, dst, sport, port, TCP_SYN | TCP_FIN, &mut id)
            }
            NoiseKind::ErrNull => tcp(sport, rng.pick(&TCP_PORTS), rng.u32(), 0, 0, 1024),
            NoiseKind::ErrXmas => tcp(
                sport,
                rng.pick(&TCP_PORTS),
                rng.u32(),
                0,
                TCP_FIN | TCP_PSH | TCP_URG,
                1024,
            ),
            NoiseKind::ErrFragFirst => {
                // First fragment of a 1,032-byte DNS-sized datagram (payload a multiple of 8).
                frag = Frag::First;
                scratch.resize(24, 0x41);
                L4::Udp {
                    sport,
                    dport: 53,
                    payload: scratch.as_slice(),
                    extra: 1000,
                }
            }
            NoiseKind::ErrFragLater => {
                frag = Frag::Later { offset: 4 };
                scratch.resize(64, 0x42);
                L4::Raw {
                    protocol: 17,
                    payload: scratch.as_slice(),
                }
            }
        };
        let ip = Ip::V4 {
            src,
            dst,
            ttl,
            id,
            df: frag == Frag::None,
            frag,
        };
        (Spec { ts_us, ip, l4 }, next)
    }
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, window: u16) -> L4<'static> {
    L4::Tcp {
        sport,
        dport,
        seq,
        ack,
        flags,
        window,
        options: &[],
        payload: &[],
    }
}

/// A SYN-like probe whose ID and sequence number match no tool fingerprint, so the only
/// erratic reason it carries is the one the caller sets up.
fn unmatched_syn(
    rng: &mut Rng,
    dst: u32,
    sport: u16,
    dport: u16,
    flags: u8,
    id: &mut u16,
) -> L4<'static> {
    let mut seq = rng.u32();
    while FpMatch::of(dst, dport, seq, *id).any() {
        seq = rng.u32();
        *id = rng.u16();
    }
    tcp(sport, dport, seq, 0, flags, 1024)
}
