//! [`U32Set`] and [`PortTable`]: the exact parts of [`crate::distinct::DistinctSet`] and
//! [`crate::distinct::PortCounts`], hashed.
//!
//! Why not a `Vec<u32>` searched linearly: a scanner's window set holds up to 100
//! destinations and a victim's up to 1,024, and almost every insert is of a new element, so
//! a linear `contains` reads the whole vector each time (measured: 5 % of a large analysis).
//! Open addressing with linear probing at a load of at most 1/2 reads one or two slots,
//! usually in one cache line. `std`'s `HashSet<u32>` would do the same job with a control
//! byte array and a SipHash per element, at more bytes per element and more time per insert;
//! the set here is about 60 lines and its memory is exactly `4 × slots`. Port counters
//! (up to 100 ports for a scanner's window, 256 for a victim) get the same treatment.

use crate::index::home;
use prefetch_index::prefetch_index;

/// Slots of a new table: a set is created for its fifth element (the first four are kept in
/// place); 32 slots hold 16.
const INITIAL_SLOTS: usize = 32;

/// A set of `u32`. Slot value 0 means empty; the element 0 (address 0.0.0.0) is kept aside.
#[derive(Debug, Clone)]
pub(crate) struct U32Set {
    slots: Box<[u32]>,
    /// Elements in `slots` (not counting a zero element).
    filled: u32,
    zero: bool,
}

impl Default for U32Set {
    fn default() -> Self {
        U32Set {
            slots: vec![0; INITIAL_SLOTS].into_boxed_slice(),
            filled: 0,
            zero: false,
        }
    }
}

impl U32Set {
    #[inline]
    fn home(&self, x: u32) -> usize {
        // The table length is a power of two ≥ 32.
        home(x, self.slots.len().trailing_zeros())
    }

    /// Inserts `x`; returns true when it was not present.
    #[inline]
    pub(crate) fn insert(&mut self, x: u32) -> bool {
        if x == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        if (self.filled as usize + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(x);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = x;
                    self.filled += 1;
                    return true;
                }
                y if y == x => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let bigger = vec![0; self.slots.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.slots, bigger);
        self.filled = 0;
        for x in old.iter().copied().filter(|&x| x != 0) {
            self.insert(x);
        }
    }

    /// Calls `f` for every element (in no particular order).
    pub(crate) fn for_each(&self, mut f: impl FnMut(u32)) {
        if self.zero {
            f(0);
        }
        self.slots.iter().filter(|&&x| x != 0).for_each(|&x| f(x));
    }

    /// Prefetches the slot an insert of `x` starts at.
    #[inline]
    pub(crate) fn prefetch(&self, x: u32) {
        prefetch_index(&self.slots, self.home(x));
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len() * 4
    }
}

/// Packets per port. A slot is `(port + 1) << 32 | count`; 0 means empty.
#[derive(Debug, Clone)]
pub(crate) struct PortTable {
    slots: Box<[u64]>,
    filled: u32,
}

impl Default for PortTable {
    fn default() -> Self {
        PortTable {
            slots: vec![0; INITIAL_SLOTS].into_boxed_slice(),
            filled: 0,
        }
    }
}

impl PortTable {
    #[inline]
    fn home(&self, port: u16) -> usize {
        home(u32::from(port), self.slots.len().trailing_zeros())
    }

    /// Adds `n` packets (saturating) to `port`; returns true when the port is new.
    #[inline]
    pub(crate) fn add(&mut self, port: u16, n: u32) -> bool {
        if (self.filled as usize + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let key = u64::from(port) + 1;
        let mask = self.slots.len() - 1;
        let mut i = self.home(port);
        loop {
            let s = self.slots[i];
            if s == 0 {
                self.slots[i] = key << 32 | u64::from(n);
                self.filled += 1;
                return true;
            }
            if s >> 32 == key {
                let c = (s as u32).saturating_add(n);
                self.slots[i] = key << 32 | u64::from(c);
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let bigger = vec![0; self.slots.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.slots, bigger);
        self.filled = 0;
        for (p, c) in old.iter().filter(|&&s| s != 0).map(|&s| split(s)) {
            self.add(p, c);
        }
    }

    /// Calls `f(port, packets)` for every port (in no particular order).
    pub(crate) fn for_each(&self, mut f: impl FnMut(u16, u32)) {
        for &s in self.slots.iter().filter(|&&s| s != 0) {
            let (p, c) = split(s);
            f(p, c);
        }
    }

    /// Prefetches the slot an add of `port` starts at.
    #[inline]
    pub(crate) fn prefetch(&self, port: u16) {
        prefetch_index(&self.slots, self.home(port));
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len() * 8
    }
}

#[inline]
fn split(slot: u64) -> (u16, u32) {
    (((slot >> 32) - 1) as u16, slot as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_each_element_once_across_growth_including_zero() {
        let mut s = U32Set::default();
        let xs: Vec<u32> = (0..1000u32).map(|i| i.wrapping_mul(0x0100_0193)).collect();
        for &x in &xs {
            assert!(s.insert(x), "{x} is new");
        }
        for &x in &xs {
            assert!(!s.insert(x), "{x} is already there");
        }
        let mut seen = Vec::new();
        s.for_each(|x| seen.push(x));
        seen.sort_unstable();
        let mut want = xs.clone();
        want.sort_unstable();
        assert_eq!(seen, want);
        assert!(seen.contains(&0));
        // Load stays at or below 1/2: 999 non-zero elements need 2048 slots.
        assert_eq!(s.heap_bytes(), 2048 * 4);
    }

    #[test]
    fn port_table_counts_every_port_across_growth() {
        let mut t = PortTable::default();
        for p in (0..=u16::MAX).step_by(97) {
            assert!(t.add(p, 1));
            assert!(!t.add(p, 2));
        }
        assert!(!t.add(0, u32::MAX), "saturates, no new port");
        let mut seen = Vec::new();
        t.for_each(|p, c| seen.push((p, c)));
        seen.sort_unstable();
        assert_eq!(seen.len(), 676);
        assert_eq!(seen[0], (0, u32::MAX));
        assert_eq!(seen[1], (97, 3));
        assert_eq!(seen.last(), Some(&(65_475, 3)));
    }
}
