//! Ingest validation of one STIX 2.1 object. This is the single switch point to the full
//! validator of `yamori-intel` (`yamori_intel::validate::validate_object`); until that is
//! wired in, it checks what the store relies on: a STIX 2.1 object with a well-formed
//! `type`, an `id` of that type with a UUID, `spec_version` 2.1, and timestamps that parse.

use serde_json::Value;
use yamori_store::taxii::parse_timestamp;

/// One problem with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue(pub String);

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// STIX 2.1 cyber-observable types (§6): they may omit `spec_version`, `created`, `modified`.
const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

fn valid_type(t: &str) -> bool {
    (3..=250).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-')
        && !t.contains("--")
}

pub fn validate_object(obj: &Value) -> Result<(), Vec<Issue>> {
    let mut issues = Vec::new();
    let Some(map) = obj.as_object() else {
        return Err(vec![Issue("not a JSON object".into())]);
    };
    let s = |k: &str| map.get(k).and_then(Value::as_str);
    let kind = s("type").unwrap_or("");
    if !valid_type(kind) {
        issues.push(Issue(format!("type {kind:?} is missing or malformed")));
    }
    match s("id").and_then(|id| id.split_once("--")) {
        Some((t, u)) if t == kind && uuid::Uuid::parse_str(u).is_ok() && u.len() == 36 => {}
        _ => issues.push(Issue("id must be \"<type>--<UUID>\" matching type".into())),
    }
    let sco = SCO_TYPES.contains(&kind);
    match s("spec_version") {
        Some("2.1") => {}
        None if sco => {}
        Some(v) => issues.push(Issue(format!("spec_version {v:?} is not 2.1"))),
        None => issues.push(Issue("spec_version is required".into())),
    }
    for k in ["created", "modified"] {
        match map.get(k) {
            Some(Value::String(t)) if parse_timestamp(t).is_some() => {}
            Some(_) => issues.push(Issue(format!("{k} is not a timestamp"))),
            None if !sco && (k == "created" || kind != "marking-definition") => {
                issues.push(Issue(format!("{k} is required")))
            }
            None => {}
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}
