//! `yamori survey`: survey an authorised scope for IoT devices and weak credentials.
//!
//! Safety first: no scope file, no scan; a scope file with any bad line is refused as a whole;
//! IANA special-purpose ranges are cut unless named explicitly; `--exclude` is always honoured;
//! the target count is printed before the first packet.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use yamori_survey::fingerprint::Rules;
use yamori_survey::scope::Scope;
use yamori_survey::{creds, ports, Discovery, SurveyConfig};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scope file: one CIDR, address or `a-b` range per line, `#` comments. Required: without
    /// a scope there is no scan.
    #[arg(long, value_name = "FILE")]
    pub scope: Option<PathBuf>,
    /// Blocklist in the same format; always removed from the scope.
    #[arg(long, value_name = "FILE")]
    pub exclude: Option<PathBuf>,
    /// Write the result (JSON, schema yamori.survey.result/1) here.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Probes (connections and datagrams) per second, all hosts together.
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// Ports: `iot`, `common`, `all`, or a list like `23,80,8000-8010,udp:5683,8081/http`.
    #[arg(long, default_value = "iot")]
    pub ports: String,
    /// Print the number of targets and exit without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Connections in flight, all hosts together.
    #[arg(long, default_value_t = 1000)]
    pub concurrency: usize,
    /// Connections in flight to one host.
    #[arg(long, default_value_t = 4)]
    pub per_host: usize,
    /// Connect/read timeout in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub timeout: f64,
    /// Time budget per host in seconds (all ports and login attempts).
    #[arg(long, default_value_t = 300.0)]
    pub host_budget: f64,
    /// Longest wait in seconds for a service's first prompt (a telnet daemon that resolves
    /// the surveyor's name first stays silent for a while); ends early at the prompt and never
    /// runs past --host-budget.
    #[arg(long, default_value_t = yamori_survey::engine::DEFAULT_PROMPT_WAIT.as_secs_f64())]
    pub prompt_wait: f64,
    /// Longest wait in seconds for the reply to a password: `login` answers a wrong password
    /// only after its failure delay (3 s with PAM and BusyBox). Ends early at the next prompt.
    /// A result's `login_refusal_seconds` tells how long a device took.
    #[arg(long, default_value_t = yamori_survey::engine::DEFAULT_REPLY_WAIT.as_secs_f64())]
    pub login_wait: f64,
    /// The most login connections to one telnet, SSH or FTP service at once. Each refusal
    /// costs the device's failure delay, so more connections finish sooner; but small devices
    /// take only a few, so the checks start with 4 and open one more after each refusal. A new
    /// connection the device drops is tried again after a back-off (no connection is added
    /// meanwhile); one dropped 4 times in a row marks the device's limit, and no more are
    /// added.
    #[arg(long, default_value_t = yamori_survey::engine::DEFAULT_LOGIN_PARALLEL)]
    pub login_parallel: usize,
    /// An earlier result of this survey (`--out` file): each telnet, SSH or FTP service it saw
    /// gets waits from the timing it recorded (`login_prompt_seconds`, `login_refusal_seconds`):
    /// twice the measured time plus 2 s, or twice the wait that ran out last time.
    #[arg(long, value_name = "FILE")]
    pub adapt_from: Option<PathBuf>,
    /// Extra credentials to try (`user:password` per line), after the built-in list.
    #[arg(long, value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// Do not try any credentials.
    #[arg(long)]
    pub no_creds: bool,
    /// Do not ask FTP servers for an anonymous login. By default the survey reports whether a
    /// server takes one (`ftp_anonymous`), and a server with anonymous login off answers only
    /// after its failure delay (about 3 s on vsftpd), however early the list finds a pair.
    #[arg(long)]
    pub no_anonymous: bool,
    /// Contact (e-mail or URL) announced in the HTTP User-Agent; required for a real run.
    #[arg(long)]
    pub contact: Option<String>,
    /// Fingerprint rules: a TOML file (replaces the built-in rules) or a rapid7/recog XML file
    /// (`*.xml`, added after the built-in rules).
    #[arg(long, value_name = "FILE")]
    pub fingerprints: Option<PathBuf>,
    /// Print the result JSON on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Skip matching services against the vulnerability database (`yamori vulndb import`).
    #[arg(long)]
    pub no_vulns: bool,
    /// Do not store the result in the database (`--database`, where the dashboard reads it).
    #[arg(long)]
    pub no_store: bool,
    /// How open TCP ports are found. `connect`: a full TCP connection per address and port
    /// (no privileges needed). `syn`: first a stateless SYN sweep from a raw socket (ZMap and
    /// masscan's technique, replies checked by a keyed cookie; needs root or CAP_NET_RAW;
    /// IPv4 only, IPv6 targets are still connected to), then connections only to the ports
    /// that answered. Both honour --rate and the scope. `--timeout` is also how long the sweep
    /// waits for late replies.
    #[arg(long, value_enum, default_value_t = DiscoveryArg::Connect)]
    pub discovery: DiscoveryArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscoveryArg {
    Connect,
    Syn,
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let Some(scope_path) = &a.scope else {
        bail!("no scope given: `yamori survey` only scans the addresses you are authorised to survey, listed in a scope file (--scope FILE)");
    };
    let scope = Scope::load(scope_path, a.exclude.as_deref())?;
    let port_list = ports::parse(&a.ports).map_err(|e| anyhow::anyhow!("--ports: {e}"))?;
    let targets = scope.count();
    if a.dry_run {
        println!("{targets}");
        return Ok(ExitCode::SUCCESS);
    }
    let contact = match a.contact.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => bail!("--contact is required: the survey announces who runs it (e-mail or URL) so owners can reach you"),
    };
    let positive = |x: f64| x > 0.0 && x.is_finite();
    if ![a.timeout, a.host_budget, a.prompt_wait, a.login_wait]
        .into_iter()
        .all(positive)
    {
        bail!("--timeout, --host-budget, --prompt-wait and --login-wait must be positive numbers of seconds");
    }
    let learned = match &a.adapt_from {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let earlier: yamori_survey::model::SurveyResult = serde_json::from_str(&text)
                .with_context(|| {
                    format!(
                        "{} is not a survey result (`yamori survey --out`)",
                        p.display()
                    )
                })?;
            let learned = yamori_survey::adapt::Learned::from_result(&earlier);
            if !g.quiet {
                eprintln!(
                    "yamori survey: waits of {} service(s) adapted from {}",
                    learned.len(),
                    p.display()
                );
            }
            learned
        }
        None => Default::default(),
    };
    let mut credentials = Vec::new();
    if !a.no_creds {
        credentials = creds::parse_builtin(creds::BUILTIN)?;
        if let Some(p) = &a.creds {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            for c in creds::parse_user(&text, &p.display().to_string())? {
                if !credentials
                    .iter()
                    .any(|x| x.username == c.username && x.password == c.password)
                {
                    credentials.push(c);
                }
            }
        }
    }
    let rules = match &a.fingerprints {
        // recog XML: imported rules are tried after the built-in ones.
        Some(p) if p.extension().is_some_and(|e| e == "xml") => {
            let xml =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let imported = yamori_survey::recog::import(&xml, &name)?;
            if !g.quiet {
                eprintln!(
                    "yamori survey: {}: {} recog fingerprints imported, {} skipped",
                    p.display(),
                    imported.rules.len(),
                    imported.skipped.len()
                );
            }
            let mut specs: Vec<_> = Rules::builtin()?
                .rules
                .into_iter()
                .map(|r| r.spec)
                .collect();
            specs.extend(imported.rules);
            Rules::from_specs(specs)?
        }
        Some(p) => Rules::parse(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )?,
        None => Rules::builtin()?,
    };
    if !g.quiet {
        eprintln!(
            "yamori survey: {targets} target address(es) × {} port(s), rate {}/s, {} discovery, scope {scope}",
            port_list.len(),
            a.rate,
            match a.discovery {
                DiscoveryArg::Connect => "connect",
                DiscoveryArg::Syn => "SYN",
            }
        );
    }
    let cfg = SurveyConfig {
        scope,
        ports: port_list,
        rate: a.rate,
        concurrency: a.concurrency,
        per_host: a.per_host,
        timeout: Duration::from_secs_f64(a.timeout),
        host_budget: Duration::from_secs_f64(a.host_budget),
        prompt_wait: Duration::from_secs_f64(a.prompt_wait),
        reply_wait: Duration::from_secs_f64(a.login_wait),
        login_parallel: a.login_parallel.clamp(1, 16),
        learned,
        credentials,
        ftp_anonymous: !a.no_anonymous,
        rules,
        contact,
        discovery: match a.discovery {
            DiscoveryArg::Connect => Discovery::Connect,
            DiscoveryArg::Syn => Discovery::Syn,
        },
    };
    let mut result = yamori_survey::run_survey(cfg)?;
    if !a.no_vulns {
        annotate_vulns(g, &mut result)?;
    }
    let json = serde_json::to_string_pretty(&result)?;
    // The stored document is the exact bytes of the `--out` file, so storing that file again
    // (or publishing it) refers to the same run.
    let document = format!("{json}\n");
    if let Some(out) = &a.out {
        std::fs::write(out, &document).with_context(|| format!("writing {}", out.display()))?;
    }
    if !a.no_store {
        store_result(g, &document)?;
    }
    if a.json {
        println!("{json}");
    } else {
        let services: usize = result.hosts.iter().map(|h| h.services.len()).sum();
        let weak = result
            .hosts
            .iter()
            .flat_map(|h| &h.services)
            .filter(|s| s.weak_credential.is_some())
            .count();
        println!(
            "{} target(s), {} responsive host(s), {services} service(s), {weak} weak credential(s)",
            result.targets,
            result.hosts.len()
        );
        for h in &result.hosts {
            for s in &h.services {
                let device = s
                    .device
                    .as_ref()
                    .map(|d| format!(" {} {}", d.vendor, d.product))
                    .unwrap_or_default();
                let cred = s
                    .weak_credential
                    .as_ref()
                    .map(|w| format!(" WEAK {}:{}", w.username, w.password_masked))
                    .unwrap_or_default();
                println!(
                    "  {}:{}/{:?} {:?}{device}{cred}",
                    h.address, s.port, s.transport, s.protocol
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Stores the result in the database (`--database`), idempotent by the document's digest.
fn store_result(g: &crate::GlobalArgs, document: &str) -> anyhow::Result<()> {
    let db = super::database(g)?;
    let store = super::open_store(g)?;
    let put = store
        .put_survey(document)
        .with_context(|| format!("cannot store the survey result in {db}"))?;
    if !g.quiet {
        let what = if put.inserted {
            "stored as"
        } else {
            "already stored as"
        };
        eprintln!(
            "yamori survey: {what} survey run {} ({} services) in {}",
            put.id, put.services, db
        );
    }
    Ok(())
}

/// Adds known vulnerabilities from the embedded vulnerability database, when one was imported.
pub(super) fn annotate_vulns(
    g: &crate::GlobalArgs,
    result: &mut yamori_survey::model::SurveyResult,
) -> anyhow::Result<()> {
    let db = super::database(g)?;
    if matches!(&db, yamori_store::Database::Sqlite(p) if !p.exists()) {
        if !g.quiet {
            eprintln!("yamori survey: no vulnerability data in {db} (run `yamori vulndb import`); services not matched");
        }
        return Ok(());
    }
    let store = super::open_store(g)?;
    let stats = yamori_vuln::annotate(result, &*store)?;
    if !g.quiet {
        eprintln!(
            "yamori survey: vulnerabilities: {} affected, {} unknown-version, {} in CISA KEV",
            stats.affected, stats.unknown, stats.kev
        );
    }
    Ok(())
}
