//! [`Analyzer`]: the streaming state fed one packet at a time, mergeable across files/threads.

use crate::classify::{self, Darknet, Erratic};
use crate::config::Config;
use crate::distinct::{mix64, DistinctSet};
use crate::port_hist::PortHistogram;
use crate::sources::{Caps, SourceHit, SourceTable, HORIZONTAL_MAX_PORTS};
use crate::victim_table::{VictimHit, VictimTable};
use std::collections::BTreeMap;
use yamori_wire::{Addr, Packet, Transport};

/// Distinct minutes the time series may hold (two years); later new minutes are dropped and
/// counted, so forged timestamps cannot grow it without bound.
pub(crate) const MAX_MINUTES: usize = 2 * 366 * 24 * 60;
/// Untracked sources are counted exactly up to this many, then estimated.
const UNTRACKED_EXACT: u32 = 4096;
const NS_PER_SEC: u64 = 1_000_000_000;
const NS_PER_MINUTE: u64 = 60 * NS_PER_SEC;

/// Streaming telescope analysis. Feed packets with [`Analyzer::observe`], combine partial
/// analyses with [`Analyzer::merge`], and produce the report with [`Analyzer::finish`].
///
/// Memory: fixed ≈ 1.3 MiB (port counters) plus the time series (88 bytes per minute) plus
/// per-source and per-victim state, which `state_budget_bytes` caps (84 bytes per
/// IPv4 source while its window fits inline; see the `sources` module for the full rule).
///
/// For identical results whatever the split, give each analyzer a time-ordered slice (a file,
/// or a contiguous part of one) and merge the analyzers in any order; see
/// the `sources` module for how windows that straddle two slices are kept open for merging.
pub struct Analyzer {
    pub(crate) cfg: Config,
    darknet: Darknet,
    pub(crate) caps: Caps,
    window_secs: u64,
    pub(crate) t: Counters,
    pub(crate) tcp_ports: PortHistogram,
    pub(crate) udp_ports: PortHistogram,
    pub(crate) series: BTreeMap<u64, [u64; 10]>,
    cur_minute: u64,
    cur_counts: [u64; 10],
    pub(crate) sources: SourceTable,
    pub(crate) untracked: DistinctSet,
    pub(crate) victims: VictimTable,
    watermark_win: u32,
    since_pass: u64,
    /// Start (seconds) and index of the window of the last packet (see `window_of`).
    last_window: (u64, u32),
    /// Source updates waiting to be applied (see [`Analyzer::flush_hits`]).
    hits: Vec<(Addr, SourceHit)>,
    /// Whether a waiting update is for a window already folded (then they are applied in
    /// arrival order, see `flush_hits`).
    hits_late: bool,
    /// Scratch for the regrouped updates.
    grouped: Vec<(Addr, SourceHit)>,
    /// Backscatter packets waiting to be applied to their victims, batched likewise.
    vhits: Vec<VictimHit>,
}

/// Source updates applied together: their table slots are prefetched first, so the cache
/// misses of a batch overlap instead of being paid one after another (the per-source table is
/// far larger than the caches when there are millions of sources).
const HIT_BATCH: usize = 64;

/// Source updates buffered before they are applied, grouped by source (see `flush_hits`).
/// Large enough that a scanner has several updates in one chunk, small enough that the
/// chunk's buffers stay in the caches: on the 20 M-packet / 2 M-source benchmark capture
/// 2 k–8 k were about as slow as no grouping, 32 k–64 k best (about 4 % faster than 16 k) and
/// 256 k slower again on Intel Xeon; on AMD EPYC every size from 8 k to 512 k, and no grouping,
/// came out within noise (docs/BENCHMARKS.md, telescope, "What helped").
const HIT_CHUNK: usize = 32_768;
/// Updates are buffered by the chunk and grouped only once this many sources are tracked:
/// below it their state fits the caches anyway, and a chunk-sized buffer (2 MiB) is pure cost
/// (measured: 8 % slower on the 5,000-source benchmark capture).
const GROUP_MIN_SOURCES: usize = 65_536;
/// log2 of the groups the updates of a chunk are sorted into.
const GROUP_BITS: u32 = 8;

