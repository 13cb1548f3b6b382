//! Per-packet and per-source rules from the config module docs.

use crate::helpers::*;
use yamori_telescope::report::{ScanKind, SourceSummary, Tool};
use yamori_telescope::{Analyzer, Config, Enrichment, SourceEnricher};
use yamori_wire::{Addr, Packet, Tcp, Transport};

fn scanner<'a>(r: &'a yamori_telescope::Report, addr: &str) -> Option<&'a SourceSummary> {
    r.scanners.iter().find(|s| s.address == addr)
}

#[test]
fn categories_follow_precedence_and_outside_is_counted_apart() {
    let s = a("198.51.100.7");
    let d = dark(1);
    let pkts = [
        tcp(T0, s, d, 1000, 80, Tcp::RST | Tcp::SYN | Tcp::ACK),
        tcp(T0, s, d, 1000, 80, Tcp::SYN | Tcp::ACK),
        tcp(T0, s, d, 1000, 80, Tcp::SYN),
        tcp(T0, s, d, 1000, 80, Tcp::FIN | Tcp::ACK),
        tcp(T0, s, d, 1000, 80, Tcp::PSH | Tcp::ACK),
        tcp(T0, s, d, 1000, 80, Tcp::ACK),
        tcp(T0, s, d, 1000, 80, 0x40),
        udp(T0, s, d, 53),
        icmp(T0, s, d, 8, None),
        Packet {
            transport: Transport::Other {
                protocol: 47,
                truncated: false,
            },
            ..udp(T0, s, d, 53)
        },
        syn(T0 + 5, s, a("192.0.2.1"), 23),
    ];
    let mut an = Analyzer::new(cfg());
    for p in &pkts {
        an.observe(p, 100);
    }
    an.observe_undecodable(T0 - 7, 42);
    let r = an.finish(None);
    let c = &r.totals.by_category;
    for (k, v) in [
        ("tcp_rst", 1),
        ("tcp_synack", 1),
        ("tcp_syn", 1),
        ("tcp_fin", 1),
        ("tcp_push", 1),
        ("tcp_ack", 1),
        ("tcp_other", 1),
        ("udp", 1),
        ("icmp", 1),
        ("other", 1),
    ] {
        assert_eq!(c[k], v, "category {k}");
    }
    assert_eq!(r.totals.packets, 12);
    assert_eq!(r.totals.bytes, 11 * 100 + 42);
    assert_eq!(r.totals.darknet_packets, 10);
    assert_eq!(r.totals.outside, 1);
    assert_eq!(r.totals.undecodable, 1);
    assert_eq!(
        (r.totals.ipv4, r.totals.ipv6),
        (11, 0),
        "outside packets count too"
    );
    assert_eq!(
        r.first_packet.as_deref(),
        Some("2023-11-14T20:59:59.999999993Z")
    );
    assert_eq!(
        r.last_packet.as_deref(),
        Some("2023-11-14T21:00:00.000000005Z")
    );
    // ECE only (no classic flag) and SYN+RST+ACK are odd flag combinations: erratic.
    assert_eq!(r.totals.erratic["tcp_flags"], 2);
    assert_eq!(r.timeseries.len(), 1);
    assert_eq!(r.timeseries[0].minute, "2023-11-14T21:00:00Z");
    assert_eq!(r.timeseries[0].counts.iter().sum::<u64>(), 10);
}

#[test]
fn scanner_needs_threshold_distinct_destinations_in_a_window() {
    let mut pkts = sweep(a("198.51.100.1"), T0, 99, 23);
    pkts.extend(sweep(a("198.51.100.2"), T0, 100, 23));
    // Repeats do not add destinations.
    pkts.extend(sweep(a("198.51.100.1"), T0 + 200 * SEC, 50, 23));
    pkts.sort_by_key(|p| p.ts_ns);
    let r = analyze(cfg(), &pkts);
    assert_eq!(r.thresholds.scanner_min_destinations, 100);
    assert!(scanner(&r, "198.51.100.1").is_none());
    let s = scanner(&r, "198.51.100.2").expect("100 destinations make a scanner");
    assert_eq!(s.scan, Some(ScanKind::Horizontal));
    assert_eq!(s.destinations, 100);
    assert_eq!(s.destination_ports, 1);
    assert_eq!(s.scanner_windows, vec!["2023-11-14T21:00:00Z".to_string()]);
    assert_eq!(s.tool, Tool::Unknown);
    let top = &r.top_sources[0];
    assert_eq!((top.address.as_str(), top.packets), ("198.51.100.1", 149));
    assert_eq!(top.destinations, 99);
}

