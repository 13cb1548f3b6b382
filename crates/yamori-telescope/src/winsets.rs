//! The destination/port sets of one source in one window, in three sizes: inline in the
//! source record ([`InlineSets`], no allocation: the common case of a source sending a few
//! probes per window), or spilled to the heap ([`WinSets`]: exact up to the caps, then
//! estimated). [`Win`] is either, and is what pending windows and run-level unions hold.

use crate::distinct::{DistinctSet, PortCounts};

/// Horizontal scans use at most this many distinct destination ports.
pub(crate) const HORIZONTAL_MAX_PORTS: u64 = 5;
pub(crate) const SCAN_HORIZONTAL: u8 = 1;
pub(crate) const SCAN_VERTICAL: u8 = 2;
pub(crate) const SCAN_BLOCK: u8 = 4;

pub(crate) const INLINE_DSTS: usize = 4;
pub(crate) const INLINE_PORTS: usize = 3;
/// `ndst`/`nport` value meaning "this set lives in the spilled sets" (see `SrcRec`).
pub(crate) const SPILLED: u8 = u8::MAX;

/// Verdict thresholds and set caps derived from the config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    pub min_dsts: u32,
    pub vertical_ports: u32,
    /// Ports are counted exactly up to this many (≥ `vertical_ports`, ≥ 6).
    pub port_cap: u32,
}

/// Scan-kind bits for a window with `d` destinations and `p` ports (0: not a scanner).
pub(crate) fn verdict(d: u64, p: u64, caps: &Caps) -> u8 {
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

/// Small exact sets stored in place (32 bytes, half of a source record): up to 4
/// destinations and 3 ports with packet counts. A darknet's sources are mostly one-to-three
/// packet strays, which these hold without an allocation; a count past 16 bits spills, as a
/// set past its size does.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InlineSets {
    pub ndst: u8,
    pub nport: u8,
    pub ports: [u16; INLINE_PORTS],
    pub counts: [u16; INLINE_PORTS],
    pub dsts: [u32; INLINE_DSTS],
}

const _: () = assert!(std::mem::size_of::<InlineSets>() == 32);

impl InlineSets {
    pub(crate) fn is_empty(&self) -> bool {
        self.ndst == 0 && self.nport == 0
    }
    pub(crate) fn dst_slice(&self) -> &[u32] {
        &self.dsts[..usize::from(self.ndst).min(INLINE_DSTS)]
    }
    /// Adds a destination; false when it is new and there is no room.
    #[inline]
    pub(crate) fn insert_dst(&mut self, x: u32) -> bool {
        let n = usize::from(self.ndst);
        if self.dsts[..n].contains(&x) {
            return true;
        }
        if n == INLINE_DSTS {
            return false;
        }
        self.dsts[n] = x;
        self.ndst += 1;
        true
    }
    /// Adds `c` packets to a port; false (nothing changed) when the port is new and there
    /// is no room, or when its count would not fit 16 bits.
    #[inline]
    pub(crate) fn add_port(&mut self, p: u16, c: u32) -> bool {
        let n = usize::from(self.nport).min(INLINE_PORTS);
        if let Some(i) = self.ports[..n].iter().position(|&x| x == p) {
            return match u16::try_from(u32::from(self.counts[i]).saturating_add(c)) {
                Ok(sum) => {
                    self.counts[i] = sum;
                    true
                }
                Err(_) => false,
            };
        }
        let Ok(c) = u16::try_from(c) else {
            return false;
        };
        if n == INLINE_PORTS {
            return false;
        }
        self.ports[n] = p;
        self.counts[n] = c;
        self.nport += 1;
        true
    }
    pub(crate) fn for_each_port(&self, mut f: impl FnMut(u16, u32)) {
        for i in 0..usize::from(self.nport).min(INLINE_PORTS) {
            f(self.ports[i], u32::from(self.counts[i]));
        }
    }
    /// Adds everything to heap sets; returns the change in heap bytes.
    pub(crate) fn add_to(&self, s: &mut WinSets, caps: &Caps) -> isize {
        let mut d = 0;
        for &x in self.dst_slice() {
            d += s.dsts.insert(x, caps.min_dsts);
        }
        self.for_each_port(|p, c| d += s.ports.add(p, c, caps.port_cap));
        d
    }
}

/// Heap sets of one window (or of the folded part of the run).
#[derive(Debug, Clone, Default)]
pub(crate) struct WinSets {
    pub dsts: DistinctSet,
    pub ports: PortCounts,
}