/// More than any one packet can add to the per-source state estimate: a new IPv6 record
/// (108 bytes), an ext record (256), a pending-window slot (48), boxed sets (96) and both of
/// their switches to a 1 KiB HyperLogLog (about 2.6 KiB in all), with a wide margin.
const MAX_HIT_GROWTH: u64 = 8192;

/// Plain counters, all summed by `merge`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub packets: u64,
    pub bytes: u64,
    pub darknet: u64,
    pub outside: u64,
    pub undecodable: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub backscatter: u64,
    pub backscatter_no_victim: u64,
    pub by_cat: [u64; 10],
    pub erratic: [u64; Erratic::COUNT],
    pub fp_packets: [u64; 3],
    pub first_ns: Option<u64>,
    pub last_ns: Option<u64>,
    pub untracked_packets: u64,
    pub untracked_victim_packets: u64,
    pub series_dropped: u64,
}

/// 32-bit key of a destination address for distinct sets: IPv4 as is, IPv6 hashed (a
/// collision merges two destinations: probability below 2^-20 for a 100-destination set).
#[inline]
pub(crate) fn dst_key(a: Addr) -> u32 {
    match a {
        Addr::V4(x) => x,
        Addr::V6(x) => mix64((x as u64) ^ mix64((x >> 64) as u64)) as u32,
    }
}

impl Analyzer {
    pub fn new(cfg: Config) -> Self {
        let min_dsts = cfg.effective_scanner_min_destinations();
        let vertical_ports = cfg.vertical_min_ports.max(1);
        let caps = Caps {
            min_dsts,
            vertical_ports,
            port_cap: vertical_ports.max(HORIZONTAL_MAX_PORTS as u32 + 1),
        };
        Analyzer {
            darknet: Darknet::new(&cfg.darknets),
            window_secs: cfg.window_secs.max(1),
            cfg,
            caps,
            t: Counters::default(),
            tcp_ports: PortHistogram::default(),
            udp_ports: PortHistogram::default(),
            series: BTreeMap::new(),
            cur_minute: u64::MAX,
            cur_counts: [0; 10],
            sources: SourceTable::new(),
            untracked: DistinctSet::default(),
            victims: VictimTable::default(),
            watermark_win: 0,
            since_pass: 0,
            last_window: (u64::MAX, 0),
            hits: Vec::with_capacity(HIT_BATCH),
            hits_late: false,
            grouped: Vec::new(),
            vhits: Vec::with_capacity(HIT_BATCH),
        }
    }

    /// Estimated bytes of per-source and per-victim state (what the budget caps); up to
    /// `HIT_CHUNK` most recent packets may not be applied yet.
    pub fn state_bytes(&self) -> u64 {
        self.sources.state_bytes() + self.victims.state_bytes()
    }

    /// Distinct sources tracked so far.
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    #[inline]
    fn see_time(&mut self, ts_ns: u64) {
        self.t.first_ns = Some(self.t.first_ns.map_or(ts_ns, |f| f.min(ts_ns)));
        self.t.last_ns = Some(self.t.last_ns.map_or(ts_ns, |l| l.max(ts_ns)));
    }

    /// A record that did not decode to IP (counted in `packets`, `bytes` and `undecodable`).
    pub fn observe_undecodable(&mut self, ts_ns: u64, wire_len: u32) {
        self.t.packets += 1;
        self.t.bytes += u64::from(wire_len);
        self.t.undecodable += 1;
        self.see_time(ts_ns);
    }