#[test]
fn scaled_threshold_for_a_slash_24() {
    let cfg = Config {
        darknets: vec!["203.0.113.0/24".parse().expect("prefix")],
        ..Config::default()
    };
    let dst = |i: u32| Addr::V4(0xCB00_7100 | (i + 1));
    let mut pkts: Vec<Packet> = (0..9)
        .map(|i| syn(T0 + u64::from(i), a("198.51.100.9"), dst(i), 22))
        .collect();
    pkts.extend((0..10).map(|i| syn(T0 + u64::from(i), a("198.51.100.10"), dst(i), 22)));
    let r = analyze(cfg, &pkts);
    assert_eq!(r.thresholds.scanner_min_destinations, 10);
    assert!(scanner(&r, "198.51.100.9").is_none());
    assert!(scanner(&r, "198.51.100.10").is_some());
}

#[test]
fn vertical_and_block_scans() {
    let v = a("198.51.100.20");
    let few_ports = a("198.51.100.21");
    let b = a("198.51.100.22");
    let six = a("198.51.100.23");
    let mut pkts = Vec::new();
    for p in 0..100u16 {
        pkts.push(syn(T0 + u64::from(p), v, dark(u32::from(p % 3)), 1000 + p));
    }
    for p in 0..99u16 {
        pkts.push(syn(
            T0 + u64::from(p),
            few_ports,
            dark(u32::from(p % 3)),
            1000 + p,
        ));
    }
    for i in 0..100u32 {
        pkts.push(syn(T0 + u64::from(i), b, dark(i), 1000 + i as u16));
        pkts.push(syn(T0 + u64::from(i), six, dark(i), 1000 + (i % 6) as u16));
    }
    pkts.sort_by_key(|p| p.ts_ns);
    let r = analyze(cfg(), &pkts);
    assert_eq!(
        scanner(&r, "198.51.100.20").and_then(|s| s.scan),
        Some(ScanKind::Vertical)
    );
    assert!(
        scanner(&r, "198.51.100.21").is_none(),
        "99 ports is below vertical_min_ports"
    );
    assert_eq!(
        scanner(&r, "198.51.100.22").and_then(|s| s.scan),
        Some(ScanKind::Block)
    );
    assert_eq!(
        scanner(&r, "198.51.100.23").and_then(|s| s.scan),
        Some(ScanKind::Block)
    );
    let vs = scanner(&r, "198.51.100.20").expect("vertical");
    assert_eq!((vs.destinations, vs.destination_ports), (3, 100));
    let top: Vec<(u16, u64)> = vs.top_ports.iter().map(|p| (p.port, p.packets)).collect();
    assert_eq!(
        top,
        vec![(1000, 1), (1001, 1), (1002, 1), (1003, 1), (1004, 1)]
    );
    // Over the port cap (vertical_min_ports) per-port counts are dropped rather than guessed.
    let b = scanner(&r, "198.51.100.22").expect("block");
    assert_eq!(b.destination_ports, 100);
    let mut more = pkts.clone();
    more.push(syn(T0 + 500 * SEC, v, dark(1), 9999));
    let r2 = analyze(cfg(), &more);
    let vs2 = scanner(&r2, "198.51.100.20").expect("vertical");
    assert!(vs2.top_ports.is_empty());
    assert!(vs2.destination_ports >= 101);
}

