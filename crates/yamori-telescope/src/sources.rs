//! Per-source state: run totals plus the distinct-destination/port sets of open windows.
//!
//! # Memory rule
//! A tracked IPv4 source costs [`SourceTable::bytes_per_source`] = 148 bytes: a 128-byte
//! [`SrcRec`] (one 128-byte-aligned pair of cache lines, holding up to 11 destinations and 4
//! ports of its current window inline), its address (4) and its index slot (16 bytes at
//! ≤ 1/2 load). IPv6 sources cost 172 bytes. A source that spans several
//! windows, or whose window outgrows the inline sets, also gets a [`SrcExt`] (≈ 140 bytes,
//! plus 88 per open older window, which stays inline while it fits 11 destinations/4 ports)
//! and, past the inline sizes, heap sets: 4 bytes per destination and 8 per port up to the
//! scanner threshold / `vertical_min_ports`, then a 1 KiB HyperLogLog per set. The budget admits a
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

use crate::index::Index4;
pub(crate) use crate::winsets::{
    Caps, InlineSets, Win, WinSets, HORIZONTAL_MAX_PORTS, SCAN_BLOCK, SCAN_HORIZONTAL,
    SCAN_VERTICAL,
};
use crate::winsets::{INLINE_DSTS, SPILLED};
use foldhash::fast::FixedState;
use std::collections::HashMap;
use yamori_wire::Addr;

/// Rarely needed parts of a source record, in a side arena to keep [`SrcRec`] small.
#[derive(Debug, Clone, Default)]
pub(crate) struct SrcExt {
    /// Current-window sets that outgrew the inline arrays (see `InlineSets::ndst`).
    /// Boxed: most ext records exist only because their source spans windows, and an inline
    /// `WinSets` would cost them ~100 bytes each (measured: no throughput gain inline).
    cur: Option<Box<WinSets>>,
    /// Union of the folded windows.
    pub run: Win,
    /// Open windows older than `SrcRec::win`, ascending by window.
    pending: Vec<(u32, Win)>,
    /// Windows (index) in which the source was a scanner; unsorted until finish.
    pub scanner_windows: Vec<u32>,
}

/// One source over the run. Times are Unix seconds (u32: until 2106).
#[derive(Debug, Clone)]
#[repr(C, align(128))]
pub(crate) struct SrcRec {
    pub packets: u64,
    pub bytes: u64,
    pub first_s: u32,
    pub last_s: u32,
    pub syn: u32,
    pub fp: [u32; 3],
    /// Window index of `cur`.
    pub win: u32,
    /// 1 + index into the ext arena; 0 = none.
    ext: u32,
    pub ttl_min: u8,
    pub ttl_max: u8,
    /// OR of the scan-kind bits of judged windows.
    pub scan_bits: u8,
    /// IPv6 source (its address is in `SourceTable::addrs6`).
    v6: bool,
    /// Current window's sets; a count of `SPILLED` means that set lives in `SrcExt::cur`.
    cur: InlineSets,
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
            v6: false,
            cur: InlineSets::default(),
        }
    }
}

