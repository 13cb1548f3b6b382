//! `yamori analyze`: read captures, run the telescope analysis, print and store the report.
//!
//! Wiring only: reading is `yamori_wire`, analysis `yamori_telescope`, enrichment
//! `yamori_enrich`, storage `yamori_store`. This module decides threads, progress and output.

mod pipeline;
mod table;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yamori_store::{FileDigest, NewAnalysis, PutOutcome};
use yamori_telescope::Report;

/// Analyse darknet captures: categories, scanners, tool fingerprints, DDoS victims, time series
///
/// Reads pcap, pcapng (several interfaces, any timestamp resolution) and gzip-compressed
/// captures, or `-` for stdin. Every packet addressed to the darknet is classified (NICTER's
/// categories), tool fingerprints (Mirai, ZMap < 4.1, masscan) are checked, scanners and DDoS
/// victims (from backscatter) are found, and per-minute series are built. The report is printed
/// (tables, or `--json`) and stored in the database (`--database`; default the SQLite file
/// <data-dir>/yamori.sqlite) for the hub; analysing the same
/// files again replaces the stored analysis instead of adding to it.
///
/// Exit codes: 0 success; 1 failure; 2 usage error; 3 some input was bad (the error names the
/// file and byte offset; packets before it were analysed and are in the report).
///
/// Examples:
///   yamori analyze --darknet 203.0.113.0/24 sample.pcap
///   yamori analyze --darknet 203.0.113.0/24 --geoip dbip-city-lite.mmdb a.pcap b.pcapng.gz --json > report.json
///   tcpdump -w - -i eth1 | yamori analyze --darknet 198.51.100.0/24 -
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Capture files (pcap, pcapng, optionally .gz); `-` reads stdin.
    #[arg(required = true, value_name = "CAPTURE")]
    pub files: Vec<PathBuf>,
    /// Darknet prefix (IPv4 or IPv6), repeatable. Overrides `[analyze] darknets` in the config.
    #[arg(long = "darknet", value_name = "CIDR")]
    pub darknets: Vec<ipnet::IpNet>,
    /// Print the report as JSON (schema schemas/telescope-report.v1.json) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Per-source window in seconds [default: 3600].
    #[arg(long, value_name = "SECS")]
    pub window: Option<u64>,
    /// Distinct darknet destinations that make a scanner [default: 100 for a /16, scaled down
    /// for smaller darknets, at least 10].
    #[arg(long, value_name = "N")]
    pub scanner_min_destinations: Option<u32>,
    /// Entries in each top-N list [default: 20].
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Memory for per-source state, in MiB [default: 1024]. Beyond it new sources are counted
    /// but not tracked, and the report says so.
    #[arg(long, value_name = "MIB")]
    pub state_budget_mib: Option<u64>,
    /// MaxMind DB with countries (GeoLite2-City/Country, DB-IP Lite). See README "GeoIP".
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
    /// ASN database: GeoLite2-ASN MMDB, iptoasn.com ip2asn TSV, or CAIDA pfx2as.
    #[arg(long, value_name = "FILE")]
    pub asn: Option<PathBuf>,
    /// Threads [default: one per CPU for several files, at most 2 for one]. 1 = read and
    /// analyse on one thread. Several files are analysed in parallel; one file is read on one
    /// thread and analysed on the others.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not store the analysis in the data directory. The inputs' SHA-256 (what makes
    /// storing idempotent) is then not computed and the report's `sha256` fields are empty,
    /// unless --digest.
    #[arg(long)]
    pub no_store: bool,
    /// Compute each input's SHA-256 even with --no-store (costs a second read of each file
    /// and about a third of the CPU of an analysis, on a thread of its own).
    #[arg(long)]
    pub digest: bool,
    /// Replace stored analyses that share some (not all) of these files.
    #[arg(long)]
    pub replace: bool,
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let file_cfg = crate::config::load(g)?;
    let mut cfg = file_cfg.analyze.unwrap_or_default();
    if !a.darknets.is_empty() {
        cfg.darknets = a.darknets.clone();
    }
    if cfg.darknets.is_empty() {
        anyhow::bail!(
            "no darknet prefixes: pass --darknet CIDR (e.g. --darknet 203.0.113.0/24), \
             or set `darknets = [\"…\"]` under [analyze] in yamori.toml"
        );
    }
    if let Some(w) = a.window {
        anyhow::ensure!(w >= 60, "--window must be at least 60 seconds");
        cfg.window_secs = w;
    }
    if a.scanner_min_destinations.is_some() {
        cfg.scanner_min_destinations = a.scanner_min_destinations;
    }
    if let Some(t) = a.top {
        cfg.top_n = t;
    }
    if let Some(m) = a.state_budget_mib {
        cfg.state_budget_bytes = m.saturating_mul(1 << 20);
    }
    if a.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        anyhow::bail!("`-` (stdin) can be given only once");
    }
    let enricher = yamori_enrich::Enricher::open(a.geoip.as_deref(), a.asn.as_deref())
        .context("cannot open enrichment database")?;
    // Default: one worker per core for several files. One file: a reading/decoding thread and
    // one analysing thread when there are two cores (measured faster than one thread on both
    // benchmark captures); more analysers only when asked, since sharding the sources over
    // several measured slower on 2 cores (docs/BENCHMARKS.md).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match a.threads {
        Some(n) => n.max(1),
        None if a.files.len() > 1 => cores,
        None => cores.min(2),
    };

    let progress = !g.quiet;
    let opts = pipeline::Options {
        threads,
        progress,
        digest: a.digest || !a.no_store,
    };
    let outcome = pipeline::analyze_files(&cfg, &a.files, opts)?;
    let enrich: Option<&dyn yamori_telescope::SourceEnricher> =
        (!enricher.is_empty()).then_some(&enricher as _);
    let mut report: Report = outcome.analyzer.finish(enrich);
    report.inputs = outcome.inputs;
    for f in &report.inputs {
        if let Some(e) = &f.error {
            report.warnings.push(format!("{}: {e}", f.name));
        }
    }
    let any_error = report.inputs.iter().any(|f| f.error.is_some());
    let all_failed = report
        .inputs
        .iter()
        .all(|f| f.error.is_some() && f.packets == 0);

    // Buffered: stdout is line-buffered, and a report with tens of thousands of scanners is
    // over a million lines of pretty JSON (one write(2) each, ~6% of a large analysis).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        table::print_report(&mut out, &report)?;
    }
    out.flush()?;
    drop(out);

    if all_failed {
        for f in &report.inputs {
            eprintln!("error: {}: {}", f.name, f.error.as_deref().unwrap_or(""));
        }
        return Ok(ExitCode::from(super::EXIT_FAILURE));
    }
    if !a.no_store {
        let attribution = enricher.geo.as_ref().map(|d| d.attribution());
        store_report(g, &report, a.replace, attribution.as_deref())?;
    }
    if any_error {
        for f in report.inputs.iter().filter(|f| f.error.is_some()) {
            eprintln!(
                "warning: {}: {} (the {} packets before it were analysed)",
                f.name,
                f.error.as_deref().unwrap_or(""),
                f.packets
            );
        }
        return Ok(ExitCode::from(super::EXIT_PARTIAL));
    }
    Ok(ExitCode::SUCCESS)
}