#[test]
fn windows_are_judged_separately() {
    let s = a("198.51.100.30");
    let mut pkts: Vec<Packet> = (0..50)
        .map(|i| syn(T0 + u64::from(i) * SEC, s, dark(i), 23))
        .collect();
    // Next hour: 50 other destinations, then a 3rd window with 100.
    pkts.extend((50..100).map(|i| syn(T0 + 3600 * SEC + u64::from(i) * SEC, s, dark(i), 23)));
    let only_two = analyze(cfg(), &pkts);
    let top = &only_two.top_sources[0];
    assert_eq!(top.destinations, 100, "run-level destinations span windows");
    assert!(
        only_two.scanners.is_empty(),
        "50 + 50 in two windows is no scanner"
    );
    pkts.extend((0..100).map(|i| {
        syn(
            T0 + 3 * 3600 * SEC + u64::from(i) * SEC,
            s,
            dark(i + 500),
            2323,
        )
    }));
    let r = analyze(cfg(), &pkts);
    let sc = scanner(&r, "198.51.100.30").expect("third window is a scan");
    assert_eq!(sc.scanner_windows, vec!["2023-11-15T00:00:00Z".to_string()]);
    // Above the threshold the count is a HyperLogLog estimate (±3.3 % standard error).
    assert!(
        (180..=220).contains(&sc.destinations),
        "{}",
        sc.destinations
    );
    assert_eq!(sc.top_ports[0].port, 23);
    assert_eq!(sc.top_ports[0].packets, 100);
}

fn mirai_syn(ts: u64, src: Addr, i: u32) -> Packet {
    let mut p = syn(ts, src, dark(i), 23);
    if let (Transport::Tcp(t), Addr::V4(d)) = (&mut p.transport, p.dst) {
        t.seq = d;
    }
    p
}

#[test]
fn tool_label_needs_five_probes_and_ninety_percent() {
    let five = a("198.51.100.40");
    let four_of_five = a("198.51.100.41");
    let only_four = a("198.51.100.42");
    let mut pkts = Vec::new();
    for i in 0..5 {
        pkts.push(mirai_syn(T0 + u64::from(i), five, i));
        pkts.push(if i < 4 {
            mirai_syn(T0 + u64::from(i), four_of_five, i)
        } else {
            syn(T0 + u64::from(i), four_of_five, dark(i), 23)
        });
        if i < 4 {
            pkts.push(mirai_syn(T0 + u64::from(i), only_four, i));
        }
    }
    let r = analyze(cfg(), &pkts);
    let s = scanner(&r, "198.51.100.40").expect("a tool label lists the source");
    assert_eq!((s.tool, s.scan), (Tool::Mirai, None));
    assert_eq!(s.syn_probes, 5);
    assert_eq!(s.fingerprint_matches["mirai"], 5);
    assert!(scanner(&r, "198.51.100.41").is_none());
    assert!(scanner(&r, "198.51.100.42").is_none());
    assert_eq!(r.totals.fingerprint_packets["mirai"], 13);
}

#[test]
fn zmap_and_masscan_fingerprints() {
    let z = a("198.51.100.50");
    let m = a("198.51.100.51");
    let mut pkts = Vec::new();
    for i in 0..6u32 {
        let mut p = syn(T0 + u64::from(i), z, dark(i), 80);
        p.ip_id = Some(54321);
        p.ttl = 250; // ZMap's TTL 255 minus hops: not erratic because it is fingerprinted
        pkts.push(p);
        let mut q = syn(T0 + u64::from(i), m, dark(i), 443);
        if let (Transport::Tcp(t), Addr::V4(d)) = (&mut q.transport, q.dst) {
            t.seq = 0xDEAD_0000 + i;
            q.ip_id = Some(((d ^ 443 ^ t.seq) & 0xFFFF) as u16);
        }
        pkts.push(q);
    }
    let r = analyze(cfg(), &pkts);
    assert_eq!(
        scanner(&r, "198.51.100.50").map(|s| s.tool),
        Some(Tool::Zmap)
    );
    assert_eq!(
        scanner(&r, "198.51.100.51").map(|s| s.tool),
        Some(Tool::Masscan)
    );
    assert_eq!(r.totals.erratic["ttl"], 0);
    assert_eq!(r.totals.fingerprint_packets["zmap"], 6);
    assert_eq!(r.totals.fingerprint_packets["masscan"], 6);
}

