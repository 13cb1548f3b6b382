//! Per-source state: run totals plus the distinct-destination/port sets of open windows.
//!
//! # Memory rule
//! A tracked IPv4 source costs [`SourceTable::bytes_per_source`] ≈ 152 bytes: a 128-byte
//! [`SrcRec`] (one pair of cache lines, holding up to 11 destinations and 4 ports of its
//! current window inline), its address (20) and its index slot (8 bytes at ≤ 1/2 load).
//! IPv6 sources cost about 40 bytes more (hash-map slot). A source whose window outgrows the
//! inline sets, or that spans several windows, also gets a [`SrcExt`] (≈ 150 bytes) plus the
//! heap of its spilled sets: 4 bytes per destination and 8 per port up to the scanner
//! threshold / `vertical_min_ports`, then a 272-byte HyperLogLog per set. The budget admits a
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

use crate::distinct::{DistinctSet, PortCounts};
use crate::index::Index4;
use foldhash::fast::FixedState;
use std::collections::HashMap;
use yamori_wire::Addr;

/// Horizontal scans use at most this many distinct destination ports.
pub(crate) const HORIZONTAL_MAX_PORTS: u64 = 5;
pub(crate) const SCAN_HORIZONTAL: u8 = 1;
pub(crate) const SCAN_VERTICAL: u8 = 2;
pub(crate) const SCAN_BLOCK: u8 = 4;

const INLINE_DSTS: usize = 11;
const INLINE_PORTS: usize = 4;
/// `ndst`/`nport` value meaning "the current window's set lives in `SrcExt::cur`".
const SPILLED: u8 = u8::MAX;

/// Verdict thresholds and set caps derived from the config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    pub min_dsts: u32,
    pub vertical_ports: u32,
    /// Ports are counted exactly up to this many (≥ `vertical_ports`, ≥ 6).
    pub port_cap: u32,
}

/// The distinct sets of one source in one window (or over the folded part of the run).
#[derive(Debug, Clone, Default)]
pub(crate) struct WinSets {
    pub dsts: DistinctSet,
    pub ports: PortCounts,
}

impl WinSets {
    fn is_empty(&self) -> bool {
        self.dsts.is_empty() && self.ports.is_empty()
    }
    pub(crate) fn heap_bytes(&self) -> isize {
        self.dsts.heap_bytes() + self.ports.heap_bytes()
    }
    fn union(&mut self, o: &WinSets, caps: &Caps) -> isize {
        self.dsts.union(&o.dsts, caps.min_dsts) + self.ports.union(&o.ports, caps.port_cap)
    }
    /// Scanner verdict for one window: scan-kind bits, 0 when not a scanner.
    pub(crate) fn verdict(&self, caps: &Caps) -> u8 {
        let (d, p) = (self.dsts.count(), self.ports.count());
        if d >= u64::from(caps.min_dsts) {
            if p <= HORIZONTAL_MAX_PORTS {
                SCAN_HORIZONTAL
            } else {
                SCAN_BLOCK
            }
        } else if p >= u64::from(caps.vertical_ports) {
            SCAN_VERTICAL
        } else {
            0
        }
    }
}

/// Rarely needed parts of a source record, in a side arena to keep [`SrcRec`] small.
#[derive(Debug, Clone, Default)]
pub(crate) struct SrcExt {
    /// Current-window sets that outgrew the inline arrays.
    cur: WinSets,
    /// Union of the folded windows.
    pub run: WinSets,
    /// Open windows older than `SrcRec::win`, ascending by window.
    pending: Vec<(u32, WinSets)>,
    /// Windows (index) in which the source was a scanner; unsorted until finish.
    pub scanner_windows: Vec<u32>,
}

/// One source over the run. Times are Unix seconds (u32: until 2106).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct SrcRec {
    pub packets: u64,
    pub bytes: u64,
    pub first_s: u32,
    pub last_s: u32,
    pub syn: u32,
    pub fp: [u32; 3],
    /// Window index of the inline sets.
    pub win: u32,
    /// 1 + index into [`SourceTable::exts`]; 0 = none.
    ext: u32,
    pub ttl_min: u8,
    pub ttl_max: u8,
    /// OR of the scan-kind bits of folded windows.
    pub scan_bits: u8,
    ndst: u8,
    nport: u8,
    dsts: [u32; INLINE_DSTS],
    ports: [u16; INLINE_PORTS],
    port_counts: [u32; INLINE_PORTS],
}