/// Store the report in the database (`--database`), idempotent by the input files' digests.
/// `geo_attribution`: the licence notice of the GeoIP database used, shown under the map.
fn store_report(
    g: &crate::GlobalArgs,
    report: &Report,
    replace: bool,
    geo_attribution: Option<&str>,
) -> anyhow::Result<()> {
    let db_path = super::database(g)?;
    let store = super::open_store(g)?;
    let new = NewAnalysis {
        files: report
            .inputs
            .iter()
            .map(|f| FileDigest {
                name: f.name.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
            })
            .collect(),
        report_json: serde_json::to_string(report)?,
        first_packet: report.first_packet.clone(),
        last_packet: report.last_packet.clone(),
        darknet_packets: report.totals.darknet_packets,
        replace_overlapping: replace,
    };
    let outcome = store
        .put_analysis(&new)
        .with_context(|| format!("cannot store the analysis in {db_path}"))?;
    if let Some(a) = geo_attribution {
        store.kv_set("geo.attribution", a)?;
    }
    let msg = match outcome {
        PutOutcome::Inserted { id } => format!("stored as analysis {id}"),
        PutOutcome::Replaced { id } => {
            format!("replaced stored analysis {id} (same input files: nothing double-counted)")
        }
        PutOutcome::Superseded { id, removed } => {
            format!(
                "stored as analysis {id}, superseding {}",
                removed.join(", ")
            )
        }
    };
    tracing::info!(db = %db_path, "{msg}");
    if !(g.quiet) {
        eprintln!("{msg} in {db_path}");
    }
    Ok(())
}