    /// One decoded frame; `wire_len` is the original frame length (for byte counts).
    #[inline]
    pub fn observe(&mut self, pkt: &Packet, wire_len: u32) {
        self.t.packets += 1;
        self.t.bytes += u64::from(wire_len);
        self.see_time(pkt.ts_ns);
        match pkt.dst {
            Addr::V4(_) => self.t.ipv4 += 1,
            Addr::V6(_) => self.t.ipv6 += 1,
        }
        if !self.darknet.contains(pkt.dst) {
            self.t.outside += 1;
            return;
        }
        self.t.darknet += 1;
        let cat = classify::category(&pkt.transport).index();
        self.t.by_cat[cat] += 1;
        let minute = pkt.ts_ns / NS_PER_MINUTE;
        if minute != self.cur_minute {
            self.flush_minute();
            self.cur_minute = minute;
        }
        self.cur_counts[cat] += 1;
        let port = match &pkt.transport {
            Transport::Tcp(t) => {
                self.tcp_ports.add(t.dst_port);
                Some(t.dst_port)
            }
            Transport::Udp(u) => {
                self.udp_ports.add(u.dst_port);
                Some(u.dst_port)
            }
            _ => None,
        };
        let syn = classify::is_syn_probe(&pkt.transport);
        let fp = if syn { classify::fingerprints(pkt) } else { 0 };
        if fp != 0 {
            for (b, c) in self.t.fp_packets.iter_mut().enumerate() {
                *c += u64::from(fp >> b & 1);
            }
        }
        if let Some(e) = classify::erratic(pkt, fp) {
            self.t.erratic[e as usize] += 1;
            return;
        }
        if let Some(bs) = classify::backscatter(pkt) {
            self.t.backscatter += 1;
            self.victim(pkt, bs);
        }
        let secs = (pkt.ts_ns / NS_PER_SEC).min(u64::from(u32::MAX)) as u32;
        let win = self.window_of(secs);
        self.watermark_win = self.watermark_win.max(win);
        self.since_pass += 1;
        if self.watermark_win > self.sources.evicted_below.saturating_add(1)
            && self.since_pass >= self.sources.len() as u64 / 4
        {
            self.flush_hits();
            self.sources.evict(self.watermark_win, &self.caps);
            self.since_pass = 0;
        }
        let hit = SourceHit {
            secs,
            win,
            wire_len,
            ttl: pkt.ttl,
            probe: classify::is_probe(&pkt.transport).then(|| (dst_key(pkt.dst), port)),
            syn,
            fp,
        };
        self.hits_late |= win < self.sources.evicted_below;
        self.hits.push((pkt.src, hit));
        // `HIT_BATCH` while the sources' state fits the caches, `HIT_CHUNK` once it does not
        // (the source count only changes in `flush_hits`).
        let limit = if self.sources.len() >= GROUP_MIN_SOURCES {
            HIT_CHUNK
        } else {
            HIT_BATCH
        };
        if self.hits.len() >= limit {
            self.flush_hits();
        }
    }

    /// Window index of `secs`; the division is done once per window, not per packet.
    #[inline]
    fn window_of(&mut self, secs: u32) -> u32 {
        let (lo, win) = self.last_window;
        let s = u64::from(secs);
        if s >= lo && s - lo < self.window_secs {
            return win;
        }
        let win = (s / self.window_secs) as u32;
        self.last_window = (u64::from(win) * self.window_secs, win);
        win
    }

    /// Applies the buffered source updates.
    ///
    /// Grouped by source first: a large telescope has thousands of scanners active at once,
    /// each with a kilobyte or two of state (record, sets, HyperLogLog registers) and its
    /// packets spread among everyone else's, so in arrival order nearly every update missed
    /// cache (with tens of thousands of sources or more: `GROUP_MIN_SOURCES`). Regrouped (a
    /// stable counting sort on a hash of the source address, so each
    /// source's own updates keep their order), a scanner's updates in a chunk run together
    /// while its state is hot. The result is the same as in arrival order because updates of
    /// different sources commute, except in two cases that are then applied in arrival
    /// order: the state budget could be reached within the chunk (which new sources are
    /// admitted would depend on the order), or an update is for an already folded window
    /// (whether it counts as late depends on the lowest window seen before it).
    pub(crate) fn flush_hits(&mut self) {
        self.flush_victims();
        if self.hits.is_empty() {
            return;
        }
        let mut hits = std::mem::take(&mut self.hits);
        let margin = hits.len() as u64 * MAX_HIT_GROWTH;
        if self.sources.len() >= GROUP_MIN_SOURCES
            && !self.hits_late
            && self.state_bytes().saturating_add(margin) < self.cfg.state_budget_bytes
        {
            group_by_source(&hits, &mut self.grouped);
            std::mem::swap(&mut hits, &mut self.grouped);
        }
        for batch in hits.chunks(HIT_BATCH) {
            self.apply_batch(batch);
        }
        hits.clear();
        self.hits = hits;
        self.hits_late = false;
    }

