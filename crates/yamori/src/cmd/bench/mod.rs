//! `yamori bench`: measure Yamori against the anchor tools on this machine, in the same run.
//!
//! Each tool runs on the same capture, read from the page cache (the file is read once before
//! timing). Wall time and peak RSS come from GNU time (`/usr/bin/time -f "%e %M"`); we report
//! medians and ratios only, because shared machines are noisy (runs of one build can spread by
//! 30 %) and the anchors, timed in the same run, move with the machine as Yamori does.

mod dashboard;
mod plain_map;
mod telescope;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// Measure Yamori against the anchor tools on this machine and print ratios.
///
/// Each tool runs on the same page-cached capture; medians of several runs and ratios are
/// printed (docs/BENCHMARKS.md records them).
///
/// Example:
///   yamori bench telescope                       # 5 M packets / 5,000 sources and 20 M / 2 M sources
///   yamori bench telescope --scenario small --runs 5 --json
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Telescope analysis vs tcpdump (filter only) and tshark (protocol hierarchy).
    Telescope(telescope::Args),
    /// Dashboard API latency over a big store (SQLite and PostgreSQL), and demo start-up.
    Dashboard(dashboard::Args),
    /// The large telescope scenario's reference design (a plain `HashMap` of per-source
    /// structs), timed by `bench telescope`.
    #[command(hide = true)]
    PlainMap(plain_map::Args),
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    match a.what {
        What::Telescope(t) => telescope::run(g, t),
        What::Dashboard(d) => dashboard::run(g, d),
        What::PlainMap(p) => plain_map::run(p),
    }
}

/// One timed run of an external command.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sample {
    pub wall_secs: f64,
    pub max_rss_kib: u64,
}

/// Run `cmd args…` under GNU time, stdout discarded; fail if it fails.
pub fn time_command(program: &Path, args: &[String]) -> anyhow::Result<Sample> {
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run /usr/bin/time (apt-get install time): {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        out.status.success(),
        "{} {} failed: {}",
        program.display(),
        args.join(" "),
        stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
    );
    let last = stderr.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let wall_secs: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let max_rss_kib: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Sample {
        wall_secs,
        max_rss_kib,
    })
}

pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Find a program on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Read a file once so timed runs see it in the page cache.
pub fn warm_cache(path: &Path) -> std::io::Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}
