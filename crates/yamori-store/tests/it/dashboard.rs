//! The dashboard index: written with the analysis, removed with it, queried alike on both
//! backends.

use yamori_model::telescope::{
    Attack, GeoPoint, KeyCount, MinuteCounts, PortCount, Report, ScanKind, SourceSummary, Tool,
    SCHEMA,
};
use yamori_store::dashboard::SourceFilter;
use yamori_store::{FileDigest, NewAnalysis, Store};

use crate::backends::each;

/// A minimal valid report whose `darknets` length encodes `n` (so reports differ).
pub fn report_json(n: usize) -> String {
    let r = Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into(); n],
        ..Report::default()
    };
    serde_json::to_string(&r).expect("serialise")
}

fn source(addr: &str, packets: u64, minute: u32, tool: Tool, scan: bool) -> SourceSummary {
    SourceSummary {
        address: addr.into(),
        packets,
        bytes: packets * 60,
        first_seen: format!("2026-11-20T00:{minute:02}:00Z"),
        last_seen: format!("2026-11-20T00:{minute:02}:59Z"),
        destinations: 120,
        destination_ports: 1,
        top_ports: vec![PortCount { port: 23, packets }],
        ttl_min: 50,
        ttl_max: 60,
        syn_probes: packets,
        fingerprint_matches: Default::default(),
        tool,
        scan: scan.then_some(ScanKind::Horizontal),
        scanner_windows: vec![],
        country: Some(if tool == Tool::Mirai { "JP" } else { "BR" }.into()),
        asn: Some(64_500),
        as_org: None,
        location: (tool == Tool::Mirai).then_some(GeoPoint {
            latitude: 35.7,
            longitude: 139.7,
        }),
    }
}

pub fn report(day: u32, bot_packets: u64) -> Report {
    let minute = |m: u32, syn: u64| MinuteCounts {
        minute: format!("2026-11-{day:02}T00:{m:02}:00Z"),
        counts: [syn, 1, 0, 0, 0, 0, 0, 2, 0, 0],
    };
    let mut bot = source("192.0.2.1", bot_packets, 0, Tool::Mirai, true);
    let mut other = source("198.51.100.9", 40, 2, Tool::Unknown, false);
    for s in [&mut bot, &mut other] {
        s.first_seen = s.first_seen.replace("11-20", &format!("11-{day:02}"));
        s.last_seen = s.last_seen.replace("11-20", &format!("11-{day:02}"));
    }
    Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some(format!("2026-11-{day:02}T00:00:00.5Z")),
        last_packet: Some(format!("2026-11-{day:02}T00:02:59Z")),
        timeseries: vec![minute(0, 10), minute(1, 20), minute(2, 30)],
        top_tcp_ports: vec![PortCount {
            port: 23,
            packets: 60,
        }],
        top_countries: vec![
            KeyCount {
                key: "JP".into(),
                packets: bot_packets,
                sources: 1,
            },
            KeyCount {
                key: "BR".into(),
                packets: 40,
                sources: 1,
            },
        ],
        scanners: vec![bot.clone()],
        top_sources: vec![bot, other],
        attacks: vec![Attack {
            victim: "198.51.100.9".into(),
            start: format!("2026-11-{day:02}T00:01:00Z"),
            end: format!("2026-11-{day:02}T00:02:00Z"),
            packets: 500,
            peak_pps: 9.0,
            mean_pps: 8.3,
            ports: vec![],
            darknet_destinations: 10,
            kinds: vec!["tcp_synack".into()],
            country: None,
            asn: None,
        }],
        totals: yamori_model::telescope::Totals {
            darknet_packets: 99,
            bytes: 5000,
            distinct_sources: 2,
            ..Default::default()
        },
        ..Report::default()
    }
}

pub fn put(s: &Store, name: &str, r: &Report) -> String {
    let a = NewAnalysis {
        files: vec![FileDigest {
            name: format!("{name}.pcap"),
            sha256: format!("{name:0>64}"),
            bytes: 1,
        }],
        report_json: serde_json::to_string(r).expect("serialise"),
        first_packet: r.first_packet.clone(),
        last_packet: r.last_packet.clone(),
        darknet_packets: 99,
        replace_overlapping: true,
    };
    let id = a.id();
    s.put_analysis(&a).expect("put");
    id
}

/// 2026-11-DD 00:00:00 UTC.
fn day(d: i64) -> i64 {
    1_795_132_800 + (d - 20) * 86_400
}

