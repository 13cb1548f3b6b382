//! Split-and-merge must give exactly the single-pass report.

use crate::helpers::*;
use proptest::prelude::*;
use yamori_telescope::{Analyzer, Config, Report};
use yamori_wire::{Addr, Packet, Tcp};

/// A mixed, time-ordered trace over three windows: scanners, a Mirai bot, backscatter, noise.
fn trace() -> Vec<Packet> {
    let mut p = Vec::new();
    // A scanner whose 120 destinations straddle a window boundary.
    for i in 0..120u32 {
        p.push(syn(
            T0 + 3540 * SEC + u64::from(i) * SEC,
            a("198.51.100.1"),
            dark(i),
            23,
        ));
    }
    for i in 0..30u32 {
        let mut m = syn(
            T0 + u64::from(i) * 200 * SEC,
            a("198.51.100.2"),
            dark(i * 7),
            23,
        );
        if let (yamori_wire::Transport::Tcp(t), Addr::V4(d)) = (&mut m.transport, m.dst) {
            t.seq = d;
        }
        p.push(m);
    }
    for i in 0..80u32 {
        p.push(tcp(
            T0 + 1000 * SEC + u64::from(i) * SEC,
            a("192.0.2.80"),
            dark(i),
            80,
            1,
            Tcp::SYN | Tcp::ACK,
        ));
        p.push(udp(
            T0 + u64::from(i) * 97 * SEC,
            a(&format!("203.0.113.{}", 1 + i % 40)),
            dark(i),
            53 + (i % 3) as u16,
        ));
    }
    for i in 0..150u16 {
        p.push(syn(
            T0 + 7300 * SEC + u64::from(i) * SEC,
            a("2001:db8:1::9"),
            a("2001:db8:dead::1"),
            1000 + i,
        ));
    }
    // Later windows, so that earlier ones are evicted while streaming.
    for i in 0..110u32 {
        p.push(syn(
            T0 + 4 * 3600 * SEC + u64::from(i) * SEC,
            a("198.51.100.3"),
            dark(i),
            80,
        ));
        p.push(syn(
            T0 + 6 * 3600 * SEC + u64::from(i) * SEC,
            a("198.51.100.1"),
            dark(i + 1),
            23,
        ));
    }
    p.push(syn(T0, a("198.51.100.0"), dark(3), 23));
    p.push(syn(T0 + 10, a("192.0.2.1"), a("192.0.2.2"), 23));
    p.sort_by_key(|x| x.ts_ns);
    p
}

fn feed(cfg: &Config, pkts: &[Packet]) -> Analyzer {
    let mut an = Analyzer::new(cfg.clone());
    for x in pkts {
        an.observe(x, 70);
    }
    an
}

fn parts(pkts: &[Packet], cuts: &[usize]) -> Vec<Analyzer> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c % (pkts.len() + 1)));
    bounds.push(pkts.len());
    bounds.sort_unstable();
    bounds
        .windows(2)
        .map(|w| feed(&cfg(), &pkts[w[0]..w[1]]))
        .collect()
}

fn report(an: Analyzer) -> Report {
    an.finish(None)
}

#[test]
fn merge_of_two_halves_equals_single_pass() {
    let pkts = trace();
    let single = json(&report(feed(&cfg(), &pkts)));
    assert!(single.contains("198.51.100.1"));
    for cut in [1, pkts.len() / 3, pkts.len() / 2, pkts.len() - 1] {
        let mut v = parts(&pkts, &[cut]);
        let b = v.pop().expect("two parts");
        let mut a1 = v.pop().expect("two parts");
        a1.merge(b);
        assert_eq!(json(&report(a1)), single, "cut at {cut}");
    }
}

/// Regression (found by the property test): a slice holding only an earlier window, merged
/// between two halves of another window, must not cause that window to be judged in halves.
#[test]
fn merge_keeps_windows_open_until_finish() {
    let pkts = trace();
    let single = json(&report(feed(&cfg(), &pkts)));
    let mut v = parts(&pkts, &[1, 359]);
    let b = v.remove(1);
    let mut acc = v.pop().expect("3 parts");
    acc.merge(v.pop().expect("3 parts"));
    acc.merge(b);
    assert_eq!(json(&report(acc)), single);
}

#[test]
fn merge_order_does_not_matter() {
    let pkts = trace();
    let single = json(&report(feed(&cfg(), &pkts)));
    let mut v = parts(&pkts, &[100, 300]);
    let c = v.pop().expect("3 parts");
    let mut b = v.pop().expect("3 parts");
    let a1 = v.pop().expect("3 parts");
    // (c + a) + b
    let mut x = c;
    x.merge(a1);
    b.merge(x);
    assert_eq!(json(&report(b)), single);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn split_anywhere_and_merge_in_any_order(cuts in prop::collection::vec(0usize..1000, 1..4), rot in 0usize..4) {
        let pkts = trace();
        let single = json(&report(feed(&cfg(), &pkts)));
        let mut v = parts(&pkts, &cuts);
        let k = rot % v.len();
        v.rotate_left(k);
        let mut acc = v.remove(0);
        for x in v {
            acc.merge(x);
        }
        prop_assert_eq!(json(&report(acc)), single);
    }
}
