//! `yamori gen-traffic`: write a synthetic darknet capture and print its ground truth.
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yamori_gen::{GenConfig, Link, Output, Scale};

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum LinkArg {
    Ethernet,
    Raw,
    Sll,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Darknet prefix (repeatable), e.g. 203.0.113.0/24. Needs at least one IPv4 prefix.
    #[arg(long = "darknet", required = true)]
    pub darknets: Vec<ipnet::IpNet>,
    /// Length of the capture in minutes.
    #[arg(long, default_value_t = 60)]
    pub minutes: u32,
    /// Seed: the same seed and options always give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output capture file (`-` for stdout).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Start time (RFC 3339). Default 2026-11-01T00:00:00Z.
    #[arg(long)]
    pub start: Option<String>,
    /// Bench scale: exactly this many packets (with --sources).
    #[arg(long, requires = "sources")]
    pub packets: Option<u64>,
    /// Bench scale: about this many distinct sources (with --packets).
    #[arg(long, requires = "packets")]
    pub sources: Option<u64>,
    /// Also write the ground truth as JSON to this file.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Compress the capture with gzip.
    #[arg(long)]
    pub gzip: bool,
    /// Link layer of the capture.
    #[arg(long, value_enum, default_value = "ethernet")]
    pub link: LinkArg,
    /// Nanosecond timestamps (default microsecond).
    #[arg(long)]
    pub nanos: bool,
    /// Print the ground truth as JSON instead of a summary (to stderr when the capture goes to stdout).
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    // Thresholds come from the same `[analyze]` table `yamori analyze` reads, so the truth
    // matches what analyze will report with this configuration.
    let rules = crate::config::load(g)?.analyze.unwrap_or_default();
    let start_unix_secs = match &a.start {
        Some(s) => yamori_gen::parse_start(s)?,
        None => yamori_gen::DEFAULT_START_UNIX_SECS,
    };
    let scale = match (a.packets, a.sources) {
        (Some(packets), Some(sources)) => Scale::Bench { packets, sources },
        _ => Scale::Realistic,
    };
    let cfg = GenConfig {
        darknets: a.darknets.clone(),
        start_unix_secs,
        minutes: a.minutes,
        seed: a.seed,
        scale,
        link: match a.link {
            LinkArg::Ethernet => Link::Ethernet,
            LinkArg::Raw => Link::Raw,
            LinkArg::Sll => Link::Sll,
        },
        nanos: a.nanos,
        rules,
    };
    let mut out = Output::create(&a.output, a.gzip)
        .with_context(|| format!("cannot create {}", a.output.display()))?;
    let truth = yamori_gen::generate(&cfg, &mut out)
        .with_context(|| format!("generating {}", a.output.display()))?;
    out.finish()
        .with_context(|| format!("writing {}", a.output.display()))?;
    if let Some(path) = &a.truth {
        let json = serde_json::to_vec_pretty(&truth)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let report = if a.json {
        serde_json::to_string_pretty(&truth)? + "\n"
    } else {
        truth.summary()
    };
    let written = if a.output.as_os_str() == "-" {
        std::io::stderr().write_all(report.as_bytes())
    } else {
        std::io::stdout().write_all(report.as_bytes())
    };
    match written {
        // `| head` closing the pipe early is not a failure: the capture is complete.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
