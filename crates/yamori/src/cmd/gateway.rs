//! `yamori gateway`: IoT devices' MUD files (RFC 8520) as one nftables ruleset for the
//! gateway in front of them, with a quarantine set fed from Yamori's findings.
//!
//! Reads the MUD files (bounded), optionally the store's quarantine evidence and the system
//! resolver's answers for the files' DNS names, and hands them to `yamori_act::gateway`,
//! which writes the ruleset; the file is replaced atomically. This module parses arguments,
//! reads inputs and prints the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use ipnet::IpNet;
use serde::Serialize;
use time::OffsetDateTime;
use yamori_act::gateway::{self, Device, DeviceWarning, Finding, GatewayWritten, Policy};
use yamori_act::mud::{self, MAX_MUD_BYTES};

use super::export::parse_age;
use super::{open_store, EXIT_PARTIAL};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Each --mud FILE goes with the --device ADDR in the same position:
  yamori gateway --mud camera.mud.json --device 192.0.2.20 -o gateway.nft
  nft -f gateway.nft          # replaces table inet yamori_gateway in one transaction

With DNS names in the MUD files, resolve them and refresh the sets regularly (cron):
  */10 * * * *  yamori gateway --mud camera.mud.json --device 192.0.2.20 --resolve \\
                  --site 192.0.2.0/24 --quarantine-from-store -o /etc/yamori/gateway.nft \\
                  && nft -f /etc/yamori/gateway.nft

Quarantine: --quarantine ADDR|PREFIX,... cuts those off; --quarantine-from-store adds every
address inside --site that the survey found with weak credentials or a CISA KEV vulnerability,
that the telescope saw scanning, or that connected to the decoy (see --database). A quarantined
address can send and receive nothing through the gateway, whatever its MUD file allows.

Exit status: 0 written; 1 failure (nothing written); 3 written, but with --resolve some DNS
names did not resolve (their sets are empty: those flows stay blocked). See docs/GATEWAY.md."
)]
pub struct Args {
    /// A device's MUD file (RFC 8520 JSON, or the draft shape older tools write). Repeat
    /// with --device, in the same order.
    #[arg(long = "mud", value_name = "FILE", required = true)]
    pub muds: Vec<PathBuf>,
    /// The address of the device whose MUD file is the --mud in the same position.
    #[arg(long = "device", value_name = "ADDR", required = true)]
    pub devices: Vec<IpAddr>,
    /// Output file (`-`: stdout), replaced atomically.
    #[arg(short, long, default_value = "-")]
    pub out: PathBuf,
    /// The table's name: `table inet yamori_<name>` (a-z, 0-9, _; ≤ 16).
    #[arg(long, default_value = "gateway")]
    pub name: String,
    /// The site's own networks (comma-separated prefixes): what a MUD file's
    /// `local-networks` means, and the only addresses --quarantine-from-store quarantines.
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    pub site: Vec<IpNet>,
    /// Addresses or prefixes to quarantine (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_net, value_name = "ADDR|PREFIX")]
    pub quarantine: Vec<IpNet>,
    /// Also quarantine the site's addresses with findings in the store (needs --site).
    #[arg(long)]
    pub quarantine_from_store: bool,
    /// With --quarantine-from-store: only findings observed within this long (e.g. 30d).
    #[arg(long, value_parser = parse_age, value_name = "DURATION")]
    pub quarantine_max_age: Option<time::Duration>,
    /// Resolve the MUD files' DNS names through the system resolver and fill their sets.
    /// Without it the sets are declared empty (fill them yourself, or run with --resolve).
    #[arg(long)]
    pub resolve: bool,
    /// How long a resolved address stays in its set unless refreshed (e.g. 1h, 30m).
    #[arg(long, default_value = "1h", value_parser = parse_age, value_name = "DURATION")]
    pub dns_timeout: time::Duration,
    /// Print the summary as JSON (to stdout, or to stderr when the ruleset goes to stdout).
    #[arg(long)]
    pub json: bool,
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is neither an IP address nor a prefix"))
}

