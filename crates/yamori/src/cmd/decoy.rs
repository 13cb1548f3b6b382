//! `yamori decoy`: run the low-interaction IoT honeypot (`yamori-decoy`) until Ctrl-C or
//! SIGTERM, writing Cowrie-compatible records to the events file and to the store (a thread
//! drains the recorder's bounded queue in batches), then print what it saw.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use yamori_decoy::{limits, profile, Config, Event, Limits, Recorder};
use yamori_intel::decoy::{decoy_bundle, DecoyDownload, DecoySource};
use yamori_intel::{Options, OrgIdentity};
use yamori_store::decoy::NewDecoyEvent;
use yamori_store::Store;

/// Records queued for the database. A burst larger than this while the database is slow
/// is left out of the database (counted), never held against the sessions; the events file
/// keeps every record.
pub(super) const STORE_QUEUE: usize = 10_000;

/// Where `--org` publishes: the local hub's API root and collection.
const PUBLISH_API_ROOT: &str = "api1";
const PUBLISH_COLLECTION: &str = "decoy";

/// Command lines read per download URL to recognise its family: a loader probes once or twice
/// a session, and bots of one family send the same lines.
const BUSYBOX_LINES_PER_URL: usize = 64;

/// Download URLs listed per attacking source in its indicator (a bot names a few).
const URLS_PER_SOURCE: usize = 16;

/// Records written to the database in one transaction.
const STORE_BATCH: usize = 256;

/// Run a decoy: it impersonates an IoT device over telnet, HTTP and MQTT, lets bots log in
/// with the default passwords they try, answers their loaders' commands from an emulated
/// BusyBox shell and recognises known IoT exploit requests (nothing is ever executed or
/// downloaded), and records logins, commands, download URLs and MQTT topics as JSON lines in
/// Cowrie's format.
///
/// Examples:
///   yamori decoy                                       # telnet :2323, http :8080, mqtt :1883
///   yamori decoy --listen-telnet 0.0.0.0:23 --profile camera
///   yamori decoy --events decoy.json --json            # summary as JSON on exit
///
/// Ports 23 and 80 need privileges; run unprivileged on 2323/8080 (MQTT's 1883 is
/// unprivileged) and redirect (docs/DECOY.md has an nft rule). Stop with Ctrl-C or SIGTERM: open sessions are closed and recorded first.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Address and port of the telnet decoy.
    #[arg(long, default_value = "0.0.0.0:2323")]
    pub listen_telnet: SocketAddr,
    /// Address and port of the HTTP decoy (login page, known IoT exploit requests), or `off`.
    #[arg(long, default_value = "0.0.0.0:8080", value_parser = parse_listen)]
    pub listen_http: Listen,
    /// Address and port of the MQTT decoy (CONNECT credentials, SUBSCRIBE and PUBLISH
    /// recorded), or `off`.
    #[arg(long, default_value = "0.0.0.0:1883", value_parser = parse_listen)]
    pub listen_mqtt: Listen,
    /// Device to impersonate: banners, prompts, hostname, /proc answers, accepted passwords.
    #[arg(long, value_enum, default_value = "dvr")]
    pub profile: ProfileArg,
    /// Events file (JSON lines, Cowrie's format), appended to. Default: <data-dir>/decoy/events.jsonl.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Name of this decoy in the records (Cowrie's `sensor`). Default: the machine's hostname.
    #[arg(long)]
    pub sensor: Option<String>,
    /// Sessions held at once.
    #[arg(long, default_value_t = limits::MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Sessions at once from one source address.
    #[arg(long, default_value_t = limits::MAX_SESSIONS_PER_SOURCE)]
    pub max_sessions_per_source: usize,
    /// Seconds a session may stay silent before it is closed.
    #[arg(long, default_value_t = limits::IDLE_TIMEOUT.as_secs())]
    pub idle_timeout: u64,
    /// The organisation that runs the decoy (STIX identity). With it, the download URLs, their
    /// hosts and the attacking sources seen so far (with the malware families their sessions
    /// gave away) are published into the local hub's `decoy` collection on exit.
    #[arg(long, env = "YAMORI_ORG")]
    pub org: Option<String>,
    /// Contact information for the organisation's identity.
    #[arg(long)]
    pub contact: Option<String>,
    /// Do not store the records in the database (only the events file).
    #[arg(long)]
    pub no_store: bool,
    /// Print the summary on exit as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A listening address, or none (`off`).
#[derive(Debug, Clone, Copy)]
pub struct Listen(Option<SocketAddr>);

