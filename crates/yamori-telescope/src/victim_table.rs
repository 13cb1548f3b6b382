//! [`VictimTable`]: victims by address, and the batch of backscatter packets waiting for them.
//!
//! An arena of [`Victim`] records behind the address index the source table uses
//! ([`AddrIndex`]). A `HashMap<Addr, Victim>` was 5 % of a large capture's profile: a darknet sees
//! hundreds of thousands of one-packet "victims" (stray RST and SYN/ACK), each lookup missed
//! cache, and growing the map moved whole records. Updates are batched like the sources'
//! (see `Analyzer::flush_hits`): index slots, then records, are prefetched for a whole batch.

use crate::index::AddrIndex;
use crate::victims::{Victim, VICTIM_BYTES, VICTIM_DST_CAP, VICTIM_PORT_CAP};
use prefetch_index::prefetch_index;
use yamori_wire::Addr;

/// One backscatter packet on its way to its victim's record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VictimHit {
    pub victim: Addr,
    pub ts_ns: u64,
    pub port: Option<u16>,
    /// Destination key of the darknet address hit (see `analyzer::dst_key`).
    pub dst: u32,
    pub kind: u8,
}

/// Packets whose lookups are overlapped (as `Analyzer`'s `HIT_BATCH`).
const BATCH: usize = 64;

#[derive(Debug, Clone, Default)]
pub(crate) struct VictimTable {
    idx: AddrIndex,
    addrs: Vec<Addr>,
    recs: Vec<Victim>,
    /// Heap bytes of the records' growable parts (estimate).
    heap: i64,
}

impl VictimTable {
    /// Bytes the victims cost (what the state budget counts).
    pub(crate) fn state_bytes(&self) -> u64 {
        self.recs.len() as u64 * VICTIM_BYTES + self.heap.max(0) as u64
    }

    fn insert(&mut self, a: Addr, v: Victim) -> u32 {
        let i = self.recs.len() as u32;
        self.idx.insert(a, i);
        self.recs.push(v);
        self.addrs.push(a);
        i
    }

    /// Applies a batch of backscatter packets in order. A packet of a victim not yet tracked
    /// creates its record only while `admit(bytes so far)` holds; returns the packets dropped.
    pub(crate) fn apply(&mut self, hits: &[VictimHit], admit: impl Fn(u64) -> bool) -> u64 {
        hits.chunks(BATCH)
            .map(|c| self.apply_batch(c, &admit))
            .sum()
    }

    fn apply_batch(&mut self, hits: &[VictimHit], admit: &impl Fn(u64) -> bool) -> u64 {
        for h in hits {
            self.idx.prefetch4(h.victim);
        }
        let mut found = [None; BATCH];
        for (f, h) in found.iter_mut().zip(hits) {
            *f = self.idx.get4(h.victim);
            if let Some(i) = *f {
                prefetch_index(&self.recs, i as usize);
            }
        }
        let mut dropped = 0;
        for (k, h) in hits.iter().enumerate() {
            let known = found.get(k).copied().flatten();
            let i = match known.or_else(|| self.idx.get(h.victim)) {
                Some(i) => i,
                None if admit(self.state_bytes()) => self.insert(h.victim, Victim::default()),
                None => {
                    dropped += 1;
                    continue;
                }
            };
            let v = &mut self.recs[i as usize];
            let mut d = v.add_time(h.ts_ns, 1);
            if let Some(p) = h.port {
                d += v.ports.add(p, 1, VICTIM_PORT_CAP);
            }
            d += v.dsts.insert(h.dst, VICTIM_DST_CAP);
            v.kinds |= 1 << h.kind;
            self.heap += d as i64;
        }
        dropped
    }

    /// Adds `other`'s victims (records of the same address are merged).
    pub(crate) fn merge(&mut self, other: VictimTable) {
        for (a, v) in other.addrs.into_iter().zip(other.recs) {
            let i = match self.idx.get(a) {
                Some(i) => i,
                None => self.insert(a, Victim::default()),
            };
            self.heap += self.recs[i as usize].merge(v) as i64;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (Addr, &Victim)> {
        self.addrs.iter().copied().zip(&self.recs)
    }
}
