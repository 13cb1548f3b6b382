//! The decoy's records: stored as given, read back per session in order, download URLs
//! grouped with their sessions and sources — the same on both engines.

use yamori_store::decoy::{DecoyHost, DecoyUrl, NewDecoyEvent};

use crate::backends::same_on_each;

pub(crate) fn event(
    session: &str,
    eventid: &str,
    src: &str,
    ts: &str,
    url: Option<&str>,
) -> NewDecoyEvent {
    let record = serde_json::json!({
        "eventid": eventid, "session": session, "src_ip": src, "timestamp": ts, "url": url,
    });
    NewDecoyEvent {
        session: session.into(),
        eventid: eventid.into(),
        src_ip: src.into(),
        timestamp: ts.into(),
        url: url.map(str::to_string),
        record: record.to_string(),
    }
}

#[test]
fn decoy_records_and_download_urls_agree_on_both_engines() {
    let got = same_on_each(|s| {
        assert_eq!(s.decoy_add_events(&[]).expect("nothing to add"), 0);
        let a = [
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.connect",
                "192.0.2.1",
                "2026-12-01T00:00:00.000001Z",
                None,
            ),
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.file_download",
                "192.0.2.1",
                "2026-12-01T00:00:01.000000Z",
                Some("http://198.51.100.7/x.sh"),
            ),
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.file_download",
                "192.0.2.1",
                "2026-12-01T00:00:02.000000Z",
                Some("http://198.51.100.7/x.sh"),
            ),
        ];
        let b = [
            event(
                "bbbbbbbbbbbb",
                "cowrie.session.file_download",
                "192.0.2.9",
                "2026-12-02T00:00:00.000000Z",
                Some("http://198.51.100.7/x.sh"),
            ),
            // Upper case sorts before lower case in byte order, whatever the collation.
            event(
                "bbbbbbbbbbbb",
                "cowrie.session.file_download",
                "192.0.2.9",
                "2026-11-30T00:00:00.000000Z",
                Some("Tftp://203.0.113.9/m"),
            ),
        ];
        assert_eq!(s.decoy_add_events(&a).expect("add"), 3);
        assert_eq!(s.decoy_add_events(&b).expect("add"), 2);
        assert_eq!(s.decoy_count().expect("count"), 5);
        let session = s.decoy_session("aaaaaaaaaaaa").expect("session");
        let want: Vec<String> = a.iter().map(|e| e.record.clone()).collect();
        assert_eq!(session, want, "records come back as given, in order");
        assert!(s.decoy_session("none").expect("session").is_empty());
        s.decoy_urls().expect("urls")
    });
    assert_eq!(
        got,
        [
            DecoyUrl {
                url: "Tftp://203.0.113.9/m".into(),
                sessions: 1,
                sources: vec!["192.0.2.9".into()],
                first_seen: "2026-11-30T00:00:00.000000Z".into(),
                last_seen: "2026-11-30T00:00:00.000000Z".into(),
            },
            DecoyUrl {
                url: "http://198.51.100.7/x.sh".into(),
                sessions: 2,
                sources: vec!["192.0.2.1".into(), "192.0.2.9".into()],
                first_seen: "2026-12-01T00:00:01.000000Z".into(),
                last_seen: "2026-12-02T00:00:00.000000Z".into(),
            },
        ]
    );
}

fn login(session: &str, src: &str, ts: &str, user: &str, password: &str) -> NewDecoyEvent {
    let mut e = event(session, "cowrie.login.failed", src, ts, None);
    e.record = serde_json::json!({
        "eventid": "cowrie.login.failed", "session": session, "src_ip": src, "timestamp": ts,
        "username": user, "password": password,
    })
    .to_string();
    e
}

#[test]
fn decoy_hosts_gather_sessions_logins_and_urls_in_a_window() {
    let got = same_on_each(|s| {
        let t = |n: u32| format!("2026-12-01T00:00:{n:02}.000000Z");
        let mut events = vec![
            // Before the window: not counted.
            login(
                "old000000000",
                "192.0.2.1",
                "2026-11-01T00:00:00.000000Z",
                "old",
                "x",
            ),
            login("aaaaaaaaaaaa", "192.0.2.1", &t(1), "root", "xc3511"),
            login("aaaaaaaaaaaa", "192.0.2.1", &t(2), "root", "xc3511"),
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.file_download",
                "192.0.2.1",
                &t(3),
                Some("http://198.51.100.7/x.sh"),
            ),
            event(
                "bbbbbbbbbbbb",
                "cowrie.session.connect",
                "192.0.2.1",
                &t(9),
                None,
            ),
            event(
                "cccccccccccc",
                "cowrie.session.connect",
                "192.0.2.10",
                &t(5),
                None,
            ),
        ];
        // A bot that tries many pairs: only the first three are kept.
        for n in 0..20 {
            events.push(login(
                "cccccccccccc",
                "192.0.2.10",
                &t(6),
                "admin",
                &format!("p{n}"),
            ));
        }
        s.decoy_add_events(&events).expect("add");
        s.decoy_hosts("2026-12-01T00:00:00.000000Z", 3)
            .expect("hosts")
    });
    assert_eq!(
        got,
        [
            DecoyHost {
                src_ip: "192.0.2.1".into(),
                first_seen: "2026-12-01T00:00:01.000000Z".into(),
                last_seen: "2026-12-01T00:00:09.000000Z".into(),
                sessions: 2,
                credentials: vec![("root".into(), "xc3511".into())],
                urls: vec!["http://198.51.100.7/x.sh".into()],
            },
            DecoyHost {
                src_ip: "192.0.2.10".into(),
                first_seen: "2026-12-01T00:00:05.000000Z".into(),
                last_seen: "2026-12-01T00:00:06.000000Z".into(),
                sessions: 1,
                credentials: ["p0", "p1", "p2"]
                    .iter()
                    .map(|p| ("admin".to_string(), p.to_string()))
                    .collect(),
                urls: vec![],
            },
        ]
    );
}
