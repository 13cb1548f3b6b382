//! `yamori serve`: the TAXII 2.1 hub over HTTPS, on the embedded SQLite database or PostgreSQL.
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use yamori_hub::serve::ServeOptions;
use yamori_hub::{HubConfig, HubState};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9443")]
    pub listen: SocketAddr,
    /// PEM certificate chain (default: generated in <data-dir>/tls/; clients trust tls/ca.pem).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS. Refused unless --listen is a loopback address.
    #[arg(long)]
    pub danger_plain_http: bool,
    /// API root names (repeatable); the first is the default.
    #[arg(long = "api-root", default_values_t = vec!["api1".to_string()])]
    pub api_roots: Vec<String>,
    /// Largest accepted request body, in bytes (TAXII max_content_length).
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_content_length: usize,
    /// Per-request time limit, in seconds.
    #[arg(long, default_value_t = 60)]
    pub request_timeout: u64,
    /// Requests handled at once.
    #[arg(long, default_value_t = 256)]
    pub max_concurrent: usize,
    /// How long the POST of a large envelope (over 100 objects, stored in the background) waits
    /// for its objects to be stored, in milliseconds: stored by then, the answer is the
    /// complete status; otherwise the pending one, and the client polls. 0 answers at once.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub ingest_wait_ms: u64,
    /// Objects stored per database transaction while ingesting an envelope; the status is
    /// written in each one, so a polling client sees progress at this step. Larger chunks
    /// cost fewer commits (on PostgreSQL each waits for the WAL to reach disk).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub ingest_chunk: u64,
    /// Also store the minutes that sensors publish to this NATS server's JetStream
    /// (`yamori sensor --nats`); hubs given the same server share the work (docs/SCALE-OUT.md).
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub nats_auth: super::nats::NatsArgs,
    /// Accept minutes only from these sensor ids (repeatable or comma-separated); others are
    /// refused, counted and logged [default: any].
    #[arg(
        long = "accept-sensor",
        value_name = "ID",
        value_delimiter = ',',
        requires = "nats"
    )]
    pub accept_sensors: Vec<String>,
    /// Name of the durable JetStream consumer; hubs with the same name share the minutes.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "yamori-hubs",
        requires = "nats"
    )]
    pub nats_durable: String,
    /// How long a minute handed to a hub may stay unacknowledged before another hub gets it
    /// (a hub that died), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "nats",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub nats_ack_wait: u64,
    /// How long a dashboard login lasts, in hours.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_hours: u64,
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    for r in &a.api_roots {
        if r.is_empty()
            || r == "taxii2"
            || !r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            anyhow::bail!(
                "API root name {r:?} must be letters, digits, '-' or '_' (and not taxii2)"
            );
        }
    }
    yamori_hub::serve::check_plain_http(&a.listen, !a.danger_plain_http)?;
    let store = super::open_store(g)?;
    if store.engine() == yamori_store::Engine::Sqlite {
        // The SQLite file has one hub: pending statuses are from a crash and will not finish.
        let n = yamori_hub::ingest::fail_orphaned(store.as_ref())?;
        if n > 0 {
            eprintln!(
                "{n} status resource(s) left pending by an earlier stop were completed as failed"
            );
        }
    }
    {
        // Sightings stored before their counts existed are counted while the hub serves
        // (docs/TRUST.md §7); until then, a source's older sightings do not count against it.
        let store = store.clone();
        std::thread::spawn(
            move || match yamori_hub::ingest::backfill_sightings(&store) {
                Ok(0) => {}
                Ok(n) => tracing::info!(sightings = n, "sighting counts caught up"),
                Err(e) => {
                    tracing::warn!(error = %e, "sighting count backfill stopped; it resumes at the next start")
                }
            },
        );
    }
    {
        // The correlation index follows the objects (docs/TRUST.md §6): this thread indexes
        // what ingest stored, so an envelope's request does not wait for the index.
        let store = store.clone();
        std::thread::spawn(move || yamori_hub::ingest::run_indexer(&store));
    }
    let tls = if a.danger_plain_http {
        None
    } else {
        let (cert, key) = match (&a.tls_cert, &a.tls_key) {
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            _ => {
                let pair = yamori_hub::tls::ensure_generated(&g.data_dir)?;
                eprintln!(
                    "TLS: generated certificate; clients should trust {}",
                    yamori_hub::tls::generated_ca(&g.data_dir).display()
                );
                pair
            }
        };
        Some(yamori_hub::tls::server_config(&cert, &key)?)
    };
    let config = HubConfig {
        api_roots: a.api_roots.clone(),
        max_content_length: a.max_content_length,
        request_timeout: Duration::from_secs(a.request_timeout),
        max_concurrent: a.max_concurrent,
        scheme: if tls.is_some() { "https" } else { "http" }.into(),
        session_ttl: Duration::from_secs(a.session_hours * 3600),
        ingest_wait: Duration::from_millis(a.ingest_wait_ms),
        ingest_chunk: usize::try_from(a.ingest_chunk).unwrap_or(usize::MAX),
        ..HubConfig::default()
    };
    let consumer = match &a.nats {
        None => None,
        Some(url) => {
            for id in &a.accept_sensors {
                anyhow::ensure!(
                    yamori_bus::message::valid_sensor_id(id),
                    "--accept-sensor {id:?}: a sensor id is 1 to 64 letters, digits, '-' or '_'"
                );
            }
            let mut settings = yamori_bus::consume::ConsumeSettings::new(
                a.nats_auth
                    .options(url, format!("yamori serve {}", a.listen)),
            );
            settings.durable = a.nats_durable.clone();
            settings.ack_wait = Duration::from_secs(a.nats_ack_wait);
            if !a.accept_sensors.is_empty() {
                settings.accept = Some(a.accept_sensors.iter().cloned().collect());
            }
            eprintln!(
                "storing sensors' minutes from {url} (consumer {})",
                settings.durable
            );
            let sink = std::sync::Arc::new(yamori_hub::minutes::StoreSink(store.clone()));
            Some(yamori_bus::consume::ConsumerHandle::start(settings, sink)?)
        }
    };
    let state = HubState::new(store.clone(), config).context("preparing hub state")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    yamori_hub::serve::run_blocking(
        state,
        ServeOptions {
            addr: a.listen,
            tls,
        },
        |addr| {
            // One line on stdout, so scripts can find the port when --listen uses port 0.
            println!("yamori hub listening on {scheme}://{addr}/taxii2/");
            eprintln!("dashboard: {scheme}://{addr}/ (log in with a hub user: yamori user add)");
        },
    )?;
    if let Some(c) = consumer {
        c.stop()?;
    }
    // The store outlives the consumer's thread: its last reference is dropped here, outside
    // any runtime (see yamori_hub::serve::run_blocking).
    drop(store);
    Ok(ExitCode::SUCCESS)
}
