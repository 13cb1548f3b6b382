use yamori_vuln::feed::{read_feed, FeedError, FeedItem, FeedKind};
use yamori_vuln::record::Operator;

use super::{fixture, read_fixture};

fn skipped(items: &[FeedItem]) -> Vec<(usize, Option<String>, String)> {
    items
        .iter()
        .filter_map(|i| match i {
            FeedItem::Skipped(e) => Some((e.index, e.id.clone(), e.reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn nvd_file_is_detected_and_bad_entries_are_skipped_with_index_and_id() {
    let (kind, items) = read_fixture("nvd/cves.json");
    assert_eq!(kind, FeedKind::Nvd);
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            FeedItem::Cve(c) => Some(c.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        [
            "CVE-2017-17215",
            "CVE-2021-36260",
            "CVE-2016-7406",
            "CVE-2000-0001"
        ]
    );
    let s = skipped(&items);
    assert_eq!(s.len(), 3, "{s:?}");
    assert_eq!((s[0].0, s[0].1.as_deref()), (4, None));
    assert!(s[0].2.contains("missing field `id`"), "{}", s[0].2);
    assert_eq!(
        (s[1].0, s[1].1.as_deref(), s[1].2.as_str()),
        (5, Some("CVE-2000-0002"), "rejected CVE")
    );
    assert_eq!((s[2].0, s[2].1.as_deref()), (6, Some("CVE-2000-0003")));
    assert!(
        s[2].2.contains("configuration 0 node 0 cpeMatch 0"),
        "{}",
        s[2].2
    );
}

#[test]
fn nvd_record_keeps_configuration_shape_and_best_cvss() {
    let (_, items) = read_fixture("nvd/cves.json");
    let Some(FeedItem::Cve(hg532)) = items.first() else {
        panic!("first item is the HG532 record");
    };
    assert_eq!(hg532.configurations.len(), 1);
    let conf = &hg532.configurations[0];
    assert_eq!(conf.operator, Operator::And);
    assert_eq!(conf.nodes.len(), 2);
    assert!(conf.nodes[0].cpe_match[0].vulnerable);
    assert!(!conf.nodes[1].cpe_match[0].vulnerable);
    let cvss = hg532.cvss.as_ref().expect("has CVSS");
    assert_eq!(
        (cvss.version.as_str(), cvss.score.to_string().as_str()),
        ("3.1", "8.8")
    );
    assert!(
        hg532.description.starts_with("Huawei HG532"),
        "English chosen"
    );
    assert_eq!(
        hg532.products(),
        [
            ("huawei".to_string(), "hg532".to_string()),
            ("huawei".to_string(), "hg532_firmware".to_string())
        ]
    );
}

#[test]
fn kev_file_is_detected() {
    let (kind, items) = read_fixture("kev.json");
    assert_eq!(kind, FeedKind::Kev);
    let kev: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            FeedItem::Kev(k) => Some((k.cve_id.as_str(), k.date_added.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        kev,
        [
            ("CVE-2017-17215", "2022-03-15"),
            ("CVE-2021-36260", "2022-01-10")
        ]
    );
    let s = skipped(&items);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, 2);
    assert!(s[0].2.contains("cveID"), "{}", s[0].2);
}

#[test]
fn osv_record_and_withdrawn_record() {
    let (kind, items) = read_fixture("osv/ALPINE-CVE-2020-36254.json");
    assert_eq!(kind, FeedKind::Osv);
    let [FeedItem::Osv(o)] = items.as_slice() else {
        panic!("one OSV record, got {items:?}");
    };
    assert_eq!(o.id, "ALPINE-CVE-2020-36254");
    assert_eq!(o.affected[0].name, "dropbear");
    assert_eq!(
        o.affected[0].ranges[0].events,
        [
            ("introduced".to_string(), "0".to_string()),
            ("fixed".to_string(), "2020.79".to_string())
        ]
    );
    let (kind, items) = read_fixture("osv/WITHDRAWN-0001.json");
    assert_eq!(kind, FeedKind::Osv);
    assert_eq!(
        skipped(&items),
        [(
            0,
            Some("OSV-2000-0001".to_string()),
            "withdrawn".to_string()
        )]
    );
}

fn read_err(rel: &str) -> FeedError {
    let f = std::fs::File::open(fixture(rel)).expect("fixture exists");
    read_feed(f, &mut |_| Ok(())).expect_err("bad file must fail")
}

#[test]
fn files_that_are_none_of_these_fail_whole() {
    assert!(matches!(
        read_err("bad/not-a-feed.json"),
        FeedError::NotAFeed(_)
    ));
    assert!(matches!(read_err("bad/truncated.json"), FeedError::Json(_)));
    match read_err("bad/nvd-1.1.json") {
        FeedError::NotAFeed(m) => assert!(m.contains("1.1"), "{m}"),
        e => panic!("unexpected {e}"),
    }
    let array = read_feed(&b"[1, 2]"[..], &mut |_| Ok(())).expect_err("array");
    assert!(matches!(array, FeedError::Json(_)));
    let binary = read_feed(&b"\x1f\x8b\x08\x00garbage"[..], &mut |_| Ok(())).expect_err("binary");
    assert!(matches!(binary, FeedError::Json(_)));
}

#[test]
fn sink_error_stops_the_read() {
    let f = std::fs::File::open(fixture("nvd/cves.json")).expect("fixture exists");
    let mut seen = 0;
    let err = read_feed(f, &mut |_| {
        seen += 1;
        Err("disk full".into())
    })
    .expect_err("sink failure propagates");
    assert_eq!(seen, 1);
    assert!(matches!(err, FeedError::Sink(e) if e.to_string() == "disk full"));
}

#[test]
fn empty_lists_are_recognised_by_their_markers() {
    let nvd = br#"{"vulnerabilities": [], "format": "NVD_CVE", "version": "2.0"}"#;
    assert_eq!(
        read_feed(&nvd[..], &mut |_| Ok(())).expect("nvd"),
        FeedKind::Nvd
    );
    let kev = br#"{"catalogVersion": "x", "count": 0, "vulnerabilities": []}"#;
    assert_eq!(
        read_feed(&kev[..], &mut |_| Ok(())).expect("kev"),
        FeedKind::Kev
    );
    let unknown = br#"{"vulnerabilities": [{"x": 1}]}"#;
    let mut n = 0;
    let e = read_feed(&unknown[..], &mut |_| {
        n += 1;
        Ok(())
    });
    assert!(matches!(e, Err(FeedError::NotAFeed(_))));
    assert_eq!(n, 1, "the unknown item was reported as skipped first");
}

#[test]
fn an_entry_over_the_limit_fails_the_file_while_smaller_ones_pass() {
    use yamori_vuln::feed::read_feed_limited;
    let small = r#"{"cveID":"CVE-2000-0001","vendorProject":"v","product":"p","vulnerabilityName":"n","dateAdded":"2000-01-01"}"#;
    let big = format!(
        r#"{{"cveID":"CVE-2000-0002","vendorProject":"v","product":"p","vulnerabilityName":"{}","dateAdded":"2000-01-01"}}"#,
        "x".repeat(2000)
    );
    let doc = format!(
        r#"{{"catalogVersion":"1","vulnerabilities":[{small},{small},{big}],"ignored":"{}"}}"#,
        "y".repeat(5000)
    );
    let mut seen = 0;
    let e = read_feed_limited(doc.as_bytes(), 1000, &mut |_| {
        seen += 1;
        Ok(())
    })
    .expect_err("the 2 KB entry is over a 1000-byte limit");
    assert_eq!(seen, 2, "entries before the big one were handed over");
    assert!(e.to_string().contains("over the 1000-byte limit"), "{e}");
    // Skipped top-level values are not held, so they are not limited.
    let doc = format!(
        r#"{{"catalogVersion":"1","vulnerabilities":[{small}],"ignored":"{}"}}"#,
        "y".repeat(5000)
    );
    let kind = read_feed_limited(doc.as_bytes(), 1000, &mut |_| Ok(())).expect("within limits");
    assert_eq!(kind, FeedKind::Kev);
}
