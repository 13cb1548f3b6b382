//! A small telescope report with one source of each kind and one DDoS victim.

use yamori_model::telescope::{Attack, PortCount, Report, ScanKind, SourceSummary, Tool, SCHEMA};

pub fn source(address: &str, tool: Tool, scan: Option<ScanKind>, packets: u64) -> SourceSummary {
    SourceSummary {
        address: address.into(),
        packets,
        bytes: packets * 60,
        first_seen: "2026-11-20T01:02:03.123456789Z".into(),
        last_seen: "2026-11-20T05:00:00.5Z".into(),
        destinations: 200,
        destination_ports: 2,
        top_ports: vec![
            PortCount {
                port: 23,
                packets: packets * 9 / 10,
            },
            PortCount {
                port: 2323,
                packets: packets / 10,
            },
        ],
        ttl_min: 40,
        ttl_max: 64,
        syn_probes: packets,
        fingerprint_matches: Default::default(),
        tool,
        scan,
        scanner_windows: vec!["2026-11-20T01:00:00Z".into()],
        country: None,
        asn: None,
        as_org: None,
        location: None,
    }
}

pub fn report() -> Report {
    Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some("2026-11-20T00:00:00.000000001Z".into()),
        last_packet: Some("2026-11-20T06:00:00.987654321Z".into()),
        scanners: vec![
            source(
                "198.51.100.7",
                Tool::Mirai,
                Some(ScanKind::Horizontal),
                5_000,
            ),
            source("198.51.100.8", Tool::Zmap, Some(ScanKind::Horizontal), 300),
            source("198.51.100.9", Tool::Masscan, None, 120),
            source(
                "198.51.100.10",
                Tool::Unknown,
                Some(ScanKind::Vertical),
                2_000_000_000,
            ),
            source(
                "2001:db8::7",
                Tool::Unknown,
                Some(ScanKind::Horizontal),
                150,
            ),
        ],
        attacks: vec![Attack {
            victim: "192.0.2.50".into(),
            start: "2026-11-20T02:00:00Z".into(),
            end: "2026-11-20T02:10:00Z".into(),
            packets: 40_000,
            peak_pps: 120.5,
            mean_pps: 66.7,
            ports: vec![PortCount {
                port: 80,
                packets: 39_000,
            }],
            darknet_destinations: 250,
            kinds: vec!["tcp_synack".into()],
            country: None,
            asn: None,
        }],
        ..Report::default()
    }
}
