//! DDoS victims inferred from backscatter, and attack segmentation.
//!
//! Per victim we keep a sparse histogram of 10 s buckets (bucket → packets, first and last
//! timestamp) plus ports, reached darknet addresses and backscatter kinds. Attacks are cut from
//! the merged histogram at finish, so input order and splitting never change them. Keeping
//! first/last timestamps per bucket makes gaps and durations exact to the nanosecond; the
//! 60 s rate window slides by whole buckets, as in Corsaro's RS-DoS plugin.

use crate::distinct::{DistinctSet, PortCounts};
use smallvec::SmallVec;

/// Histogram bucket width (the 10 s slide of the rate window).
pub(crate) const BUCKET_NS: u64 = 10_000_000_000;
/// The rate window: 60 s = 6 buckets.
const WINDOW_BUCKETS: u32 = 6;
/// Victim ports are counted exactly up to this many distinct ports (then dropped, see
/// [`PortCounts`]); destinations exactly up to this many.
pub(crate) const VICTIM_PORT_CAP: u32 = 256;
pub(crate) const VICTIM_DST_CAP: u32 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub idx: u32,
    pub packets: u32,
    pub first_ns: u64,
    pub last_ns: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Victim {
    /// Ascending by `idx`. The first bucket is inline: most victims a darknet sees send one
    /// or two stray backscatter packets, and a heap allocation each was measurable.
    pub buckets: SmallVec<[Bucket; 1]>,
    pub ports: PortCounts,
    pub dsts: DistinctSet,
    /// Bits over [`crate::classify::KIND_NAMES`].
    pub kinds: u16,
}

/// Bytes a victim costs before its vectors grow (record, 32-byte address, 16 bytes of index
/// slot at ≤ 1/2 load); buckets add 24 each.
pub(crate) const VICTIM_BYTES: u64 = (std::mem::size_of::<Victim>() + 48) as u64;

impl Victim {
    fn bucket_heap_bytes(&self) -> usize {
        if self.buckets.spilled() {
            self.buckets.capacity() * std::mem::size_of::<Bucket>()
        } else {
            0
        }
    }

    /// Adds `packets` at `ts_ns`; returns the change in heap bytes.
    #[inline]
    pub(crate) fn add_time(&mut self, ts_ns: u64, packets: u32) -> isize {
        let idx = (ts_ns / BUCKET_NS).min(u64::from(u32::MAX)) as u32;
        let upd = |b: &mut Bucket| {
            b.packets = b.packets.saturating_add(packets);
            b.first_ns = b.first_ns.min(ts_ns);
            b.last_ns = b.last_ns.max(ts_ns);
        };
        if let Some(b) = self.buckets.last_mut().filter(|b| b.idx == idx) {
            upd(b);
            return 0;
        }
        match self.buckets.binary_search_by_key(&idx, |b| b.idx) {
            Ok(i) => {
                upd(&mut self.buckets[i]);
                0
            }
            Err(i) => {
                let before = self.bucket_heap_bytes();
                self.buckets.insert(
                    i,
                    Bucket {
                        idx,
                        packets,
                        first_ns: ts_ns,
                        last_ns: ts_ns,
                    },
                );
                (self.bucket_heap_bytes() - before) as isize
            }
        }
    }

    /// Merges another victim record (same address); returns the change in heap bytes.
    pub(crate) fn merge(&mut self, o: Victim) -> isize {
        let mut delta = 0;
        for b in &o.buckets {
            delta += self.add_time(b.first_ns, b.packets);
            delta += self.add_time(b.last_ns, 0);
        }
        delta += self.ports.union(&o.ports, VICTIM_PORT_CAP);
        delta += self.dsts.union(&o.dsts, VICTIM_DST_CAP);
        self.kinds |= o.kinds;
        delta
    }

    /// Attacks under the thresholds, from the histogram.
    pub(crate) fn attacks(&self, th: &AttackRules) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=self.buckets.len() {
            let split = i == self.buckets.len()
                || self.buckets[i]
                    .first_ns
                    .saturating_sub(self.buckets[i - 1].last_ns)
                    > th.gap_ns;
            if split {
                let seg = segment(&self.buckets[start..i]);
                if seg.packets >= th.min_packets
                    && seg.end_ns - seg.start_ns >= th.min_duration_ns
                    && seg.peak_window >= th.min_window_packets
                {
                    out.push(seg);
                }
                start = i;
            }
        }
        out
    }
}

pub(crate) struct AttackRules {
    pub gap_ns: u64,
    pub min_packets: u64,
    pub min_duration_ns: u64,
    pub min_window_packets: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start_ns: u64,
    pub end_ns: u64,
    pub packets: u64,
    /// Most packets in one 60 s window sliding by 10 s.
    pub peak_window: u64,
}

fn segment(b: &[Bucket]) -> Segment {
    let packets = b.iter().map(|x| u64::from(x.packets)).sum();
    // Two pointers: every best window can start at a non-empty bucket.
    let (mut peak, mut sum, mut hi) = (0u64, 0u64, 0usize);
    for lo in 0..b.len() {
        while hi < b.len()
            && u64::from(b[hi].idx) < u64::from(b[lo].idx) + u64::from(WINDOW_BUCKETS)
        {
            sum += u64::from(b[hi].packets);
            hi += 1;
        }
        peak = peak.max(sum);
        sum -= u64::from(b[lo].packets);
    }
    Segment {
        start_ns: b.first().map_or(0, |x| x.first_ns),
        end_ns: b.last().map_or(0, |x| x.last_ns),
        packets,
        peak_window: peak,
    }
}
