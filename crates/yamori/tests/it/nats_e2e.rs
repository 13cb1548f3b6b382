//! Scale-out end to end: sensors publish minutes to a real nats-server (JetStream), two
//! `yamori serve --nats` processes store them in one PostgreSQL database, and the test breaks
//! things on the way — a hub killed with SIGKILL mid-stream and started again, NATS stopped
//! for a while and started again, a sensor "killed" between JetStream storing a minute and the
//! sensor removing it from its outbox, bad messages and a sensor the hubs do not accept. At the
//! end PostgreSQL must hold every minute the sensors wrote exactly once, with their counters.
//!
//! The sensors are the publisher `yamori sensor --nats` runs (yamori-bus's outbox and
//! publisher) fed with generated minutes: a live sensor cuts minutes by the wall clock, and a
//! test of minutes taken that way would last minutes per minute. The hubs are the real
//! binary. The nats-server is the test's own (its own port and storage directory), so that
//! stopping it leaves the machine's NATS alone.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yamori_bus::outbox::Outbox;
use yamori_bus::publish::{PublishSettings, PublisherHandle};
use yamori_bus::{MinuteMessage, NatsOptions, ReportSummary, StreamSettings};
use yamori_model::sensor::SensorCounts;
use yamori_model::telescope::{Report, Totals, SCHEMA};

use crate::peers;
use crate::support::{yamori, PgDb};

/// A minute start all generated minutes count from (2026-01-01T00:00:00Z).
const BASE_S: i64 = 1_767_225_600;
/// How long NATS stays away. Longer than the publisher's longest back-off, so the sensors go
/// through several failed attempts and a reconnection.
const OUTAGE: Duration = Duration::from_secs(15);

struct Nats {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_port(port: u16, up: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "port {port} did not become {}",
        if up { "open" } else { "closed" }
    );
}