    /// Applies up to `HIT_BATCH` source updates in order, their lookups overlapped.
    fn apply_batch(&mut self, batch: &[(Addr, SourceHit)]) {
        for (src, _) in batch {
            self.sources.prefetch4(*src);
        }
        let mut found = [None; HIT_BATCH];
        for (f, (src, _)) in found.iter_mut().zip(batch) {
            *f = self.sources.find4(*src);
            if let Some(i) = *f {
                self.sources.prefetch_rec(i);
            }
        }
        // Positions in the batch (and extension slots) of heavy sources, prefetched in passes.
        let mut heavy = [(0u8, 0u32); HIT_BATCH];
        let mut n_heavy = 0;
        for (k, (f, (_, hit))) in found.iter().zip(batch).enumerate() {
            if let Some(e) =
                f.and_then(|i| self.sources.heavy_ext(i, hit.probe.is_some(), hit.fp != 0))
            {
                heavy[n_heavy] = (k as u8, e);
                n_heavy += 1;
            }
        }
        let heavy = &heavy[..n_heavy];
        for &(_, e) in heavy {
            self.sources.prefetch_ext(e);
        }
        for &(k, e) in heavy {
            let probe = batch.get(usize::from(k)).and_then(|(_, h)| h.probe);
            self.sources.prefetch_regs(e, probe);
        }
        for (&(src, hit), known) in batch.iter().zip(found) {
            let admit = self.state_bytes() < self.cfg.state_budget_bytes;
            if !self.sources.hit(src, known, &hit, &self.caps, admit) {
                self.t.untracked_packets += 1;
                self.untracked.insert(dst_key(src), UNTRACKED_EXACT);
            }
        }
    }

    fn victim(&mut self, pkt: &Packet, bs: classify::Backscatter) {
        let Some(addr) = bs.victim else {
            self.t.backscatter_no_victim += 1;
            return;
        };
        self.vhits.push(VictimHit {
            victim: addr,
            ts_ns: pkt.ts_ns,
            port: bs.port,
            dst: dst_key(pkt.dst),
            kind: bs.kind,
        });
        if self.vhits.len() == HIT_BATCH {
            self.flush_victims();
        }
    }

    /// Applies the batched backscatter packets to their victims.
    fn flush_victims(&mut self) {
        let sources = self.sources.state_bytes();
        let budget = self.cfg.state_budget_bytes;
        let dropped = self
            .victims
            .apply(&self.vhits, |victims| sources + victims < budget);
        self.t.untracked_victim_packets += dropped;
        self.vhits.clear();
    }

    pub(crate) fn flush_minute(&mut self) {
        if self.cur_minute == u64::MAX {
            return;
        }
        let counts = std::mem::take(&mut self.cur_counts);
        let n = self.series.len();
        match self.series.get_mut(&self.cur_minute) {
            Some(e) => e.iter_mut().zip(counts).for_each(|(a, b)| *a += b),
            None if n < MAX_MINUTES => {
                self.series.insert(self.cur_minute, counts);
            }
            None => self.t.series_dropped += counts.iter().sum::<u64>(),
        }
        self.cur_minute = u64::MAX;
    }

    /// Combines `other` (analysed with the same [`Config`]) into `self`.
    pub fn merge(&mut self, mut other: Analyzer) {
        self.flush_minute();
        other.flush_minute();
        self.flush_hits();
        other.flush_hits();
        let (a, b) = (&mut self.t, &other.t);
        for (x, y) in [
            (&mut a.packets, b.packets),
            (&mut a.bytes, b.bytes),
            (&mut a.darknet, b.darknet),
            (&mut a.outside, b.outside),
            (&mut a.undecodable, b.undecodable),
            (&mut a.ipv4, b.ipv4),
            (&mut a.ipv6, b.ipv6),
            (&mut a.backscatter, b.backscatter),
            (&mut a.backscatter_no_victim, b.backscatter_no_victim),
            (&mut a.untracked_packets, b.untracked_packets),
            (&mut a.untracked_victim_packets, b.untracked_victim_packets),
            (&mut a.series_dropped, b.series_dropped),
        ] {
            *x += y;
        }
        add_all(&mut a.by_cat, &b.by_cat);
        add_all(&mut a.erratic, &b.erratic);
        add_all(&mut a.fp_packets, &b.fp_packets);
        if let Some(f) = b.first_ns {
            self.see_time(f);
        }
        if let Some(l) = b.last_ns {
            self.see_time(l);
        }
        self.tcp_ports.merge(&mut other.tcp_ports);
        self.udp_ports.merge(&mut other.udp_ports);
        for (m, c) in std::mem::take(&mut other.series) {
            self.cur_minute = m;
            self.cur_counts = c;
            self.flush_minute();
        }
        self.sources.merge(other.sources, &self.caps);
        self.untracked.union(&other.untracked, UNTRACKED_EXACT);
        self.victims.merge(other.victims);
        self.watermark_win = self.watermark_win.max(other.watermark_win);
    }

