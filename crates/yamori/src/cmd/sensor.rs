//! `yamori sensor`: live capture on a darknet interface, one stored analysis per minute.
//!
//! Wiring only: capture and minute windows are `yamori_sensor`, the analysis
//! `yamori_telescope` (through the sensor), storage `yamori_store`. This module parses the
//! arguments, opens the store and the ring, gives up privileges, stores and prints minutes.

use std::io::Write;
use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::Context;
use yamori_sensor::{Minute, Sensor, SensorConfig, SensorError};
use yamori_store::sensor::NewSensorMinute;

/// Capture a darknet live: every minute's categories, scanners, tools, attacks and drop counters
///
/// Opens a packet ring (AF_PACKET, TPACKET_V3) on the interface with a kernel filter that
/// passes only packets addressed to the darknet prefixes, then gives up every capability.
/// Packets are cut into minutes by their capture time; each minute is analysed exactly as
/// `yamori analyze` analyses a capture (same rules, from `[analyze]` in yamori.toml) and
/// stored with the sensor id and minute, so the dashboard of `yamori serve` shows it. Every
/// minute also records drop counters: packets the kernel dropped because the ring was full,
/// drops of the interface itself (/sys/class/net/IF/statistics/rx_dropped), and packets that
/// could not be analysed (undecodable, or arriving after their minute was written).
///
/// Needs root or CAP_NET_RAW to open the ring (e.g.
/// `sudo setcap cap_net_raw+ep $(command -v yamori)`; docs/SENSOR.md).
/// The first minute is the one the sensor starts in (partial); it runs until interrupted
/// (SIGINT or SIGTERM: the minute in progress is written, marked partial), or for --minutes
/// whole minutes after it. If the interface disappears, the minute in progress is written and
/// the sensor exits with status 1.
///
/// With --nats, minutes go to NATS JetStream instead of the local database, for hubs
/// (`yamori serve --nats`) to store: each minute is first written to an outbox directory and
/// removed once JetStream acknowledged it, so NATS being away or the sensor being killed
/// loses no written minute (docs/SCALE-OUT.md).
///
/// With --pcap-dir, the darknet's frames are also kept in hourly pcap files, within a size and
/// an age cap, for `yamori analyze` to read again.
///
/// With --strict, the sensor first watches the interface for --strict-seconds and refuses to
/// start (status 1) if unicast IP traffic for any address outside the darknet goes by: a
/// darknet interface carries nothing else (broadcast, multicast, link-local and non-IP frames
/// such as ARP are not counted). Without it the sensor runs on any interface and analyses
/// only the darknet's part of its traffic.
///
/// Examples:
///   sudo yamori sensor --interface eth1 --darknet 198.51.100.0/24
///   yamori sensor --interface eth1 --darknet 198.51.100.0/24,2001:db8:1::/48 --sensor-id tokyo-1 --json
///   yamori sensor --interface eth1 --darknet 198.51.100.0/24 --sensor-id tokyo-1 --nats nats://hub:4222
///   yamori sensor --interface eth1 --darknet 198.51.100.0/24 --pcap-dir /var/lib/yamori/pcap --pcap-total-mib 51200
///   yamori sensor --interface eth1 --darknet 198.51.100.0/24 --strict
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Network interface that receives the darknet's traffic.
    #[arg(long, value_name = "IF")]
    pub interface: String,
    /// Darknet prefixes (IPv4 or IPv6), comma-separated or repeated. Overrides `[analyze]
    /// darknets` in the config.
    #[arg(long = "darknet", value_name = "CIDR", value_delimiter = ',')]
    pub darknets: Vec<ipnet::IpNet>,
    /// Name of this sensor in the store [default: the interface's name].
    #[arg(long, value_name = "ID")]
    pub sensor_id: Option<String>,
    /// Stop after this many whole minutes (after the partial minute the sensor starts in).
    #[arg(long, value_name = "N")]
    pub minutes: Option<u64>,
    /// Print one JSON object per minute (a line each) instead of a table row.
    #[arg(long)]
    pub json: bool,
    /// Publish minutes to this NATS server's JetStream instead of storing them locally.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub nats_auth: super::nats::NatsArgs,
    /// Where minutes wait for NATS [default: <data-dir>/outbox/<sensor-id>].
    #[arg(long, value_name = "DIR", requires = "nats")]
    pub outbox: Option<std::path::PathBuf>,
    /// Largest outbox, in MiB: when NATS is away that long, newer minutes are refused (and
    /// counted) so that the ones kept stay whole.
    #[arg(long, value_name = "MIB", default_value_t = 256, requires = "nats")]
    pub outbox_max_mib: u64,
    /// Also keep the darknet's frames in pcap files here, one per hour (UTC) named
    /// <sensor-id>-<YYYYMMDD>T<HH>Z-<NNN>.pcap, so that any minute can be analysed again with
    /// `yamori analyze`. Each file is flushed as its minutes are written.
    #[arg(long, value_name = "DIR")]
    pub pcap_dir: Option<std::path::PathBuf>,
    /// Largest pcap file, in MiB: a bigger hour continues in the next file (NNN + 1).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 1024,
        requires = "pcap_dir"
    )]
    pub pcap_file_mib: u64,
    /// Most space for this sensor's pcap files, in MiB: the oldest files are removed first.
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 10240,
        requires = "pcap_dir"
    )]
    pub pcap_total_mib: u64,
    /// Remove pcap files whose last packet is older than this many hours.
    #[arg(
        long,
        value_name = "HOURS",
        default_value_t = 168,
        requires = "pcap_dir"
    )]
    pub pcap_max_age_hours: u64,
    /// Refuse to start on an interface that carries unicast IP traffic for addresses outside
    /// the darknet (watched for --strict-seconds before the first minute).
    #[arg(long)]
    pub strict: bool,
    /// How long --strict watches the interface, in seconds (1 to 3600).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        requires = "strict"
    )]
    pub strict_seconds: u64,
}