impl Nats {
    fn start() -> Option<Nats> {
        let bin = Path::new("/usr/sbin/nats-server");
        if !bin.exists() {
            peers::missing(
                "the scale-out test",
                "nats-server is not installed (apt-get install nats-server)",
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut n = Nats {
            child: Command::new("true").spawn().expect("true"),
            port,
            dir,
        };
        n.restart();
        Some(n)
    }

    fn restart(&mut self) {
        self.child = Command::new("/usr/sbin/nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        wait_port(self.port, true);
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_port(self.port, false);
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `yamori serve --nats` process; killed with SIGKILL on drop.
struct Hub {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Hub {
    fn start(pg: &PgDb, nats: &Nats) -> Hub {
        let dir = tempfile::tempdir().expect("tempdir");
        let child = yamori()
            .args(["--data-dir"])
            .arg(dir.path())
            .args(["--database", &pg.url, "serve", "--listen", "127.0.0.1:0"])
            .args(["--danger-plain-http", "--nats", &nats.url()])
            .args(["--nats-ack-wait", "2", "--accept-sensor", "s1,s2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start yamori serve");
        Hub { child, _dir: dir }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rfc3339(s: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(s).expect("time");
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// Minute `i` of sensor `sensor`: counters that differ per sensor and minute, so a lost or
/// doubled minute changes the sums.
fn minute(sensor: &str, i: i64) -> MinuteMessage {
    let minute_s = BASE_S + 60 * i;
    let salt = u64::from(sensor.as_bytes()[1]);
    let darknet = 1_000 + 7 * u64::try_from(i).unwrap_or(0) + salt;
    let report = Report {
        schema: SCHEMA.into(),
        darknets: vec!["198.51.100.0/24".into()],
        totals: Totals {
            packets: darknet,
            darknet_packets: darknet,
            bytes: darknet * 60,
            ..Totals::default()
        },
        first_packet: Some(rfc3339(minute_s + 1)),
        last_packet: Some(rfc3339(minute_s + 59)),
        ..Report::default()
    };
    let counts = SensorCounts {
        captured: darknet,
        captured_bytes: darknet * 60,
        kernel_packets: darknet,
        ..SensorCounts::default()
    };
    let summary = ReportSummary {
        first_packet: report.first_packet.clone(),
        last_packet: report.last_packet.clone(),
        darknet_packets: darknet,
    };
    let json = serde_json::to_string(&report).expect("report");
    MinuteMessage::new(sensor, minute_s, false, counts, summary, json).expect("minute")
}

fn publisher(nats: &Nats, outbox: &Path) -> PublisherHandle {
    let settings = PublishSettings {
        nats: NatsOptions {
            url: nats.url(),
            client_name: "test sensor".into(),
            ..NatsOptions::default()
        },
        stream: StreamSettings::default(),
        in_flight: 16,
    };
    PublisherHandle::start(settings, Outbox::open(outbox, 64 << 20).expect("outbox"))
        .expect("publisher")
}

fn submit(p: &PublisherHandle, sensor: &str, range: std::ops::Range<i64>) {
    for i in range {
        p.submit(&minute(sensor, i)).expect("submit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What PostgreSQL holds for a sensor: (minutes, sum of captured).
fn stored(store: &yamori_store::Store, sensor: &str) -> (usize, u64) {
    let rows = store.sensor_minutes(sensor).expect("sensor minutes");
    (rows.len(), rows.iter().map(|r| r.counts.captured).sum())
}

fn expected(sensor: &str, n: i64) -> (usize, u64) {
    let sum = (0..n).map(|i| minute(sensor, i).counts.captured).sum();
    (usize::try_from(n).unwrap_or(0), sum)
}

fn wait_for(store: &yamori_store::Store, want: &[(&str, (usize, u64))]) -> Vec<(usize, u64)> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got: Vec<_> = want.iter().map(|(s, _)| stored(store, s)).collect();
        let done = got.iter().zip(want).all(|(g, (_, w))| g == w);
        if done || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_minute_is_stored_once_through_kills_and_an_outage() {
    let Some(mut nats) = Nats::start() else {
        return;
    };
    let pg = PgDb::create();
    let work = tempfile::tempdir().expect("tempdir");
    let store = yamori_store::Database::from_arg(Some(&pg.url), work.path())
        .expect("database")
        .open()
        .expect("open PostgreSQL");
    let (box1, box2) = (work.path().join("s1"), work.path().join("s2"));

    let hub1 = Hub::start(&pg, &nats);
    let hub2 = Hub::start(&pg, &nats);
    let s1 = publisher(&nats, &box1);
    let s2 = publisher(&nats, &box2);

    // Minutes 0..20, with hub 1 killed half-way: what it was handed and had not acknowledged
    // goes to hub 2 after the ack wait.
    submit(&s1, "s1", 0..10);
    submit(&s2, "s2", 0..10);
    hub1.kill();
    submit(&s1, "s1", 10..20);
    submit(&s2, "s2", 10..20);
    let got = wait_for(
        &store,
        &[("s1", expected("s1", 20)), ("s2", expected("s2", 20))],
    );
    assert_eq!(
        got,
        vec![expected("s1", 20), expected("s2", 20)],
        "after a hub was killed"
    );
    let hub1 = Hub::start(&pg, &nats);

    // NATS away: minutes 20..35 wait in the outboxes and are sent when it returns.
    nats.stop();
    submit(&s1, "s1", 20..35);
    submit(&s2, "s2", 20..35);
    assert!(
        s1.spooled_bytes() > 0,
        "minutes must wait in the outbox while NATS is away"
    );
    std::thread::sleep(OUTAGE);
    nats.restart();

    // Sensor 1 "killed" after JetStream stored minute 5 but before the outbox let go of it:
    // the restarted sensor sends it again, and JetStream drops it as a duplicate.
    s1.stop().expect("stop sensor 1");
    {
        let outbox = Outbox::open(&box1, 64 << 20).expect("outbox");
        let again = minute("s1", 5);
        let payload = again.encode();
        outbox
            .put(&again.subject(), &again.msg_id(&payload), &payload)
            .expect("put");
        // A message that is not a minute, one for another sensor's subject, and a valid minute
        // from a sensor the hubs do not accept: refused, and the stream goes on past them.
        outbox
            .put("yamori.minutes.s1", "junk-1", b"{\"schema\": 42")
            .expect("put");
        let s2s = minute("s2", 99);
        let p = s2s.encode();
        outbox
            .put("yamori.minutes.s1", "wrong-subject", &p)
            .expect("put");
        // Over the server's largest message (1 MiB): set aside, never blocking the rest.
        let huge: Vec<u8> = (0..(1u32 << 20) + 4096)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        outbox
            .put("yamori.minutes.s1", "too-large", &huge)
            .expect("put");
        let intruder = minute("x9", 0);
        let p = intruder.encode();
        outbox
            .put(&intruder.subject(), &intruder.msg_id(&p), &p)
            .expect("put");
    }
    let s1 = publisher(&nats, &box1);
    submit(&s1, "s1", 35..45);
    submit(&s2, "s2", 35..45);

    let want = [("s1", expected("s1", 45)), ("s2", expected("s2", 45))];
    let got = wait_for(&store, &want);
    assert_eq!(
        got,
        vec![want[0].1, want[1].1],
        "every minute once, with its counters"
    );
    assert_eq!(
        stored(&store, "x9").0,
        0,
        "a sensor the hubs do not accept is not stored"
    );
    assert!(
        s1.stats()
            .duplicates
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1,
        "the replayed minute must be recognised by JetStream as a duplicate"
    );
    assert_eq!(
        s1.stats()
            .set_aside
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the message over NATS's limit is set aside"
    );
    let aside = std::fs::read_dir(&box1)
        .expect("outbox")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".toolarge"))
        .count();
    assert_eq!(aside, 1, "kept in the outbox for inspection");
    // Each stored minute has its analysis (a replaced minute leaves none behind).
    let minutes = store.sensor_minutes("s1").expect("rows");
    for m in &minutes {
        assert!(
            store
                .get_analysis(&m.analysis_id)
                .expect("analysis")
                .is_some(),
            "minute {} has no analysis",
            m.minute
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while (s1.spooled_bytes() > 0 || s2.spooled_bytes() > 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        s1.spooled_bytes() + s2.spooled_bytes(),
        0,
        "outboxes empty at the end"
    );
    s1.stop().expect("stop");
    s2.stop().expect("stop");
    drop(hub1);
    drop(hub2);
}