/// Heap bytes added when the pending list grew from `before` to `after` slots.
fn pending_growth(before: usize, after: usize) -> isize {
    ((after - before) * std::mem::size_of::<(u32, Win)>()) as isize
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

    fn spill(&mut self) -> &mut WinSets {
        self.ext().cur.get_or_insert_with(Default::default)
    }

    /// Adds a probe to the current window (inline while it fits).
    #[inline]
    fn probe_cur(&mut self, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
        let mut delta = 0;
        if self.r.cur.ndst == SPILLED {
            delta += self.spill().dsts.insert(dst, caps.min_dsts);
        } else if !self.r.cur.insert_dst(dst) {
            let inline: [u32; INLINE_DSTS] = self.r.cur.dsts;
            let set = &mut self.spill().dsts;
            for x in inline.into_iter().chain([dst]) {
                delta += set.insert(x, caps.min_dsts);
            }
            self.r.cur.ndst = SPILLED;
        }
        if let Some(p) = port {
            if self.r.cur.nport == SPILLED {
                delta += self.spill().ports.add(p, 1, caps.port_cap);
            } else if !self.r.cur.add_port(p, 1) {
                let inline = self.r.cur;
                let set = &mut self.spill().ports;
                inline.for_each_port(|x, c| delta += set.add(x, c, caps.port_cap));
                delta += set.add(p, 1, caps.port_cap);
                self.r.cur.nport = SPILLED;
            }
        }
        delta
    }

    /// Moves the current window's sets out and clears them.
    fn take_cur(&mut self, caps: &Caps) -> (Win, isize) {
        let cur = std::mem::take(&mut self.r.cur);
        if cur.ndst != SPILLED && cur.nport != SPILLED {
            let w = if cur.is_empty() {
                Win::Empty
            } else {
                Win::Inline(cur)
            };
            return (w, 0);
        }
        let mut delta = 0;
        let mut s = self.ext().cur.take().unwrap_or_default();
        if cur.ndst != SPILLED {
            for &x in cur.dst_slice() {
                delta += s.dsts.insert(x, caps.min_dsts);
            }
        }
        if cur.nport != SPILLED {
            cur.for_each_port(|p, c| delta += s.ports.add(p, c, caps.port_cap));
        }
        (Win::Sets(s), delta)
    }

    /// Records the verdict of window `w` (scan bits, scanner window).
    fn judge(&mut self, w: u32, win: &Win, caps: &Caps) {
        let bits = win.verdict(caps);
        if bits != 0 {
            self.r.scan_bits |= bits;
            self.ext().scanner_windows.push(w);
        }
    }

    /// Takes the verdict of window `w` and merges its sets into the run-level sets.
    fn fold(&mut self, w: u32, win: Win, caps: &Caps) -> isize {
        if win.is_empty() {
            return 0;
        }
        self.judge(w, &win, caps);
        let ext = self.ext();
        if ext.run.is_empty() {
            ext.run = win;
            0
        } else {
            ext.run.union(&win, caps) - win.heap_bytes()
        }
    }

    /// Folds every open window for which `evict(w)` holds; returns the heap change.
    fn fold_where(&mut self, caps: &Caps, evict: impl Fn(u32) -> bool) -> isize {
        let mut delta = 0;
        if self.r.ext != 0 && self.ext().pending.iter().any(|(w, _)| evict(*w)) {
            let mut pending = std::mem::take(&mut self.ext().pending);
            let mut i = 0;
            while i < pending.len() {
                if evict(pending[i].0) {
                    let (w, s) = pending.remove(i);
                    delta += self.fold(w, s, caps);
                } else {
                    i += 1;
                }
            }
            self.ext().pending = pending;
        }
        if evict(self.r.win) && !self.r.cur.is_empty() {
            let (cur, d) = self.take_cur(caps);
            delta += d + self.fold(self.r.win, cur, caps);
        }
        delta
    }

    /// Judges every open window without folding or moving anything (end of analysis; the
    /// sets stay where they are for [`SourceTable::run_view`]).
    fn judge_open(&mut self, caps: &Caps) -> isize {
        if !self.r.cur.is_empty() {
            let spill = match self.r.ext {
                0 => None,
                e => self.exts[e as usize - 1].cur.as_deref(),
            };
            let c = self.r.cur;
            let d = match (c.ndst, spill) {
                (SPILLED, Some(s)) => s.dsts.count(),
                (n, _) => u64::from(n),
            };
            let p = match (c.nport, spill) {
                (SPILLED, Some(s)) => s.ports.count(),
                (n, _) => u64::from(n),
            };
            let bits = crate::winsets::verdict(d, p, caps);
            if bits != 0 {
                let w = self.r.win;
                self.r.scan_bits |= bits;
                self.ext().scanner_windows.push(w);
            }
        }
        if self.r.ext != 0 {
            let pending = std::mem::take(&mut self.ext().pending);
            for (w, s) in &pending {
                self.judge(*w, s, caps);
            }
            self.ext().pending = pending;
        }
        0
    }

    /// Moves the current window to `pending` (it is older than a window about to be used).
    fn retire_cur(&mut self, caps: &Caps) -> isize {
        if self.r.cur.is_empty() {
            return 0;
        }
        let old_w = self.r.win;
        let (old, d) = self.take_cur(caps);
        let p = &mut self.ext().pending;
        let cap = p.capacity();
        // Exact growth: pending lists hold one or two windows, and `Vec`'s first allocation
        // would reserve four 88-byte slots.
        p.reserve_exact(1);
        let at = p.partition_point(|(x, _)| *x < old_w);
        p.insert(at, (old_w, old));
        d + pending_growth(cap, p.capacity())
    }

    /// The open older window `w`, created empty if needed; also returns the heap growth.
    fn pending_mut(&mut self, w: u32) -> (&mut Win, isize) {
        let p = &mut self.ext().pending;
        let cap = p.capacity();
        // Exact growth: pending lists hold one or two windows, and `Vec`'s first allocation
        // would reserve four 88-byte slots.
        p.reserve_exact(1);
        let at = p.partition_point(|(x, _)| *x < w);
        if p.get(at).is_none_or(|(x, _)| *x != w) {
            p.insert(at, (w, Win::Empty));
        }
        let grown = pending_growth(cap, p.capacity());
        (&mut p[at].1, grown)
    }

    /// Adds a probe in window `w`: the current one, a newer one (the current window moves to
    /// `pending`) or an older open one.
    fn probe(&mut self, w: u32, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
        if w == self.r.win {
            return self.probe_cur(dst, port, caps);
        }
        if w > self.r.win {
            let d = self.retire_cur(caps);
            self.r.win = w;
            return d + self.probe_cur(dst, port, caps);
        }
        let (win, d) = self.pending_mut(w);
        d + win.insert(dst, port, caps)
    }

    /// Adds the sets of window `w` from another analyzer.
    fn add_window(&mut self, w: u32, s: &Win, caps: &Caps) -> isize {
        if s.is_empty() {
            return 0;
        }
        if w > self.r.win {
            let d = self.retire_cur(caps);
            self.r.win = w;
            return d + self.add_window(w, s, caps);
        }
        if w == self.r.win {
            // Put the union in the spilled slot so there is one place to look.
            let (mut cur, mut d) = self.take_cur(caps);
            d += cur.union(s, caps);
            let sets = match cur {
                Win::Sets(b) => b,
                Win::Inline(i) => {
                    let mut b = Box::<WinSets>::default();
                    d += i.add_to(&mut b, caps);
                    b
                }
                Win::Empty => Box::default(),
            };
            self.ext().cur = Some(sets);
            self.r.cur.ndst = SPILLED;
            self.r.cur.nport = SPILLED;
            return d;
        }
        let (win, d) = self.pending_mut(w);
        d + win.union(s, caps)
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

    /// Address of record `i`.
    pub(crate) fn addr(&self, i: usize) -> Addr {
        let x = self.addrs[i];
        if self.recs[i].v6 {
            Addr::V6(self.addrs6[x as usize])
        } else {
            Addr::V4(x)
        }
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
        match src {
            Addr::V4(x) => self.idx4.get(x),
            Addr::V6(_) => None,
        }
    }

    /// Warms the cache lines `hit` will touch for record `i` (second step of the batching).
    #[inline]
    pub(crate) fn touch(&self, i: u32, probe: Option<(u32, Option<u16>)>) -> u64 {
        let Some(r) = self.recs.get(i as usize) else {
            return 0;
        };
        let mut warm = r.packets ^ u64::from(r.cur.dsts[INLINE_DSTS - 1]);
        // A heavy source's current window lives in its spilled sets: load the lines the probe
        // will update too (HyperLogLog registers, or the start of the exact sets).
        if let Some((d, port)) = probe {
            if r.cur.ndst == SPILLED || r.cur.nport == SPILLED {
                let ext = self.exts.get((r.ext as usize).wrapping_sub(1));
                if let Some(c) = ext.and_then(|e| e.cur.as_deref()) {
                    warm ^= c.dsts.peek(d);
                    if let Some(p) = port {
                        warm ^= c.ports.peek(p);
                    }
                }
            }
        }
        warm
    }

    #[inline]
    fn lookup(&self, a: Addr) -> Option<u32> {
        match a {
            Addr::V4(x) => self.idx4.get(x),
            Addr::V6(x) => self.idx6.get(&x).copied(),
        }
    }

    fn insert(&mut self, a: Addr, mut rec: SrcRec) -> u32 {
        let i = self.recs.len() as u32;
        rec.v6 = matches!(a, Addr::V6(_));
        match a {
            Addr::V4(x) => self.idx4.insert(x, i),
            Addr::V6(x) => {
                self.idx6.insert(x, i);
            }
        }
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
        let i = match known.or_else(|| self.lookup(src)) {
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
            if let Some(s) = e.and_then(|e| e.cur.as_deref()) {
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
