//! Minute windows: cut by packet time, closed by a later packet or by the clock after the
//! grace, late frames counted, and each minute's analysis equal to the analyzer's over the
//! same frames.

use yamori_sensor::block::Frame;
use yamori_sensor::minute::{Closed, Windows, GRACE_SECS, MAX_GAP_MINUTES};
use yamori_telescope::{Analyzer, Config};

use crate::frames::{ip, tcp_syn};

/// A minute start (1,800,000,000 is a multiple of 60).
const T0: u64 = 1_800_000_000;

fn cfg() -> Config {
    Config {
        darknets: vec!["198.51.100.0/24".parse().expect("prefix")],
        ..Config::default()
    }
}

fn frame(data: &[u8], s: u64, ns: u64) -> Frame<'_> {
    Frame {
        ts_ns: s * 1_000_000_000 + ns,
        wire_len: data.len() as u32,
        data,
    }
}

fn syn(last: u8) -> Vec<u8> {
    tcp_syn(ip("192.0.2.7"), ip(&format!("198.51.100.{last}")), 23)
}

#[test]
fn packets_are_cut_into_minutes_by_their_time() {
    let mut w = Windows::new(cfg(), T0 + 30);
    assert_eq!(w.start_s(), T0);
    let mut closed: Vec<Closed> = Vec::new();
    let frames: Vec<(Vec<u8>, u64)> = (0..10u8).map(|i| (syn(i), T0 + 5 * u64::from(i))).collect();
    for (f, s) in &frames {
        w.observe(&frame(f, *s, 0), &mut closed);
    }
    assert!(closed.is_empty(), "all ten are in the first minute");
    // A packet two minutes on closes the first minute and the empty one after it.
    let later = syn(50);
    w.observe(&frame(&later, T0 + 130, 0), &mut closed);
    assert_eq!(
        closed.iter().map(|c| c.start_s).collect::<Vec<_>>(),
        [T0, T0 + 60]
    );
    assert_eq!(closed[0].counters.captured, 10);
    assert_eq!(closed[1].counters.captured, 0);
    assert_eq!(w.start_s(), T0 + 120);
    // The minute's analysis is the analyzer's over the same frames.
    let mut direct = Analyzer::new(cfg());
    for (f, s) in &frames {
        let p = yamori_wire::decode(yamori_wire::LinkType::ETHERNET, s * 1_000_000_000, f)
            .expect("decodable");
        direct.observe(&p, f.len() as u32);
    }
    let first = closed.remove(0);
    let got = serde_json::to_value(first.analyzer.finish(None)).expect("json");
    let want = serde_json::to_value(direct.finish(None)).expect("json");
    assert_eq!(got, want);
    assert_eq!(got["totals"]["darknet_packets"], 10);
}

#[test]
fn the_clock_closes_quiet_minutes_after_the_grace() {
    let mut w = Windows::new(cfg(), T0);
    let mut closed = Vec::new();
    w.tick(T0 + 60 + GRACE_SECS - 1, &mut closed);
    assert!(closed.is_empty(), "still within the grace");
    w.tick(T0 + 60 + GRACE_SECS, &mut closed);
    assert_eq!(closed.len(), 1);
    assert_eq!(w.start_s(), T0 + 60);
    // A packet of the closed minute arriving now is late: counted, not analysed.
    let f = syn(1);
    w.observe(&frame(&f, T0 + 59, 999_000_000), &mut closed);
    assert_eq!(w.counters().late, 1);
    assert_eq!(w.counters().captured, 1);
    let open = w.close();
    let report = open.analyzer.finish(None);
    assert_eq!(report.totals.packets, 0, "late frames are not analysed");
}

#[test]
fn a_clock_jump_starts_afresh_and_undecodable_frames_are_counted() {
    let mut w = Windows::new(cfg(), T0);
    let mut closed = Vec::new();
    let far = T0 + (MAX_GAP_MINUTES + 5) * 60;
    w.tick(far + 30, &mut closed);
    assert_eq!(closed.len(), 1, "one minute written, not fifteen");
    assert_eq!(w.start_s(), far);
    let junk = [0x02u8; 20];
    w.observe(&frame(&junk, far + 1, 0), &mut closed);
    assert_eq!(w.counters().undecodable, 1);
    let report = w.close().analyzer.finish(None);
    assert_eq!(report.totals.undecodable, 1);
}
