//! The report of `yamori check`, the self-check of one's own network: every device found,
//! what is wrong with it and what to do, in plain language (Japanese or English), as text
//! for the terminal and HTML to keep.
//!
//! The findings are the owner notices' ([`super::view`]): a guessable password, a known
//! vulnerability, a service that botnets hunt for. The self-check adds what only matters
//! inside one's own network: an FTP server open to anonymous logins.

use minijinja::{context, Environment, UndefinedBehavior};
use serde::Serialize;
use yamori_model::survey::SurveyResult;

use super::render::{Format, RenderError};
use super::view::{finding, shown, FindingView};
use super::Lang;

const HTML: &str = include_str!("templates/check.html");
const TEXT: &str = include_str!("templates/check.txt");

/// One device (address) of the checked networks.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceView {
    pub address: String,
    /// "23/tcp telnet, 80/tcp http".
    pub services: String,
    /// What the fingerprints say the device is, or empty.
    pub device: String,
    pub findings: Vec<FindingView>,
    /// Ports of FTP servers that let anyone log in as `anonymous`.
    pub anonymous_ftp: Vec<u16>,
}

impl DeviceView {
    fn has_problem(&self) -> bool {
        !self.findings.is_empty() || !self.anonymous_ftp.is_empty()
    }
}

/// What `yamori check` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    pub started: String,
    pub finished: String,
    /// The networks checked, e.g. "192.168.1.0/24 (eth0)".
    pub networks: Vec<String>,
    pub addresses: u64,
    /// Devices with something to fix first, then the others; each in address order.
    pub devices: Vec<DeviceView>,
    pub n_problem: usize,
    pub n_weak: usize,
    pub n_kev: usize,
}

/// Builds the report of a survey of `networks`.
pub fn check_report(result: &SurveyResult, networks: &[String]) -> CheckReport {
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut devices: Vec<DeviceView> = result
        .hosts
        .iter()
        .map(|h| DeviceView {
            address: h.address.to_string(),
            services: h
                .services
                .iter()
                .map(|s| {
                    format!(
                        "{}/{} {}",
                        s.port,
                        format!("{:?}", s.transport).to_lowercase(),
                        format!("{:?}", s.protocol).to_lowercase()
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            device: h
                .services
                .iter()
                .find_map(|s| s.device.as_ref())
                .map(|d| shown(format!("{} {}", d.vendor, d.product).trim()))
                .unwrap_or_default(),
            findings: h.services.iter().filter_map(finding).collect(),
            anonymous_ftp: h
                .services
                .iter()
                .filter(|s| s.fields.get("ftp_anonymous").is_some_and(|v| v == "true"))
                .map(|s| s.port)
                .collect(),
        })
        .collect();
    // Stable: address order within each group.
    devices.sort_by_key(|d| !d.has_problem());
    let all = || devices.iter().flat_map(|d| &d.findings);
    CheckReport {
        started: fmt(result.started),
        finished: fmt(result.finished),
        networks: networks.to_vec(),
        addresses: result.targets,
        n_problem: devices.iter().filter(|d| d.has_problem()).count(),
        n_weak: all().filter(|f| !f.weak_credential.is_empty()).count(),
        n_kev: all().filter(|f| f.any_kev).count(),
        devices,
    }
}

/// The report as text or HTML in `lang`, or as JSON (the same in every language).
pub fn render_check(
    report: &CheckReport,
    lang: Lang,
    format: Format,
) -> Result<String, RenderError> {
    let (name, source) = match format {
        Format::Html => ("check.html", HTML),
        Format::Text => ("check.txt", TEXT),
        Format::Json => {
            return serde_json::to_string_pretty(report)
                .map(|j| j + "\n")
                .map_err(|e| RenderError {
                    template: "check.json",
                    notice: "check".into(),
                    source: Box::new(e),
                })
        }
    };
    let err = |source: minijinja::Error| RenderError {
        template: name,
        notice: "check".into(),
        source: Box::new(source),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
    env.set_keep_trailing_newline(true);
    env.add_template(name, source).map_err(err)?;
    env.get_template(name)
        .and_then(|t| t.render(context! { r => report, lang => lang.code() }))
        .map_err(err)
}

/// The language of a locale name (`LC_ALL`, `LC_MESSAGES` or `LANG`, first set wins):
/// Japanese for `ja…`, English otherwise.
pub fn lang_of_locale(locale: Option<&str>) -> Lang {
    match locale {
        Some(l) if l.to_ascii_lowercase().starts_with("ja") => Lang::Ja,
        _ => Lang::En,
    }
}
