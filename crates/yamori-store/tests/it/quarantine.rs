//! The gateway's quarantine reads: survey services with weak credentials or KEV by their
//! newest observation, telescope scanners, decoy attackers, alike on both engines.

use serde_json::json;
use yamori_store::quarantine::{
    QuarantineEvidence, DARKNET_SCANNER, DECOY_ATTACKER, KNOWN_EXPLOITED, WEAK_CREDENTIALS,
};

use crate::backends::same_on_each;
use crate::dashboard::{put, report};
use crate::decoy::event;
use crate::survey::{first_run, run, service, vuln};

/// 2026-11-20T01:00:00Z, the first run's end.
const FIRST_RUN_END: i64 = 1_795_136_400;

fn show(v: Vec<QuarantineEvidence>) -> Vec<String> {
    v.into_iter()
        .map(|e| format!("{} {} {}", e.address, e.reason, e.seen_s))
        .collect()
}

#[test]
fn evidence_names_weak_credentials_kev_and_scanners_by_newest_observation() {
    let listed = same_on_each(|s| {
        assert!(s.quarantine_evidence(0).expect("empty").is_empty());
        s.put_survey(&first_run()).expect("first run");
        // The telescope saw 192.0.2.1 scanning (report of 2026-11-20) and 198.51.100.9 as a
        // top source that is not a scanner.
        put(s, "a", &report(20, 900));
        let first = s.quarantine_evidence(0).expect("evidence");
        // A later run: 198.51.100.9's telnet password was changed, its web server still has
        // the KEV vulnerability; 198.51.100.11 now has a weak credential.
        s.put_survey(&run(
            "2026-11-21T01:00:00Z",
            json!([
                {"address": "198.51.100.9", "services": [
                    service(23, None, false, json!([])),
                    service(80, None, false, json!([vuln("CVE-2021-36260", true, Some(9.8))])),
                ]},
                {"address": "198.51.100.11", "services": [service(23, None, true, json!([]))]},
            ]),
        ))
        .expect("second run");
        let second = s.quarantine_evidence(0).expect("evidence");
        let recent = s
            .quarantine_evidence(FIRST_RUN_END + 1)
            .expect("evidence since");
        (show(first), show(second), show(recent))
    });
    let second_end = FIRST_RUN_END + 86_400;
    // 2026-11-20T00:00:59Z: the scanner's last packet in the report.
    let scanner_seen = FIRST_RUN_END - 3600 + 59;
    assert_eq!(
        listed.0,
        [
            format!("192.0.2.1 {DARKNET_SCANNER} {scanner_seen}"),
            format!("198.51.100.9 {KNOWN_EXPLOITED} {FIRST_RUN_END}"),
            format!("198.51.100.9 {WEAK_CREDENTIALS} {FIRST_RUN_END}"),
        ]
    );
    assert_eq!(
        listed.1,
        [
            format!("192.0.2.1 {DARKNET_SCANNER} {scanner_seen}"),
            format!("198.51.100.11 {WEAK_CREDENTIALS} {second_end}"),
            format!("198.51.100.9 {KNOWN_EXPLOITED} {second_end}"),
        ]
    );
    assert_eq!(
        listed.2,
        [
            format!("198.51.100.11 {WEAK_CREDENTIALS} {second_end}"),
            format!("198.51.100.9 {KNOWN_EXPLOITED} {second_end}"),
        ]
    );
}

#[test]
fn decoy_sources_are_listed_by_their_last_record_within_the_window() {
    let listed = same_on_each(|s| {
        s.decoy_add_events(&[
            event(
                "s1",
                "cowrie.session.connect",
                "192.0.2.7",
                "2026-11-20T00:59:59.000000Z",
                None,
            ),
            event(
                "s1",
                "cowrie.login.failed",
                "192.0.2.7",
                "2026-11-20T01:00:01.500000Z",
                None,
            ),
            event(
                "s2",
                "cowrie.session.connect",
                "203.0.113.4",
                "2026-11-19T10:00:00.000000Z",
                None,
            ),
        ])
        .expect("decoy records");
        (
            show(s.quarantine_evidence(0).expect("all")),
            show(s.quarantine_evidence(FIRST_RUN_END).expect("since the run")),
        )
    });
    let last = FIRST_RUN_END + 1;
    // 203.0.113.4's only record, 2026-11-19T10:00:00Z.
    let old = FIRST_RUN_END - 15 * 3600;
    assert_eq!(
        listed.0,
        [
            format!("192.0.2.7 {DECOY_ATTACKER} {last}"),
            format!("203.0.113.4 {DECOY_ATTACKER} {old}"),
        ]
    );
    assert_eq!(listed.1, [format!("192.0.2.7 {DECOY_ATTACKER} {last}")]);
}