#[test]
fn erratic_packets_count_in_totals_but_not_per_source() {
    let d = dark(7);
    let good = a("198.51.100.60");
    let mut high_ttl = syn(T0, good, d, 23);
    high_ttl.ttl = 230;
    let mut frag = udp(T0, good, d, 53);
    frag.fragment = true;
    let pkts = [
        high_ttl,
        syn(T0, a("198.51.100.0"), d, 23),
        syn(T0, a("198.51.100.255"), d, 23),
        syn(T0, d, d, 23),
        syn(T0, good, d, 0),
        frag,
        tcp(T0, good, d, 1000, 80, Tcp::SYN | Tcp::FIN),
        tcp(T0, good, d, 1000, 80, Tcp::SYN | Tcp::RST),
        tcp(T0, good, d, 1000, 80, Tcp::FIN | Tcp::PSH | Tcp::URG),
        tcp(T0, good, d, 1000, 80, 0),
        syn(T0, good, d, 23),
    ];
    let r = analyze(cfg(), &pkts);
    let e = &r.totals.erratic;
    assert_eq!(e["ttl"], 1);
    assert_eq!(e["source_address"], 2);
    assert_eq!(e["source_is_destination"], 1);
    assert_eq!(e["port_zero"], 1);
    assert_eq!(e["fragment"], 1);
    assert_eq!(e["tcp_flags"], 4);
    assert_eq!(r.totals.darknet_packets, 11);
    assert_eq!(
        r.totals.by_category["tcp_syn"], 7,
        "SYN+FIN is still a tcp_syn"
    );
    assert_eq!(r.timeseries[0].counts.iter().sum::<u64>(), 11);
    assert_eq!(r.totals.distinct_sources, 1);
    assert_eq!(r.top_sources.len(), 1);
    assert_eq!(
        r.top_sources[0].packets, 1,
        "only the clean SYN feeds the source"
    );
    // The SYN+RST is erratic, so it is not backscatter either.
    assert_eq!(r.totals.backscatter_packets, 0);
}

#[test]
fn ipv6_darknet_and_outside() {
    let s = a("2001:db8:1::5");
    let mut pkts: Vec<Packet> = (0..100u32)
        .map(|i| {
            syn(
                T0 + u64::from(i),
                s,
                a(&format!("2001:db8:dead::{:x}", i + 1)),
                22,
            )
        })
        .collect();
    pkts.push(icmp(T0 + 200, s, a("2001:db8:dead::1"), 128, None));
    pkts.push(syn(T0 + 300, s, a("2001:db8:beef::1"), 22));
    let r = analyze(cfg(), &pkts);
    assert_eq!(
        (
            r.totals.ipv4,
            r.totals.ipv6,
            r.totals.outside,
            r.totals.darknet_packets
        ),
        (0, 102, 1, 101)
    );
    assert_eq!(r.totals.by_category["icmp"], 1);
    let sc = scanner(&r, "2001:db8:1::5").expect("IPv6 scanner");
    assert_eq!(sc.destinations, 100);
    assert_eq!(sc.scan, Some(ScanKind::Horizontal));
}

struct FakeGeo;
impl SourceEnricher for FakeGeo {
    fn lookup(&self, addr: std::net::IpAddr) -> Enrichment {
        let v4 = matches!(addr, std::net::IpAddr::V4(a) if a.octets()[3] % 2 == 0);
        Enrichment {
            country: Some(if v4 { "JP" } else { "NL" }.to_string()),
            asn: Some(if v4 { 64_496 } else { 64_511 }),
            as_org: Some("Example".to_string()),
            location: None,
        }
    }
}

#[test]
fn enrichment_is_per_source_and_ranks_countries() {
    let mut pkts = sweep(a("198.51.100.2"), T0, 100, 23);
    pkts.extend(sweep(a("198.51.100.3"), T0, 10, 23));
    pkts.extend(sweep(a("198.51.100.4"), T0, 10, 23));
    pkts.sort_by_key(|p| p.ts_ns);
    let mut an = Analyzer::new(cfg());
    pkts.iter().for_each(|p| an.observe(p, 60));
    let r = an.finish(Some(&FakeGeo));
    assert_eq!(r.top_countries[0].key, "JP");
    assert_eq!(
        (r.top_countries[0].packets, r.top_countries[0].sources),
        (110, 2)
    );
    assert_eq!(r.top_countries[1].key, "NL");
    assert_eq!(r.top_asns[0].key, "64496");
    assert_eq!(r.scanners[0].country.as_deref(), Some("JP"));
    assert_eq!(r.scanners[0].as_org.as_deref(), Some("Example"));
}

