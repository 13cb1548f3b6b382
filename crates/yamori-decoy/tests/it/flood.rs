//! Hostile connection patterns over real sockets: a flood of 100,000 connections from one
//! address, a slowloris session that trickles bytes, half-open sessions. The limits hold,
//! other sessions carry on, and the records of the sessions the decoy held are complete.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use yamori_decoy::Limits;

use crate::support::{Bot, Running, WAIT};

const FLOOD: usize = 100_000;
const FLOOD_TASKS: usize = 8;

/// A connection to `to` from another loopback address (all of 127.0.0.0/8 is this host on
/// Linux, where CI runs).
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(from), 0))
        .expect("bind to a loopback address");
    socket.connect(to).await.expect("connect to the decoy")
}

async fn login(bot: &mut Bot) {
    bot.until("login: ").await;
    bot.line("root").await;
    bot.until("Password: ").await;
    bot.line("xc3511").await;
    bot.until("# ").await;
}

/// 16 sessions from 127.0.0.1 fill its allowance; then 100,000 more connections from it
/// are each closed without a byte, while a bot from 127.0.0.2 logs in and works as usual and
/// the held sessions still answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_refused_and_others_carry_on() {
    let limits = Limits::default();
    let per_source = limits.max_sessions_per_source;
    let mut decoy = Running::start(limits).await;
    let mut held = Vec::new();
    for _ in 0..per_source {
        let mut b = Bot::connect(decoy.addr).await;
        b.until("login: ").await;
        held.push(b);
    }
    let started = Instant::now();
    let addr = decoy.addr;
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..FLOOD_TASKS {
        flood.spawn(async move {
            let mut refused = 0usize;
            for _ in 0..FLOOD / FLOOD_TASKS {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                let mut b = [0u8; 1];
                // A refused connection is closed without a byte.
                match tokio::time::timeout(WAIT, s.read(&mut b)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => refused += 1,
                    other => panic!("a flood connection was answered: {other:?}"),
                }
            }
            refused
        });
    }
    // Another source, during the flood.
    let mut other = Bot {
        s: connect_from(Ipv4Addr::new(127, 0, 0, 2), addr).await,
        seen: Vec::new(),
        first: Vec::new(),
    };
    login(&mut other).await;
    other.line("/bin/busybox ECCHI").await;
    assert!(other.until("# ").await.contains("ECCHI: applet not found"));
    let mut refused = 0;
    while let Some(n) = flood.join_next().await {
        refused += n.expect("flood task");
    }
    let took = started.elapsed();
    assert_eq!(refused, FLOOD);
    // The held sessions are still there and answer.
    for b in held.iter_mut().take(3) {
        b.line("root").await;
        b.until("Password: ").await;
    }
    other.line("exit").await;
    assert!(other.closed().await);
    let summary = decoy.stop().await;
    assert_eq!(summary.refused_per_source, FLOOD as u64);
    assert_eq!(summary.sessions, per_source as u64 + 1);
    let records = decoy.records();
    let from_other: Vec<&str> = records
        .iter()
        .filter(|r| r["src_ip"] == "127.0.0.2")
        .filter_map(|r| r["eventid"].as_str())
        .collect();
    assert_eq!(
        from_other,
        [
            "cowrie.session.connect",
            "cowrie.login.success",
            "cowrie.command.input",
            "cowrie.command.input",
            "cowrie.session.closed"
        ]
    );
    let closed = records
        .iter()
        .filter(|r| r["eventid"] == "cowrie.session.closed")
        .count();
    assert_eq!(
        closed,
        per_source + 1,
        "every held session recorded its end"
    );
    eprintln!("{FLOOD} refused connections in {took:.1?}");
}

/// A client that sends a byte just inside the idle limit forever is closed at the session's
/// duration limit, and counted as closed by a limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_session_ends_at_the_duration_limit() {
    let limits = Limits {
        idle_timeout: Duration::from_millis(400),
        max_session_duration: Duration::from_millis(1500),
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut s = TcpStream::connect(decoy.addr).await.expect("connect");
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    let closed_at = loop {
        // One byte of a user name every 200 ms: never idle long enough for the idle limit.
        if s.write_all(b"r").await.is_err() {
            break started.elapsed();
        }
        match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            _ => {}
        }
        assert!(
            started.elapsed() < WAIT,
            "the trickling session was never closed"
        );
    };
    assert!(
        closed_at >= Duration::from_millis(1400),
        "closed by the duration limit, not the idle one: {closed_at:?}"
    );
    let summary = decoy.stop().await;
    assert_eq!(summary.closed_by_limit, 1);
    assert!(decoy
        .records()
        .iter()
        .any(|r| r["eventid"] == "cowrie.session.closed"));
}

/// A client that closes its sending side at once, and one that never reads what the decoy
/// sends: both sessions end and record their end; a session after them is served as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_sessions_end_and_others_carry_on() {
    let limits = Limits {
        idle_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let mut decoy = Running::start(limits).await;
    let mut half = TcpStream::connect(decoy.addr).await.expect("connect");
    half.shutdown().await.expect("close the sending side");
    let deaf = TcpStream::connect(decoy.addr).await.expect("connect");
    let mut bot = Bot::connect(decoy.addr).await;
    login(&mut bot).await;
    bot.line("exit").await;
    assert!(bot.closed().await);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let summary = decoy.stop().await;
    drop(deaf);
    assert_eq!(summary.sessions, 3);
    let closed = decoy
        .records()
        .iter()
        .filter(|r| r["eventid"] == "cowrie.session.closed")
        .count();
    assert_eq!(closed, 3);
    assert!(
        summary.closed_by_limit >= 1,
        "the silent one ended at the idle limit"
    );
}
