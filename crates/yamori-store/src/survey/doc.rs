//! The few fields of a survey result the index needs.
//!
//! Why local structs rather than `yamori_model::survey::SurveyResult`: the document is kept as
//! given anyway; these structs read only what is indexed and ignore every other field, so a
//! result is indexed even when fields it does not need are missing or were added later (the
//! schema's compatibility rule), and a damaged evidence list does not stop storing.

use std::net::IpAddr;

use serde::Deserialize;

use crate::{Result, StoreError};

/// The schema id this index understands.
pub use yamori_model::survey::SCHEMA_ID;

#[derive(Debug, Deserialize)]
pub struct SurveyDoc {
    pub schema: String,
    pub started: String,
    pub finished: String,
    pub targets: u64,
    pub hosts: Vec<HostDoc>,
}

#[derive(Debug, Deserialize)]
pub struct HostDoc {
    pub address: String,
    pub services: Vec<ServiceDoc>,
}

#[derive(Debug, Deserialize)]
pub struct ServiceDoc {
    pub port: u16,
    pub transport: String,
    pub protocol: String,
    #[serde(default)]
    pub device: Option<DeviceDoc>,
    /// Only its presence matters here (the credential itself is masked in the document).
    #[serde(default)]
    pub weak_credential: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub vulnerabilities: Vec<VulnDoc>,
}

#[derive(Debug, Deserialize)]
pub struct DeviceDoc {
    pub vendor: String,
    pub product: String,
    #[serde(default)]
    pub version: Option<String>,
    pub device_type: String,
}

#[derive(Debug, Deserialize)]
pub struct VulnDoc {
    pub id: String,
    /// The KEV record; present means "listed by CISA".
    #[serde(default)]
    pub kev: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub cvss: Option<CvssDoc>,
}

#[derive(Debug, Deserialize)]
pub struct CvssDoc {
    pub score: f64,
}

/// Parses a survey result, naming what is wrong when it is not one this store can index.
pub fn parse_survey(json: &str) -> Result<SurveyDoc> {
    let doc: SurveyDoc = serde_json::from_str(json)
        .map_err(|e| StoreError::Other(format!("not a survey result: {e}")))?;
    if doc.schema != SCHEMA_ID {
        return Err(StoreError::Other(format!(
            "survey result field schema: {:?}, expected {SCHEMA_ID:?}",
            doc.schema
        )));
    }
    for (i, h) in doc.hosts.iter().enumerate() {
        address_key(&h.address, &format!("hosts[{i}].address"))?;
    }
    Ok(doc)
}

/// A sortable key for an address: the 16 bytes of its IPv6 form (IPv4 mapped) in hex, so
/// `10.0.0.9` sorts before `10.0.0.10` and every IPv4 address before native IPv6.
pub fn address_key(text: &str, field: &str) -> Result<String> {
    let ip: IpAddr = text.parse().map_err(|_| {
        StoreError::Other(format!(
            "survey result field {field}: {text:?} is not an IP address"
        ))
    })?;
    let v6 = match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    };
    Ok(hex::encode(v6.octets()))
}

/// Unix seconds of an RFC 3339 field.
pub fn unix_seconds(text: &str, field: &str) -> Result<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| StoreError::Other(format!("survey result field {field}: {text:?}: {e}")))
}
