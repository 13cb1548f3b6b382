use std::collections::{BTreeMap, HashSet};

use yamori_gen::{GenConfig, GenError, GroundTruth, Link, Scale, ScanKind, Tool};

use crate::check::{analyze, attacks, label, scan_kind, Analysis, Rules};
use crate::pcap::{self, Addr};
use crate::{darknet, gen, small};

fn addr_text(a: Addr) -> String {
    match a {
        Addr::V4(v) => std::net::Ipv4Addr::from(v).to_string(),
        Addr::V6(v) => std::net::Ipv6Addr::from(v).to_string(),
    }
}

/// Generate `cfg`, read the file back, apply the rules independently and compare with the
/// truth. Returns both for further checks.
fn verify(cfg: &GenConfig) -> (GroundTruth, Analysis) {
    let (bytes, truth) = gen(cfg);
    let cap = pcap::read(&bytes);
    let rules = Rules {
        darknets: cfg.darknets.clone(),
        threshold: u64::from(truth.scanner_min_destinations),
        window_secs: truth.window_secs,
    };
    let a = analyze(
        &rules,
        cap.records.iter().map(|r| pcap::decode(cap.link, r)),
    );
    assert_eq!(a.out_of_order, 0, "records are in time order");
    assert_eq!(a.packets, truth.packets);
    assert_eq!(a.darknet, truth.darknet_packets);
    assert_eq!(a.outside, truth.outside_packets);
    let mut cats: BTreeMap<String, u64> = truth.by_category.clone();
    cats.retain(|_, n| *n > 0);
    assert_eq!(a.by_category, cats, "categories");
    assert_eq!(a.backscatter, truth.backscatter_packets);
    assert_eq!(a.erratic, truth.erratic.values().sum::<u64>());
    assert_eq!(a.multi_reason, 0, "each erratic packet has one reason");
    assert_eq!(
        a.fingerprint.to_vec(),
        ["mirai", "zmap", "masscan"]
            .iter()
            .map(|k| truth.fingerprint_packets[*k])
            .collect::<Vec<_>>()
    );
    assert_eq!(
        a.sources.len() as u64,
        truth.sources,
        "distinct darknet sources"
    );

    // Scanners: the rule applied to the file gives exactly the truth's list.
    let t = rules.threshold;
    let truth_scanners: BTreeMap<&str, _> = truth
        .scanners
        .iter()
        .map(|s| (s.address.as_str(), s))
        .collect();
    let mut found = 0;
    for (addr, src) in &a.sources {
        let kind = scan_kind(&rules, src);
        let tool = label(src);
        let text = addr_text(*addr);
        match truth_scanners.get(text.as_str()) {
            Some(ts) => {
                found += 1;
                assert_eq!(kind, Some(ts.scan), "{text} scan kind");
                assert_eq!(tool, ts.tool, "{text} tool");
                let mut ports: Vec<u16> = src.ports.iter().copied().collect();
                ports.sort_unstable();
                assert_eq!(ports, ts.ports, "{text} ports");
                assert_eq!(src.packets, ts.packets, "{text} packets");
                assert_eq!(src.windows.len(), 1, "{text} scans within one window");
                let dsts = src
                    .dsts_by_window
                    .values()
                    .map(HashSet::len)
                    .max()
                    .unwrap_or(0);
                assert_eq!(dsts as u64, ts.destinations, "{text} destinations");
                if ts.scan != ScanKind::Vertical {
                    assert!(dsts as u64 >= 2 * t, "{text}: {dsts} < 2 × {t}");
                }
                if ts.tool != Tool::Unknown {
                    assert!(
                        src.syn_probes >= 20,
                        "{text}: {} SYN probes",
                        src.syn_probes
                    );
                    assert_eq!(src.matches.iter().max(), Some(&src.syn_probes), "{text}");
                } else {
                    let best = src.matches.iter().max().copied().unwrap_or(0);
                    // Chance matches of random IDs (1 in 65,536) stay far below the 90 % rule.
                    assert!(
                        best * 10 < src.syn_probes.max(1),
                        "{text}: {best} chance matches"
                    );
                }
            }
            None => {
                assert_eq!(kind, None, "{text} is a scanner missing from the truth");
                assert_eq!(tool, Tool::Unknown, "{text} carries a label");
                // Comfortable margins for everything else.
                let dsts = src
                    .dsts_by_window
                    .values()
                    .map(HashSet::len)
                    .max()
                    .unwrap_or(0);
                assert!(dsts as u64 <= t / 3, "{text}: {dsts} destinations");
                assert!(src.syn_probes < 5, "{text}: {} SYN probes", src.syn_probes);
            }
        }
    }
    assert_eq!(
        found,
        truth.scanners.len(),
        "every truth scanner is in the file"
    );

    // Attacks: exactly the truth's victims, one attack each, same bounds and counts.
    let mut attacked = BTreeMap::new();
    for (victim, times) in &a.victims {
        let found = attacks(times);
        let text = std::net::Ipv4Addr::from(*victim).to_string();
        if !found.is_empty() {
            assert_eq!(found.len(), 1, "{text}: one attack");
            let mut ports: Vec<u16> = times.iter().map(|t| t.1).collect();
            ports.sort_unstable();
            ports.dedup();
            attacked.insert(text, (found[0], ports));
        }
    }
    assert_eq!(attacked.len(), truth.victims.len(), "number of attacks");
    for v in &truth.victims {
        let ((start, end, packets), ports) = &attacked[&v.address];
        assert_eq!(
            (*start, *end, *packets),
            (v.start_ns, v.end_ns, v.packets),
            "{}",
            v.address
        );
        assert_eq!(ports, &v.ports, "{} ports", v.address);
        assert!(
            v.end_ns - v.start_ns >= 120_000_000_000,
            "{}: lasts ≥ 2 min",
            v.address
        );
    }
    for s in &truth.sub_threshold_backscatter {
        let v: std::net::Ipv4Addr = s.parse().expect("address");
        let times = &a.victims[&u32::from(v)];
        assert!(
            !times.is_empty() && times.len() < 25,
            "{s}: {} packets",
            times.len()
        );
    }
    (truth, a)
}