    pub(crate) fn window_secs(&self) -> u64 {
        self.window_secs
    }
}

fn add_all(a: &mut [u64], b: &[u64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// Group of a source address in [`group_by_source`] (multiplicative hash, top bits).
fn group(a: Addr) -> usize {
    (dst_key(a).wrapping_mul(0x9E37_79B9) >> (32 - GROUP_BITS)) as usize
}

/// Stable counting sort of `hits` into `out` by a hash of the source address (see
/// [`Analyzer::flush_hits`]).
fn group_by_source(hits: &[(Addr, SourceHit)], out: &mut Vec<(Addr, SourceHit)>) {
    let mut start = [0usize; 1 << GROUP_BITS];
    for (a, _) in hits {
        start[group(*a)] += 1;
    }
    let mut sum = 0;
    for s in start.iter_mut() {
        (*s, sum) = (sum, sum + *s);
    }
    // Every slot is overwritten below; resizing only fills slots when `out` grows (it holds
    // a full chunk from the previous call), where a clear-and-copy moved every update twice.
    if let Some(&first) = hits.first() {
        out.resize(hits.len(), first);
    }
    for h in hits {
        let g = group(h.0);
        out[start[g]] = *h;
        start[g] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn grouping_keeps_every_update_and_each_sources_order() {
        let hit = |secs: u32| SourceHit {
            secs,
            win: 0,
            wire_len: 60,
            ttl: 64,
            probe: None,
            syn: false,
            fp: 0,
        };
        // 5,000 updates from 40 sources (some IPv6), interleaved.
        let hits: Vec<(Addr, SourceHit)> = (0..5_000u32)
            .map(|k| {
                let s = k.wrapping_mul(7) % 40;
                let a = if s % 10 == 0 {
                    Addr::V6(u128::from(s) << 64)
                } else {
                    Addr::V4(0x0a00_0000 + s)
                };
                (a, hit(k))
            })
            .collect();
        let mut out = Vec::new();
        group_by_source(&hits, &mut out);
        assert_eq!(out.len(), hits.len());
        let mut last: HashMap<Addr, u32> = HashMap::new();
        let mut runs: HashMap<Addr, u32> = HashMap::new();
        let mut seen = vec![false; hits.len()];
        for (k, (a, h)) in out.iter().enumerate() {
            assert!(!seen[h.secs as usize], "update {} twice", h.secs);
            seen[h.secs as usize] = true;
            if let Some(&prev) = last.get(a) {
                assert!(
                    prev < h.secs,
                    "{a:?}: update {} moved before {prev}",
                    h.secs
                );
            }
            last.insert(*a, h.secs);
            if k == 0 || out[k - 1].0 != *a {
                *runs.entry(*a).or_default() += 1;
            }
        }
        assert!(seen.iter().all(|&s| s));
        // A source alone in its group has all its updates in one run (arrival order: 125).
        let mut per_group: HashMap<usize, u32> = HashMap::new();
        for a in last.keys() {
            *per_group.entry(group(*a)).or_default() += 1;
        }
        let alone: Vec<_> = last
            .keys()
            .filter(|a| per_group[&group(**a)] == 1)
            .collect();
        assert!(alone.len() > 20, "{} sources alone", alone.len());
        for a in alone {
            assert_eq!(runs[a], 1, "{a:?}");
        }
    }
}
