//! Normalised vulnerability records: what the parsers produce, what the store keeps as JSON
//! (`record_json`) and what the matcher reads. Only the fields matching and notices need.

use serde::{Deserialize, Serialize};

pub use yamori_model::vuln::{Cvss, CvssScore};

/// How the children of a configuration or node combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    And,
    #[default]
    Or,
}

/// One NVD `cpeMatch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeMatch {
    /// false: a platform condition ("running on/with"), not the vulnerable component.
    pub vulnerable: bool,
    /// CPE 2.3 formatted string; validated at import.
    pub criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_excluding: Option<String>,
}

impl CpeMatch {
    pub fn range(&self) -> super::version::Range<'_> {
        super::version::Range {
            start_including: self.start_including.as_deref(),
            start_excluding: self.start_excluding.as_deref(),
            end_including: self.end_including.as_deref(),
            end_excluding: self.end_excluding.as_deref(),
        }
    }
}

/// One NVD configuration node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    #[serde(default)]
    pub operator: Operator,
    #[serde(default)]
    pub negate: bool,
    pub cpe_match: Vec<CpeMatch>,
}

/// One NVD configuration: nodes combined by `operator` (AND for "firmware on hardware").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    #[serde(default)]
    pub operator: Operator,
    #[serde(default)]
    pub negate: bool,
    pub nodes: Vec<Node>,
}

/// A CVE as imported from NVD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CveRecord {
    pub id: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// English description (first one if none is English).
    #[serde(default)]
    pub description: String,
    /// The score used for ordering: NVD's primary v3.1, else v4.0, v3.0, v2 (see `nvd`).
    #[serde(default)]
    pub cvss: Option<Cvss>,
    #[serde(default)]
    pub configurations: Vec<Configuration>,
}

impl CveRecord {
    /// (vendor, product) of every criteria, lower-case, deduplicated: the store's lookup index.
    pub fn products(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .configurations
            .iter()
            .flat_map(|c| &c.nodes)
            .flat_map(|n| &n.cpe_match)
            .filter_map(|m| super::cpe::Cpe::parse(&m.criteria).ok())
            .map(|c| (c.vendor.to_string(), c.product.to_string()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A CISA Known Exploited Vulnerabilities catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub short_description: String,
    pub required_action: String,
    pub due_date: String,
    /// `Known` or `Unknown`.
    pub ransomware_use: String,
}

/// One OSV `affected[].ranges[]` entry, events flattened in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvRange {
    /// SEMVER, ECOSYSTEM or GIT.
    pub kind: String,
    /// (event, version): `introduced`, `fixed`, `last_affected` or `limit`.
    pub events: Vec<(String, String)>,
}

/// One OSV `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvAffected {
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub ranges: Vec<OsvRange>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// An OSV 1.x record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvRecord {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub affected: Vec<OsvAffected>,
}
