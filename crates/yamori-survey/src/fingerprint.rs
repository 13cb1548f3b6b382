//! Data-driven device fingerprints (`data/fingerprints.toml`): a regex over one service field
//! names vendor, product, version, device type and a CPE 2.3 string.

use regex::Regex;
use serde::Deserialize;

use crate::model::{DeviceId, Service};

/// The built-in rules, compiled in.
pub const BUILTIN: &str = include_str!("../data/fingerprints.toml");
/// Longest field value a pattern runs over (the regex crate is linear-time; this bounds the
/// constant).
pub const MAX_MATCH_INPUT: usize = 4096;

/// One rule as written in the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    /// Service field the pattern runs over (`banner` or a key of `Service::fields`).
    pub field: String,
    pub pattern: String,
    pub vendor: String,
    pub product: String,
    pub device_type: String,
    /// CPE 2.3 template with `{version}` / `{product}` placeholders.
    #[serde(default)]
    pub cpe: Option<String>,
    /// A value the rule must match (checked by tests).
    pub example: String,
    #[serde(default)]
    pub expect_version: Option<String>,
    #[serde(default)]
    pub expect_product: Option<String>,
    /// Capture group number holding the version (imported recog rules; TOML rules use a
    /// named `version` group).
    #[serde(default)]
    pub version_group: Option<usize>,
    /// Capture group number holding the product.
    #[serde(default)]
    pub product_group: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    regex: Regex,
}

/// Why a rules file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    #[error("fingerprint rules: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("fingerprint rule {id}: bad pattern: {source}")]
    Pattern { id: String, source: regex::Error },
    #[error("fingerprint rule id {0} is used twice")]
    DuplicateId(String),
}

/// An ordered rule set; the first matching rule wins.
#[derive(Debug, Clone)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

fn cpe_part(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .filter(|c| !matches!(c, ':' | '*' | '?'))
        .collect()
}

impl Rule {
    /// Matches one value; returns the device it names.
    pub fn apply(&self, value: &str) -> Option<DeviceId> {
        let value = &value[..floor_char_boundary(value, MAX_MATCH_INPUT)];
        let caps = self.regex.captures(value)?;
        let version = caps
            .name("version")
            .or_else(|| self.spec.version_group.and_then(|g| caps.get(g)))
            .map(|m| m.as_str().to_string());
        let product = caps
            .name("product")
            .or_else(|| self.spec.product_group.and_then(|g| caps.get(g)))
            .map(|m| m.as_str().to_string())
            .unwrap_or_else(|| self.spec.product.clone());
        let cpe = self.spec.cpe.as_ref().map(|t| {
            t.replace(
                "{version}",
                &version
                    .as_deref()
                    .map(cpe_part)
                    .unwrap_or_else(|| "*".into()),
            )
            .replace("{product}", &cpe_part(&product))
        });
        Some(DeviceId {
            vendor: self.spec.vendor.clone(),
            product,
            version,
            device_type: self.spec.device_type.clone(),
            cpe,
            rule_id: self.spec.id.clone(),
        })
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

impl Rules {
    /// Parses and compiles a rules file.
    pub fn parse(text: &str) -> Result<Rules, RuleError> {
        let file: RuleFile = toml::from_str(text)?;
        Rules::from_specs(file.rule)
    }

    /// Compiles rule specs (from TOML or [`crate::recog::import`]).
    pub fn from_specs(specs: Vec<RuleSpec>) -> Result<Rules, RuleError> {
        let mut rules: Vec<Rule> = Vec::with_capacity(specs.len());
        for spec in specs {
            if rules.iter().any(|r| r.spec.id == spec.id) {
                return Err(RuleError::DuplicateId(spec.id));
            }
            let regex = Regex::new(&spec.pattern).map_err(|source| RuleError::Pattern {
                id: spec.id.clone(),
                source,
            })?;
            rules.push(Rule { spec, regex });
        }
        Ok(Rules { rules })
    }

    /// The built-in rules.
    pub fn builtin() -> Result<Rules, RuleError> {
        Rules::parse(BUILTIN)
    }

    /// The first rule matching any field of `service`.
    pub fn identify(&self, service: &Service) -> Option<DeviceId> {
        self.rules.iter().find_map(|r| {
            let value = if r.spec.field == "banner" {
                Some(service.banner.as_str())
            } else {
                service.fields.get(&r.spec.field).map(String::as_str)
            };
            value.and_then(|v| r.apply(v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Protocol, Transport};

    #[test]
    fn every_rule_matches_its_own_example() {
        let rules = Rules::builtin().expect("built-in rules load");
        assert!(rules.rules.len() >= 50, "only {} rules", rules.rules.len());
        for r in &rules.rules {
            let d = r
                .apply(&r.spec.example)
                .unwrap_or_else(|| panic!("rule {} does not match its example", r.spec.id));
            assert_eq!(d.rule_id, r.spec.id);
            assert_eq!(d.vendor, r.spec.vendor);
            assert_eq!(d.device_type, r.spec.device_type);
            assert_eq!(d.version, r.spec.expect_version, "rule {}", r.spec.id);
            let product = r
                .spec
                .expect_product
                .clone()
                .unwrap_or_else(|| r.spec.product.clone());
            assert_eq!(d.product, product, "rule {}", r.spec.id);
            if let Some(cpe) = &d.cpe {
                assert!(cpe.starts_with("cpe:2.3:"), "rule {}: {cpe}", r.spec.id);
                assert_eq!(cpe.split(':').count(), 13, "rule {}: {cpe}", r.spec.id);
                assert!(!cpe.contains('{'), "rule {}: {cpe}", r.spec.id);
            }
        }
    }

    #[test]
    fn identify_uses_the_named_field_and_fills_cpe() {
        let rules = Rules::builtin().expect("built-in rules load");
        let mut s = Service::new(21, Transport::Tcp, Protocol::Ftp);
        s.banner = "220 MikroTik FTP server (MikroTik 6.42.1) ready\r\n".into();
        let d = rules.identify(&s).expect("mikrotik");
        assert_eq!(
            d.cpe.as_deref(),
            Some("cpe:2.3:o:mikrotik:routeros:6.42.1:*:*:*:*:*:*:*")
        );
        let mut s = Service::new(80, Transport::Tcp, Protocol::Http);
        s.fields.insert("title".into(), "Hikvision-Webs".into());
        assert!(
            rules.identify(&s).is_none(),
            "server rule must not fire on title"
        );
        s.fields.insert("server".into(), "Hikvision-Webs".into());
        assert_eq!(
            rules.identify(&s).map(|d| d.rule_id),
            Some("hikvision-webs".into())
        );
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(matches!(Rules::parse("rule = 3"), Err(RuleError::Toml(_))));
        let bad = "[[rule]]\nid='a'\nfield='server'\npattern='('\nvendor='v'\nproduct='p'\ndevice_type='x'\nexample='e'\n";
        assert!(matches!(Rules::parse(bad), Err(RuleError::Pattern { .. })));
    }
}
