//! The event loop: every source is an actor that knows the time of its next packet; a binary
//! heap merges them so the capture is in time order. Populations are created lazily by
//! spawners, so memory holds only the sources active at the current time (bounded for any
//! Bench size), never the packets.
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use yamori_wire::PcapWriter;

use crate::backscatter::{IcmpVictim, TcpVictim, Timeline};
use crate::darknet::{AddrAlloc, Darknet};
use crate::frame::{FrameBuf, Spec};
use crate::noise::{Noise, NoiseKind, Target, NOISE_MIX};
use crate::plan::{Plan, Population, SpawnKind, SUB_THRESHOLD_PACKETS};
use crate::rng::{slice_time, Rng};
use crate::scanners::{Scanner, ScannerArgs};
use crate::stats::{ScanCounters, Stats, TruthRef};
use crate::GenError;

const SEC: u64 = 1_000_000;

/// Run-wide constants the actors need.
pub(crate) struct Run {
    pub start_us: u64,
    pub end_us: u64,
    pub window_us: u64,
    /// Shortest and longest active span of a scanner, seconds. Bench runs use shorter spans:
    /// the same sources per window with fewer active at once, so generation stays in cache.
    pub scan_secs: (u64, u64),
}

struct Spawner {
    pop: Population,
    i: u64,
    remaining: u64,
    start_us: u64,
    span_us: u64,
}

impl Spawner {
    fn time_of(&self, rng: &mut Rng, i: u64) -> u64 {
        let span = self.span_us.max(1);
        let jitter = rng.below(span);
        slice_time(self.start_us, span, i, jitter, self.pop.count)
    }

    /// Packets for the next source: a random draw kept inside what the remaining sources can
    /// still absorb, so the population's total is exact.
    fn next_packets(&mut self, rng: &mut Rng) -> u64 {
        let left = self.pop.count - self.i - 1;
        let (lo, hi) = (self.pop.lo, self.pop.hi);
        let draw = if hi <= 3 {
            rng.range(lo, hi)
        } else {
            rng.log_uniform(lo, hi)
        };
        let min = self.remaining.saturating_sub(left * hi).max(lo);
        let max = self.remaining.saturating_sub(left * lo).min(hi);
        let p = draw.clamp(min, max.max(min));
        self.remaining -= p;
        p
    }
}

enum Actor {
    Spawner(Box<Spawner>),
    Scanner(Box<Scanner>),
    TcpVictim(Box<TcpVictim>),
    IcmpVictim(Box<IcmpVictim>),
    Noise(Noise),
}

struct Slot {
    actor: Actor,
    truth: TruthRef,
    /// `stats::SEEN_*` bits: where this source's packets went.
    seen: u8,
}