#[test]
fn ports_and_sources_are_ranked_deterministically() {
    let mut pkts = Vec::new();
    for (i, port) in [23u16, 23, 23, 445, 445, 22].iter().enumerate() {
        pkts.push(syn(
            T0,
            a(&format!("198.51.100.{}", 100 + i)),
            dark(1),
            *port,
        ));
    }
    pkts.push(udp(T0, a("198.51.100.100"), dark(2), 5060));
    let r = analyze(Config { top_n: 2, ..cfg() }, &pkts);
    let tcp: Vec<(u16, u64)> = r
        .top_tcp_ports
        .iter()
        .map(|p| (p.port, p.packets))
        .collect();
    assert_eq!(tcp, vec![(23, 3), (445, 2)]);
    assert_eq!(r.top_udp_ports[0].port, 5060);
    let srcs: Vec<&str> = r.top_sources.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(srcs, vec!["198.51.100.100", "198.51.100.101"]);
}

#[test]
fn state_budget_stops_tracking_new_sources() {
    let pkts: Vec<Packet> = (0..200u32)
        .map(|i| {
            syn(
                T0,
                Addr::V4(0xC633_6400 + (i % 250) + 1 + (i / 250) * 256),
                dark(i),
                23,
            )
        })
        .collect();
    let r = analyze(
        Config {
            state_budget_bytes: 30 * 160,
            ..cfg()
        },
        &pkts,
    );
    assert!(r.totals.untracked_sources > 100, "{:?}", r.totals);
    assert_eq!(r.totals.distinct_sources, 200);
    assert!(r.warnings.iter().any(|w| w.contains("state budget")));
    assert_eq!(r.totals.darknet_packets, 200);
}

#[test]
fn out_of_order_within_one_window_still_counts() {
    let s = a("198.51.100.70");
    let mut pkts: Vec<Packet> = (0..60)
        .map(|i| syn(T0 + u64::from(i) * SEC, s, dark(i), 23))
        .collect();
    // The next window starts, then 40 more probes of the first window arrive late.
    pkts.extend((0..10).map(|i| syn(T0 + 3600 * SEC + u64::from(i) * SEC, s, dark(i), 23)));
    pkts.extend((60..100).map(|i| syn(T0 + 3000 * SEC + u64::from(i) * SEC, s, dark(i), 23)));
    let r = analyze(cfg(), &pkts);
    let sc = scanner(&r, "198.51.100.70").expect("late probes joined their window");
    assert_eq!(sc.scanner_windows, vec!["2023-11-14T21:00:00Z".to_string()]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn probes_more_than_a_window_late_are_left_out_with_a_warning() {
    let s = a("198.51.100.71");
    // Another source opens window 0 (the first window is never evicted early).
    let mut pkts = vec![syn(T0, a("198.51.100.72"), dark(1), 23)];
    let w1 = T0 + 3600 * SEC;
    pkts.extend((0..60).map(|i| syn(w1 + u64::from(i) * SEC, s, dark(i), 23)));
    // Window 4 arrives: window 1 is more than one window behind and gets folded.
    pkts.extend((0..300).map(|i| {
        syn(
            w1 + 3 * 3600 * SEC + u64::from(i),
            a(&format!("198.51.100.{}", 100 + i % 50)),
            dark(i),
            23,
        )
    }));
    pkts.extend((60..100).map(|i| syn(w1 + u64::from(i) * SEC, s, dark(i), 23)));
    let r = analyze(cfg(), &pkts);
    assert!(scanner(&r, "198.51.100.71").is_none());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("40 probes arrived more than one window late")),
        "{:?}",
        r.warnings
    );
    let top = r
        .top_sources
        .iter()
        .find(|x| x.address == "198.51.100.71")
        .expect("listed");
    assert_eq!(top.packets, 100, "late packets still count in run totals");
}
