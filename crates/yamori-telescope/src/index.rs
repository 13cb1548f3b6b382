//! [`Index4`]: IPv4 address → record index, open addressing with linear probing; [`AddrIndex`]
//! adds IPv6.
//!
//! Written by hand because the per-source lookup is the hot path of the analysis: one `u64`
//! per slot (key and index together) keeps a lookup to a single cache line in the common case,
//! where a SwissTable (`hashbrown`) touches a control group and a bucket, and `HashMap<u32, _>`
//! with SipHash costs more than the rest of the packet's processing. The load factor stays at
//! or below 1/2 so probe sequences are short.

use foldhash::fast::FixedState;
use prefetch_index::prefetch_index;
use std::collections::HashMap;
use yamori_wire::Addr;

/// A slot is `key << 32 | (index + 1)`; 0 marks an empty slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index4 {
    slots: Vec<u64>,
    len: usize,
    /// log2 of the slot count.
    bits: u32,
}

/// Slots allocated on first insert.
const INITIAL_BITS: u32 = 10;

/// Home slot of `key` in a table of `2^bits` slots (`bits` in 1..=63), by Fibonacci hashing:
/// the multiply by 2^64/φ spreads every input bit (consecutive addresses too) into the top
/// bits. Shared by the hashed exact sets in `exact_set`.
#[inline]
pub(crate) fn home(key: u32, bits: u32) -> usize {
    (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

impl Index4 {
    #[inline]
    pub(crate) fn get(&self, key: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = home(key, self.bits);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if (s >> 32) as u32 == key {
                return Some((s as u32).wrapping_sub(1));
            }
            i = (i + 1) & mask;
        }
    }

    /// Prefetches the home slot of `key` ahead of [`Index4::get`]: a batch of these keeps
    /// many misses in flight, where `get`'s probe loop waits on each loaded slot.
    #[inline]
    pub(crate) fn prefetch(&self, key: u32) {
        if !self.slots.is_empty() {
            prefetch_index(&self.slots, home(key, self.bits));
        }
    }

    /// Inserts a key that is not present.
    pub(crate) fn insert(&mut self, key: u32, index: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(u64::from(key) << 32 | u64::from(index.wrapping_add(1)));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = home((slot >> 32) as u32, self.bits);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        self.bits = if self.slots.is_empty() {
            INITIAL_BITS
        } else {
            self.bits + 1
        };
        let old = std::mem::replace(&mut self.slots, vec![0; 1 << self.bits]);
        for s in old.into_iter().filter(|&s| s != 0) {
            self.place(s);
        }
    }
}

/// Any address → record index: IPv4 in an [`Index4`], IPv6 (rare on a darknet) in a hash
/// map. Shared by the source and victim tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddrIndex {
    v4: Index4,
    v6: HashMap<u128, u32, FixedState>,
}

impl AddrIndex {
    #[inline]
    pub(crate) fn get(&self, a: Addr) -> Option<u32> {
        match a {
            Addr::V4(x) => self.v4.get(x),
            Addr::V6(x) => self.v6.get(&x).copied(),
        }
    }

    /// Record index of an IPv4 address (`None` for IPv6): the step of a prefetched batch that
    /// loads the slot [`AddrIndex::prefetch4`] asked for.
    #[inline]
    pub(crate) fn get4(&self, a: Addr) -> Option<u32> {
        match a {
            Addr::V4(x) => self.v4.get(x),
            Addr::V6(_) => None,
        }
    }

    /// Prefetches the index slot of an IPv4 address (nothing for IPv6).
    #[inline]
    pub(crate) fn prefetch4(&self, a: Addr) {
        if let Addr::V4(x) = a {
            self.v4.prefetch(x);
        }
    }

    /// Inserts an address that is not present.
    pub(crate) fn insert(&mut self, a: Addr, index: u32) {
        match a {
            Addr::V4(x) => self.v4.insert(x, index),
            Addr::V6(x) => {
                self.v6.insert(x, index);
            }
        }
    }

    /// IPv6 addresses held.
    pub(crate) fn len6(&self) -> usize {
        self.v6.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_across_growth() {
        let mut ix = Index4::default();
        for k in 0..5000u32 {
            ix.insert(k.wrapping_mul(16_777_619), k);
        }
        assert_eq!(ix.len, 5000);
        for k in 0..5000u32 {
            assert_eq!(ix.get(k.wrapping_mul(16_777_619)), Some(k));
        }
        assert_eq!(ix.get(3), None);
        // Key 0 (address 0.0.0.0) with index 0 must not look like an empty slot.
        let mut z = Index4::default();
        z.insert(0, 0);
        assert_eq!(z.get(0), Some(0));
    }
}