fn parse_listen(s: &str) -> Result<Listen, String> {
    if s == "off" {
        return Ok(Listen(None));
    }
    s.parse()
        .map(|a| Listen(Some(a)))
        .map_err(|e| format!("{s:?}: {e} (an address:port, or off)"))
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum ProfileArg {
    /// A HiSilicon DVR (XiongMai-style firmware, ARM).
    Dvr,
    /// A HiSilicon IP camera (ARM).
    Camera,
    /// A Realtek-SDK home router (MIPS).
    Router,
}

impl ProfileArg {
    fn profile(self) -> &'static yamori_decoy::Profile {
        match self {
            ProfileArg::Dvr => &profile::DVR,
            ProfileArg::Camera => &profile::CAMERA,
            ProfileArg::Router => &profile::ROUTER,
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "yamori".into())
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.max_sessions > 0 && a.max_sessions_per_source > 0 && a.idle_timeout > 0,
        "--max-sessions, --max-sessions-per-source and --idle-timeout must be at least 1"
    );
    let events = a
        .events
        .clone()
        .unwrap_or_else(|| g.data_dir.join("decoy").join("events.jsonl"));
    let recorder = Recorder::append_to(&events)
        .with_context(|| format!("opening the events file {}", events.display()))?;
    let (recorder, storing) = if a.no_store {
        (recorder, None)
    } else {
        let store = super::open_store(g)?;
        let (recorder, queue) = recorder.with_tap(STORE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("decoy-store".into())
            .spawn(move || store_records(&store, &queue))
            .context("starting the database writer")?;
        (recorder, Some(thread))
    };
    let recorder = Arc::new(recorder);
    let config = Config {
        listen_telnet: a.listen_telnet,
        listen_http: a.listen_http.0,
        listen_mqtt: a.listen_mqtt.0,
        profile: a.profile.profile(),
        sensor: a.sensor.clone().unwrap_or_else(hostname).into(),
        limits: Limits {
            max_sessions: a.max_sessions,
            max_sessions_per_source: a.max_sessions_per_source,
            idle_timeout: Duration::from_secs(a.idle_timeout),
            ..Limits::default()
        },
    };
    let profile_name = config.profile.name;
    let summary = yamori_decoy::run_until_signal(config, recorder, |addrs| {
        // One line per listener on stdout, telnet first, so scripts can find the ports when
        // the addresses use port 0.
        for (protocol, addr) in addrs {
            println!("yamori decoy: {} listening on {addr}", protocol.name());
        }
        eprintln!(
            "profile {profile_name}; events to {} (Ctrl-C to stop)",
            events.display()
        );
    })?;
    // The decoy has dropped the recorder, which ends the queue: the writer stores what is
    // left and returns.
    let stored = match storing {
        Some(t) => Some(
            t.join()
                .map_err(|_| anyhow::anyhow!("the database writer panicked"))?,
        ),
        None => None,
    };
    let (stored_n, store_error) = match &stored {
        Some(Ok(n)) => (Some(*n), None),
        Some(Err(e)) => (None, Some(format!("{e:#}"))),
        None => (None, None),
    };
    let published = match (&a.org, &stored) {
        (Some(org), Some(Ok(_))) => Some(publish(g, org, a.contact.clone())?),
        (Some(_), _) => {
            eprintln!("--org: nothing published (the records are not in the database)");
            None
        }
        _ => None,
    };
    if a.json {
        let mut v = serde_json::to_value(&summary)?;
        v["stored"] = serde_json::json!(stored_n);
        v["published_objects"] = serde_json::json!(published);
        println!("{v}");
    } else {
        let rows = [
            ("sessions", summary.sessions),
            ("refused (all slots busy)", summary.refused_busy),
            ("refused (per-source limit)", summary.refused_per_source),
            ("closed by a limit", summary.closed_by_limit),
            ("logins succeeded", summary.logins_succeeded),
            ("logins failed", summary.logins_failed),
            ("commands", summary.commands),
            ("download URLs", summary.download_urls),
            ("files written", summary.files_written),
            ("records written", summary.events),
            ("records lost (write errors)", summary.write_errors),
            ("records not queued for the db", summary.tap_dropped),
        ];
        for (what, n) in rows {
            println!("{what:<30} {n:>10}");
        }
        if let Some(n) = stored_n {
            println!("{:<30} {n:>10}", "records stored in the db");
        }
        if let Some(n) = published {
            println!("{:<30} {n:>10}", "STIX objects into \"decoy\"");
        }
    }
    if let Some(e) = store_error {
        eprintln!("storing the records in the database failed: {e}");
        return Ok(ExitCode::from(super::EXIT_PARTIAL));
    }
    if summary.write_errors > 0 {
        eprintln!(
            "{} record(s) could not be written to {}",
            summary.write_errors,
            events.display()
        );
        return Ok(ExitCode::from(super::EXIT_PARTIAL));
    }
    Ok(ExitCode::SUCCESS)
}

/// Publish every download URL in the store, its host and every attacking source as STIX
/// (`yamori_intel::decoy`) into the local hub's `decoy` collection (created if missing);
/// returns how many objects were stored.
pub(super) fn publish(
    g: &crate::GlobalArgs,
    org: &str,
    contact: Option<String>,
) -> anyhow::Result<u64> {
    let store = super::open_store(g)?;
    let mut downloads = Vec::new();
    let probes = store.decoy_url_busybox_lines(BUSYBOX_LINES_PER_URL)?;
    let seen = |t: &str| {
        yamori_intel::timestamp::parse_rfc3339(t)
            .with_context(|| format!("stored decoy timestamp {t:?}"))
    };
    for u in store.decoy_urls()? {
        let lines = probes.get(&u.url).into_iter().flatten().map(String::as_str);
        let families = yamori_intel::decoy_family::recognise(&u.url, lines);
        downloads.push(DecoyDownload {
            first_seen: seen(&u.first_seen)?,
            last_seen: seen(&u.last_seen)?,
            sessions: u.sessions,
            families,
            url: u.url,
        });
    }
    // Every source, from the first record on (the same history as the URLs'), with the
    // families of the URLs it named.
    let mut sources = Vec::new();
    for h in store.decoy_hosts("", URLS_PER_SOURCE)? {
        let Ok(address) = h.src_ip.parse() else {
            continue; // not an address (a record written by something else)
        };
        let mut families: Vec<&'static yamori_intel::decoy_family::Family> = Vec::new();
        for d in downloads.iter().filter(|d| h.urls.contains(&d.url)) {
            for f in &d.families {
                if !families.iter().any(|g| g.name == f.name) {
                    families.push(f);
                }
            }
        }
        sources.push(DecoySource {
            address,
            first_seen: seen(&h.first_seen)?,
            last_seen: seen(&h.last_seen)?,
            sessions: h.sessions,
            urls: h.urls,
            families,
        });
    }
    let org = OrgIdentity {
        name: org.to_string(),
        contact_information: contact,
    };
    let bundle = decoy_bundle(&downloads, &sources, &org, &Options::default())
        .context("converting the decoy's download URLs and sources to STIX")?;
    let objects: Vec<serde_json::Value> = bundle.objects;
    let done = yamori_hub::ingest::publish_local(
        store.as_ref(),
        PUBLISH_API_ROOT,
        PUBLISH_COLLECTION,
        &objects,
    )
    .context("publishing into the decoy collection")?;
    if !done.status.failures.is_empty() {
        anyhow::bail!(
            "{} of {} STIX objects were not stored in collection {PUBLISH_COLLECTION:?}",
            done.status.failures.len(),
            objects.len()
        );
    }
    Ok(done.status.successes.len() as u64)
}

/// Drain the recorder's queue into the store, up to [`STORE_BATCH`] records a transaction,
/// until the queue ends; returns how many were stored. After a database error the rest is
/// drained and dropped (the events file has it) so the queue never blocks.
pub(super) fn store_records(
    store: &Store,
    queue: &std::sync::mpsc::Receiver<Event>,
) -> anyhow::Result<u64> {
    let mut stored = 0;
    let mut failed: Option<anyhow::Error> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![row(&first)];
        while batch.len() < STORE_BATCH {
            match queue.try_recv() {
                Ok(e) => batch.push(row(&e)),
                Err(_) => break,
            }
        }
        if failed.is_none() {
            match store.decoy_add_events(&batch) {
                Ok(n) => stored += n,
                Err(e) => failed = Some(anyhow::Error::new(e).context("storing decoy records")),
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(stored),
    }
}

fn row(e: &Event) -> NewDecoyEvent {
    let record = e.to_json();
    NewDecoyEvent {
        session: e.meta.session.clone(),
        eventid: e.eventid().to_string(),
        src_ip: e.meta.src.ip().to_string(),
        timestamp: record["timestamp"].as_str().unwrap_or_default().to_string(),
        url: record["url"].as_str().map(str::to_string),
        record: record.to_string(),
    }
}
