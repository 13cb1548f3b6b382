//! Telescope report → STIX 2.1 bundle.
//!
//! What is generated, per scanner source (every entry of `Report::scanners`):
//! * an `ipv4-addr` / `ipv6-addr` SCO (deterministic OASIS id);
//! * an `observed-data` over the source's window (`number_observed` = packets, capped);
//! * an `indicator` with pattern `[ipv4-addr:value = '…']`, `valid_from` = first seen,
//!   `valid_until` = last seen + [`INDICATOR_VALIDITY`], `confidence` per [`confidence`],
//!   `indicator_types` `malicious-activity` for Mirai bots (GreyNoise classes Mirai as always
//!   malicious), `anomalous-activity` otherwise (research scanners are not malicious per se);
//! * a `sighting` of the indicator where the sensor's organisation saw it, with the packet
//!   count and window, pointing at the observed-data;
//! * for fingerprinted tools, a `relationship` indicator —indicates→ `malware` (Mirai, a family)
//!   or `tool` (ZMap, masscan).
//!
//! Per DDoS attack (backscatter), no indicator: the victim's address is not an indicator of
//! compromise and a consumer blocking it would add to the harm. Instead an `observed-data`
//! over the attack window referencing the victim's SCO, and a `note` on both carrying the
//! figures (packets, peak and mean rate, ports, backscatter kinds) in words, since STIX has no
//! property for them and custom properties would need an extension definition.
//!
//! Determinism: ids derive from the organisation and a hash of the whole report
//! ([`crate::ids::generated_id`]); `created`/`modified` of analysis objects are the report's
//! last packet time; the identity, malware and tool objects, which do not depend on one
//! analysis, carry the fixed [`STATIC_OBJECTS_CREATED`]. Same report + same organisation =
//! same bytes. Each analysis yields its own objects (never new versions of another
//! analysis' objects, whose `created` would have to stay fixed).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yamori_model::telescope::{Attack, Report, SourceSummary, Tool};

use crate::ids::{generated_id, YAMORI_NAMESPACE};
use crate::markings::Tlp2;
use crate::model::{self, Bundle, Common};
use crate::producer::Producer;
use crate::timestamp::{format_millis, parse_rfc3339};

/// How long a scanner/bot indicator stays valid after the source was last seen. Seven days:
/// IoT bots sit on dynamic residential addresses that change hands within days, and scanners
/// that stop are not worth blocking for weeks (OpenCTI's IP default, 60 days, suits curated
/// indicators rather than automatic ones).
pub const INDICATOR_VALIDITY: Duration = Duration::days(7);
/// Confidence (spec Appendix A, "High") for a source whose tool fingerprint matched on enough
/// of its probes to pass the analyzer's per-source rule.
pub const CONFIDENCE_FINGERPRINTED: u8 = 85;
/// Confidence ("Medium") for a source that only met the scanner threshold.
pub const CONFIDENCE_THRESHOLD_ONLY: u8 = 50;
/// Largest `count` / `number_observed` STIX allows.
pub const STIX_COUNT_MAX: u64 = 999_999_999;
/// `created`/`modified` of objects that describe no single analysis (identity, malware, tool).
pub const STATIC_OBJECTS_CREATED: &str = "2024-01-01T00:00:00.000Z";

/// The organisation that runs the sensor (becomes an `identity`, the `created_by_ref` of
/// everything generated and the place of every sighting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgIdentity {
    pub name: String,
    pub contact_information: Option<String>,
}

