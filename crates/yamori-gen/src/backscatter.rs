//! Backscatter: replies of DDoS victims to spoofed darknet sources.
//!
//! * [`TcpVictim`]: SYN/ACK and RST from the attacked port(s) to darknet addresses (a SYN flood
//!   with random spoofed sources), at ≥ 1 packet/s for minutes: every 60 s window holds ≥ 59
//!   packets against the 30 required, and no silence exceeds 2 s against the 300 s gap.
//! * [`IcmpVictim`]: ICMP destination-unreachable from a router in front of the victim,
//!   quoting the spoofed SYN (inner source = darknet address, inner destination = victim).
//! * A sub-threshold source is a [`TcpVictim`] with too few packets to be an attack.
use crate::darknet::Darknet;
use crate::frame::{quoted_v4_tcp, Frag, Ip, Quote, Spec, L4, TCP_ACK, TCP_RST, TCP_SYN};
use crate::rng::{slice_time, Perm, Rng};
use crate::scanners::MSS_OPTION;

/// Evenly sliced times: packet `k` of `total` falls in the `k`-th slice of the span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    pub start_us: u64,
    pub span_us: u64,
    pub total: u64,
}

impl Timeline {
    pub(crate) fn at(&self, rng: &mut Rng, k: u64) -> u64 {
        let span = self.span_us.max(1);
        let jitter = rng.below(span);
        slice_time(self.start_us, span, k, jitter, self.total)
    }
}

pub(crate) struct TcpVictim {
    pub victim: u32,
    ttl: u8,
    /// Attacked ports and their weights.
    ports: Vec<u16>,
    weights: Vec<u32>,
    /// RST share in percent (the rest are SYN/ACK).
    rst_percent: u64,
    k: u64,
    time: Timeline,
    pub next_ts: u64,
    perm: Perm,
}

impl TcpVictim {
    pub(crate) fn new(
        rng: &mut Rng,
        dn: &Darknet,
        victim: u32,
        ports: Vec<(u16, u32)>,
        rst_percent: u64,
        time: Timeline,
    ) -> Self {
        let ttl = if rng.chance(1, 2) { 64 } else { 128 } - rng.range(6, 20) as u8;
        let (ports, weights) = ports.into_iter().unzip();
        let mut v = Self {
            victim,
            ttl,
            ports,
            weights,
            rst_percent,
            k: 0,
            time,
            next_ts: 0,
            perm: Perm::new(rng, dn.v4_size()),
        };
        v.next_ts = time.at(rng, 0);
        v
    }

    pub(crate) fn emit(&mut self, rng: &mut Rng, dn: &Darknet) -> (Spec<'static>, Option<u64>) {
        let dst = dn.v4_at(self.perm.at(self.k));
        let sport = self.ports[rng.weighted(&self.weights)];
        let l4 = if rng.below(100) < self.rst_percent {
            // A RST answering a SYN to a closed port acknowledges it (RST|ACK, window 0).
            L4::Tcp {
                sport,
                dport: rng.ephemeral_port(),
                seq: 0,
                ack: rng.u32(),
                flags: TCP_RST | TCP_ACK,
                window: 0,
                options: &[],
                payload: &[],
            }
        } else {
            L4::Tcp {
                sport,
                dport: rng.ephemeral_port(),
                seq: rng.u32(),
                ack: rng.u32(),
                flags: TCP_SYN | TCP_ACK,
                window: 29_200,
                options: &MSS_OPTION,
                payload: &[],
            }
        };
        let spec = Spec {
            ts_us: self.next_ts,
            ip: Ip::V4 {
                src: self.victim,
                dst,
                ttl: self.ttl,
                id: 0,
                df: true,
                frag: Frag::None,
            },
            l4,
        };
        self.k += 1;
        let next = (self.k < self.time.total).then(|| self.time.at(rng, self.k));
        if let Some(t) = next {
            self.next_ts = t;
        }
        (spec, next)
    }
}

pub(crate) struct IcmpVictim {
    pub router: u32,
    pub victim: u32,
    pub port: u16,
    ttl: u8,
    k: u64,
    time: Timeline,
    pub next_ts: u64,
    perm: Perm,
}

/// ICMP destination unreachable, code 13: communication administratively prohibited (RFC 1812),
/// what a filtering router in front of the victim sends.
const ICMP_UNREACH: u8 = 3;
const ICMP_ADMIN_PROHIBITED: u8 = 13;

impl IcmpVictim {
    pub(crate) fn new(
        rng: &mut Rng,
        dn: &Darknet,
        router: u32,
        victim: u32,
        port: u16,
        time: Timeline,
    ) -> Self {
        let mut v = Self {
            router,
            victim,
            port,
            // A router sending with initial TTL 64 (255 would be flagged erratic by TTL ≥ 200).
            ttl: 64 - rng.range(6, 20) as u8,
            k: 0,
            time,
            next_ts: 0,
            perm: Perm::new(rng, dn.v4_size()),
        };
        v.next_ts = time.at(rng, 0);
        v
    }

    pub(crate) fn emit<'s>(
        &mut self,
        rng: &mut Rng,
        dn: &Darknet,
        scratch: &'s mut Vec<u8>,
    ) -> (Spec<'s>, Option<u64>) {
        let spoofed = dn.v4_at(self.perm.at(self.k));
        scratch.clear();
        let quote = Quote {
            src: spoofed,
            dst: self.victim,
            ttl: rng.range(40, 250) as u8,
            id: rng.u16(),
            sport: rng.ephemeral_port(),
            dport: self.port,
            seq: rng.u32(),
        };
        quoted_v4_tcp(scratch, &quote);
        let spec = Spec {
            ts_us: self.next_ts,
            ip: Ip::V4 {
                src: self.router,
                dst: spoofed,
                ttl: self.ttl,
                id: rng.u16(),
                df: false,
                frag: Frag::None,
            },
            l4: L4::Icmp {
                ty: ICMP_UNREACH,
                code: ICMP_ADMIN_PROHIBITED,
                rest: [0; 4],
                payload: scratch.as_slice(),
            },
        };
        self.k += 1;
        let next = (self.k < self.time.total).then(|| self.time.at(rng, self.k));
        if let Some(t) = next {
            self.next_ts = t;
        }
        (spec, next)
    }
}
