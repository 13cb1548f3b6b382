//! One source's record ([`SrcRec`], 64 bytes), its rarely needed side record ([`SrcExt`])
//! and the window mechanics on them ([`RecMut`]): probes into the current window, retiring it
//! when a newer window starts, late probes into older open windows, folding and judging.
//! See [`crate::sources`] for the memory rule and the eviction policy.

use crate::winsets::{Caps, InlineSets, Win, WinSets, INLINE_DSTS, SPILLED};

/// Rarely needed parts of a source record, in a side arena to keep [`SrcRec`] small.
/// `repr(C)` and line-aligned: what a heavy source's every probe touches (the spilled sets'
/// own fields, then the fingerprint counts) fills its first two cache lines, the ones the
/// analyzer prefetches.
#[derive(Debug, Clone, Default)]
#[repr(C, align(64))]
pub(crate) struct SrcExt {
    /// Current-window sets that outgrew the inline arrays (see `InlineSets::ndst`).
    /// Inline rather than boxed: a heavy source's every probe updates them, and the box was
    /// one more dependent cache miss on that path (its cost: 96 bytes in every ext record).
    pub(crate) cur: Option<WinSets>,
    /// Fingerprint matches among the SYN probes (bits of `classify::fingerprints`): here
    /// rather than in the record because only tools' probes carry them (a random packet
    /// matches a 16-bit test once in 65,536).
    pub fp: [u32; 3],
    /// Packets and bytes carried out of `SrcRec::packets`/`bytes` when they would overflow
    /// 32 bits (the totals are the sums, see `SourceTable::packets`).
    pub wide_packets: u64,
    pub wide_bytes: u64,
    /// Union of the folded windows.
    pub run: Win,
    /// Open windows older than `SrcRec::win`, ascending by window.
    pub(crate) pending: Vec<(u32, Win)>,
    /// Windows (index) in which the source was a scanner; unsorted until finish.
    pub scanner_windows: Vec<u32>,
}

const _: () = assert!(std::mem::size_of::<SrcExt>() == 256);

/// One source over the run, in one cache line: a darknet's millions of sources are mostly
/// one-to-three packet strays, and each packet of one costs a cache miss per line of its
/// record (and each new record its lines' page faults). Times are Unix seconds (u32: until
/// 2106).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct SrcRec {
    /// Packets and bytes since the last carry into `SrcExt::wide_packets`/`wide_bytes` (see
    /// [`RecMut::add_counts`]).
    pub(crate) packets: u32,
    pub(crate) bytes: u32,
    pub first_s: u32,
    pub last_s: u32,
    /// SYN probes (saturating).
    pub syn: u32,
    /// Window index of `cur`.
    pub win: u32,
    /// 1 + index into the ext arena; 0 = none.
    pub(crate) ext: u32,
    pub ttl_min: u8,
    pub ttl_max: u8,
    /// OR of the scan-kind bits of judged windows.
    pub scan_bits: u8,
    /// IPv6 source (its address is in `SourceTable::addrs6`).
    pub(crate) v6: bool,
    /// Current window's sets; a count of `SPILLED` means that set lives in `SrcExt::cur`.
    pub(crate) cur: InlineSets,
}

const _: () = assert!(std::mem::size_of::<SrcRec>() == 64);