#[test]
fn realistic_truth_matches_the_capture() {
    let (truth, _) = verify(&small(3));
    // The mix: every profile, every tool label, every scan kind, all victim kinds.
    let profiles: HashSet<&str> = truth.scanners.iter().map(|s| s.profile.as_str()).collect();
    for p in [
        "mirai",
        "zmap",
        "zmap-4.1",
        "masscan",
        "udp-dns",
        "udp-ntp",
        "udp-ssdp",
        "udp-sip",
        "icmp-echo-sweep",
        "vertical",
        "masscan-block",
    ] {
        assert!(profiles.contains(p), "profile {p} missing");
    }
    let kinds: HashSet<ScanKind> = truth.scanners.iter().map(|s| s.scan).collect();
    assert_eq!(kinds.len(), 3, "horizontal, vertical and block scans");
    assert!(truth.victims.len() >= 3);
    assert!(truth.victims.iter().any(|v| v.kinds == ["icmp_3"]));
    assert!(truth
        .victims
        .iter()
        .any(|v| v.kinds.contains(&"tcp_synack".to_string())));
    assert_eq!(truth.sub_threshold_backscatter.len(), 1);
    for reason in [
        "ttl",
        "source_address",
        "port_zero",
        "fragment",
        "tcp_flags",
    ] {
        assert!(truth.erratic[reason] > 0, "erratic reason {reason} missing");
    }
    assert!(truth.outside_packets > 0 && truth.ipv6_packets > 0);
    // A /24 for 10 minutes: ~1,200 packets per address per hour.
    assert!(
        (40_000..=70_000).contains(&truth.packets),
        "{}",
        truth.packets
    );
}

#[test]
fn several_windows_and_an_unaligned_start() {
    let cfg = GenConfig {
        darknets: darknet(&["198.51.100.0/24", "192.0.2.0/25"]),
        minutes: 150,
        start_unix_secs: yamori_gen::parse_start("2026-11-01T00:20:00Z").expect("time"),
        seed: 11,
        link: Link::Sll,
        nanos: true,
        ..GenConfig::default()
    };
    let (truth, _) = verify(&cfg);
    let windows: HashSet<&str> = truth.scanners.iter().map(|s| s.window.as_str()).collect();
    assert_eq!(
        windows.len(),
        3,
        "scanners in each of the three windows: {windows:?}"
    );
}

#[test]
fn bench_scale_is_exact_and_checkable() {
    let cfg = GenConfig {
        darknets: darknet(&["203.0.113.0/24", "2001:db8:1::/48"]),
        scale: Scale::Bench {
            packets: 300_000,
            sources: 30_000,
        },
        link: Link::Raw,
        seed: 5,
        ..GenConfig::default()
    };
    let (truth, a) = verify(&cfg);
    assert_eq!(truth.packets, 300_000);
    let sources = truth.sources + truth.outside_sources;
    assert!((27_000..=33_000).contains(&sources), "{sources} sources");
    // The IPv6 darknet prefix receives the IPv6 probes.
    assert!(truth.ipv6_packets > 0);
    assert!(a.sources.keys().any(|s| matches!(s, Addr::V6(_))));
}

#[test]
fn ipv6_without_a_v6_prefix_counts_as_outside() {
    let (bytes, truth) = gen(&small(4));
    let cap = pcap::read(&bytes);
    let v6 = cap
        .records
        .iter()
        .map(|r| pcap::decode(cap.link, r))
        .filter(|p| matches!(p.dst, Addr::V6(_)))
        .count() as u64;
    assert!(v6 > 0);
    assert_eq!(v6, truth.ipv6_packets);
    assert!(truth.outside_packets >= v6);
}

#[test]
fn bad_configurations_are_refused() {
    let base = small(1);
    let tiny = GenConfig {
        darknets: darknet(&["203.0.113.0/28"]),
        ..base.clone()
    };
    assert!(matches!(
        yamori_gen::generate(&tiny, Vec::new()),
        Err(GenError::DarknetTooSmall { size: 16, .. })
    ));
    let short = GenConfig {
        minutes: 2,
        ..base.clone()
    };
    assert!(matches!(
        yamori_gen::generate(&short, Vec::new()),
        Err(GenError::Minutes { minutes: 2 })
    ));
    let v6 = GenConfig {
        darknets: darknet(&["2001:db8::/32"]),
        ..base.clone()
    };
    assert!(matches!(
        yamori_gen::generate(&v6, Vec::new()),
        Err(GenError::NoIpv4Darknet)
    ));
    let overlap = GenConfig {
        darknets: darknet(&["10.0.0.0/8", "10.9.0.0/16"]),
        ..base
    };
    assert!(matches!(
        yamori_gen::generate(&overlap, Vec::new()),
        Err(GenError::OverlappingPrefixes(..))
    ));
    assert!(yamori_gen::parse_start("yesterday").is_err());
}
