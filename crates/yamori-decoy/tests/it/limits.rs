//! The limits hold over real sockets: sessions per source, sessions at once, line length
//! (a gigabyte line), idle time; other sessions carry on and the records so far are kept.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yamori_decoy::Limits;

use crate::support::{eventids, of_session, Bot, Running};

async fn login(bot: &mut Bot) {
    bot.until("login: ").await;
    bot.line("root").await;
    bot.until("Password: ").await;
    bot.line("vizxv").await;
    bot.until("# ").await;
}

/// The server closes a refused connection without a byte.
async fn refused(bot: &mut Bot) -> bool {
    let mut b = [0u8; 16];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), bot.s.read(&mut b)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_over_the_per_source_limit_is_refused() {
    let limits = Limits {
        max_sessions_per_source: 1,
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut first = Bot::connect(decoy.addr).await;
    login(&mut first).await;
    let mut second = Bot::connect(decoy.addr).await;
    assert!(
        refused(&mut second).await,
        "the second session from 127.0.0.1 is refused"
    );
    // The first one is unaffected.
    first.line("uname -m").await;
    assert!(first.until("# ").await.contains("armv7l"));
    first.line("exit").await;
    assert!(first.closed().await);
    // Its slot is free again once it is gone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = Bot::connect(decoy.addr).await;
    third.until("login: ").await;
    let summary = decoy.stop().await;
    assert_eq!((summary.sessions, summary.refused_per_source), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_over_the_total_are_refused() {
    let limits = Limits {
        max_sessions: 2,
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut a = Bot::connect(decoy.addr).await;
    let mut b = Bot::connect(decoy.addr).await;
    a.until("login: ").await;
    b.until("login: ").await;
    let mut c = Bot::connect(decoy.addr).await;
    assert!(refused(&mut c).await);
    let summary = decoy.stop().await;
    assert_eq!((summary.sessions, summary.refused_busy), (2, 1));
    // Shutdown closed both open sessions, and each recorded its end.
    let closed = decoy
        .records()
        .iter()
        .filter(|r| r["eventid"] == "cowrie.session.closed")
        .count();
    assert_eq!(closed, 2);
}

/// A client streams a line of up to a gigabyte: the session is closed once the line passes
/// the limit (the client cannot push more than the limit and the socket buffers), another
/// session on the same decoy goes on answering, and the cut session's records are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_line_is_cut_and_others_carry_on() {
    let mut decoy = Running::start(Limits::default()).await;
    let mut calm = Bot::connect(decoy.addr).await;
    login(&mut calm).await;
    let mut flood = Bot::connect(decoy.addr).await;
    login(&mut flood).await;
    flood.line("cd /tmp").await;
    flood.until("# ").await;

    let chunk = vec![b'A'; 1 << 20];
    let mut sent: u64 = 0;
    while sent < 1 << 30 {
        match tokio::time::timeout(Duration::from_secs(10), flood.s.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len() as u64,
            Ok(Err(_)) => break,
            Err(_) => panic!("the decoy neither read nor closed a flooding session"),
        }
    }
    assert!(
        sent < 64 << 20,
        "the session took {sent} bytes of one line before closing"
    );
    assert!(flood.closed().await);

    calm.line("echo still here").await;
    assert!(calm.until("# ").await.contains("still here"));
    calm.line("exit").await;
    assert!(calm.closed().await);

    let summary = decoy.stop().await;
    assert_eq!(summary.closed_by_limit, 1);
    let records = decoy.records();
    let flood_id = records
        .iter()
        .find(|r| r["input"] == "cd /tmp")
        .and_then(|r| r["session"].as_str())
        .expect("the flooding session's command was recorded");
    let ids = eventids(&of_session(&records, flood_id));
    assert_eq!(
        ids,
        [
            "cowrie.session.connect",
            "cowrie.login.success",
            "cowrie.command.input",
            "cowrie.session.closed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sessions_are_closed_at_the_idle_limit() {
    let limits = Limits {
        idle_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut bot = Bot::connect(decoy.addr).await;
    bot.until("login: ").await;
    let started = std::time::Instant::now();
    assert!(bot.closed().await);
    assert!(started.elapsed() < Duration::from_secs(5));
    let summary = decoy.stop().await;
    assert_eq!(summary.closed_by_limit, 1);
    let records = decoy.records();
    assert_eq!(
        eventids(&records.iter().collect::<Vec<_>>()),
        ["cowrie.session.connect", "cowrie.session.closed"]
    );
    assert!(records[1]["duration_ms"]
        .as_u64()
        .is_some_and(|ms| ms >= 300));
}

/// Bytes past a session's allowance are not read: the session ends there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_byte_allowance() {
    let limits = Limits {
        max_session_bytes: 4096,
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut bot = Bot::connect(decoy.addr).await;
    login(&mut bot).await;
    for _ in 0..100 {
        if bot
            .s
            .write_all(b"echo 0123456789012345678901234567890123456789\r\n")
            .await
            .is_err()
        {
            break;
        }
    }
    assert!(bot.closed().await);
    let summary = decoy.stop().await;
    assert_eq!(summary.closed_by_limit, 1);
    assert!(summary.commands < 100, "{summary:?}");
}

/// Random bytes (seeded) to fresh sessions: no panic, every session records its end, and
/// the decoy still answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_garbage_does_not_break_the_decoy() {
    let mut decoy = Running::start(Limits::default()).await;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..20 {
        let mut bot = Bot::connect(decoy.addr).await;
        let mut junk = vec![0u8; 2000 + round * 500];
        for b in &mut junk {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = (seed >> 24) as u8;
        }
        let _ = bot.s.write_all(&junk).await;
        let _ = bot.s.shutdown().await;
        bot.closed().await;
    }
    let mut bot = Bot::connect(decoy.addr).await;
    login(&mut bot).await;
    let summary = decoy.stop().await;
    assert_eq!(summary.sessions, 21);
    let records = decoy.records();
    let closed = records
        .iter()
        .filter(|r| r["eventid"] == "cowrie.session.closed")
        .count();
    assert_eq!(closed, 21);
    assert_eq!(summary.write_errors, 0);
}

/// The recorder's queue (what the binary stores in the database) gets every record while it
/// has room; past its capacity records are counted as left out, and the events file still
/// has them all.
#[test]
fn a_full_queue_drops_and_counts_never_blocks() {
    use std::sync::Arc;
    use yamori_decoy::{Detail, Event, Recorder, SessionMeta};
    let dir = tempfile::tempdir().expect("temp dir");
    let (rec, queue) = Recorder::append_to(&dir.path().join("e.jsonl"))
        .expect("events file")
        .with_tap(3);
    let meta = Arc::new(SessionMeta {
        session: "0123456789ab".into(),
        src: "192.0.2.1:5000".parse().expect("literal"),
        dst: "127.0.0.1:2323".parse().expect("literal"),
        protocol: "telnet",
        sensor: "s".into(),
    });
    for i in 0..5 {
        rec.record(&Event {
            meta: meta.clone(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            detail: Detail::CommandInput {
                input: format!("c{i}"),
            },
        });
    }
    let s = rec.stats.summary();
    assert_eq!((s.events, s.tap_dropped, s.commands), (5, 2, 5));
    drop(rec);
    let got: Vec<Detail> = queue.iter().map(|e| e.detail).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Detail::CommandInput { input: "c0".into() });
    let lines = std::fs::read_to_string(dir.path().join("e.jsonl")).expect("read");
    assert_eq!(lines.lines().count(), 5);
}