impl SrcRec {
    pub(crate) fn new(secs: u32, win: u32, ttl: u8) -> Self {
        SrcRec {
            packets: 0,
            bytes: 0,
            first_s: secs,
            last_s: secs,
            syn: 0,
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
pub(crate) struct RecMut<'a> {
    pub(crate) r: &'a mut SrcRec,
    pub(crate) exts: &'a mut Vec<SrcExt>,
}

impl RecMut<'_> {
    pub(crate) fn ext(&mut self) -> &mut SrcExt {
        if self.r.ext == 0 {
            self.exts.push(SrcExt::default());
            self.r.ext = self.exts.len() as u32;
        }
        &mut self.exts[self.r.ext as usize - 1]
    }

    /// Adds to the packet and byte totals; a sum past 32 bits moves into the ext record.
    #[inline]
    pub(crate) fn add_counts(&mut self, packets: u64, bytes: u64) {
        let p = u64::from(self.r.packets) + packets;
        let b = u64::from(self.r.bytes) + bytes;
        match (u32::try_from(p), u32::try_from(b)) {
            (Ok(p), Ok(b)) => {
                self.r.packets = p;
                self.r.bytes = b;
            }
            _ => {
                self.r.packets = 0;
                self.r.bytes = 0;
                let e = self.ext();
                e.wide_packets += p;
                e.wide_bytes += b;
            }
        }
    }

    /// Adds fingerprint matches (`fp`: bits of `classify::fingerprints`, or counts).
    pub(crate) fn add_fp(&mut self, fp: [u32; 3]) {
        if fp != [0; 3] {
            let e = self.ext();
            for (c, n) in e.fp.iter_mut().zip(fp) {
                *c = c.saturating_add(n);
            }
        }
    }

    fn spill(&mut self) -> &mut WinSets {
        self.ext().cur.get_or_insert_with(Default::default)
    }

    /// Adds a probe to the current window (inline while it fits).
    #[inline]
    pub(crate) fn probe_cur(&mut self, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
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
    pub(crate) fn take_cur(&mut self, caps: &Caps) -> (Win, isize) {
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
        let mut s = Box::new(self.ext().cur.take().unwrap_or_default());
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
    pub(crate) fn fold_where(&mut self, caps: &Caps, evict: impl Fn(u32) -> bool) -> isize {
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
    pub(crate) fn judge_open(&mut self, caps: &Caps) -> isize {
        if !self.r.cur.is_empty() {
            let spill = match self.r.ext {
                0 => None,
                e => self.exts[e as usize - 1].cur.as_ref(),
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
    pub(crate) fn probe(&mut self, w: u32, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
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
    pub(crate) fn add_window(&mut self, w: u32, s: &Win, caps: &Caps) -> isize {
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
            self.ext().cur = Some(*sets);
            self.r.cur.ndst = SPILLED;
            self.r.cur.nport = SPILLED;
            return d;
        }
        let (win, d) = self.pending_mut(w);
        d + win.union(s, caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Caps {
        Caps {
            min_dsts: 100,
            vertical_ports: 100,
            port_cap: 100,
        }
    }

    #[test]
    fn counts_past_32_bits_carry_into_the_ext_record() {
        let mut r = SrcRec::new(0, 0, 64);
        let mut exts = Vec::new();
        let mut m = RecMut {
            r: &mut r,
            exts: &mut exts,
        };
        m.add_counts(u64::from(u32::MAX) - 1, 100);
        assert_eq!((m.r.packets, m.r.ext), (u32::MAX - 1, 0));
        m.add_counts(3, 5_000_000_000);
        assert_eq!((m.r.packets, m.r.bytes), (0, 0));
        let e = m.ext();
        assert_eq!(e.wide_packets, u64::from(u32::MAX) + 2);
        assert_eq!(e.wide_bytes, 5_000_000_100);
        m.add_counts(1, 1);
        assert_eq!((m.r.packets, m.r.bytes), (1, 1));
    }

    #[test]
    fn a_port_count_past_16_bits_spills_and_stays_exact() {
        let mut r = SrcRec::new(0, 0, 64);
        let mut exts = Vec::new();
        let mut m = RecMut {
            r: &mut r,
            exts: &mut exts,
        };
        for _ in 0..70_000 {
            m.probe(0, 7, Some(23), &caps());
        }
        assert_eq!(
            m.r.cur.nport, SPILLED,
            "a 16-bit inline count cannot hold 70,000"
        );
        let (w, _) = m.take_cur(&caps());
        assert_eq!(w.top_ports(1), vec![(23, 70_000)]);
        assert_eq!(w.dst_count(), 1);
        let mut i = InlineSets::default();
        assert!(
            !i.add_port(80, 65_536),
            "a new port whose count does not fit"
        );
        assert!(i.add_port(80, 65_535));
        assert!(!i.add_port(80, 1));
        assert_eq!(i.counts[0], 65_535, "a refused add changes nothing");
    }
}
