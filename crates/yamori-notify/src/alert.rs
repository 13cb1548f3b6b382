//! Alerts to network operators: hosts seen attacking (scanning a darknet today; logging into a
//! decoy once it exists), the evidence against each, and one notice per operator.
//!
//! The evidence model is a list of [`Evidence`] per host, one entry per sensor observation,
//! tagged by sensor in the JSON (`"sensor": "telescope"` / `"decoy"`). The telescope's comes
//! from a stored analysis' scanners ([`TelescopeEvidence::from_source`]); [`DecoyEvidence`]
//! carries what a decoy records (credentials tried, download URLs) and renders already, so a
//! decoy only has to build it. Selection ([`select`]) leaves out benign research scanners
//! (warninglists) and hosts notified within the quiet period, counting each; grouping
//! ([`group_alerts`]) follows the owners file, then the fallback (AS) owner, like survey
//! notices. No I/O and no clock here: the caller hands in the lists, the record and the time.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use yamori_model::telescope::{SourceSummary, Tool};

use super::assign::{assign, FallbackOwner};
use super::owners::Owners;
use super::view::shown;
use super::Lang;

/// Schema identifier written into every alert notice's JSON.
pub const ALERT_SCHEMA: &str = "yamori.alert.notice/1";

/// Most credentials or URLs listed per decoy observation (a bot tries dozens of pairs; the
/// first ones show what it is).
pub const MAX_LISTED: usize = 10;

/// How a darknet scanner is classified, from its tool fingerprint and scan shape.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Mirai's SYN probes carry the destination address as sequence number: an infected
    /// device (Mirai and its many descendants).
    MiraiLike,
    /// ZMap's fixed IP id 54321 (before 4.1) or its 4.1+ probe layout: research scanning, or a
    /// misused or compromised server.
    Zmap,
    /// Masscan's probe cookie: the same.
    Masscan,
    /// A scanner without a known tool's fingerprint.
    Scanner,
}

/// One destination port and the packets sent to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PortPackets {
    pub port: u16,
    pub packets: u64,
}

/// What the darknet telescope saw of a host in one analysis.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TelescopeEvidence {
    /// The stored analysis' id.
    pub analysis: String,
    /// RFC 3339 UTC, to the second.
    pub first_seen: String,
    pub last_seen: String,
    pub packets: u64,
    /// Distinct darknet addresses probed.
    pub destinations: u64,
    /// Distinct destination ports probed, and the most probed ones (up to 5; none listed when
    /// the host probed more ports than the analysis keeps counts for).
    pub destination_ports: u64,
    pub top_ports: Vec<PortPackets>,
    /// `mirai`, `zmap`, `masscan` or `unknown`.
    pub tool: String,
    /// `horizontal` (one port, many addresses), `vertical` (many ports) or `block`; `None`
    /// for a source that never met the scanner rule (not among an analysis' scanners).
    pub scan: Option<String>,
    pub class: Class,
}

impl TelescopeEvidence {
    /// The evidence of one scanner of analysis `analysis`, and its address. The store holds
    /// what the analysis wrote; an address that does not parse is reported, not skipped.
    pub fn from_source(
        analysis: &str,
        s: &SourceSummary,
    ) -> Result<(IpAddr, TelescopeEvidence), AlertError> {
        let address: IpAddr = s.address.parse().map_err(|_| AlertError {
            analysis: analysis.to_string(),
            reason: format!(
                "source address {:?} is not an IP address",
                shown(&s.address)
            ),
        })?;
        let class = match s.tool {
            Tool::Mirai => Class::MiraiLike,
            Tool::Zmap => Class::Zmap,
            Tool::Masscan => Class::Masscan,
            Tool::Unknown => Class::Scanner,
        };
        let scan = s.scan.map(|k| format!("{k:?}").to_lowercase());
        Ok((
            address,
            TelescopeEvidence {
                analysis: analysis.to_string(),
                first_seen: shown(&s.first_seen),
                last_seen: shown(&s.last_seen),
                packets: s.packets,
                destinations: s.destinations,
                destination_ports: s.destination_ports,
                top_ports: s
                    .top_ports
                    .iter()
                    .map(|p| PortPackets {
                        port: p.port,
                        packets: p.packets,
                    })
                    .collect(),
                tool: s.tool.name().to_string(),
                scan,
                class,
            },
        ))
    }
}