#[derive(Serialize)]
struct Summary {
    output: String,
    #[serde(flatten)]
    written: GatewayWritten,
    /// Quarantined addresses with their reasons.
    quarantined: BTreeMap<IpAddr, BTreeSet<String>>,
    /// Store findings left out because they are outside --site.
    findings_outside_site: usize,
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    if a.muds.len() != a.devices.len() {
        bail!(
            "{} --mud files but {} --device addresses: give one address per MUD file, in the same order",
            a.muds.len(),
            a.devices.len()
        );
    }
    if a.quarantine_from_store && a.site.is_empty() {
        bail!("--quarantine-from-store needs --site: the gateway quarantines only its own site's addresses");
    }
    let devices = a
        .muds
        .iter()
        .zip(&a.devices)
        .map(|(path, addr)| read_device(path, *addr))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let findings = if a.quarantine_from_store {
        store_findings(g, a.quarantine_max_age)?
    } else {
        Vec::new()
    };
    let quarantine = gateway::quarantine(&findings, &a.site, &a.quarantine);
    let resolved = if a.resolve {
        resolve(&gateway::dns_names(&devices))
    } else {
        BTreeMap::new()
    };
    let policy = Policy {
        name: a.name.clone(),
        site: a.site.clone(),
        quarantine: quarantine.nets.clone(),
        resolved,
        dns_timeout_secs: u64::try_from(a.dns_timeout.whole_seconds()).unwrap_or(1),
    };
    let to_stdout = a.out.as_os_str() == "-";
    let written = if to_stdout {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        gateway::write(&devices, &policy, &mut lock).context("writing to stdout")?
    } else {
        yamori_act::atomic::write_file(&a.out, |w| {
            gateway::write(&devices, &policy, w).map_err(std::io::Error::other)
        })
        .with_context(|| format!("writing {}", a.out.display()))?
    };
    let partial = a.resolve && !written.unresolved.is_empty();
    let summary = Summary {
        output: a.out.display().to_string(),
        written,
        quarantined: quarantine.reasons,
        findings_outside_site: quarantine.outside_site,
    };
    print_summary(g, &a, to_stdout, &summary)?;
    Ok(if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads at most one byte more than a MUD file may have, so a huge file is refused without
/// being read whole.
fn read_device(path: &Path, address: IpAddr) -> anyhow::Result<Device> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_MUD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > MAX_MUD_BYTES {
        bail!(
            "{}: more than {MAX_MUD_BYTES} bytes; a MUD file describes one device's few flows",
            path.display()
        );
    }
    let mud = mud::parse(&bytes).with_context(|| format!("MUD file {}", path.display()))?;
    Ok(Device {
        address,
        source: path.display().to_string(),
        mud,
    })
}

fn store_findings(
    g: &crate::GlobalArgs,
    max_age: Option<time::Duration>,
) -> anyhow::Result<Vec<Finding>> {
    let since = max_age.map_or(0, |age| (OffsetDateTime::now_utc() - age).unix_timestamp());
    let store = open_store(g)?;
    let evidence = store
        .quarantine_evidence(since)
        .context("reading quarantine evidence from the store")?;
    let mut findings = Vec::new();
    for e in evidence {
        match e.address.parse() {
            Ok(address) => findings.push(Finding {
                address,
                reason: e.reason.to_string(),
            }),
            Err(_) => {
                tracing::warn!(address = %e.address, "stored address is not an IP address; skipped")
            }
        }
    }
    Ok(findings)
}

/// Each name through the system resolver (getaddrinfo: /etc/hosts, then DNS as nsswitch.conf
/// says). A name that does not resolve gets no addresses; the summary lists it.
fn resolve(names: &BTreeSet<String>) -> BTreeMap<String, Vec<IpAddr>> {
    names
        .iter()
        .map(|name| {
            let addrs = match (name.as_str(), 0u16).to_socket_addrs() {
                Ok(found) => found.map(|s| s.ip()).collect(),
                Err(e) => {
                    tracing::warn!(%name, error = %e, "DNS name did not resolve");
                    Vec::new()
                }
            };
            (name.clone(), addrs)
        })
        .collect()
}

fn print_summary(
    g: &crate::GlobalArgs,
    a: &Args,
    to_stdout: bool,
    s: &Summary,
) -> anyhow::Result<()> {
    let text = if a.json {
        serde_json::to_string_pretty(s)? + "\n"
    } else {
        let w = &s.written;
        let mut t = format!(
            "gateway: {} device(s), {} MUD rule(s), {} DNS name(s), {} quarantine element(s)\n",
            w.devices, w.rules, w.dns_names, w.quarantine_elements
        );
        if a.resolve && !w.unresolved.is_empty() {
            t.push_str(&format!(
                "  unresolved (empty sets): {}\n",
                w.unresolved.join(", ")
            ));
        }
        for (addr, reasons) in &s.quarantined {
            let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
            t.push_str(&format!("  quarantined {addr}: {}\n", reasons.join(", ")));
        }
        if s.findings_outside_site > 0 {
            t.push_str(&format!(
                "  {} address(es) with findings are outside --site (not quarantined)\n",
                s.findings_outside_site
            ));
        }
        for DeviceWarning {
            device,
            source,
            path,
            message,
        } in &w.warnings
        {
            t.push_str(&format!(
                "  warning: {device} ({source}) {path}: {message}\n"
            ));
        }
        t
    };
    if a.json && !to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else if a.json || !g.quiet {
        std::io::stderr().lock().write_all(text.as_bytes())?;
    }
    Ok(())
}