impl WinSets {
    pub(crate) fn heap_bytes(&self) -> isize {
        self.dsts.heap_bytes() + self.ports.heap_bytes()
    }
    pub(crate) fn union(&mut self, o: &WinSets, caps: &Caps) -> isize {
        self.dsts.union(&o.dsts, caps.min_dsts) + self.ports.union(&o.ports, caps.port_cap)
    }
}

/// One window's sets (or the run-level union) in whichever form is smallest.
#[derive(Debug, Clone, Default)]
pub(crate) enum Win {
    #[default]
    Empty,
    Inline(InlineSets),
    Sets(Box<WinSets>),
}

/// Estimated bytes of a boxed [`WinSets`] beyond its own heap.
const BOX_BYTES: isize = std::mem::size_of::<WinSets>() as isize;

impl Win {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Win::Empty => true,
            Win::Inline(i) => i.is_empty(),
            Win::Sets(_) => false,
        }
    }
    pub(crate) fn heap_bytes(&self) -> isize {
        match self {
            Win::Sets(s) => BOX_BYTES + s.heap_bytes(),
            _ => 0,
        }
    }
    pub(crate) fn dst_count(&self) -> u64 {
        match self {
            Win::Empty => 0,
            Win::Inline(i) => u64::from(i.ndst),
            Win::Sets(s) => s.dsts.count(),
        }
    }
    pub(crate) fn port_count(&self) -> u64 {
        match self {
            Win::Empty => 0,
            Win::Inline(i) => u64::from(i.nport),
            Win::Sets(s) => s.ports.count(),
        }
    }
    /// Up to `n` ports, most packets first, then by port; empty once counts were dropped.
    pub(crate) fn top_ports(&self, n: usize) -> Vec<(u16, u64)> {
        match self {
            Win::Empty => Vec::new(),
            Win::Inline(i) => {
                let mut v = Vec::new();
                i.for_each_port(|p, c| v.push((p, u64::from(c))));
                v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                v.truncate(n);
                v
            }
            Win::Sets(s) => s.ports.top(n),
        }
    }
    /// Scanner verdict for one window: scan-kind bits, 0 when not a scanner.
    pub(crate) fn verdict(&self, caps: &Caps) -> u8 {
        verdict(self.dst_count(), self.port_count(), caps)
    }

    /// Switches to heap sets (if not already); returns them and the change in heap bytes.
    fn sets(&mut self, caps: &Caps) -> (&mut WinSets, isize) {
        let mut d = 0;
        if !matches!(self, Win::Sets(_)) {
            let mut s = WinSets::default();
            if let Win::Inline(i) = self {
                d += i.add_to(&mut s, caps);
            }
            d += BOX_BYTES;
            *self = Win::Sets(Box::new(s));
        }
        match self {
            Win::Sets(s) => (s, d),
            // Just set above.
            _ => unreachable!("Win was converted to Sets"),
        }
    }

    /// Adds one probe; returns the change in heap bytes.
    pub(crate) fn insert(&mut self, dst: u32, port: Option<u16>, caps: &Caps) -> isize {
        if let Win::Empty = self {
            *self = Win::Inline(InlineSets::default());
        }
        if let Win::Inline(i) = self {
            let mut probe = *i;
            if probe.insert_dst(dst) && port.is_none_or(|p| probe.add_port(p, 1)) {
                *i = probe;
                return 0;
            }
        }
        let (s, mut d) = self.sets(caps);
        d += s.dsts.insert(dst, caps.min_dsts);
        if let Some(p) = port {
            d += s.ports.add(p, 1, caps.port_cap);
        }
        d
    }

    /// Adds every element of `o`; returns the change in heap bytes.
    pub(crate) fn union(&mut self, o: &Win, caps: &Caps) -> isize {
        match (&mut *self, o) {
            (_, Win::Empty) => 0,
            (Win::Empty, _) => {
                *self = o.clone();
                o.heap_bytes()
            }
            (Win::Inline(a), Win::Inline(b)) => {
                let mut m = *a;
                let fits = b.dst_slice().iter().all(|&x| m.insert_dst(x)) && {
                    let mut ok = true;
                    b.for_each_port(|p, c| ok &= m.add_port(p, c));
                    ok
                };
                if fits {
                    *a = m;
                    return 0;
                }
                let (s, d) = self.sets(caps);
                d + b.add_to(s, caps)
            }
            (_, Win::Inline(b)) => {
                let (s, d) = self.sets(caps);
                d + b.add_to(s, caps)
            }
            (_, Win::Sets(b)) => {
                let (s, d) = self.sets(caps);
                d + s.union(b, caps)
            }
        }
    }
}
