//! Grouping a survey result by owner into notices, and the view model the templates render.
//!
//! Every string that came from a device (banner, fingerprint captures, anything in
//! `Service::fields`) is attacker-controlled: here it is cut to [`MAX_SHOWN_CHARS`] and its
//! control characters replaced (so a plain-text notice cannot carry terminal escapes);
//! HTML escaping is the HTML templates' job (auto-escaping, see `render`).

use serde::Serialize;

use super::assign::assign;
pub use super::assign::FallbackOwner;
use super::owners::Owners;
use yamori_model::survey::{Protocol, Service, SurveyResult};
use yamori_model::vuln::Certainty;

/// Longest device-derived string shown in a notice.
pub const MAX_SHOWN_CHARS: usize = 160;

/// Banner lines shown per service (status line and the first headers, or a login screen).
pub const MAX_BANNER_LINES: usize = 3;

/// Control characters become `�`; the string is cut at [`MAX_SHOWN_CHARS`] with `…`.
pub fn shown(s: &str) -> String {
    shown_up_to(s, MAX_SHOWN_CHARS)
}

fn shown_up_to(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// One vulnerability as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VulnView {
    pub id: String,
    pub kev: bool,
    pub kev_date_added: String,
    pub kev_ransomware: bool,
    /// "9.8 CRITICAL" or empty.
    pub cvss: String,
    /// `affected` or `unknown`.
    pub certainty: String,
    pub summary: String,
    /// Which rule matched, for the technically minded reader.
    pub rule: String,
}

/// One service with something to report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FindingView {
    pub port: u16,
    pub transport: String,
    pub protocol: String,
    /// "Hikvision DS-2CD2026G2-IU/SL 5.5.0" or empty.
    pub device: String,
    /// First lines of what the service sent, joined by ` | `, cut and cleaned.
    pub banner: String,
    /// "root / xc****" or empty.
    pub weak_credential: String,
    pub vulnerabilities: Vec<VulnView>,
    /// Why the port itself is a risk (telnet, TR-069, ADB open to the Internet), or empty.
    pub exposed_service: bool,
    pub any_kev: bool,
    pub any_affected: bool,
    pub any_unknown: bool,
}

/// One address and its findings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HostView {
    pub address: String,
    pub findings: Vec<FindingView>,
}

/// One notice: an owner (or nobody: the unassigned report) and its hosts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notice {
    /// File stem: `NN-slug` for owners, `unassigned` for the rest.
    pub key: String,
    pub organisation: String,
    pub contact: String,
    pub prefix: String,
    pub unassigned: bool,
    #[serde(skip)]
    pub languages: Vec<super::Lang>,
    pub survey_started: String,
    pub survey_finished: String,
    pub hosts: Vec<HostView>,
    pub n_weak: usize,
    pub n_kev: usize,
    pub n_vulnerable: usize,
}

/// Ports that NOTICE and Mirai's history make a risk by themselves when open to the Internet.
fn exposed(s: &Service) -> bool {
    matches!(s.protocol, Protocol::Telnet | Protocol::Tr069)
        || matches!(s.port, 23 | 2323 | 5555 | 7547 | 37215 | 52869)
}

pub(crate) fn finding(s: &Service) -> Option<FindingView> {
    let exposed_service = exposed(s);
    if s.weak_credential.is_none() && s.vulnerabilities.is_empty() && !exposed_service {
        return None;
    }
    let device = s
        .device
        .as_ref()
        .map(|d| {
            let v = d.version.as_deref().unwrap_or("");
            shown(format!("{} {} {v}", d.vendor, d.product).trim())
        })
        .unwrap_or_default();
    let vulnerabilities: Vec<VulnView> = s
        .vulnerabilities
        .iter()
        .map(|m| VulnView {
            id: shown(&m.id),
            kev: m.kev.is_some(),
            kev_date_added: m
                .kev
                .as_ref()
                .map(|k| shown(&k.date_added))
                .unwrap_or_default(),
            kev_ransomware: m.kev.as_ref().is_some_and(|k| k.ransomware_use == "Known"),
            cvss: m
                .cvss
                .as_ref()
                .map(|c| format!("{} {}", c.score, shown(&c.severity)))
                .unwrap_or_default(),
            certainty: match m.certainty {
                Certainty::Affected => "affected".into(),
                Certainty::Unknown => "unknown".into(),
            },
            // Database text, already cut to MAX_SUMMARY_CHARS; cleaned all the same.
            summary: shown_up_to(&m.summary, yamori_model::vuln::MAX_SUMMARY_CHARS + 1),
            rule: shown(&format!("{} [{}]", m.rule.criteria, m.rule.range)),
        })
        .collect();
    Some(FindingView {
        port: s.port,
        transport: format!("{:?}", s.transport).to_lowercase(),
        protocol: format!("{:?}", s.protocol).to_lowercase(),
        device,
        banner: shown(
            s.banner
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim(),
        ),
        weak_credential: s
            .weak_credential
            .as_ref()
            .map(|w| shown(&format!("{} / {}", w.username, w.password_masked)))
            .unwrap_or_default(),
        any_kev: vulnerabilities.iter().any(|v| v.kev),
        any_affected: vulnerabilities.iter().any(|v| v.certainty == "affected"),
        any_unknown: vulnerabilities.iter().any(|v| v.certainty == "unknown"),
        vulnerabilities,
        exposed_service,
    })
}

/// One notice per owner with findings (in owners-file order), then the unassigned report if
/// any host has no owner. Hosts without findings are left out.
pub fn group(result: &SurveyResult, owners: &Owners) -> Vec<Notice> {
    group_with(result, owners, &|_| None)
}

/// Like [`group`], but hosts outside the owners file go to `fallback`'s owner when it knows
/// one (one notice per fallback key, after the owners file's notices, in key order); only
/// the rest are unassigned.
pub fn group_with(
    result: &SurveyResult,
    owners: &Owners,
    fallback: &dyn Fn(std::net::IpAddr) -> Option<FallbackOwner>,
) -> Vec<Notice> {
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let hosts = result.hosts.iter().filter_map(|h| {
        let findings: Vec<FindingView> = h.services.iter().filter_map(finding).collect();
        (!findings.is_empty()).then(|| {
            let view = HostView {
                address: h.address.to_string(),
                findings,
            };
            (h.address, view)
        })
    });
    assign(hosts, owners, fallback)
        .into_iter()
        .map(|(who, hosts)| {
            let all = || hosts.iter().flat_map(|h| &h.findings);
            Notice {
                key: who.key,
                organisation: who.organisation,
                contact: who.contact,
                prefix: who.scope,
                unassigned: who.unassigned,
                languages: who.languages,
                survey_started: fmt(result.started),
                survey_finished: fmt(result.finished),
                n_weak: all().filter(|f| !f.weak_credential.is_empty()).count(),
                n_kev: all().filter(|f| f.any_kev).count(),
                n_vulnerable: all().filter(|f| f.any_affected).count(),
                hosts,
            }
        })
        .collect()
}