impl OrgIdentity {
    /// What every generated id of this organisation derives from (telescope and survey
    /// bundles alike), so the same organisation gets the same identity object.
    pub(crate) fn key(&self) -> String {
        format!(
            "{}\n{}",
            self.name,
            self.contact_information.as_deref().unwrap_or("")
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// TLP 2.0 marking for every generated object; its marking-definition is added to the bundle.
    pub marking: Option<Tlp2>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertError {
    #[error("organisation name is empty")]
    EmptyOrganisation,
    #[error("{field}: {value:?} is not an RFC 3339 time")]
    BadTime { field: String, value: String },
    #[error("{field}: {value:?} is not an IP address")]
    BadAddress { field: String, value: String },
    #[error("{field}: ends before it starts")]
    BadWindow { field: String },
}

/// Confidence for one source: fingerprinted tool → 85, threshold only → 50.
pub fn confidence(source: &SourceSummary) -> u8 {
    if source.tool == Tool::Unknown {
        CONFIDENCE_THRESHOLD_ONLY
    } else {
        CONFIDENCE_FINGERPRINTED
    }
}

/// Converts with default [`Options`] (no marking).
pub fn telescope_bundle(report: &Report, org: &OrgIdentity) -> Result<Bundle, ConvertError> {
    telescope_bundle_with(report, org, &Options::default())
}

pub fn telescope_bundle_with(
    report: &Report,
    org: &OrgIdentity,
    options: &Options,
) -> Result<Bundle, ConvertError> {
    let (producer, head) = Producer::start(org, options.marking)?;
    // Serialising a Report cannot fail (string-keyed maps only); an empty hash input would
    // still give a stable key.
    let report_bytes = serde_json::to_vec(report).unwrap_or_default();
    let analysis = Uuid::new_v5(&YAMORI_NAMESPACE, &report_bytes);
    let mut b = Builder {
        objects: head,
        scos: BTreeSet::new(),
        analysis_key: format!("{}\nreport {analysis}", producer.org_key),
        identity: producer.identity,
        stamp: analysis_time(report)?,
        markings: producer.markings,
        org_key: producer.org_key,
    };
    for (i, source) in report.scanners.iter().enumerate() {
        b.source(source, &format!("scanners[{i}]"))?;
    }
    for (i, attack) in report.attacks.iter().enumerate() {
        b.attack(attack, &format!("attacks[{i}]"))?;
    }
    Ok(Bundle {
        object_type: "bundle".into(),
        id: generated_id("bundle", &b.analysis_key),
        objects: b.objects,
    })
}

struct Builder {
    objects: Vec<Value>,
    scos: BTreeSet<String>,
    org_key: String,
    analysis_key: String,
    identity: String,
    stamp: String,
    markings: Vec<String>,
}

impl Builder {
    fn push<T: serde::Serialize>(&mut self, object: &T) {
        self.objects.push(model::to_value(object));
    }

    fn common(
        &self,
        object_type: &'static str,
        id: String,
        stamp: &str,
        confidence: Option<u8>,
    ) -> Common {
        Common {
            object_type,
            spec_version: "2.1",
            id,
            created_by_ref: Some(self.identity.clone()),
            created: stamp.to_string(),
            modified: stamp.to_string(),
            confidence,
            object_marking_refs: self.markings.clone(),
        }
    }

    fn analysis_common(
        &self,
        object_type: &'static str,
        key: &str,
        confidence: Option<u8>,
    ) -> Common {
        let id = generated_id(object_type, &format!("{}\n{key}", self.analysis_key));
        self.common(object_type, id, &self.stamp, confidence)
    }

    /// Adds the SCO once per bundle; returns its id.
    fn address(
        &mut self,
        text: &str,
        field: &str,
    ) -> Result<(String, &'static str, String), ConvertError> {
        let ip: IpAddr = text.parse().map_err(|_| ConvertError::BadAddress {
            field: field.to_string(),
            value: text.to_string(),
        })?;
        let (id, object_type, value, sco) = model::ip_sco(ip, &self.markings);
        if self.scos.insert(id.clone()) {
            self.objects.push(sco);
        }
        Ok((id, object_type, value))
    }

    /// Malware / tool objects do not depend on one analysis: keyed by organisation only.
    fn static_object(&mut self, object_type: &'static str, name: &'static str) -> String {
        let id = generated_id(object_type, &format!("{}\n{name}", self.org_key));
        if self
            .objects
            .iter()
            .any(|o| o.get("id").and_then(Value::as_str) == Some(&id))
        {
            return id;
        }
        let common = self.common(object_type, id.clone(), STATIC_OBJECTS_CREATED, None);
        match object_type {
            "malware" => self.push(&model::Malware {
                common,
                name: "Mirai",
                description: crate::decoy_family::MIRAI_DESCRIPTION,
                malware_types: vec!["bot", "worm"],
                is_family: true,
            }),
            _ => self.push(&model::Tool {
                common,
                name,
                description: "Internet-wide scanner, identified by its packet-header fingerprint.",
                tool_types: vec!["information-gathering"],
            }),
        }
        id
    }

    fn source(&mut self, s: &SourceSummary, field: &str) -> Result<(), ConvertError> {
        let (sco, object_type, value) = self.address(&s.address, &format!("{field}.address"))?;
        let first = time_of(&s.first_seen, &format!("{field}.first_seen"))?;
        let last = time_of(&s.last_seen, &format!("{field}.last_seen"))?;
        if last < first {
            return Err(ConvertError::BadWindow {
                field: field.to_string(),
            });
        }
        let key = format!("source {value}");
        let observed = self.analysis_common("observed-data", &key, None);
        let observed_id = observed.id.clone();
        self.push(&model::ObservedData {
            common: observed,
            first_observed: format_millis(first),
            last_observed: format_millis(last),
            number_observed: s.packets.clamp(1, STIX_COUNT_MAX),
            object_refs: vec![sco],
        });
        let (label, types, target) = match s.tool {
            Tool::Mirai => (
                "Mirai-fingerprinted bot",
                "malicious-activity",
                Some(("malware", "Mirai")),
            ),
            Tool::Zmap => ("ZMap scanner", "anomalous-activity", Some(("tool", "ZMap"))),
            Tool::Masscan => (
                "masscan scanner",
                "anomalous-activity",
                Some(("tool", "masscan")),
            ),
            Tool::Unknown => ("Scanner", "anomalous-activity", None),
        };
        let ports: Vec<String> = s.top_ports.iter().map(|p| p.port.to_string()).collect();
        let indicator = self.analysis_common("indicator", &key, Some(confidence(s)));
        let indicator_id = indicator.id.clone();
        self.push(&model::Indicator {
            common: indicator,
            name: format!("{label} {value}"),
            description: format!(
                "{value} sent {} packets to {} darknet addresses ({} ports; top: {}) between {} and {}.",
                s.packets,
                s.destinations,
                s.destination_ports,
                if ports.is_empty() { "none".to_string() } else { ports.join(", ") },
                s.first_seen,
                s.last_seen
            ),
            indicator_types: vec![types],
            pattern: format!("[{object_type}:value = '{}']", escape_pattern_string(&value)),
            pattern_type: "stix",
            pattern_version: "2.1",
            valid_from: format_millis(first),
            valid_until: format_millis(last + INDICATOR_VALIDITY),
        });
        let sighting = self.analysis_common("sighting", &key, None);
        self.push(&model::Sighting {
            common: sighting,
            first_seen: format_millis(first),
            last_seen: format_millis(last),
            count: s.packets.min(STIX_COUNT_MAX),
            sighting_of_ref: indicator_id.clone(),
            observed_data_refs: vec![observed_id],
            where_sighted_refs: vec![self.identity.clone()],
        });
        if let Some((target_type, name)) = target {
            let target = self.static_object(target_type, name);
            let relationship =
                self.analysis_common("relationship", &format!("{key} indicates {name}"), None);
            self.push(&model::Relationship {
                common: relationship,
                relationship_type: "indicates",
                source_ref: indicator_id,
                target_ref: target,
            });
        }
        Ok(())
    }

    fn attack(&mut self, a: &Attack, field: &str) -> Result<(), ConvertError> {
        let (sco, _, value) = self.address(&a.victim, &format!("{field}.victim"))?;
        let start = time_of(&a.start, &format!("{field}.start"))?;
        let end = time_of(&a.end, &format!("{field}.end"))?;
        if end < start {
            return Err(ConvertError::BadWindow {
                field: field.to_string(),
            });
        }
        let key = format!("attack {value} {}", a.start);
        let observed = self.analysis_common("observed-data", &key, None);
        let observed_id = observed.id.clone();
        self.push(&model::ObservedData {
            common: observed,
            first_observed: format_millis(start),
            last_observed: format_millis(end),
            number_observed: a.packets.clamp(1, STIX_COUNT_MAX),
            object_refs: vec![sco.clone()],
        });
        let ports: Vec<String> = a
            .ports
            .iter()
            .map(|p| format!("{} ({} packets)", p.port, p.packets))
            .collect();
        let note = self.analysis_common("note", &key, None);
        self.push(&model::Note {
            common: note,
            summary: format!("DDoS backscatter from victim {value}"),
            content: format!(
                "{value} appears to be under a denial-of-service attack with spoofed sources: {} backscatter packets ({}) reached {} darknet addresses from {} to {}; peak {:.1} packets/s, mean {:.1} packets/s; attacked ports: {}. The victim is not malicious: do not block it.",
                a.packets,
                a.kinds.join(", "),
                a.darknet_destinations,
                a.start,
                a.end,
                a.peak_pps,
                a.mean_pps,
                if ports.is_empty() { "none (ICMP)".to_string() } else { ports.join(", ") }
            ),
            object_refs: vec![observed_id, sco],
        });
        Ok(())
    }
}

/// `created`/`modified` for analysis objects: the last packet, else the latest time in the
/// report, else the fixed static time (an empty report).
fn analysis_time(report: &Report) -> Result<String, ConvertError> {
    if let Some(last) = &report.last_packet {
        return Ok(format_millis(time_of(last, "last_packet")?));
    }
    let mut latest: Option<OffsetDateTime> = None;
    for (field, text) in report
        .scanners
        .iter()
        .map(|s| ("scanners[].last_seen", &s.last_seen))
        .chain(report.attacks.iter().map(|a| ("attacks[].end", &a.end)))
    {
        let t = time_of(text, field)?;
        latest = Some(latest.map_or(t, |l| l.max(t)));
    }
    Ok(latest.map_or_else(|| STATIC_OBJECTS_CREATED.to_string(), format_millis))
}

fn time_of(text: &str, field: &str) -> Result<OffsetDateTime, ConvertError> {
    parse_rfc3339(text).ok_or_else(|| ConvertError::BadTime {
        field: field.to_string(),
        value: text.to_string(),
    })
}

/// Quotes a value for a STIX pattern string literal (spec §9.3.1: `\` and `'` are escaped).
pub fn escape_pattern_string(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}