const _: () = assert!(std::mem::size_of::<SrcRec>() == 128);

impl SrcRec {
    fn new(secs: u32, win: u32, ttl: u8) -> Self {
        SrcRec {
            packets: 0,
            bytes: 0,
            first_s: secs,
            last_s: secs,
            syn: 0,
            fp: [0; 3],
            win,
            ext: 0,
            ttl_min: ttl,
            ttl_max: ttl,
            scan_bits: 0,
            ndst: 0,
            nport: 0,
            dsts: [0; INLINE_DSTS],
            ports: [0; INLINE_PORTS],
            port_counts: [0; INLINE_PORTS],
        }
    }

    fn cur_is_empty(&self) -> bool {
        self.ndst == 0 && self.nport == 0
    }
}

/// Record plus the ext arena, borrowed together so helpers can allocate an ext.
struct RecMut<'a> {
    r: &'a mut SrcRec,
    exts: &'a mut Vec<SrcExt>,
}

impl RecMut<'_> {
    fn ext(&mut self) -> &mut SrcExt {
        if self.r.ext == 0 {
            self.exts.push(SrcExt::default());
            self.r.ext = self.exts.len() as u32;
        }
        &mut self.exts[self.r.ext as usize - 1]
    }

    /// Adds a probe to the current window's inline sets (spilling when full).
    #[inline]
    fn probe_cur(&mut self, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
        let mut delta = 0;
        let n = self.r.ndst;
        if n == SPILLED {
            delta += self.ext().cur.dsts.insert(dst, caps.min_dsts);
        } else if !self.r.dsts[..usize::from(n)].contains(&dst) {
            if usize::from(n) < INLINE_DSTS {
                self.r.dsts[usize::from(n)] = dst;
                self.r.ndst += 1;
            } else {
                let inline = self.r.dsts;
                let set = &mut self.ext().cur.dsts;
                for x in inline {
                    delta += set.insert(x, caps.min_dsts);
                }
                delta += set.insert(dst, caps.min_dsts);
                self.r.ndst = SPILLED;
            }
        }
        if let Some(p) = port {
            let n = self.r.nport;
            if n == SPILLED {
                delta += self.ext().cur.ports.add(p, 1, caps.port_cap);
            } else if let Some(i) = self.r.ports[..usize::from(n)].iter().position(|&x| x == p) {
                self.r.port_counts[i] = self.r.port_counts[i].saturating_add(1);
            } else if usize::from(n) < INLINE_PORTS {
                self.r.ports[usize::from(n)] = p;
                self.r.port_counts[usize::from(n)] = 1;
                self.r.nport += 1;
            } else {
                let (ports, counts) = (self.r.ports, self.r.port_counts);
                let set = &mut self.ext().cur.ports;
                for (x, c) in ports.into_iter().zip(counts) {
                    delta += set.add(x, c, caps.port_cap);
                }
                delta += set.add(p, 1, caps.port_cap);
                self.r.nport = SPILLED;
            }
        }
        delta
    }

    /// Moves the current window's sets out (inline or spilled) and clears them.
    fn take_cur(&mut self, caps: &Caps) -> (WinSets, isize) {
        let mut delta = 0;
        let (nd, np) = (self.r.ndst, self.r.nport);
        let (dsts, ports, counts) = (self.r.dsts, self.r.ports, self.r.port_counts);
        self.r.ndst = 0;
        self.r.nport = 0;
        let mut s = WinSets::default();
        if nd == SPILLED {
            s.dsts = std::mem::take(&mut self.ext().cur.dsts);
        } else {
            for &x in &dsts[..usize::from(nd)] {
                delta += s.dsts.insert(x, caps.min_dsts);
            }
        }
        if np == SPILLED {
            s.ports = std::mem::take(&mut self.ext().cur.ports);
        } else {
            for i in 0..usize::from(np) {
                delta += s.ports.add(ports[i], counts[i], caps.port_cap);
            }
        }
        (s, delta)
    }

    /// Takes the verdict of window `w` and merges its sets into the run-level sets.
    fn fold(&mut self, w: u32, sets: WinSets, caps: &Caps) -> isize {
        if sets.is_empty() {
            return -sets.heap_bytes();
        }
        let bits = sets.verdict(caps);
        self.r.scan_bits |= bits;
        let ext = self.ext();
        if bits != 0 {
            ext.scanner_windows.push(w);
        }
        if ext.run.is_empty() {
            ext.run = sets;
            0
        } else {
            ext.run.union(&sets, caps) - sets.heap_bytes()
        }
    }

    /// Folds every open window for which `evict(w)` holds; returns the heap change.
    fn fold_where(&mut self, caps: &Caps, evict: impl Fn(u32) -> bool) -> isize {
        let mut delta = 0;
        if self.r.ext != 0 {
            let ext = self.ext();
            if ext.pending.iter().any(|(w, _)| evict(*w)) {
                let all = std::mem::take(&mut ext.pending);
                let (gone, keep): (Vec<_>, Vec<_>) = all.into_iter().partition(|(w, _)| evict(*w));
                self.ext().pending = keep;
                for (w, s) in gone {
                    delta += self.fold(w, s, caps);
                }
            }
        }
        if evict(self.r.win) && !self.r.cur_is_empty() {
            let (cur, d) = self.take_cur(caps);
            delta += d;
            delta += self.fold(self.r.win, cur, caps);
        }
        delta
    }

    /// Adds a probe in window `w`, which may be the current one, a newer one (the current
    /// window moves to `pending`) or an older open one.
    fn probe(&mut self, w: u32, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
        if w == self.r.win {
            return self.probe_cur(dst, port, caps);
        }
        let mut delta = 0;
        if w > self.r.win {
            if !self.r.cur_is_empty() {
                let old_w = self.r.win;
                let (old, d) = self.take_cur(caps);
                delta += d;
                let p = &mut self.ext().pending;
                let at = p.partition_point(|(x, _)| *x < old_w);
                p.insert(at, (old_w, old));
            }
            self.r.win = w;
            return delta + self.probe_cur(dst, port, caps);
        }
        let p = &mut self.ext().pending;
        let at = p.partition_point(|(x, _)| *x < w);
        if p.get(at).is_none_or(|(x, _)| *x != w) {
            p.insert(at, (w, WinSets::default()));
        }
        let sets = &mut p[at].1;
        delta += sets.dsts.insert(dst, caps.min_dsts);
        if let Some(pt) = port {
            delta += sets.ports.add(pt, 1, caps.port_cap);
        }
        delta
    }

    /// Adds the sets of window `w` from another analyzer.
    fn add_window(&mut self, w: u32, s: &WinSets, caps: &Caps) -> isize {
        if s.is_empty() {
            return 0;
        }
        let mut delta = 0;
        if w > self.r.win && !self.r.cur_is_empty() {
            let old_w = self.r.win;
            let (old, d) = self.take_cur(caps);
            delta += d;
            let p = &mut self.ext().pending;
            let at = p.partition_point(|(x, _)| *x < old_w);
            p.insert(at, (old_w, old));
        }
        if w >= self.r.win {
            self.r.win = w;
            // Move the inline part to `ext.cur` so the union below has one place to go.
            let (mut cur, d) = self.take_cur(caps);
            delta += d + cur.union(s, caps);
            self.ext().cur = cur;
            self.r.ndst = SPILLED;
            self.r.nport = SPILLED;
            return delta;
        }
        let p = &mut self.ext().pending;
        let at = p.partition_point(|(x, _)| *x < w);
        if p.get(at).is_none_or(|(x, _)| *x != w) {
            p.insert(at, (w, WinSets::default()));
        }
        delta + p[at].1.union(s, caps)
    }
}

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

