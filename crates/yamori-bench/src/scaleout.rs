//! Scale-out: simulated sensors publish minutes to NATS JetStream, one hub consumer stores them
//! in PostgreSQL (yamori-bus's publisher and consumer, the hub's `StoreSink`: the code
//! `yamori sensor --nats` and `yamori serve --nats` run). Every minute carries the real
//! telescope report of a generated capture of `--sources` sources (`yamori gen-traffic` and
//! `yamori analyze --json`).
//!
//! - Capacity: `--sensors` × `--minutes` minutes queued at once; minutes stored per second of
//!   wall time, from the first publish to the last commit. Anchor, in the same run: the same
//!   minutes written straight into the store through the hub's own sink (`StoreSink`, one
//!   thread, no NATS), the rate a hub could not beat with one store connection.
//! - Lag: minutes published at `--rate` per second for `--paced-secs`; milliseconds from
//!   JetStream storing a minute to the hub committing it (p50, p99), and whether the hub kept up.
//!
//! The nats-server is the benchmark's own (a free loopback port, a temporary store directory).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use yamori_bus::consume::{ConsumeSettings, ConsumerHandle, MinuteSink};
use yamori_bus::outbox::Outbox;
use yamori_bus::publish::{PublishSettings, PublisherHandle, DEFAULT_IN_FLIGHT};
use yamori_bus::{MinuteMessage, NatsOptions, ReportSummary, StreamSettings};
use yamori_model::sensor::SensorCounts;
use yamori_store::Store;

use crate::pgdb::PgDb;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Simulated sensors.
    #[arg(long, default_value_t = 8)]
    pub sensors: u32,
    /// Minutes each sensor has queued in the capacity round.
    #[arg(long, default_value_t = 100)]
    pub minutes: u32,
    /// Distinct sources in the generated minute every message carries the report of.
    #[arg(long, default_value_t = 100_000)]
    pub sources: u64,
    /// Sensor-minutes per second published in the lag round (all sensors together).
    #[arg(long, default_value_t = 60)]
    pub rate: u32,
    /// Seconds of the lag round.
    #[arg(long, default_value_t = 20)]
    pub paced_secs: u32,
    /// PostgreSQL server (databases `yamori_bench_<random>` are created and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub pg: String,
    /// The nats-server binary (JetStream).
    #[arg(long, default_value = "/usr/sbin/nats-server")]
    pub nats_server: String,
    #[arg(long)]
    pub json: bool,
}

/// The benchmark's nats-server: its process, its storage directory (removed on drop), its port.
struct Nats {
    child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nats(bin: &str) -> anyhow::Result<Nats> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = tempfile::tempdir()?;
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {bin} (apt-get install nats-server)"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "nats-server did not open port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Nats {
        child,
        _dir: dir,
        port,
    })
}

/// The report of a generated capture of `sources` sources, as `yamori analyze --json` prints it.
/// The generator's shortest capture is 5 minutes, so the report spans 5 minutes (5 entries in
/// its series instead of 1): a little larger than one minute's, which errs on the heavy side.
fn minute_report(yamori: &std::path::Path, sources: u64) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let pcap = dir.path().join("minute.pcap");
    let packets = (sources * 4).to_string();
    let run = |args: &[&str]| -> anyhow::Result<Vec<u8>> {
        let out = Command::new(yamori)
            .args(args)
            .output()
            .with_context(|| format!("running {}", yamori.display()))?;
        anyhow::ensure!(
            out.status.success(),
            "yamori {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out.stdout)
    };
    let p = pcap.to_str().context("temporary path is not UTF-8")?;
    let src = sources.to_string();
    run(&[
        "-q",
        "gen-traffic",
        "--darknet",
        "198.51.100.0/24",
        "--minutes",
        "5",
        "--packets",
        &packets,
        "--sources",
        &src,
        "-o",
        p,
    ])?;
    let report = run(&["-q", "analyze", "--darknet", "198.51.100.0/24", "--json", p])?;
    String::from_utf8(report).context("the report is not UTF-8")
}

fn message(
    report: &str,
    summary: &ReportSummary,
    sensor: u32,
    i: u32,
) -> anyhow::Result<MinuteMessage> {
    let counts = SensorCounts {
        captured: summary.darknet_packets,
        ..SensorCounts::default()
    };
    Ok(MinuteMessage::new(
        &format!("sensor-{sensor}"),
        1_767_225_600 + 60 * i64::from(i),
        false,
        counts,
        summary.clone(),
        report.to_string(),
    )?)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn wait_stored(hub: &ConsumerHandle, n: u64, limit: Duration) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    while hub.stats().stored.load(Ordering::Relaxed) < n {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the hub stored {} of {n} minutes in {limit:?}",
            hub.stats().stored.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Instant::now())
}

