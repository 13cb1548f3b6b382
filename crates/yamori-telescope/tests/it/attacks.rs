//! Backscatter classification, victims and attack segmentation boundaries.

use crate::helpers::*;
use yamori_telescope::Config;
use yamori_wire::{Addr, Packet, Quoted, Tcp};

const VICTIM: &str = "192.0.2.80";

/// `n` SYN/ACKs from the victim's port 80, spread evenly over `span_secs` (first at T0, last
/// at T0 + span), each to another darknet address.
fn synacks(n: u32, span_secs: u64, start: u64) -> Vec<Packet> {
    (0..n)
        .map(|i| {
            let ts = start + span_secs * SEC * u64::from(i) / u64::from((n - 1).max(1));
            tcp(ts, a(VICTIM), dark(i), 80, 40_000, Tcp::SYN | Tcp::ACK)
        })
        .collect()
}

fn rules(min_packets: u64, min_window: u64) -> Config {
    Config {
        attack_min_packets: min_packets,
        attack_min_window_packets: min_window,
        ..cfg()
    }
}

#[test]
fn attack_needs_min_packets() {
    let r = analyze(rules(25, 1), &synacks(24, 100, T0));
    assert!(r.attacks.is_empty());
    let r = analyze(rules(25, 1), &synacks(25, 100, T0));
    assert_eq!(r.attacks.len(), 1);
    let at = &r.attacks[0];
    assert_eq!(at.victim, VICTIM);
    assert_eq!(at.packets, 25);
    assert_eq!(at.start, "2023-11-14T21:00:00.000000000Z");
    assert_eq!(at.end, "2023-11-14T21:01:40.000000000Z");
    assert_eq!(at.ports[0].port, 80);
    assert_eq!(at.kinds, vec!["tcp_synack".to_string()]);
    assert_eq!(at.darknet_destinations, 25);
    assert!((at.mean_pps - 0.25).abs() < 1e-9);
    assert_eq!(r.totals.backscatter_packets, 25);
}

#[test]
fn attack_needs_min_duration() {
    assert!(analyze(rules(25, 1), &synacks(40, 59, T0))
        .attacks
        .is_empty());
    assert_eq!(analyze(rules(25, 1), &synacks(40, 60, T0)).attacks.len(), 1);
}

#[test]
fn attack_needs_min_packets_in_a_sliding_minute() {
    // 29 packets inside one 10 s bucket, then one more 60 s later: no 60 s window holds 30.
    let mk = |inside: u32| {
        let mut p: Vec<Packet> = (0..inside)
            .map(|i| tcp(T0 + u64::from(i), a(VICTIM), dark(i), 80, 1, Tcp::RST))
            .collect();
        p.push(tcp(T0 + 60 * SEC, a(VICTIM), dark(99), 80, 1, Tcp::RST));
        p
    };
    let r = analyze(cfg(), &mk(29));
    assert!(r.attacks.is_empty(), "29 in the window");
    let r = analyze(cfg(), &mk(30));
    assert_eq!(r.attacks.len(), 1);
    assert!((r.attacks[0].peak_pps - 0.5).abs() < 1e-9);
    assert_eq!(r.attacks[0].kinds, vec!["tcp_rst".to_string()]);
}

#[test]
fn silence_longer_than_the_gap_splits_attacks() {
    let burst = |start| synacks(40, 60, start);
    let mut p = burst(T0);
    p.extend(burst(T0 + 360 * SEC)); // 300 s after the first burst's last packet
    assert_eq!(analyze(cfg(), &p).attacks.len(), 1);
    let mut p = burst(T0);
    p.extend(burst(T0 + 361 * SEC));
    let r = analyze(cfg(), &p);
    assert_eq!(r.attacks.len(), 2);
    assert!(r.attacks[0].start < r.attacks[1].start);
}

#[test]
fn icmp_error_victim_is_the_quoted_destination() {
    let router = a("198.51.100.254");
    let pkts: Vec<Packet> = (0..40u32)
        .map(|i| {
            let q = Quoted {
                src: dark(i),
                dst: a(VICTIM),
                protocol: 6,
                src_port: Some(40_000),
                dst_port: Some(443),
            };
            icmp(T0 + u64::from(i) * 2 * SEC, router, dark(i), 3, Some(q))
        })
        .collect();
    let r = analyze(cfg(), &pkts);
    assert_eq!(r.attacks.len(), 1);
    let at = &r.attacks[0];
    assert_eq!(at.victim, VICTIM);
    assert_eq!(at.ports[0].port, 443);
    assert_eq!(at.kinds, vec!["icmp_3".to_string()]);
    // The router itself is a source, not a victim.
    assert_eq!(r.top_sources[0].address, "198.51.100.254");
}

#[test]
fn echo_replies_and_icmpv6_point_at_the_sender() {
    let v6 = a("2001:db8:77::1");
    let mut pkts: Vec<Packet> = (0..40u32)
        .map(|i| icmp(T0 + u64::from(i) * 2 * SEC, a(VICTIM), dark(i), 0, None))
        .collect();
    pkts.extend((0..40u32).map(|i| {
        icmp(
            T0 + u64::from(i) * 2 * SEC,
            v6,
            a(&format!("2001:db8:dead::{}", i + 1)),
            129,
            None,
        )
    }));
    let r = analyze(cfg(), &pkts);
    assert_eq!(r.attacks.len(), 2);
    let victims: Vec<&str> = r.attacks.iter().map(|x| x.victim.as_str()).collect();
    assert_eq!(victims, vec![VICTIM, "2001:db8:77::1"]);
    assert!(r.attacks.iter().all(|x| x.ports.is_empty()));
    assert_eq!(r.attacks[1].kinds, vec!["icmpv6_129".to_string()]);
    // Echo requests are probes, never backscatter; UDP is never backscatter.
    let q = analyze(
        cfg(),
        &[
            icmp(T0, a(VICTIM), dark(1), 8, None),
            udp(T0, a(VICTIM), dark(1), 53),
        ],
    );
    assert_eq!(q.totals.backscatter_packets, 0);
    let _ = Addr::V4(0);
}
