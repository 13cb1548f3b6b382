//! Per-source state: run totals plus the distinct-destination/port sets of open windows.
//!
//! # Memory rule
//! A tracked IPv4 source costs [`SourceTable::bytes_per_source`] = 84 bytes: a 64-byte
//! [`SrcRec`] (one cache line, holding up to 4 destinations and 3 ports of its current window
//! inline), its address (4) and its index slot (16 bytes at ≤ 1/2 load). IPv6 sources cost
//! 108 bytes. A source that spans several windows, whose window outgrows the inline sets,
//! whose probes carry a tool fingerprint or whose counts pass 32 bits also gets a [`SrcExt`]
//! (256 bytes, with the current window's spilled sets inline, plus 48 per open older window,
//! which stays inline while it fits 4 destinations/3 ports; 96 more when it spills) and,
//! past the inline sizes, the sets' tables:
//! hashed tables at a load of at most 1/2, so 8 bytes
//! per destination and 16 per port (rounded up to a power-of-two table) up to the scanner
//! threshold / `vertical_min_ports`, then a 1 KiB HyperLogLog per set. The budget admits a
//! new source only while the estimate is below `state_budget_bytes`; sources already admitted
//! can still grow to their caps.
//!
//! # Windows
//! A record keeps its latest window inline (`win`) and, in [`SrcExt::pending`], older windows
//! that may still receive out-of-order packets. A window is *folded* (verdict taken, sets
//! merged into the run-level sets, window dropped) by the eviction pass once the packet clock
//! is more than one window past its end. The first window an analyzer saw is folded only at
//! [`SourceTable::finish_windows`]: another analyzer (an earlier file, or an earlier slice of
//! the same stream) may hold the rest of it, and merging must see both halves. Merging never
//! folds, for the same reason. So splitting a time-ordered stream into contiguous slices,
//! analysing each alone and merging in any order gives exactly the single-pass verdicts: a
//! window folded inside one slice lies strictly between that slice's first and last windows,
//! where no other slice has packets.

use crate::index::AddrIndex;
pub(crate) use crate::record::{RecMut, SrcExt, SrcRec};
use crate::winsets::SPILLED;
pub(crate) use crate::winsets::{
    Caps, Win, WinSets, HORIZONTAL_MAX_PORTS, SCAN_BLOCK, SCAN_HORIZONTAL, SCAN_VERTICAL,
};
use prefetch_index::prefetch_index;
use yamori_wire::Addr;

/// What one non-erratic darknet packet contributes to its source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceHit {
    pub secs: u32,
    pub win: u32,
    pub wire_len: u32,
    pub ttl: u8,
    /// For probes: the destination key and the destination port (TCP/UDP).
    pub probe: Option<(u32, Option<u16>)>,
    pub syn: bool,
    pub fp: u8,
}

/// Sources: an [`AddrIndex`] over one record arena.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceTable {
    idx: AddrIndex,
    pub recs: Vec<SrcRec>,
    /// Per record: the IPv4 address, or for IPv6 sources an index into `addrs6` (see
    /// `SrcRec::v6`); 4 bytes instead of a 32-byte `Addr` per source.
    addrs: Vec<u32>,
    addrs6: Vec<u128>,
    exts: Vec<SrcExt>,
    /// Heap bytes of spilled sets (estimate).
    pub heap_bytes: i64,
    /// Windows below this index have been folded (except `first_win`).
    pub evicted_below: u32,
    /// Lowest window seen; protected from eviction (see module docs).
    pub first_win: u32,
    /// Probes whose window was already folded: counted in run totals, not in window verdicts.
    pub late_packets: u64,
}

impl SourceTable {
    pub(crate) fn new() -> Self {
        SourceTable {
            first_win: u32::MAX,
            ..Default::default()
        }
    }

    /// Estimated fixed bytes per tracked source (record, address, index slot).
    pub(crate) fn bytes_per_source(v6: bool) -> u64 {
        // Record, address (4 bytes, IPv6 +16), index slot (8 bytes at ≤ 1/2 load; IPv6: a
        // hash-map slot of key, index and control byte at ≤ 7/8 load).
        let (addr, slot) = if v6 { (20, 24) } else { (4, 16) };
        (std::mem::size_of::<SrcRec>() + addr + slot) as u64
    }

