//! `yamori-bench`: measure Yamori against the anchor tools on this machine, in the same run.
//!
//! The benchmark harness lives here, outside the product: the release `yamori` binary holds
//! none of it and none of its dependencies. What is timed is the product itself: the telescope
//! scenarios run the `yamori` binary as a subprocess (`--yamori`, default: the `yamori` built
//! next to this binary), and the dashboard benchmark serves a seeded store through the hub
//! library and times `yamori demo` as a subprocess.
//!
//! Each tool runs on the same capture, read from the page cache (the file is read once before
//! timing). Wall time and peak RSS come from GNU time (`/usr/bin/time -f "%e %M"`); we report
//! medians and ratios only, because shared machines are noisy (runs of one build can spread by
//! 30 %) and the anchors, timed in the same run, move with the machine as Yamori does.

mod dashboard;
mod pgdb;
mod plain_map;
mod scaleout;
mod telescope;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;
use clap::Parser;

/// Measure Yamori against the anchor tools on this machine and print ratios.
///
/// Each tool runs on the same page-cached capture; medians of several runs and ratios are
/// printed (docs/BENCHMARKS.md records them). Build the product first, in the same profile:
///   cargo build --release -p yamori -p yamori-bench
///
/// Example:
///   yamori-bench telescope                       # 5 M packets / 5,000 sources and 20 M / 2 M sources
///   yamori-bench telescope --scenario small --runs 5 --json
///   yamori-bench dashboard --backend sqlite
///   yamori-bench scale-out --sensors 8 --sources 100000
///   scripts/bench                                # every figure of docs/BENCHMARKS.md
#[derive(Parser, Debug)]
#[command(name = "yamori-bench", verbatim_doc_comment)]
pub struct Cli {
    /// The `yamori` binary to time. Default: `yamori` in this binary's directory (for
    /// `target/release/yamori-bench`, `target/release/yamori`).
    #[arg(long, global = true, env = "YAMORI_BIN")]
    pub yamori: Option<PathBuf>,
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Telescope analysis vs tcpdump (filter only), tshark (protocol hierarchy) and, on the
    /// large scenario, the plain-map reference design.
    Telescope(telescope::Args),
    /// Dashboard API latency over a big store (SQLite and PostgreSQL), and demo start-up.
    Dashboard(dashboard::Args),
    /// The large telescope scenario's reference design (a plain `HashMap` of per-source
    /// structs), timed by `yamori-bench telescope`.
    PlainMap(plain_map::Args),
    /// Scale-out: simulated sensors' minutes through NATS JetStream into PostgreSQL, against
    /// the same minutes written straight into the store.
    ScaleOut(scaleout::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.what {
        What::Telescope(t) => yamori_bin(cli.yamori).and_then(|y| telescope::run(&y, t)),
        What::Dashboard(d) => yamori_bin(cli.yamori).and_then(|y| dashboard::run(&y, d)),
        What::PlainMap(p) => plain_map::run(p),
        What::ScaleOut(s) => yamori_bin(cli.yamori).and_then(|y| scaleout::run(&y, s)),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The `yamori` binary to time: `--yamori`, else the one beside this executable.
fn yamori_bin(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(p) => p,
        None => std::env::current_exe()
            .context("cannot tell where yamori-bench runs from; pass --yamori")?
            .with_file_name(format!("yamori{}", std::env::consts::EXE_SUFFIX)),
    };
    anyhow::ensure!(
        path.is_file(),
        "{} not found: build the product in the same profile first \
         (cargo build --release -p yamori -p yamori-bench), or pass --yamori PATH",
        path.display()
    );
    Ok(path)
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

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