/// Where finished minutes go.
enum Sink {
    Store {
        store: std::sync::Arc<yamori_store::Store>,
        db: String,
    },
    Nats(yamori_bus::publish::PublisherHandle),
}

/// The line `--json` prints per minute.
#[derive(serde::Serialize)]
struct MinuteLine<'a> {
    sensor_id: &'a str,
    minute: String,
    partial: bool,
    /// The stored analysis (local store) …
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis_id: Option<&'a str>,
    /// … or the minute's number in the outbox (--nats).
    #[serde(skip_serializing_if = "Option::is_none")]
    outbox_seq: Option<u64>,
    darknet_packets: u64,
    scanners: usize,
    attacks: usize,
    by_category: &'a std::collections::BTreeMap<String, u64>,
    captured: u64,
    kernel_drops: u64,
    kernel_freezes: u64,
    interface_drops: u64,
    undecodable: u64,
    late: u64,
}

fn rfc3339(unix_s: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_s as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| unix_s.to_string())
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let file_cfg = crate::config::load(g)?;
    let mut cfg = file_cfg.analyze.unwrap_or_default();
    if !a.darknets.is_empty() {
        cfg.darknets = a.darknets.clone();
    }
    anyhow::ensure!(
        !cfg.darknets.is_empty(),
        "no darknet prefixes: pass --darknet CIDR (e.g. --darknet 198.51.100.0/24), or set \
         `darknets = [\"…\"]` under [analyze] in yamori.toml"
    );
    let sensor_id = a.sensor_id.clone().unwrap_or_else(|| a.interface.clone());
    let darknets: Vec<String> = cfg.darknets.iter().map(ToString::to_string).collect();

    // The store (or the outbox) first: a destination that cannot be opened should stop the
    // sensor before it captures anything.
    let sink = match &a.nats {
        None => Sink::Store {
            store: super::open_store(g)?,
            db: super::database(g)?.to_string(),
        },
        Some(url) => {
            anyhow::ensure!(
                yamori_bus::message::valid_sensor_id(&sensor_id),
                "sensor id {sensor_id:?} cannot name a NATS subject: use 1 to 64 letters, \
                 digits, '-' or '_' (--sensor-id)"
            );
            let dir = a
                .outbox
                .clone()
                .unwrap_or_else(|| g.data_dir.join("outbox").join(&sensor_id));
            let outbox = yamori_bus::outbox::Outbox::open(&dir, a.outbox_max_mib << 20)?;
            let settings = yamori_bus::publish::PublishSettings {
                nats: a
                    .nats_auth
                    .options(url, format!("yamori sensor {sensor_id}")),
                stream: yamori_bus::StreamSettings::default(),
                in_flight: yamori_bus::publish::DEFAULT_IN_FLIGHT,
            };
            Sink::Nats(yamori_bus::publish::PublisherHandle::start(
                settings, outbox,
            )?)
        }
    };
    let destination = match (&sink, &a.nats) {
        (Sink::Store { db, .. }, _) => format!("writing every minute to {db}"),
        (Sink::Nats(_), Some(url)) => format!("publishing every minute to {url}"),
        (Sink::Nats(_), None) => String::new(),
    };
    let mib = |n: u64, what: &str| {
        n.max(1)
            .checked_mul(1 << 20)
            .with_context(|| format!("{what} {n} MiB is too large"))
    };
    let (pcap_file, pcap_total) = (
        mib(a.pcap_file_mib, "--pcap-file-mib")?,
        mib(a.pcap_total_mib, "--pcap-total-mib")?,
    );
    anyhow::ensure!(
        a.pcap_dir.is_none() || pcap_total >= pcap_file,
        "--pcap-total-mib {} is below --pcap-file-mib {}: the total must hold at least one \
         whole file (e.g. --pcap-file-mib {})",
        a.pcap_total_mib,
        a.pcap_file_mib,
        a.pcap_total_mib.max(1)
    );
    if a.strict && !g.quiet {
        eprintln!(
            "--strict: watching {} for {} s for traffic to addresses outside the darknet",
            a.interface, a.strict_seconds
        );
    }
    let sensor = Sensor::open(SensorConfig {
        interface: a.interface.clone(),
        analysis: cfg,
        geometry: yamori_sensor::DEFAULT_GEOMETRY,
        raw: a
            .pcap_dir
            .as_ref()
            .map(|dir| yamori_sensor::raw::RawConfig {
                dir: dir.clone(),
                prefix: sensor_id.clone(),
                max_file_bytes: pcap_file,
                max_total_bytes: pcap_total,
                max_age: std::time::Duration::from_secs(a.pcap_max_age_hours.saturating_mul(3600)),
            }),
        strict: a
            .strict
            .then(|| std::time::Duration::from_secs(a.strict_seconds)),
    })?;
    let dropped = sensor.drop_privileges()?;
    tracing::info!(
        uid = dropped.uid,
        "capabilities dropped after opening the ring"
    );
    let first = sensor.first_minute_s();
    if !g.quiet {
        eprintln!(
            "capturing on {} for {} as sensor {sensor_id}; first minute {}; {destination}",
            a.interface,
            darknets.join(","),
            rfc3339(first)
        );
    }

    let stdout = std::io::stdout();
    if !a.json {
        println!(
            "{:<20} {:>10} {:>8} {:>8} {:>10} {:>10} {:>12}",
            "minute", "darknet", "scanners", "attacks", "ring drops", "if drops", "not analysed"
        );
    }
    let mut whole = 0u64;
    let mut failure: Option<anyhow::Error> = None;
    let stop = yamori_sensor::stop_on_signals()?;
    let result = sensor.run(stop, |m: Minute| {
        let partial = m.partial || m.start_s == first;
        if let Some(e) = &m.raw_error {
            tracing::warn!(error = %e, "raw capture: frames not kept (the analysis goes on)");
        }
        match deliver(&sink, &sensor_id, &m, partial) {
            Ok(done) => {
                let mut out = stdout.lock();
                let printed = if a.json {
                    print_json(&mut out, &sensor_id, &m, partial, &done)
                } else {
                    print_row(&mut out, &m, partial)
                };
                if let Err(e) = printed.and_then(|()| out.flush().map_err(Into::into)) {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
            Err(e) => {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        }
        if m.start_s != first {
            whole += 1;
        }
        match a.minutes {
            Some(n) if whole >= n => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    if let Sink::Nats(p) = sink {
        let left = p.spooled_bytes();
        p.stop()?;
        if left > 0 && !g.quiet {
            eprintln!("minutes not yet acknowledged by NATS stay in the outbox for the next start");
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ SensorError::InterfaceGone(_)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(super::EXIT_FAILURE))
        }
        Err(e) => Err(e.into()),
    }
}

/// Where a minute went: its analysis id in the local store, or its outbox number.
enum Delivered {
    Stored(String),
    Spooled(u64),
    /// The outbox was full; the warning says so.
    Refused,
}

fn deliver(sink: &Sink, sensor_id: &str, m: &Minute, partial: bool) -> anyhow::Result<Delivered> {
    match sink {
        Sink::Store { store, db } => store_minute(store, sensor_id, m, partial)
            .map(Delivered::Stored)
            .with_context(|| format!("cannot store the minute in {db}")),
        Sink::Nats(p) => {
            let summary = yamori_bus::ReportSummary {
                first_packet: m.report.first_packet.clone(),
                last_packet: m.report.last_packet.clone(),
                darknet_packets: m.report.totals.darknet_packets,
            };
            let msg = yamori_bus::MinuteMessage::new(
                sensor_id,
                i64::try_from(m.start_s).context("minute out of range")?,
                partial,
                m.counters,
                summary,
                serde_json::to_string(&m.report)?,
            )?;
            match p.submit(&msg) {
                Ok(seq) => Ok(Delivered::Spooled(seq)),
                // A full outbox loses this minute, not the sensor: the ones kept stay, and
                // capture goes on for when NATS returns.
                Err(e) => {
                    eprintln!("warning: {e}");
                    Ok(Delivered::Refused)
                }
            }
        }
    }
}

fn store_minute(
    store: &yamori_store::Store,
    sensor_id: &str,
    m: &Minute,
    partial: bool,
) -> anyhow::Result<String> {
    let c = &m.counters;
    let new = NewSensorMinute {
        sensor_id: sensor_id.to_string(),
        minute_s: i64::try_from(m.start_s).context("minute out of range")?,
        partial,
        report_json: serde_json::to_string(&m.report)?,
        first_packet: m.report.first_packet.clone(),
        last_packet: m.report.last_packet.clone(),
        darknet_packets: m.report.totals.darknet_packets,
        // The sensor's counters are the store's type (yamori-model).
        counts: *c,
    };
    Ok(store.put_sensor_minute(&new)?)
}

fn print_json(
    out: &mut impl Write,
    sensor_id: &str,
    m: &Minute,
    partial: bool,
    done: &Delivered,
) -> anyhow::Result<()> {
    let c = &m.counters;
    let (analysis_id, outbox_seq) = match done {
        Delivered::Stored(id) => (Some(id.as_str()), None),
        Delivered::Spooled(seq) => (None, Some(*seq)),
        Delivered::Refused => (None, None),
    };
    let line = MinuteLine {
        sensor_id,
        minute: rfc3339(m.start_s),
        partial,
        analysis_id,
        outbox_seq,
        darknet_packets: m.report.totals.darknet_packets,
        scanners: m.report.scanners.len(),
        attacks: m.report.attacks.len(),
        by_category: &m.report.totals.by_category,
        captured: c.captured,
        kernel_drops: c.kernel_drops,
        kernel_freezes: c.kernel_freezes,
        interface_drops: c.interface_drops,
        undecodable: c.undecodable,
        late: c.late,
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)?;
    Ok(())
}

fn print_row(out: &mut impl Write, m: &Minute, partial: bool) -> anyhow::Result<()> {
    let c = &m.counters;
    let mut minute = rfc3339(m.start_s);
    if partial {
        minute.push('*');
    }
    writeln!(
        out,
        "{:<20} {:>10} {:>8} {:>8} {:>10} {:>10} {:>12}",
        minute,
        m.report.totals.darknet_packets,
        m.report.scanners.len(),
        m.report.attacks.len(),
        c.kernel_drops,
        c.interface_drops,
        c.undecodable + c.late
    )?;
    Ok(())
}
