//! `yamori-bench dashboard`: the dashboard API's latency over a big store, and how long
//! `yamori demo` takes until the dashboard answers.
//!
//! The store is seeded through the ordinary `put_analysis` path with one analysis per day,
//! each listing its share of the sources as scanners (as a busy /16 telescope's reports do)
//! and a full day of minute series. The hub then runs on loopback (plain HTTP, in this
//! process) and a client times each endpoint: medians and p99 of many requests, sequential
//! and with several clients at once. SQLite and PostgreSQL are measured in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use yamori_model::telescope::{
    Attack, GeoPoint, KeyCount, MinuteCounts, PortCount, Report, ScanKind, SourceSummary, Tool,
    SCHEMA,
};
use yamori_store::{FileDigest, NewAnalysis, Store};

/// Measure the dashboard API over a big store (SQLite and PostgreSQL) and demo start-up.
///
/// Example:
///   yamori-bench dashboard                                # 1 M sources, 7 days
///   yamori-bench dashboard --sources 100000 --backend sqlite --requests 50
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sources stored in all (spread evenly over the days).
    #[arg(long, default_value_t = 1_000_000)]
    pub sources: u64,
    /// Days of per-minute series (one analysis per day).
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Requests per endpoint and client.
    #[arg(long, default_value_t = 100)]
    pub requests: u32,
    /// Clients at once in the concurrent round.
    #[arg(long, default_value_t = 4)]
    pub clients: u32,
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    pub backend: Backend,
    /// PostgreSQL server (a database `yamori_bench_<random>` is created and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub pg: String,
    /// Runs of `yamori demo` timed to the dashboard's first answer (0 = skip).
    #[arg(long, default_value_t = 3)]
    pub demo_runs: u32,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Both,
}

#[derive(serde::Serialize)]
struct Timing {
    backend: String,
    endpoint: String,
    clients: u32,
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
}

const COUNTRIES: [(&str, f64, f64); 8] = [
    ("US", 39.8, -98.6),
    ("CN", 33.0, 105.0),
    ("JP", 36.3, 138.4),
    ("BR", -10.0, -52.0),
    ("RU", 60.0, 90.0),
    ("IN", 22.0, 79.0),
    ("DE", 51.0, 10.3),
    ("KR", 36.5, 127.9),
];
const TOOLS: [Tool; 4] = [Tool::Mirai, Tool::Zmap, Tool::Masscan, Tool::Unknown];

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One day's report: `n` sources starting at address index `first`.
fn day_report(day: u32, first: u64, n: u64, start: i64) -> Report {
    let day_start = start + i64::from(day) * 86_400;
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(day);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let scanners: Vec<SourceSummary> = (first..first + n)
        .map(|i| {
            let r = next();
            let (cc, lat, lon) = COUNTRIES[(r % 8) as usize];
            let packets = 1 + (r >> 8) % 5000;
            let t0 = day_start + ((r >> 20) % 80_000) as i64;
            let a = 0x0100_0000u32 + i as u32;
            SourceSummary {
                address: std::net::Ipv4Addr::from(a).to_string(),
                packets,
                bytes: packets * 60,
                first_seen: rfc3339(t0),
                last_seen: rfc3339(t0 + ((r >> 40) % 6000) as i64),
                destinations: 120,
                destination_ports: 1,
                top_ports: vec![PortCount { port: 23, packets }],
                ttl_min: 40,
                ttl_max: 50,
                syn_probes: packets,
                fingerprint_matches: Default::default(),
                tool: TOOLS[((r >> 4) % 4) as usize],
                scan: Some(ScanKind::Horizontal),
                scanner_windows: vec![],
                country: Some(cc.into()),
                asn: Some(64_500),
                as_org: None,
                location: Some(GeoPoint {
                    latitude: lat,
                    longitude: lon,
                }),
            }
        })
        .collect();
    let packets: u64 = scanners.iter().map(|s| s.packets).sum();
    Report {
        schema: SCHEMA.into(),
        darknets: vec!["203.0.113.0/24".into()],
        first_packet: Some(rfc3339(day_start)),
        last_packet: Some(rfc3339(day_start + 86_399)),
        timeseries: (0..1440)
            .map(|m| MinuteCounts {
                minute: rfc3339(day_start + m * 60),
                counts: [packets / 1440, 3, 1, 1, 2, 1, 0, 5, 2, 0],
            })
            .collect(),
        top_tcp_ports: vec![PortCount { port: 23, packets }],
        top_countries: COUNTRIES
            .iter()
            .map(|(c, _, _)| KeyCount {
                key: (*c).into(),
                packets: packets / 8,
                sources: n / 8,
            })
            .collect(),
        attacks: (0..5)
            .map(|k| Attack {
                victim: format!("198.51.100.{k}"),
                start: rfc3339(day_start + k * 3600),
                end: rfc3339(day_start + k * 3600 + 600),
                packets: 1000,
                peak_pps: 5.0,
                mean_pps: 1.6,
                ports: vec![],
                darknet_destinations: 100,
                kinds: vec!["tcp_synack".into()],
                country: None,
                asn: None,
            })
            .collect(),
        scanners,
        totals: yamori_model::telescope::Totals {
            darknet_packets: packets,
            bytes: packets * 60,
            distinct_sources: n,
            ..Default::default()
        },
        ..Report::default()
    }
}