/// Sources: IPv4 in a hand-written index, IPv6 in a hash map, over one record arena.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceTable {
    idx4: Index4,
    idx6: HashMap<u128, u32, FixedState>,
    pub recs: Vec<SrcRec>,
    pub addrs: Vec<Addr>,
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
        let slot = if v6 { 48 } else { 2 * 8 };
        (std::mem::size_of::<SrcRec>() + std::mem::size_of::<Addr>() + slot) as u64
    }

    pub(crate) fn state_bytes(&self) -> u64 {
        let n6 = self.idx6.len() as u64;
        let n4 = self.recs.len() as u64 - n6;
        n4 * Self::bytes_per_source(false)
            + n6 * Self::bytes_per_source(true)
            + self.exts.len() as u64 * std::mem::size_of::<SrcExt>() as u64
            + self.heap_bytes.max(0) as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    pub(crate) fn ext_of(&self, i: usize) -> Option<&SrcExt> {
        match self.recs[i].ext {
            0 => None,
            e => self.exts.get(e as usize - 1),
        }
    }

    /// Warms the cache lines `hit` will touch for `src` (see `Analyzer`'s batching).
    #[inline]
    pub(crate) fn touch(&self, src: Addr) -> u64 {
        match src {
            Addr::V4(x) => match self.idx4.get(x) {
                Some(i) => self.recs[i as usize].packets,
                None => 0,
            },
            Addr::V6(_) => 0,
        }
    }

    #[inline]
    fn lookup(&self, a: Addr) -> Option<u32> {
        match a {
            Addr::V4(x) => self.idx4.get(x),
            Addr::V6(x) => self.idx6.get(&x).copied(),
        }
    }

    fn insert(&mut self, a: Addr, rec: SrcRec) -> u32 {
        let i = self.recs.len() as u32;
        match a {
            Addr::V4(x) => self.idx4.insert(x, i),
            Addr::V6(x) => {
                self.idx6.insert(x, i);
            }
        }
        self.recs.push(rec);
        self.addrs.push(a);
        i
    }

    /// Records one packet of `src`; returns false when the source is new and `admit` is false.
    #[inline]
    pub(crate) fn hit(&mut self, src: Addr, h: &SourceHit, caps: &Caps, admit: bool) -> bool {
        let i = match self.lookup(src) {
            Some(i) => i,
            None if admit => self.insert(src, SrcRec::new(h.secs, h.win, h.ttl)),
            None => return false,
        };
        self.first_win = self.first_win.min(h.win);
        let late = h.win < self.evicted_below && h.win != self.first_win;
        let r = &mut self.recs[i as usize];
        r.packets += 1;
        r.bytes += u64::from(h.wire_len);
        r.first_s = r.first_s.min(h.secs);
        r.last_s = r.last_s.max(h.secs);
        r.ttl_min = r.ttl_min.min(h.ttl);
        r.ttl_max = r.ttl_max.max(h.ttl);
        if h.syn {
            r.syn = r.syn.saturating_add(1);
            for (b, c) in r.fp.iter_mut().enumerate() {
                *c = c.saturating_add(u32::from(h.fp >> b & 1));
            }
        }
        if let Some((dst, port)) = h.probe {
            if late {
                self.late_packets += 1;
            } else {
                let d = RecMut {
                    r,
                    exts: &mut self.exts,
                }
                .probe(h.win, dst, port, caps);
                self.heap_bytes += d as i64;
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

    /// Folds all open windows (end of analysis).
    pub(crate) fn finish_windows(&mut self, caps: &Caps) {
        self.for_each_rec(|m| m.fold_where(caps, |_| true));
    }

    /// Adds `other`'s sources; windows open on both sides are combined before any verdict.
    pub(crate) fn merge(&mut self, mut other: SourceTable, caps: &Caps) {
        self.first_win = self.first_win.min(other.first_win);
        self.late_packets += other.late_packets;
        let mut delta = 0isize;
        for j in 0..other.recs.len() {
            let a = other.addrs[j];
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
            let (i, is_new) = match self.lookup(a) {
                Some(i) => (i, false),
                None => {
                    let mut fresh = o.clone();
                    fresh.ext = 0;
                    (self.insert(a, fresh), true)
                }
            };
            let r = &mut self.recs[i as usize];
            if !is_new {
                r.packets += o.packets;
                r.bytes += o.bytes;
                r.first_s = r.first_s.min(o.first_s);
                r.last_s = r.last_s.max(o.last_s);
                r.syn = r.syn.saturating_add(o.syn);
                for (c, oc) in r.fp.iter_mut().zip(o.fp) {
                    *c = c.saturating_add(oc);
                }
                r.ttl_min = r.ttl_min.min(o.ttl_min);
                r.ttl_max = r.ttl_max.max(o.ttl_max);
                r.scan_bits |= o.scan_bits;
            }
            let mut m = RecMut {
                r,
                exts: &mut self.exts,
            };
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
