//! Minute windows: packets are cut into whole minutes by their capture time, each minute
//! analysed by a telescope analyzer of its own. Pure bookkeeping over frames and a clock value
//! handed in, so it is tested without a network.
//!
//! A minute `[m, m+60 s)` closes when a packet of a later minute arrives, or when the clock
//! passes `m + 60 s + GRACE_SECS` (a quiet darknet still gets one result per minute). A packet
//! older than the open minute (its block was handed over after the grace) is counted as late
//! and not analysed: the minute it belongs to is already written.

use yamori_telescope::{Analyzer, Config};
use yamori_wire::LinkType;

use crate::block::Frame;

/// Seconds after a minute's end before the clock alone closes it: the ring hands a block over
/// at the latest `RETIRE_MS` after its first packet (100 ms), so packets of a minute are in
/// hand well within this.
pub const GRACE_SECS: u64 = 2;
/// Minutes without any result the sensor writes one by one when time jumps (a quiet darknet
/// between two packets). A larger jump (the clock was set) starts afresh at the new minute
/// instead of writing hours of empty minutes.
pub const MAX_GAP_MINUTES: u64 = 10;

/// What the sensor counted in one minute beyond the analysis itself.
pub use yamori_model::sensor::SensorCounts as Counters;

/// A minute that has ended, before its analyzer is finished.
pub struct Closed {
    /// Unix seconds of the minute's start.
    pub start_s: u64,
    pub analyzer: Analyzer,
    pub counters: Counters,
}

/// The open minute.
pub struct Windows {
    cfg: Config,
    start_s: u64,
    analyzer: Analyzer,
    counters: Counters,
}

fn minute_of_s(s: u64) -> u64 {
    s - s % 60
}

impl Windows {
    /// Open the minute that holds `now_s`.
    pub fn new(cfg: Config, now_s: u64) -> Self {
        Windows {
            analyzer: Analyzer::new(cfg.clone()),
            cfg,
            start_s: minute_of_s(now_s),
            counters: Counters::default(),
        }
    }

    /// Unix seconds of the open minute's start.
    pub fn start_s(&self) -> u64 {
        self.start_s
    }

    /// Counters of the open minute so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Close the open minute and open `next_s`.
    fn advance(&mut self, next_s: u64, closed: &mut Vec<Closed>) {
        let analyzer = std::mem::replace(&mut self.analyzer, Analyzer::new(self.cfg.clone()));
        closed.push(Closed {
            start_s: self.start_s,
            analyzer,
            counters: std::mem::take(&mut self.counters),
        });
        self.start_s = next_s;
    }

    /// Move the open minute forward to `target_s` (a minute start), closing every minute on
    /// the way, or jumping when the gap is too large (see [`MAX_GAP_MINUTES`]).
    fn move_to(&mut self, target_s: u64, closed: &mut Vec<Closed>) {
        if target_s <= self.start_s {
            return;
        }
        if (target_s - self.start_s) / 60 > MAX_GAP_MINUTES {
            self.advance(target_s, closed);
            return;
        }
        while self.start_s < target_s {
            let next = self.start_s + 60;
            self.advance(next, closed);
        }
    }

    /// Count and analyse one frame; minutes it ends are appended to `closed`.
    pub fn observe(&mut self, f: &Frame<'_>, closed: &mut Vec<Closed>) {
        let minute = minute_of_s(f.ts_ns / 1_000_000_000);
        self.move_to(minute, closed);
        self.counters.captured += 1;
        self.counters.captured_bytes += u64::from(f.wire_len);
        if minute < self.start_s {
            self.counters.late += 1;
            return;
        }
        // Matched by reference: the decoded packet is large, as in `yamori analyze`.
        match &yamori_wire::decode(LinkType::ETHERNET, f.ts_ns, f.data) {
            Ok(p) => self.analyzer.observe(p, f.wire_len),
            Err(_) => {
                self.counters.undecodable += 1;
                self.analyzer.observe_undecodable(f.ts_ns, f.wire_len);
            }
        }
    }

    /// Close the minutes the clock (`now_s`, Unix seconds) has left behind by the grace.
    pub fn tick(&mut self, now_s: u64, closed: &mut Vec<Closed>) {
        if now_s >= self.start_s + 60 + GRACE_SECS {
            self.move_to(minute_of_s(now_s - GRACE_SECS), closed);
        }
    }

    /// End the open minute early (stop or failure): its packets so far.
    pub fn close(self) -> Closed {
        Closed {
            start_s: self.start_s,
            analyzer: self.analyzer,
            counters: self.counters,
        }
    }
}