#[test]
fn dashboard_index_follows_analyses() {
    each(|s| {
        assert_eq!(s.dash_bounds().expect("bounds"), None);
        let a = put(s, "a", &report(20, 100));
        let b = put(s, "b", &report(21, 300));
        let bounds = s.dash_bounds().expect("bounds").expect("data");
        assert_eq!((bounds.first_s, bounds.end_s), (day(20), day(21) + 180));

        // Exact per-minute series, and coarser buckets summing them.
        let all = (day(20), day(22));
        let series = s.dash_series(all.0, all.1, 60).expect("series");
        assert_eq!(series.len(), 6);
        assert_eq!(series[1].t, day(20) + 60);
        assert_eq!(series[1].counts[0], 20);
        let hourly = s.dash_series(all.0, all.1, 3600).expect("series");
        assert_eq!(hourly.len(), 2);
        assert_eq!(hourly[0].counts[0], 60);
        assert_eq!(hourly[0].counts[7], 6);
        let one_day = s.dash_series(day(21), day(22), 60).expect("series");
        assert_eq!(one_day.len(), 3);

        let t = s.dash_totals(all.0, all.1).expect("totals");
        assert_eq!(
            (t.analyses, t.packets, t.bytes, t.scanners),
            (2, 198, 10_000, 2)
        );
        assert_eq!(s.dash_totals(day(21), day(22)).expect("t").analyses, 1);

        let countries = s.dash_facet("country", all.0, all.1, 10).expect("facet");
        assert_eq!(countries[0].key, "JP");
        assert_eq!((countries[0].packets, countries[0].sources), (400, 2));
        let tools = s.dash_facet("tool", all.0, all.1, 10).expect("facet");
        assert_eq!(tools.len(), 1);
        assert_eq!((tools[0].key.as_str(), tools[0].sources), ("mirai", 2));

        // Sources: most packets first, keyset paging, filters.
        let f = SourceFilter {
            from: all.0,
            to: all.1,
            ..Default::default()
        };
        let page1 = s.dash_sources(&f, None, 3).expect("sources");
        let order: Vec<u64> = page1.iter().map(|r| r.packets).collect();
        assert_eq!(order, vec![300, 100, 40]);
        assert_eq!(page1[0].kind, "mirai");
        assert_eq!(page1[0].latitude, Some(35.7));
        // 198.51.100.9 is also the attack's victim: its packets are backscatter.
        assert_eq!(page1[2].kind, "backscatter");
        assert_eq!(page1[2].latitude, None);
        let last = page1.last().expect("row");
        let page2 = s
            .dash_sources(&f, Some((last.packets as i64, last.id)), 3)
            .expect("page 2");
        assert_eq!(page2.len(), 1);
        assert_eq!(page2[0].packets, 40);
        let located = SourceFilter {
            located_only: true,
            ..f.clone()
        };
        assert_eq!(s.dash_sources(&located, None, 10).expect("x").len(), 2);
        let br = SourceFilter {
            country: Some("BR".into()),
            ..f.clone()
        };
        assert_eq!(s.dash_sources(&br, None, 10).expect("x").len(), 2);
        let zmap = SourceFilter {
            tool: Some("zmap".into()),
            ..f.clone()
        };
        assert!(s.dash_sources(&zmap, None, 10).expect("x").is_empty());
        let history = s.dash_source("192.0.2.1").expect("source");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].analysis_id, a);
        assert!(history[1].detail.contains("\"tool\":\"mirai\""));

        // Attacks.
        assert_eq!(s.dash_attack_count(all.0, all.1).expect("count"), 2);
        let newest = s.dash_attacks(all.0, all.1, None, 1).expect("attacks");
        assert_eq!(newest[0].analysis_id, b);
        let older = s
            .dash_attacks(all.0, all.1, Some((newest[0].start_s, newest[0].id)), 5)
            .expect("attacks");
        assert_eq!(older.len(), 1);
        assert_eq!(older[0].analysis_id, a);
        assert_eq!(s.dash_top_attacks(all.0, all.1, 5).expect("top").len(), 2);

        // Replacing an analysis replaces its index rows; nothing is left behind.
        put(s, "b", &report(21, 7));
        assert_eq!(s.dash_source("192.0.2.1").expect("x")[1].packets, 7);
        assert_eq!(s.dash_sources(&f, None, 10).expect("x").len(), 4);
    });
}

#[test]
fn a_report_that_is_not_one_is_refused_with_its_field() {
    each(|s| {
        let mut r = report(20, 1);
        r.attacks[0].start = "yesterday".into();
        let a = NewAnalysis {
            files: vec![],
            report_json: serde_json::to_string(&r).expect("serialise"),
            first_packet: None,
            last_packet: None,
            darknet_packets: 0,
            replace_overlapping: false,
        };
        let err = s.put_analysis(&a).expect_err("refused").to_string();
        assert!(err.contains("attack on 198.51.100.9 start"), "{err}");
        assert!(s.list_analyses().expect("list").is_empty());
    });
}
