//! Alerts to network operators: an analysis' scanners read back as the report wrote them, and
//! the notified-hosts record behind the quiet period, alike on both engines.

use yamori_model::telescope::{ScanKind, Tool};
use yamori_store::alerts::NotifiedHost;

use crate::backends::same_on_each;
use crate::dashboard::{put, report};

#[test]
fn scanners_of_an_analysis_are_its_report_scanners_most_packets_first() {
    let got = same_on_each(|s| {
        let mut r = report(20, 500);
        // A second scanner with fewer packets, and one with as many as the bot (address decides).
        let mut zmap = r.scanners[0].clone();
        zmap.address = "198.51.100.20".into();
        zmap.packets = 70;
        zmap.tool = Tool::Zmap;
        zmap.scan = Some(ScanKind::Vertical);
        let mut tie = r.scanners[0].clone();
        tie.address = "192.0.2.0".into();
        r.scanners.extend([zmap.clone(), tie.clone()]);
        let id = put(s, "a", &r);
        let scanners = s.analysis_scanners(&id).expect("read").expect("known");
        // The report's non-scanning source (198.51.100.9) is not among them.
        let expected = vec![tie, r.scanners[0].clone(), zmap];
        assert_eq!(scanners, expected);
        assert_eq!(s.analysis_scanners(&"0".repeat(64)).expect("read"), None);

        // An analysis without scanners is known and empty.
        let mut quiet = report(21, 5);
        quiet.scanners.clear();
        quiet.top_sources.clear();
        let id2 = put(s, "b", &quiet);
        assert_eq!(s.analysis_scanners(&id2).expect("read"), Some(vec![]));
        scanners
            .iter()
            .map(|x| x.address.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(got, ["192.0.2.0", "192.0.2.1", "198.51.100.20"]);
}

#[test]
fn notified_hosts_are_recorded_per_channel_and_listed_since_a_time() {
    let got = same_on_each(|s| {
        let t0 = 1_795_132_800;
        let rec = |hosts: &[(&str, &str)], now: i64| {
            let hosts: Vec<(String, String)> = hosts
                .iter()
                .map(|(h, r)| (h.to_string(), r.to_string()))
                .collect();
            s.record_notified("telescope", &hosts, now).expect("record")
        };
        assert_eq!(
            rec(&[("192.0.2.1", "01-isp"), ("2001:db8::5", "as64500")], t0),
            2
        );
        // A week later: one host again (to another recipient), one new.
        let t1 = t0 + 7 * 86_400;
        assert_eq!(
            rec(&[("192.0.2.1", "as64501"), ("198.51.100.7", "as64501")], t1),
            2
        );
        // Another channel is separate.
        s.record_notified("decoy", &[("192.0.2.1".into(), "01-isp".into())], t1 + 5)
            .expect("record");
        assert_eq!(rec(&[], t1), 0);

        let all = s.notified_since("telescope", 0).expect("list");
        let recent = s.notified_since("telescope", t1).expect("list");
        assert_eq!(
            recent.iter().map(|h| h.host.as_str()).collect::<Vec<_>>(),
            ["192.0.2.1", "198.51.100.7"]
        );
        assert_eq!(
            all[0],
            NotifiedHost {
                host: "192.0.2.1".into(),
                channel: "telescope".into(),
                first_notified_s: t0,
                last_notified_s: t1,
                times: 2,
                recipient: "as64501".into(),
            }
        );
        assert_eq!(all[1].host, "198.51.100.7");
        assert_eq!((all[2].host.as_str(), all[2].times), ("2001:db8::5", 1));
        let decoy = s.notified_since("decoy", t1 + 6).expect("list");
        assert!(decoy.is_empty(), "{decoy:?}");
        assert_eq!(s.notified_since("decoy", t1).expect("list").len(), 1);
        all
    });
    assert_eq!(got.len(), 3);
}

#[test]
fn the_notified_table_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.sqlite");
    {
        let s = yamori_store::Store::open_sqlite(&path).expect("open");
        s.record_notified("telescope", &[("192.0.2.9".into(), "x".into())], 10)
            .expect("record");
    }
    let s = yamori_store::Store::open_sqlite(&path).expect("reopen");
    assert_eq!(s.notified_since("telescope", 10).expect("list").len(), 1);
    assert_eq!(s.notified_since("telescope", 11).expect("list").len(), 0);
}
