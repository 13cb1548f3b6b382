//! The STIX 2.1 objects Yamori generates, as plain serde structs (field order = output order).
//! Only what we produce is modelled; what we ingest is validated as JSON (see `validate`).

use serde::Serialize;
use serde_json::Value;

/// Properties every SDO/SRO we generate carries (spec §3.2).
#[derive(Debug, Clone, Serialize)]
pub struct Common {
    #[serde(rename = "type")]
    pub object_type: &'static str,
    pub spec_version: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<String>,
    pub created: String,
    pub modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub identity_class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub description: String,
    pub indicator_types: Vec<&'static str>,
    pub pattern: String,
    pub pattern_type: &'static str,
    pub pattern_version: &'static str,
    pub valid_from: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Malware {
    #[serde(flatten)]
    pub common: Common,
    pub name: &'static str,
    pub description: &'static str,
    pub malware_types: Vec<&'static str>,
    pub is_family: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    #[serde(flatten)]
    pub common: Common,
    pub name: &'static str,
    pub description: &'static str,
    pub tool_types: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    #[serde(flatten)]
    pub common: Common,
    pub relationship_type: &'static str,
    pub source_ref: String,
    pub target_ref: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    #[serde(flatten)]
    pub common: Common,
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
    pub sighting_of_ref: String,
    /// STIX lists are never empty: left out when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observed_data_refs: Vec<String>,
    pub where_sighted_refs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservedData {
    #[serde(flatten)]
    pub common: Common,
    pub first_observed: String,
    pub last_observed: String,
    pub number_observed: u64,
    pub object_refs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    #[serde(flatten)]
    pub common: Common,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub content: String,
    pub object_refs: Vec<String>,
}

/// `ipv4-addr` / `ipv6-addr` SCO (spec §6.8, §6.9).
#[derive(Debug, Clone, Serialize)]
pub struct IpAddr {
    #[serde(rename = "type")]
    pub object_type: &'static str,
    pub spec_version: &'static str,
    pub id: String,
    pub value: String,
}

/// The `ipv4-addr` / `ipv6-addr` SCO of `ip` (deterministic OASIS id), marked with
/// `markings` when there are any: `(id, type, value, object)`.
pub fn ip_sco(ip: std::net::IpAddr, markings: &[String]) -> (String, &'static str, String, Value) {
    let object_type = if ip.is_ipv4() {
        "ipv4-addr"
    } else {
        "ipv6-addr"
    };
    let value = ip.to_string();
    let id = crate::ids::value_sco_id(object_type, &value).unwrap_or_default();
    let mut sco = to_value(&IpAddr {
        object_type,
        spec_version: "2.1",
        id: id.clone(),
        value: value.clone(),
    });
    if let (Value::Object(map), false) = (&mut sco, markings.is_empty()) {
        map.insert("object_marking_refs".into(), markings.to_vec().into());
    }
    (id, object_type, value, sco)
}

/// A STIX bundle (spec §8). Objects are JSON values so generated and received objects mix.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Bundle {
    #[serde(rename = "type")]
    pub object_type: String,
    pub id: String,
    pub objects: Vec<Value>,
}

/// Serialises a generated object; our structs hold only strings, integers and booleans, so
/// this cannot fail (a map key that is not a string is the only way serde_json fails).
pub(crate) fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// `infrastructure` SDO (spec §4.8).
#[derive(Debug, Clone, Serialize)]
pub struct Infrastructure {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub description: String,
    pub infrastructure_types: Vec<&'static str>,
    pub first_seen: String,
    pub last_seen: String,
}

/// One `external_references` entry (spec §2.5). No `url`: the spec asks for a hash of what
/// a URL points to (stix2-validator best practice 302), and the id alone names the record.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalReference {
    pub source_name: &'static str,
    pub external_id: String,
}

/// `vulnerability` SDO (spec §4.18).
#[derive(Debug, Clone, Serialize)]
pub struct Vulnerability {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub external_references: Vec<ExternalReference>,
}

/// `software` SCO (spec §6.14); its id derives from name, cpe, vendor and version.
#[derive(Debug, Clone, Serialize)]
pub struct Software {
    #[serde(rename = "type")]
    pub object_type: &'static str,
    pub spec_version: &'static str,
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    pub vendor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<String>,
}