pub(crate) struct Engine<'a> {
    rng: Rng,
    dn: &'a Darknet,
    alloc: AddrAlloc,
    run: Run,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    seq: u64,
    pub(crate) stats: Stats,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(seed: u64, dn: &'a Darknet, run: Run, stats: Stats) -> Self {
        let mut rng = Rng::new(seed);
        let alloc = AddrAlloc::new(&mut rng, dn);
        Self {
            rng,
            dn,
            alloc,
            run,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
            stats,
        }
    }

    fn schedule(&mut self, ts: u64, slot: Slot) {
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        self.push(ts, idx);
    }

    fn push(&mut self, ts: u64, idx: u32) {
        self.seq += 1;
        self.heap.push(Reverse((ts, self.seq, idx)));
    }

    /// Set up victims and spawners from the plan.
    pub(crate) fn load(&mut self, plan: &Plan) {
        let run_secs = (self.run.end_us - self.run.start_us) / SEC;
        for (i, &packets) in plan.tcp_victims.iter().enumerate() {
            let victim = self.alloc.v4(self.dn);
            let time = self.attack_time(packets, run_secs);
            // The first victim is a web server (80/443) answering with SYN/ACK, the next a
            // service with closed ports answering with RST.
            let (ports, rst) = if i % 2 == 0 {
                (vec![(80, 3), (443, 1)], 10)
            } else {
                (vec![(53, 1), (22, 1)], 85)
            };
            let a = TcpVictim::new(&mut self.rng, self.dn, victim, ports.clone(), rst, time);
            let ports: Vec<u16> = ports.iter().map(|p| p.0).collect();
            let truth = self
                .stats
                .add_victim(victim, ports, packets.min(self.dn.v4_size()));
            self.schedule(a.next_ts, slot(Actor::TcpVictim(Box::new(a)), truth));
        }
        for &packets in &plan.icmp_victims {
            let router = self.alloc.v4(self.dn);
            let victim = self.alloc.v4(self.dn);
            let port = self.rng.pick(&[80u16, 443]);
            let time = self.attack_time(packets, run_secs);
            let a = IcmpVictim::new(&mut self.rng, self.dn, router, victim, port, time);
            let truth = self
                .stats
                .add_victim(victim, vec![port], packets.min(self.dn.v4_size()));
            self.schedule(a.next_ts, slot(Actor::IcmpVictim(Box::new(a)), truth));
        }
        for _ in 0..plan.sub_threshold {
            let victim = self.alloc.v4(self.dn);
            let span = (8 * 60).min(run_secs.saturating_sub(60)).max(1) * SEC;
            let start =
                self.run.start_us + self.rng.below(self.run.end_us - self.run.start_us - span);
            let time = Timeline {
                start_us: start,
                span_us: span,
                total: SUB_THRESHOLD_PACKETS,
            };
            let a = TcpVictim::new(&mut self.rng, self.dn, victim, vec![(443, 1)], 0, time);
            self.stats.add_sub_threshold(victim);
            self.schedule(
                a.next_ts,
                slot(Actor::TcpVictim(Box::new(a)), TruthRef::None),
            );
        }
        for pop in &plan.populations {
            if pop.count == 0 {
                continue;
            }
            // Scanners start at least a minute before the end; noise sources 10 s before.
            let tail = match pop.kind {
                SpawnKind::Scanner(_) => 60 * SEC,
                SpawnKind::Noise(_) => 10 * SEC,
            };
            let span_us = (self.run.end_us - self.run.start_us)
                .saturating_sub(tail)
                .max(1);
            let sp = Spawner {
                pop: pop.clone(),
                i: 0,
                remaining: pop.packets,
                start_us: self.run.start_us,
                span_us,
            };
            let t = sp.time_of(&mut self.rng, 0);
            self.schedule(t, slot(Actor::Spawner(Box::new(sp)), TruthRef::None));
        }
    }

    /// An attack of `packets` at ≥ 1 packet/s lasting 3–20 minutes inside the run.
    fn attack_time(&mut self, packets: u64, run_secs: u64) -> Timeline {
        let secs = self
            .rng
            .range(300, 1200)
            .min(packets)
            .min(run_secs.saturating_sub(60))
            .max(180);
        let span_us = secs * SEC;
        let slack = (self.run.end_us - self.run.start_us)
            .saturating_sub(span_us)
            .max(1);
        Timeline {
            start_us: self.run.start_us + self.rng.below(slack),
            span_us,
            total: packets,
        }
    }

    fn spawn(&mut self, sp: &mut Spawner, now: u64) -> Result<(), GenError> {
        let packets = sp.next_packets(&mut self.rng);
        match sp.pop.kind {
            SpawnKind::Scanner(profile) => {
                let (start_us, end_us) = self.scanner_span(now);
                let src = self.alloc.v4(self.dn);
                let args = ScannerArgs {
                    profile,
                    src,
                    packets,
                    start_us,
                    end_us,
                    hosts: sp.pop.hosts,
                    port_count: sp.pop.ports,
                    window_us: self.run.window_us,
                };
                let (s, plan) = Scanner::new(&mut self.rng, self.dn, args);
                let truth = self.stats.add_scanner(src, profile, plan)?;
                self.schedule(s.next_ts, slot(Actor::Scanner(Box::new(s)), truth));
            }
            SpawnKind::Noise(target) => {
                let kind = match target {
                    Target::Darknet => {
                        let weights: [u32; NOISE_MIX.len()] = NOISE_MIX.map(|(_, w)| w);
                        NOISE_MIX[self.rng.weighted(&weights)].0
                    }
                    Target::OutsideV4 => self.rng.pick(&[NoiseKind::Syn, NoiseKind::Udp]),
                    Target::V6 => self.rng.pick(&[NoiseKind::Syn, NoiseKind::Echo]),
                };
                let n = Noise::new(
                    &mut self.rng,
                    &mut self.alloc,
                    self.dn,
                    kind,
                    target,
                    packets as u8,
                    now,
                );
                self.schedule(n.next_ts, slot(Actor::Noise(n), TruthRef::None));
            }
        }
        Ok(())
    }

    /// A scanner's active span: `scan_secs` from `now`, inside one analysis window and the
    /// run. A start in the last two minutes of a window moves to the next window if it fits.
    fn scanner_span(&mut self, now: u64) -> (u64, u64) {
        let w = self.run.window_us;
        let mut start = now;
        let win_end = (start / w + 1) * w;
        if win_end - start < 120 * SEC && win_end + 120 * SEC <= self.run.end_us {
            start = win_end;
        }
        let win_end = (start / w + 1) * w;
        let (lo, hi) = self.run.scan_secs;
        let dur = self.rng.range(lo, hi.max(lo)) * SEC;
        let end = (start + dur)
            .min(win_end)
            .min(self.run.end_us)
            .max(start + 1);
        (start, end)
    }

    pub(crate) fn run<W: Write>(
        &mut self,
        out: &mut PcapWriter<W>,
        frames: &mut FrameBuf,
    ) -> Result<(), GenError> {
        let mut scratch = Vec::with_capacity(1024);
        while let Some(&Reverse((ts, _, idx))) = self.heap.peek() {
            let Some(mut s) = self.slots[idx as usize].take() else {
                self.heap.pop();
                continue;
            };
            let next = match &mut s.actor {
                Actor::Spawner(sp) => {
                    // Spawning pushes onto the heap: take this entry off first.
                    self.heap.pop();
                    self.spawn(sp, ts)?;
                    sp.i += 1;
                    if sp.i < sp.pop.count {
                        let t = sp.time_of(&mut self.rng, sp.i);
                        self.slots[idx as usize] = Some(s);
                        self.push(t, idx);
                    } else {
                        self.free.push(idx);
                    }
                    continue;
                }
                Actor::Scanner(a) => {
                    let (spec, next) = a.emit(&mut self.rng, self.dn, &mut scratch);
                    s.seen |= self.write(out, frames, &spec, s.truth, Some(&mut a.counters))?;
                    if next.is_none() {
                        self.stats.end_scanner(s.truth, &a.counters);
                    }
                    next
                }
                Actor::TcpVictim(a) => {
                    let (spec, next) = a.emit(&mut self.rng, self.dn);
                    s.seen |= self.write(out, frames, &spec, s.truth, None)?;
                    next
                }
                Actor::IcmpVictim(a) => {
                    let (spec, next) = a.emit(&mut self.rng, self.dn, &mut scratch);
                    s.seen |= self.write(out, frames, &spec, s.truth, None)?;
                    next
                }
                Actor::Noise(a) => {
                    let (spec, next) = a.emit(&mut self.rng, self.dn, &self.alloc, &mut scratch);
                    s.seen |= self.write(out, frames, &spec, s.truth, None)?;
                    next
                }
            };
            match (next, self.heap.peek_mut()) {
                (Some(t), Some(mut top)) => {
                    debug_assert!(t >= ts, "actor went back in time");
                    self.slots[idx as usize] = Some(s);
                    // Replacing the top sifts once instead of a pop and a push: the same
                    // order (keys are unique), half the work.
                    self.seq += 1;
                    *top = Reverse((t, self.seq, idx));
                }
                (_, top) => {
                    if let Some(top) = top {
                        std::collections::binary_heap::PeekMut::pop(top);
                    }
                    self.stats.end_source(s.seen);
                    self.free.push(idx);
                }
            }
        }
        Ok(())
    }

    fn write<W: Write>(
        &mut self,
        out: &mut PcapWriter<W>,
        frames: &mut FrameBuf,
        spec: &Spec<'_>,
        truth: TruthRef,
        counters: Option<&mut ScanCounters>,
    ) -> Result<u8, GenError> {
        let frame = frames.build(spec);
        let seen = self
            .stats
            .record(spec, frame.len(), truth, counters, self.dn);
        out.write(spec.ts_us * 1000, frame).map_err(GenError::Io)?;
        Ok(seen)
    }
}

fn slot(actor: Actor, truth: TruthRef) -> Slot {
    Slot {
        actor,
        truth,
        seen: 0,
    }
}