fn seed(store: &Store, a: &Args) -> anyhow::Result<(String, String)> {
    let start = 1_795_132_800i64; // 2026-11-20T00:00:00Z
    let per_day = a.sources / u64::from(a.days.max(1));
    for d in 0..a.days {
        let r = day_report(d, u64::from(d) * per_day, per_day, start);
        let t = Instant::now();
        store.put_analysis(&NewAnalysis {
            files: vec![FileDigest {
                name: format!("day{d}.pcap"),
                sha256: format!("{d:064}"),
                bytes: 1,
            }],
            report_json: serde_json::to_string(&r)?,
            first_packet: r.first_packet.clone(),
            last_packet: r.last_packet.clone(),
            darknet_packets: r.totals.darknet_packets,
            replace_overlapping: false,
        })?;
        eprintln!(
            "  stored day {}/{} ({per_day} sources) in {:.1} s",
            d + 1,
            a.days,
            t.elapsed().as_secs_f64()
        );
    }
    Ok((rfc3339(start), rfc3339(start + i64::from(a.days) * 86_400)))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Time `requests` GETs of `path` from each of `clients` threads.
fn time_endpoint(
    base: &str,
    token: &str,
    path: &str,
    a: &Args,
    clients: u32,
) -> anyhow::Result<Vec<f64>> {
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (url, token, n) = (format!("{base}{path}"), token.to_string(), a.requests);
        handles.push(std::thread::spawn(move || -> anyhow::Result<Vec<f64>> {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()?;
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let t = Instant::now();
                let r = http.get(&url).bearer_auth(&token).send()?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                let _ = r.bytes()?;
                v.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(v)
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("client thread panicked"))??,
        );
    }
    all.sort_by(|a, b| a.total_cmp(b));
    Ok(all)
}

fn measure(name: &str, store: Arc<Store>, a: &Args, out: &mut Vec<Timing>) -> anyhow::Result<()> {
    eprintln!(
        "{name}: seeding {} sources over {} days…",
        a.sources, a.days
    );
    let (from, to) = seed(store.as_ref(), a)?;
    store.taxii_put_user(&yamori_store::accounts::User {
        name: "bench".into(),
        password_hash: None,
    })?;
    store.taxii_set_user_tlp("bench", Some("amber+strict"))?;
    let token =
        yamori_hub::auth::issue_token(store.as_ref(), "bench").map_err(anyhow::Error::msg)?;
    let config = yamori_hub::HubConfig {
        scheme: "http".into(),
        ..Default::default()
    };
    let state = yamori_hub::HubState::new(store.clone(), config)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        rt.block_on(yamori_hub::serve::run(
            state,
            yamori_hub::serve::ServeOptions {
                addr: "127.0.0.1:0".parse()?,
                tls: None,
            },
            move |addr| {
                let _ = tx.send(addr);
            },
            async {
                let _ = stop_rx.await;
            },
        ))
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .context("the hub did not start")?;
    let base = format!("http://{addr}");
    // The deepest page a person might reach: after 20 pages of 50.
    let http = reqwest::blocking::Client::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/sources?limit=50{cursor}"))
            .bearer_auth(&token)
            .send()?
            .json()?;
        cursor = format!("&cursor={}", v["next"].as_str().unwrap_or_default());
    }
    let one = std::net::Ipv4Addr::from(0x0100_0000u32 + 12_345).to_string();
    let endpoints = [
        (
            "overview (last 24 h of data)".to_string(),
            "/api/v1/overview".to_string(),
        ),
        (
            "overview (7 days)".into(),
            format!("/api/v1/overview?from={from}&to={to}"),
        ),
        (
            "sources, first page".into(),
            "/api/v1/sources?limit=50".into(),
        ),
        (
            "sources, page 21".into(),
            format!("/api/v1/sources?limit=50{cursor}"),
        ),
        ("source detail".into(), format!("/api/v1/sources/{one}")),
        ("attacks".into(), "/api/v1/attacks".into()),
    ];
    for (label, path) in &endpoints {
        for clients in [1, a.clients] {
            let lat = time_endpoint(&base, &token, path, a, clients)?;
            let t = Timing {
                backend: name.into(),
                endpoint: label.clone(),
                clients,
                requests: lat.len(),
                p50_ms: percentile(&lat, 0.5),
                p99_ms: percentile(&lat, 0.99),
            };
            eprintln!(
                "  {:<30} {} client(s): p50 {:>8.1} ms  p99 {:>8.1} ms",
                t.endpoint, t.clients, t.p50_ms, t.p99_ms
            );
            out.push(t);
        }
    }
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("hub thread panicked"))??;
    Ok(())
}