/// What a decoy (a fake device) recorded of a host: its logins and what it tried to fetch.
/// Every string is the attacker's: cut and cleaned, URLs defanged (`hxxp://host[.]example/`)
/// so no reader's mail client makes them links.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecoyEvidence {
    pub first_seen: String,
    pub last_seen: String,
    pub sessions: u64,
    /// `user / password` pairs tried, in order, at most [`MAX_LISTED`].
    pub credentials_tried: Vec<String>,
    /// Download URLs it sent, defanged, at most [`MAX_LISTED`].
    pub download_urls: Vec<String>,
}

impl DecoyEvidence {
    pub fn new(
        first_seen: &str,
        last_seen: &str,
        sessions: u64,
        credentials: &[(&str, &str)],
        urls: &[&str],
    ) -> DecoyEvidence {
        DecoyEvidence {
            first_seen: shown(first_seen),
            last_seen: shown(last_seen),
            sessions,
            credentials_tried: credentials
                .iter()
                .take(MAX_LISTED)
                .map(|(u, p)| shown(&format!("{u} / {p}")))
                .collect(),
            download_urls: urls.iter().take(MAX_LISTED).map(|u| defang(u)).collect(),
        }
    }
}

/// `http://a.example/x` → `hxxp://a[.]example/x`: scheme and host changed, path kept.
fn defang(url: &str) -> String {
    let url = shown(url);
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.replace("http", "hxxp").replace("ftp", "fxp"), r),
        None => (String::new(), url.as_str()),
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = host.replace('.', "[.]");
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// One observation of a host, by sensor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "sensor", rename_all = "snake_case")]
pub enum Evidence {
    Telescope(TelescopeEvidence),
    Decoy(DecoyEvidence),
}

/// One host to report and everything seen of it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlertHost {
    pub address: String,
    #[serde(skip)]
    pub ip: IpAddr,
    /// Mirai-like probes, or logins to a decoy: most likely an infected device.
    pub likely_infected: bool,
    pub evidence: Vec<Evidence>,
}

impl AlertHost {
    pub fn new(ip: IpAddr, evidence: Vec<Evidence>) -> AlertHost {
        let likely_infected = evidence.iter().any(|e| match e {
            Evidence::Telescope(t) => t.class == Class::MiraiLike,
            Evidence::Decoy(d) => !d.credentials_tried.is_empty() || !d.download_urls.is_empty(),
        });
        AlertHost {
            address: ip.to_string(),
            ip,
            likely_infected,
            evidence,
        }
    }
}

/// One host per address: the evidence of hosts given more than once (the telescope and the
/// decoy saw the same host) is joined in the order given, at the first one's place.
pub fn merge_hosts(hosts: Vec<AlertHost>) -> Vec<AlertHost> {
    let mut out: Vec<AlertHost> = Vec::with_capacity(hosts.len());
    let mut at: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for h in hosts {
        match at.get(&h.ip) {
            Some(&i) => {
                let mut evidence = std::mem::take(&mut out[i].evidence);
                evidence.extend(h.evidence);
                out[i] = AlertHost::new(h.ip, evidence);
            }
            None => {
                at.insert(h.ip, out.len());
                out.push(h);
            }
        }
    }
    out
}

/// The hosts of one analysis' scanners, in the order given.
pub fn telescope_hosts(
    analysis: &str,
    scanners: &[SourceSummary],
) -> Result<Vec<AlertHost>, AlertError> {
    scanners
        .iter()
        .map(|s| {
            let (ip, e) = TelescopeEvidence::from_source(analysis, s)?;
            Ok(AlertHost::new(ip, vec![Evidence::Telescope(e)]))
        })
        .collect()
}

/// Stored evidence that cannot be reported (an analysis written by something else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("analysis {analysis}: {reason}")]
pub struct AlertError {
    pub analysis: String,
    pub reason: String,
}

/// The hosts to report, and those left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub hosts: Vec<AlertHost>,
    /// Hosts on a warninglist (benign research scanners), per list name.
    pub warninglisted: BTreeMap<String, usize>,
    /// Hosts notified within the quiet period.
    pub recently_notified: usize,
}

/// Leave out hosts that `benign` names a warninglist for (counted under the list's name),
/// then hosts `notified_recently` (counted); the rest are kept, in order.
pub fn select(
    hosts: Vec<AlertHost>,
    benign: &dyn Fn(IpAddr) -> Option<String>,
    notified_recently: &dyn Fn(IpAddr) -> bool,
) -> Selection {
    let mut out = Selection::default();
    for h in hosts {
        if let Some(list) = benign(h.ip) {
            *out.warninglisted.entry(list).or_default() += 1;
        } else if notified_recently(h.ip) {
            out.recently_notified += 1;
        } else {
            out.hosts.push(h);
        }
    }
    out
}