    pub(crate) fn state_bytes(&self) -> u64 {
        let n6 = self.idx.len6() as u64;
        let n4 = self.recs.len() as u64 - n6;
        n4 * Self::bytes_per_source(false)
            + n6 * Self::bytes_per_source(true)
            + self.exts.len() as u64 * std::mem::size_of::<SrcExt>() as u64
            + self.heap_bytes.max(0) as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// Address of record `i`.
    pub(crate) fn addr(&self, i: usize) -> Addr {
        let x = self.addrs[i];
        if self.recs[i].v6 {
            Addr::V6(self.addrs6[x as usize])
        } else {
            Addr::V4(x)
        }
    }

    /// Packets of source `i` over the run.
    pub(crate) fn packets(&self, i: usize) -> u64 {
        u64::from(self.recs[i].packets) + self.ext_of(i).map_or(0, |e| e.wide_packets)
    }

    /// Bytes of source `i` over the run.
    pub(crate) fn bytes(&self, i: usize) -> u64 {
        u64::from(self.recs[i].bytes) + self.ext_of(i).map_or(0, |e| e.wide_bytes)
    }

    /// Fingerprint matches of source `i` (see `SrcExt::fp`).
    pub(crate) fn fp(&self, i: usize) -> [u32; 3] {
        self.ext_of(i).map_or([0; 3], |e| e.fp)
    }

    pub(crate) fn ext_of(&self, i: usize) -> Option<&SrcExt> {
        match self.recs[i].ext {
            0 => None,
            e => self.exts.get(e as usize - 1),
        }
    }

    /// Record index of an IPv4 source, if tracked (first step of `Analyzer`'s batching: the
    /// index slots of a whole batch are loaded before any record is).
    #[inline]
    pub(crate) fn find4(&self, src: Addr) -> Option<u32> {
        self.idx.get4(src)
    }

    /// Prefetches the index slot of an IPv4 source (step before [`SourceTable::find4`]).
    #[inline]
    pub(crate) fn prefetch4(&self, src: Addr) {
        self.idx.prefetch4(src);
    }

    /// Prefetches record `i` (second step of the batching).
    #[inline]
    pub(crate) fn prefetch_rec(&self, i: u32) {
        if let Some(r) = self.recs.get(i as usize) {
            // Only addresses are formed here: the record itself is not read.
            prefetch_index(std::slice::from_ref(r), 0);
        }
    }

    /// Third step: reads record `i` (prefetched) and returns its extension slot when the
    /// packet will update it: a fingerprint count, or the spilled sets of a heavy source's
    /// current window (for a probe), which sit two pointer hops further, prefetched by
    /// [`Self::prefetch_ext`] and [`Self::prefetch_regs`] in later passes over the batch, so
    /// that each pass reads what the previous one prefetched and issues the next misses
    /// without waiting for them.
    #[inline]
    pub(crate) fn heavy_ext(&self, i: u32, probe: bool, fp: bool) -> Option<u32> {
        let r = self.recs.get(i as usize)?;
        let spilled = probe && (r.cur.ndst == SPILLED || r.cur.nport == SPILLED);
        ((spilled || fp) && r.ext != 0).then(|| r.ext - 1)
    }

    #[inline]
    fn cur_sets(&self, e: u32) -> Option<&WinSets> {
        self.exts.get(e as usize).and_then(|x| x.cur.as_ref())
    }

    /// Fourth step: the first two lines of the extension record (the current-window sets'
    /// own fields, with their pointers to the heap parts, and the fingerprint counts).
    #[inline]
    pub(crate) fn prefetch_ext(&self, e: u32) {
        if let Some(x) = self.exts.get(e as usize) {
            // Only addresses are formed here: the record itself is not read.
            prefetch_index(std::slice::from_ref(x), 0);
            prefetch_index(x.fp.as_slice(), 0);
        }
    }

    /// Last step: the lines the probe will update (HyperLogLog registers, or the exact
    /// sets' slots).
    #[inline]
    pub(crate) fn prefetch_regs(&self, e: u32, probe: Option<(u32, Option<u16>)>) {
        if let (Some(c), Some((d, port))) = (self.cur_sets(e), probe) {
            c.dsts.prefetch(d);
            if let Some(p) = port {
                c.ports.prefetch(p);
            }
        }
    }

    fn insert(&mut self, a: Addr, mut rec: SrcRec) -> u32 {
        let i = self.recs.len() as u32;
        rec.v6 = matches!(a, Addr::V6(_));
        self.idx.insert(a, i);
        self.recs.push(rec);
        match a {
            Addr::V4(x) => self.addrs.push(x),
            Addr::V6(x) => {
                self.addrs.push(self.addrs6.len() as u32);
                self.addrs6.push(x);
            }
        }
        i
    }

    /// Records one packet of `src` (record `known` if the caller already looked it up);
    /// returns false when the source is new and `admit` is false.
    #[inline]
    pub(crate) fn hit(
        &mut self,
        src: Addr,
        known: Option<u32>,
        h: &SourceHit,
        caps: &Caps,
        admit: bool,
    ) -> bool {
        let i = match known.or_else(|| self.idx.get(src)) {
            Some(i) => i,
            None if admit => self.insert(src, SrcRec::new(h.secs, h.win, h.ttl)),
            None => return false,
        };
        self.first_win = self.first_win.min(h.win);
        let late = h.win < self.evicted_below && h.win != self.first_win;
        let mut m = RecMut {
            r: &mut self.recs[i as usize],
            exts: &mut self.exts,
        };
        m.add_counts(1, u64::from(h.wire_len));
        let r = &mut *m.r;
        r.first_s = r.first_s.min(h.secs);
        r.last_s = r.last_s.max(h.secs);
        r.ttl_min = r.ttl_min.min(h.ttl);
        r.ttl_max = r.ttl_max.max(h.ttl);
        if h.syn {
            r.syn = r.syn.saturating_add(1);
            if h.fp != 0 {
                m.add_fp(std::array::from_fn(|b| u32::from(h.fp >> b & 1)));
            }
        }
        if let Some((dst, port)) = h.probe {
            if late {
                self.late_packets += 1;
            } else {
                self.heap_bytes += m.probe(h.win, dst, port, caps) as i64;
            }
        }
        true
    }

    fn for_each_rec(&mut self, mut f: impl FnMut(&mut RecMut<'_>) -> isize) {
        let mut delta = 0;
        for r in &mut self.recs {
            delta += f(&mut RecMut {
                r,
                exts: &mut self.exts,
            });
        }
        self.heap_bytes += delta as i64;
    }

    /// Folds every open window that is more than one window behind `watermark_win`, except
    /// the first window seen.
    pub(crate) fn evict(&mut self, watermark_win: u32, caps: &Caps) {
        let below = watermark_win.saturating_sub(1);
        if below <= self.evicted_below {
            return;
        }
        self.evicted_below = below;
        let first = self.first_win;
        self.for_each_rec(|m| m.fold_where(caps, |w| w < below && w != first));
    }

    /// Judges all open windows (end of analysis) without merging their sets: only the
    /// sources the report lists need run-level sets, built by [`SourceTable::run_view`].
    pub(crate) fn finish_windows(&mut self, caps: &Caps) {
        self.for_each_rec(|m| m.judge_open(caps));
    }

    /// Run-level sets of source `i` (folded windows plus the open ones).
    pub(crate) fn run_view(&self, i: usize, caps: &Caps) -> Win {
        let r = &self.recs[i];
        let e = self.ext_of(i);
        let mut v = e.map(|e| e.run.clone()).unwrap_or_default();
        if let Some(e) = e {
            for (_, w) in &e.pending {
                v.union(w, caps);
            }
        }
        if !r.cur.is_empty() {
            let c = r.cur;
            let mut cur = WinSets::default();
            if let Some(s) = e.and_then(|e| e.cur.as_ref()) {
                cur = s.clone();
            }
            if c.ndst != SPILLED {
                for &x in c.dst_slice() {
                    cur.dsts.insert(x, caps.min_dsts);
                }
            }
            if c.nport != SPILLED {
                c.for_each_port(|p, n| {
                    cur.ports.add(p, n, caps.port_cap);
                });
            }
            v.union(&Win::Sets(Box::new(cur)), caps);
        }
        v
    }

    /// Adds `other`'s sources; windows open on both sides are combined before any verdict.
    pub(crate) fn merge(&mut self, mut other: SourceTable, caps: &Caps) {
        self.first_win = self.first_win.min(other.first_win);
        self.late_packets += other.late_packets;
        let mut delta = 0isize;
        for j in 0..other.recs.len() {
            let a = other.addr(j);
            // Open windows of the other record, as sets.
            let mut om = RecMut {
                r: &mut other.recs[j],
                exts: &mut other.exts,
            };
            let (ocur, _) = om.take_cur(caps);
            let owin = om.r.win;
            let oext = match om.r.ext {
                0 => SrcExt::default(),
                e => std::mem::take(&mut other.exts[e as usize - 1]),
            };
            let o = &other.recs[j];
            let i = match self.idx.get(a) {
                Some(i) => i,
                None => {
                    // Same times, TTLs and window; the additive fields are added below.
                    let mut fresh = o.clone();
                    (fresh.ext, fresh.packets, fresh.bytes, fresh.syn) = (0, 0, 0, 0);
                    self.insert(a, fresh)
                }
            };
            let mut m = RecMut {
                r: &mut self.recs[i as usize],
                exts: &mut self.exts,
            };
            m.add_counts(
                u64::from(o.packets) + oext.wide_packets,
                u64::from(o.bytes) + oext.wide_bytes,
            );
            m.add_fp(oext.fp);
            let r = &mut *m.r;
            r.first_s = r.first_s.min(o.first_s);
            r.last_s = r.last_s.max(o.last_s);
            r.syn = r.syn.saturating_add(o.syn);
            r.ttl_min = r.ttl_min.min(o.ttl_min);
            r.ttl_max = r.ttl_max.max(o.ttl_max);
            r.scan_bits |= o.scan_bits;
            if !oext.run.is_empty() || !oext.scanner_windows.is_empty() {
                let ext = m.ext();
                ext.scanner_windows.extend(&oext.scanner_windows);
                delta += ext.run.union(&oext.run, caps);
            }
            delta += m.add_window(owin, &ocur, caps);
            for (w, s) in &oext.pending {
                delta += m.add_window(*w, s, caps);
            }
        }
        self.heap_bytes += delta as i64;
        // No folding here: a window left open by one part may still be completed by a part
        // merged later (merge order is free), so open windows stay open until finish.
        self.evicted_below = self.evicted_below.max(other.evicted_below);
    }
}
