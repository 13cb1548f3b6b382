//! One CISA KEV catalogue entry (`vulnerabilities[i]` of `known_exploited_vulnerabilities.json`)
//! → [`KevEntry`]. Field names from CISA's KEV JSON schema: `cveID`, `vendorProject`,
//! `product`, `vulnerabilityName`, `dateAdded`, `shortDescription`, `requiredAction`,
//! `dueDate`, `knownRansomwareCampaignUse`.

use serde::Deserialize;
use serde_json::Value;

use super::record::KevEntry;
use super::ItemError;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKev {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    required_action: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Convert one catalogue entry. `index` names it in errors.
pub fn parse_item(index: usize, v: Value) -> Result<KevEntry, ItemError> {
    let id = v.get("cveID").and_then(Value::as_str).map(str::to_string);
    let err = |reason: String| ItemError {
        index,
        id: id.clone(),
        reason,
    };
    let k: RawKev = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
    if !k.cve_id.starts_with("CVE-") {
        return Err(err(format!("cveID {:?} is not a CVE id", k.cve_id)));
    }
    Ok(KevEntry {
        cve_id: k.cve_id,
        vendor_project: k.vendor_project,
        product: k.product,
        name: k.vulnerability_name,
        date_added: k.date_added,
        short_description: k.short_description,
        required_action: k.required_action,
        due_date: k.due_date,
        ransomware_use: k
            .known_ransomware_campaign_use
            .unwrap_or_else(|| "Unknown".to_string()),
    })
}
