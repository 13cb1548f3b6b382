//! What a match says: the vulnerability, how sure we are, and the rule that matched. This is
//! what `annotate` writes into each `model::Service::vulnerabilities`.

use serde::{Deserialize, Serialize};

use super::record::Cvss;

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    /// Every condition of the rule held, versions compared.
    Affected,
    /// Vendor and product match, but a version (or another attribute) could not be compared:
    /// the device may or may not be affected. Never promoted to `Affected` by guessing.
    Unknown,
}

/// The rule that matched: which CVE configuration, node and criteria, and which range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRule {
    /// Index into the CVE's `configurations` (NVD) or `affected` (OSV).
    pub configuration: usize,
    /// Index into that configuration's `nodes` (NVD) or `ranges` (OSV).
    pub node: usize,
    /// The CPE 2.3 criteria (NVD) or `ecosystem/package` (OSV).
    pub criteria: String,
    /// The version condition that held, e.g. `< 5.5.800`, `= 1.0`, `all versions`.
    pub range: String,
    /// The device identity (CPE) that satisfied it.
    pub device_cpe: String,
}

/// The KEV catalogue's say on a CVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevFlag {
    pub date_added: String,
    pub due_date: String,
    pub required_action: String,
    /// `Known` or `Unknown`.
    pub ransomware_use: String,
}

/// One vulnerability that applies (or may apply) to a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnMatch {
    /// CVE id, or OSV id for OSV-only records.
    pub id: String,
    /// `nvd` or `osv`.
    pub source: String,
    pub certainty: Certainty,
    /// For `unknown`: what could not be compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<String>,
    /// Set when CISA lists the CVE as known exploited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// The record's description, cut at [`MAX_SUMMARY_CHARS`].
    #[serde(default)]
    pub summary: String,
    /// The vulnerable-component rule that matched.
    pub rule: MatchRule,
    /// Platform conditions ANDed with it that also held (e.g. the hardware node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<MatchRule>,
}

/// Longest description copied into a match; the full text stays in the vulnerability database.
pub const MAX_SUMMARY_CHARS: usize = 400;

/// Cut `s` at [`MAX_SUMMARY_CHARS`] characters, marking the cut with `…`.
pub fn summarise(s: &str) -> String {
    match s.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The order notices and reports use: KEV first, then higher CVSS, then `affected` before
/// `unknown`, then id.
pub fn sort_matches(v: &mut [VulnMatch]) {
    v.sort_by(|a, b| {
        b.kev
            .is_some()
            .cmp(&a.kev.is_some())
            .then_with(|| {
                let s = |m: &VulnMatch| m.cvss.as_ref().map(|c| c.score);
                s(b).cmp(&s(a))
            })
            .then_with(|| a.certainty.cmp(&b.certainty))
            .then_with(|| a.id.cmp(&b.id))
    });
}
