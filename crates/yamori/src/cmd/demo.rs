//! `yamori demo`: the whole observe → store → share loop on generated data, in one command.
//!
//! The demo is a script of ordinary yamori commands: each is printed, parsed by the same
//! parser as the command line and run, so a user can repeat any step by hand.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use yamori_store::Store;

/// One-command tour: generate darknet traffic, analyse it, publish STIX, serve the hub.
///
/// Generates a realistic darknet capture, analyses it, publishes the results as STIX into the
/// hub and serves the hub on localhost (HTTPS, generated certificate). Safe to run again: the
/// analysis is replaced and published objects are de-duplicated.
///
/// Example:
///   yamori demo                       # then query the hub with the printed token and curl line
///   yamori demo --no-serve            # stop after publishing (scripts, CI)
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Darknet prefix to simulate.
    #[arg(long, default_value = "203.0.113.0/24")]
    pub darknet: ipnet::IpNet,
    /// Minutes of traffic to generate.
    #[arg(long, default_value_t = 60)]
    pub minutes: u32,
    /// Seed of the generator (same seed, same capture).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where the hub listens.
    #[arg(long, default_value = "127.0.0.1:9443")]
    pub listen: std::net::SocketAddr,
    /// Do not start the hub; stop after publishing.
    #[arg(long)]
    pub no_serve: bool,
}

/// Run one yamori command line (without the program name) with the demo's global options.
fn step(g: &crate::GlobalArgs, args: &[String]) -> anyhow::Result<()> {
    eprintln!("\n$ yamori {}", args.join(" "));
    let mut argv = vec![
        "yamori".to_string(),
        "--data-dir".into(),
        g.data_dir.display().to_string(),
    ];
    if g.quiet {
        argv.push("--quiet".into());
    }
    argv.extend(args.iter().cloned());
    let cli =
        crate::Cli::try_parse_from(&argv).context("internal: demo built a bad command line")?;
    let code = crate::dispatch(&cli.global, cli.command)?;
    anyhow::ensure!(
        code == ExitCode::SUCCESS,
        "`yamori {}` did not succeed",
        args.join(" ")
    );
    Ok(())
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let dir: PathBuf = g.data_dir.join("demo");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let pcap = dir.join("sample.pcap");
    let truth = dir.join("truth.json");
    let report = dir.join("report.json");
    let darknet = a.darknet.to_string();

    step(
        g,
        &[
            "gen-traffic".into(),
            "--darknet".into(),
            darknet.clone(),
            "--minutes".into(),
            a.minutes.to_string(),
            "--seed".into(),
            a.seed.to_string(),
            "-o".into(),
            s(&pcap),
            "--truth".into(),
            s(&truth),
        ],
    )?;
    step(
        g,
        &["analyze".into(), "--darknet".into(), darknet, s(&pcap)],
    )?;

    // The stored report (the newest analysis) is what gets published.
    let db = g.data_dir.join("yamori.sqlite");
    let store = yamori_store::SqliteStore::open(&db)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let newest = store
        .list_analyses()?
        .into_iter()
        .next()
        .context("the analysis was not stored")?;
    let stored = store
        .get_analysis(&newest.id)?
        .context("the stored analysis disappeared")?;
    std::fs::write(&report, stored.report_json)
        .with_context(|| format!("cannot write {}", report.display()))?;
    drop(store);

    step(
        g,
        &[
            "publish".into(),
            s(&report),
            "--local".into(),
            "--collection".into(),
            "telescope".into(),
            "--org".into(),
            "Yamori demo sensor".into(),
        ],
    )?;
    eprintln!("\nA read-only demo user for the hub (the token is shown once):");
    step(
        g,
        &[
            "user".into(),
            "add".into(),
            "demo".into(),
            "--collection".into(),
            "telescope:r".into(),
        ],
    )?;

    if a.no_serve {
        eprintln!(
            "\nDone. Start the hub with: yamori --data-dir {} serve",
            g.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "\nServing the hub. Try:\n  curl --cacert {}/tls/ca.pem -H 'Accept: application/taxii+json;version=2.1' \\\n       -H \"Authorization: Bearer $TOKEN\" https://{}/taxii2/",
        g.data_dir.display(),
        a.listen
    );
    step(
        g,
        &["serve".into(), "--listen".into(), a.listen.to_string()],
    )?;
    Ok(ExitCode::SUCCESS)
}