/// What every notice of one run says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertContext {
    /// RFC 3339 time the notices were written.
    pub generated_at: String,
    /// Seconds before the same host is reported again (0: every run reports it).
    pub quiet_period_secs: u64,
}

/// One alert notice: an operator (or nobody: the unassigned report) and its hosts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlertNotice {
    /// Always [`ALERT_SCHEMA`].
    pub schema: &'static str,
    /// File stem, as for survey notices.
    pub key: String,
    pub organisation: String,
    pub contact: String,
    /// The owners-file prefix or the AS (`AS64500`).
    pub scope: String,
    pub unassigned: bool,
    #[serde(skip)]
    pub languages: Vec<Lang>,
    pub generated_at: String,
    pub quiet_period_secs: u64,
    /// Earliest first-seen and latest last-seen of the hosts' evidence (RFC 3339 UTC).
    pub observed_from: String,
    pub observed_to: String,
    pub n_likely_infected: usize,
    pub hosts: Vec<AlertHost>,
}

fn seen_span(e: &Evidence) -> (&str, &str) {
    match e {
        Evidence::Telescope(t) => (&t.first_seen, &t.last_seen),
        Evidence::Decoy(d) => (&d.first_seen, &d.last_seen),
    }
}

/// One notice per operator: owners-file owners first (file order), then fallback owners (key
/// order), then the unassigned report.
pub fn group_alerts(
    hosts: Vec<AlertHost>,
    owners: &Owners,
    fallback: &dyn Fn(IpAddr) -> Option<FallbackOwner>,
    ctx: &AlertContext,
) -> Vec<AlertNotice> {
    assign(hosts.into_iter().map(|h| (h.ip, h)), owners, fallback)
        .into_iter()
        .map(|(who, hosts)| {
            // The times are the analysis' RFC 3339 UTC strings, one format: they sort as text.
            let spans = || hosts.iter().flat_map(|h| h.evidence.iter().map(seen_span));
            AlertNotice {
                schema: ALERT_SCHEMA,
                key: who.key,
                organisation: who.organisation,
                contact: who.contact,
                scope: who.scope,
                unassigned: who.unassigned,
                languages: who.languages,
                generated_at: ctx.generated_at.clone(),
                quiet_period_secs: ctx.quiet_period_secs,
                observed_from: spans().map(|s| s.0).min().unwrap_or_default().to_string(),
                observed_to: spans().map(|s| s.1).max().unwrap_or_default().to_string(),
                n_likely_infected: hosts.iter().filter(|h| h.likely_infected).count(),
                hosts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_seen_by_both_sensors_are_merged_and_likely_infected() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        let scan = |a: &str| {
            let mut t = TelescopeEvidence {
                analysis: "a".into(),
                first_seen: "2026-12-01T00:00:00Z".into(),
                last_seen: "2026-12-01T00:01:00Z".into(),
                packets: 10,
                destinations: 10,
                destination_ports: 1,
                top_ports: vec![],
                tool: "unknown".into(),
                scan: Some("horizontal".into()),
                class: Class::Scanner,
            };
            t.analysis = a.into();
            Evidence::Telescope(t)
        };
        let login = Evidence::Decoy(DecoyEvidence::new(
            "2026-12-01T00:02:00Z",
            "2026-12-01T00:03:00Z",
            1,
            &[("root", "xc3511")],
            &[],
        ));
        let merged = merge_hosts(vec![
            AlertHost::new(ip("192.0.2.1"), vec![scan("a")]),
            AlertHost::new(ip("192.0.2.2"), vec![scan("a")]),
            AlertHost::new(ip("192.0.2.1"), vec![login.clone()]),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].address, "192.0.2.1");
        assert_eq!(merged[0].evidence, vec![scan("a"), login]);
        // An unknown scanner alone is not likely infected; its decoy logins make it so.
        assert!(merged[0].likely_infected);
        assert!(!merged[1].likely_infected);
    }

    #[test]
    fn urls_are_defanged_in_scheme_and_host_only() {
        assert_eq!(
            defang("http://198.51.100.7:8080/bins/x86.sh"),
            "hxxp://198[.]51[.]100[.]7:8080/bins/x86.sh"
        );
        assert_eq!(defang("tftp://a.example/m"), "tfxp://a[.]example/m");
        assert_eq!(defang("a.example/x.sh"), "a[.]example/x.sh");
        assert_eq!(defang("http://x\u{1b}[2J"), "hxxp://x\u{FFFD}[2J");
    }
}
