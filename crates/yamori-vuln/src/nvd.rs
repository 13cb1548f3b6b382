//! One NVD CVE API 2.0 item (`vulnerabilities[i]`, `{"cve": {...}}`) → [`CveRecord`].
//! The 2.0 feed files have the same item shape.
//!
//! Field names follow the NVD CVE API 2.0 schema (`cve_api_json_2.0.schema`): `id`,
//! `descriptions[{lang,value}]`, `metrics.cvssMetricV40/V31/V30/V2[{type, cvssData}]`,
//! `configurations[{operator, negate, nodes[{operator, negate, cpeMatch[...]}]}]`.

use serde::Deserialize;
use serde_json::Value;

use super::cpe::Cpe;
use super::record::{Configuration, CpeMatch, CveRecord, Cvss, CvssScore, Node, Operator};
use super::ItemError;

#[derive(Deserialize)]
struct Item {
    cve: RawCve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangString>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    configurations: Vec<RawConfiguration>,
}

#[derive(Deserialize)]
struct LangString {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<Metric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<Metric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<Metric>,
    #[serde(default, rename = "cvssMetricV2")]
    v2: Vec<Metric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(rename = "type")]
    kind: Option<String>,
    cvss_data: CvssData,
    /// v2 keeps the severity outside `cvssData`.
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    version: String,
    vector_string: Option<String>,
    base_score: f64,
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct RawConfiguration {
    operator: Option<Operator>,
    #[serde(default)]
    negate: bool,
    nodes: Vec<RawNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    operator: Operator,
    #[serde(default)]
    negate: bool,
    cpe_match: Vec<RawCpeMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCpeMatch {
    vulnerable: bool,
    criteria: String,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
}

/// What one NVD item turned into.
#[derive(Debug)]
pub enum NvdItem {
    Record(CveRecord),
    /// NVD keeps rejected CVE ids with no configurations; nothing to import.
    Rejected(String),
}

/// Convert one `vulnerabilities[]` item. `index` names it in errors.
pub fn parse_item(index: usize, v: Value) -> Result<NvdItem, ItemError> {
    let id_hint = v
        .pointer("/cve/id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let err = |reason: String| ItemError {
        index,
        id: id_hint.clone(),
        reason,
    };
    let item: Item = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
    let c = item.cve;
    if !c.id.starts_with("CVE-") {
        return Err(err(format!("id {:?} is not a CVE id", c.id)));
    }
    if c.vuln_status.as_deref() == Some("Rejected") {
        return Ok(NvdItem::Rejected(c.id));
    }
    let description = c
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .or(c.descriptions.first())
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let cvss = best_cvss(&c.metrics);
    let mut configurations = Vec::with_capacity(c.configurations.len());
    for (ci, rc) in c.configurations.into_iter().enumerate() {
        let mut nodes = Vec::with_capacity(rc.nodes.len());
        for (ni, rn) in rc.nodes.into_iter().enumerate() {
            let mut cpe_match = Vec::with_capacity(rn.cpe_match.len());
            for (mi, m) in rn.cpe_match.into_iter().enumerate() {
                if let Err(e) = Cpe::parse(&m.criteria) {
                    return Err(err(format!(
                        "configuration {ci} node {ni} cpeMatch {mi}: criteria {:?}: {e}",
                        m.criteria
                    )));
                }
                cpe_match.push(CpeMatch {
                    vulnerable: m.vulnerable,
                    criteria: m.criteria,
                    start_including: m.version_start_including,
                    start_excluding: m.version_start_excluding,
                    end_including: m.version_end_including,
                    end_excluding: m.version_end_excluding,
                });
            }
            nodes.push(Node {
                operator: rn.operator,
                negate: rn.negate,
                cpe_match,
            });
        }
        configurations.push(Configuration {
            operator: rc.operator.unwrap_or_default(),
            negate: rc.negate,
            nodes,
        });
    }
    Ok(NvdItem::Record(CveRecord {
        id: c.id,
        published: c.published,
        last_modified: c.last_modified,
        description,
        cvss,
        configurations,
    }))
}

/// NVD's own ("Primary") score first; by version v3.1, v4.0, v3.0, v2 so most CVEs are
/// ordered on the same scale (v3.1 is the version NVD has scored the longest).
fn best_cvss(m: &Metrics) -> Option<Cvss> {
    let by_version = [&m.v31, &m.v40, &m.v30, &m.v2];
    for primary_only in [true, false] {
        for list in by_version {
            let found = list
                .iter()
                .filter(|x| !primary_only || x.kind.as_deref() == Some("Primary"))
                .find_map(|x| {
                    Some(Cvss {
                        version: x.cvss_data.version.clone(),
                        score: CvssScore::from_f64(x.cvss_data.base_score)?,
                        severity: x
                            .cvss_data
                            .base_severity
                            .clone()
                            .or_else(|| x.base_severity.clone())
                            .unwrap_or_default(),
                        vector: x.cvss_data.vector_string.clone().unwrap_or_default(),
                    })
                });
            if found.is_some() {
                return found;
            }
        }
    }
    None
}