pub fn run(yamori: &std::path::Path, a: Args) -> anyhow::Result<std::process::ExitCode> {
    let report = minute_report(yamori, a.sources)?;
    let parsed: yamori_model::telescope::Report = serde_json::from_str(&report)?;
    let summary = ReportSummary {
        first_packet: parsed.first_packet.clone(),
        last_packet: parsed.last_packet.clone(),
        darknet_packets: parsed.totals.darknet_packets,
    };
    let total = u64::from(a.sensors) * u64::from(a.minutes);
    let messages: Vec<MinuteMessage> = (0..a.sensors)
        .flat_map(|s| (0..a.minutes).map(move |i| (s, i)))
        .map(|(s, i)| message(&report, &summary, s, i))
        .collect::<anyhow::Result<_>>()?;
    let bytes = messages[0].encode().len();
    eprintln!(
        "one minute of {} sources: {} darknet packets, {} scanners, a message of {bytes} bytes",
        a.sources,
        parsed.totals.darknet_packets,
        parsed.scanners.len()
    );

    // Anchor: the same minutes straight into the store.
    let direct_db = PgDb::create(&a.pg)?;
    let store = Arc::new(Store::connect_postgres(&direct_db.url)?);
    let direct = yamori_hub::minutes::StoreSink(store.clone());
    let t = Instant::now();
    for m in &messages {
        direct
            .store(std::slice::from_ref(m))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let direct_rate = total as f64 / t.elapsed().as_secs_f64();
    drop(direct);
    drop(store);
    drop(direct_db);

    // Through NATS: capacity with everything queued at once.
    let nats = start_nats(&a.nats_server)?;
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let opts = NatsOptions {
        url: url.clone(),
        client_name: "yamori-bench".into(),
        ..NatsOptions::default()
    };
    let hub_db = PgDb::create(&a.pg)?;
    let hub_store = Arc::new(Store::connect_postgres(&hub_db.url)?);
    let hub = ConsumerHandle::start(
        ConsumeSettings::new(opts.clone()),
        Arc::new(yamori_hub::minutes::StoreSink(hub_store.clone())),
    )?;
    let outboxes = tempfile::tempdir()?;
    let publishers: Vec<PublisherHandle> = (0..a.sensors)
        .map(|s| {
            let outbox = Outbox::open(&outboxes.path().join(s.to_string()), 1 << 30)?;
            let settings = PublishSettings {
                nats: opts.clone(),
                stream: StreamSettings::default(),
                in_flight: DEFAULT_IN_FLIGHT,
            };
            Ok(PublisherHandle::start(settings, outbox)?)
        })
        .collect::<anyhow::Result<_>>()?;
    let t = Instant::now();
    for (k, m) in messages.iter().enumerate() {
        publishers[k / a.minutes as usize].submit(m)?;
    }
    let done = wait_stored(&hub, total, Duration::from_secs(600))?;
    let nats_rate = total as f64 / (done - t).as_secs_f64();

    // Lag at a paced rate: new minutes (later minute numbers) at `rate` per second.
    let paced = u64::from(a.rate) * u64::from(a.paced_secs);
    let lags_before = hub.stats().lags_ms().len();
    let t = Instant::now();
    for k in 0..paced {
        let sensor = (k % u64::from(a.sensors)) as u32;
        let i = a.minutes + (k / u64::from(a.sensors)) as u32;
        publishers[sensor as usize].submit(&message(&report, &summary, sensor, i)?)?;
        let due = t + Duration::from_secs_f64((k + 1) as f64 / f64::from(a.rate));
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    let published_by = t.elapsed();
    let done = wait_stored(&hub, total + paced, Duration::from_secs(600))?;
    let behind = (done - t).saturating_sub(published_by);
    let mut lags: Vec<u64> = hub.stats().lags_ms()[lags_before..].to_vec();
    lags.sort_unstable();
    let (p50, p99) = (percentile(&lags, 0.5), percentile(&lags, 0.99));
    for p in publishers {
        p.stop()?;
    }
    hub.stop()?;
    drop(hub_store);
    drop(hub_db);
    drop(nats);

    let ratio = nats_rate / direct_rate;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "sensors": a.sensors, "minutes": a.minutes, "sources": a.sources,
                "message_bytes": bytes, "direct_minutes_per_s": direct_rate,
                "nats_minutes_per_s": nats_rate, "ratio": ratio, "paced_rate": a.rate,
                "lag_p50_ms": p50, "lag_p99_ms": p99,
                "last_commit_after_last_publish_ms": behind.as_millis() as u64,
            })
        );
    } else {
        println!("capacity, {total} minutes queued by {} sensors:", a.sensors);
        println!("  through NATS into PostgreSQL: {nats_rate:.1} sensor-minutes/s");
        println!("  straight into the store (anchor): {direct_rate:.1} sensor-minutes/s");
        println!("  ratio: {ratio:.2}");
        println!(
            "lag at {} sensor-minutes/s for {} s: p50 {p50} ms, p99 {p99} ms; last commit {} ms after the last publish",
            a.rate,
            a.paced_secs,
            behind.as_millis()
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