/// Seconds from spawning `yamori demo` until `GET /` answers 200, median of `runs`.
fn demo_startup(yamori: &std::path::Path, runs: u32) -> anyhow::Result<Option<f64>> {
    if runs == 0 {
        return Ok(None);
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let t = Instant::now();
        let mut child = std::process::Command::new(yamori)
            .args(["--data-dir"])
            .arg(dir.path())
            .args(["-q", "demo", "--geo", "generated", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let http = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("https://127.0.0.1:{port}/");
        let secs = loop {
            if let Ok(r) = http.get(&url).send() {
                if r.status().is_success() {
                    break t.elapsed().as_secs_f64();
                }
            }
            if t.elapsed() > Duration::from_secs(300) || child.try_wait()?.is_some() {
                let _ = child.kill();
                anyhow::bail!("yamori demo did not answer on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("demo: dashboard answering after {secs:.2} s");
        times.push(secs);
    }
    Ok(Some(crate::median(times)))
}

pub fn run(yamori: &std::path::Path, a: Args) -> anyhow::Result<std::process::ExitCode> {
    let mut timings = Vec::new();
    if a.backend != Backend::Postgres {
        let dir = tempfile::tempdir()?;
        let store = yamori_store::Store::open_sqlite(&dir.path().join("bench.sqlite"))?;
        measure("sqlite", Arc::new(store), &a, &mut timings)?;
    }
    if a.backend != Backend::Sqlite {
        let db = crate::pgdb::PgDb::create(&a.pg)?;
        let r = yamori_store::Store::connect_postgres(&db.url)
            .map_err(anyhow::Error::from)
            .and_then(|s| measure("postgres", Arc::new(s), &a, &mut timings));
        drop(db);
        r?;
    }
    let demo = demo_startup(yamori, a.demo_runs)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({ "sources": a.sources, "days": a.days, "timings": timings,
                                "demo_to_dashboard_secs": demo })
        );
    } else if let Some(d) = demo {
        println!(
            "yamori demo → dashboard answering: {d:.2} s (median of {})",
            a.demo_runs
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
