//! What the vulnerability matcher writes into each surveyed service: the matched
//! vulnerability, how sure the match is, the rule that matched, KEV and CVSS.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest description copied into a match ([`VulnMatch::summary`]); the full text stays in
/// the vulnerability database. The matcher cuts there and marks the cut with `…`; notices
/// show up to one character more (the mark).
pub const MAX_SUMMARY_CHARS: usize = 400;

/// A CVSS base score in tenths (0..=100), so records stay `Eq`; serialised as a number (8.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CvssScore(pub u8);

impl CvssScore {
    /// From a float score; `None` outside 0.0..=10.0 or not a number.
    pub fn from_f64(x: f64) -> Option<Self> {
        (0.0..=10.0)
            .contains(&x)
            .then(|| CvssScore((x * 10.0).round() as u8))
    }
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl Serialize for CvssScore {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for CvssScore {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        CvssScore::from_f64(x)
            .ok_or_else(|| serde::de::Error::custom(format!("CVSS score {x} outside 0..10")))
    }
}

impl std::fmt::Display for CvssScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The CVSS base metrics kept for a CVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cvss {
    /// "4.0", "3.1", "3.0" or "2.0".
    pub version: String,
    pub score: CvssScore,
    /// NONE, LOW, MEDIUM, HIGH, CRITICAL (as NVD writes it).
    pub severity: String,
    #[serde(default)]
    pub vector: String,
}

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
