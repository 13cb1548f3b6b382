//! Survey result → STIX 2.1 bundle (same conventions as [`crate::telescope`]).
//!
//! Per service that a fingerprint identified or that has a finding (weak credential, matched
//! vulnerability):
//! * an `infrastructure` SDO named `"<vendor> <product> at <address>:<port>"` (or
//!   `"<protocol> service at …"` when no fingerprint matched), `infrastructure_types` from the
//!   open vocabulary (`routers-switches` for routers and switches, `control-system` for PLCs
//!   and other ICS devices, else `unknown`), seen over the survey's window;
//! * the `ipv4-addr` / `ipv6-addr` SCO, and a `software` SCO (name, vendor, version, CPE)
//!   when fingerprinted, both linked by `consists-of` (spec §4.8: infrastructure
//!   consists-of any SCO);
//! * a `vulnerability` SDO per matched CVE (name = id, external reference `cve`, or `osv` for
//!   OSV-only ids), linked by `has` (spec §4.8). CVSS, the CISA KEV listing and the match's
//!   certainty go into the `has` relationship's description: STIX has no property for them,
//!   and they describe this device's exposure, not the CVE.
//! * a `note` on the infrastructure for a weak credential. Why a note, not an `x_yamori_*`
//!   property: STIX 2.1 (§11.1) keeps custom properties only for compatibility and asks new
//!   content to use extensions, which would need an extension-definition that consumers do
//!   not know; a note is the spec's object for added context any consumer can show. It names
//!   the user and where the password came from, never the password (not even masked): the
//!   finding is that a default password works, and that is all a recipient needs.
//!
//! Everything is marked TLP:AMBER (2.0) unless the caller chooses a marking: the findings
//! name devices of customers that are exposed right now, which is for the recipient's
//! organisation and its clients only, not for the public.
//!
//! Determinism: ids derive from the organisation and a hash of the whole result; run objects
//! carry `created`/`modified` = the survey's `finished`. Vulnerability objects describe the
//! CVE only, so they are keyed by organisation and id with [`STATIC_OBJECTS_CREATED`] and
//! are the same object in every run's bundle.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;
use yamori_model::survey::{CredentialSource, Host, Service, SurveyResult, Transport};

use crate::ids::{generated_id, sco_id, YAMORI_NAMESPACE};
use crate::markings::Tlp2;
use crate::model::{self, Bundle, Common, ExternalReference};
use crate::producer::Producer;
use crate::telescope::{ConvertError, Options, OrgIdentity, STATIC_OBJECTS_CREATED};
use crate::timestamp::format_millis;

/// The marking used when [`Options::marking`] is `None`.
pub const DEFAULT_SURVEY_MARKING: Tlp2 = Tlp2::Amber;

/// Converts a survey result; `options.marking` overrides [`DEFAULT_SURVEY_MARKING`].
pub fn survey_bundle(
    result: &SurveyResult,
    org: &OrgIdentity,
    options: &Options,
) -> Result<Bundle, ConvertError> {
    let marking = options.marking.unwrap_or(DEFAULT_SURVEY_MARKING);
    let (producer, head) = Producer::start(org, Some(marking))?;
    if result.finished < result.started {
        return Err(ConvertError::BadWindow {
            field: "finished".into(),
        });
    }
    // Serialising a SurveyResult cannot fail (string-keyed maps only).
    let bytes = serde_json::to_vec(result).unwrap_or_default();
    let run = Uuid::new_v5(&YAMORI_NAMESPACE, &bytes);
    let mut b = Builder {
        objects: head,
        seen: BTreeSet::new(),
        run_key: format!("{}\nsurvey {run}", producer.org_key),
        identity: producer.identity,
        stamp: format_millis(result.finished),
        first_seen: format_millis(result.started),
        markings: producer.markings,
        org_key: producer.org_key,
    };
    for host in &result.hosts {
        for service in &host.services {
            if service.device.is_some()
                || service.weak_credential.is_some()
                || !service.vulnerabilities.is_empty()
            {
                b.service(host, service, result.finished);
            }
        }
    }
    Ok(Bundle {
        object_type: "bundle".into(),
        id: generated_id("bundle", &b.run_key),
        objects: b.objects,
    })
}

struct Builder {
    objects: Vec<Value>,
    /// Ids already in `objects` (SCOs and vulnerabilities are shared between services).
    seen: BTreeSet<String>,
    org_key: String,
    run_key: String,
    identity: String,
    stamp: String,
    first_seen: String,
    markings: Vec<String>,
}

fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    }
}

/// The open-vocabulary `infrastructure-type-ov` value for a fingerprint's device type.
fn infrastructure_type(device_type: Option<&str>) -> &'static str {
    match device_type {
        Some("router" | "switch" | "gateway" | "modem") => "routers-switches",
        Some("plc" | "ics" | "hmi" | "scada") => "control-system",
        _ => "unknown",
    }
}

impl Builder {
    fn push<T: serde::Serialize>(&mut self, object: &T) {
        self.objects.push(model::to_value(object));
    }

    fn common(&self, object_type: &'static str, id: String, stamp: &str) -> Common {
        Common {
            object_type,
            spec_version: "2.1",
            id,
            created_by_ref: Some(self.identity.clone()),
            created: stamp.to_string(),
            modified: stamp.to_string(),
            confidence: None,
            object_marking_refs: self.markings.clone(),
        }
    }

    fn run_common(&self, object_type: &'static str, key: &str) -> Common {
        let id = generated_id(object_type, &format!("{}\n{key}", self.run_key));
        self.common(object_type, id, &self.stamp)
    }

    /// Adds an SCO (given as JSON without id) once; returns its deterministic id.
    fn sco(&mut self, mut object: Value) -> String {
        let id = object
            .as_object()
            .and_then(sco_id)
            .unwrap_or_else(|| generated_id("software", &object.to_string()));
        if self.seen.insert(id.clone()) {
            if let Value::Object(map) = &mut object {
                map.insert("id".into(), id.clone().into());
                map.insert("object_marking_refs".into(), self.markings.clone().into());
            }
            self.objects.push(object);
        }
        id
    }

    fn address(&mut self, ip: IpAddr) -> String {
        let (id, _, _, sco) = model::ip_sco(ip, &self.markings);
        if self.seen.insert(id.clone()) {
            self.objects.push(sco);
        }
        id
    }

    /// The vulnerability object of `id` (shared by every service and run of this org).
    fn vulnerability(&mut self, id: &str) -> String {
        let sdo = generated_id("vulnerability", &format!("{}\n{id}", self.org_key));
        if self.seen.insert(sdo.clone()) {
            let reference = if id.starts_with("CVE-") {
                ExternalReference {
                    source_name: "cve",
                    external_id: id.to_string(),
                }
            } else {
                ExternalReference {
                    source_name: "osv",
                    external_id: id.to_string(),
                }
            };
            let common = self.common("vulnerability", sdo.clone(), STATIC_OBJECTS_CREATED);
            self.push(&model::Vulnerability {
                common,
                name: id.to_string(),
                external_references: vec![reference],
            });
        }
        sdo
    }

    fn relate(
        &mut self,
        key: &str,
        relationship_type: &'static str,
        from: &str,
        to: &str,
    ) -> Value {
        let common = self.run_common("relationship", &format!("{key} {relationship_type} {to}"));
        model::to_value(&model::Relationship {
            common,
            relationship_type,
            source_ref: from.to_string(),
            target_ref: to.to_string(),
        })
    }

    fn service(&mut self, host: &Host, s: &Service, finished: OffsetDateTime) {
        let transport = transport_name(s.transport);
        // `[2001:db8::7]:1883` for IPv6, so the port cannot be read as part of the address.
        let endpoint = SocketAddr::new(host.address, s.port).to_string();
        let key = format!("service {} {transport} {}", host.address, s.port);
        let protocol = serde_json::to_value(s.protocol)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let ip = self.address(host.address);
        let name = match &s.device {
            Some(d) => format!("{} {} at {endpoint}", d.vendor, d.product),
            None => format!("{protocol} service at {endpoint}"),
        };
        let mut description = format!(
            "{protocol} on {endpoint}/{transport}, found by an authorised survey finished {}.",
            format_millis(finished)
        );
        if let Some(d) = &s.device {
            description.push_str(&format!(
                " Identified as a {} ({} {}{}) by fingerprint rule {}.",
                d.device_type,
                d.vendor,
                d.product,
                d.version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default(),
                d.rule_id
            ));
        }
        let infra = self.run_common("infrastructure", &key);
        let infra_id = infra.id.clone();
        self.push(&model::Infrastructure {
            common: infra,
            name,
            description,
            infrastructure_types: vec![infrastructure_type(
                s.device.as_ref().map(|d| d.device_type.as_str()),
            )],
            first_seen: self.first_seen.clone(),
            last_seen: self.stamp.clone(),
        });
        let r = self.relate(&key, "consists-of", &infra_id, &ip);
        self.objects.push(r);
        if let Some(d) = &s.device {
            let mut software = serde_json::json!({
                "type": "software", "spec_version": "2.1",
                "name": d.product, "vendor": d.vendor,
            });
            if let Some(cpe) = &d.cpe {
                software["cpe"] = cpe.clone().into();
            }
            if let Some(v) = &d.version {
                software["version"] = v.clone().into();
            }
            let sw = self.sco(software);
            let r = self.relate(&key, "consists-of", &infra_id, &sw);
            self.objects.push(r);
        }
        for v in &s.vulnerabilities {
            let vuln = self.vulnerability(&v.id);
            let mut r = self.relate(&key, "has", &infra_id, &vuln);
            let mut facts = vec![format!("certainty {:?}", v.certainty).to_lowercase()];
            if let Some(c) = &v.cvss {
                facts.push(format!(
                    "CVSS {} {:.1} {}",
                    c.version,
                    c.score.as_f64(),
                    c.severity
                ));
            }
            if let Some(k) = &v.kev {
                facts.push(format!("in CISA KEV since {}", k.date_added));
            }
            r["description"] = format!(
                "{endpoint} matches {} ({}): {}",
                v.id,
                v.rule.range,
                facts.join("; ")
            )
            .into();
            self.objects.push(r);
        }
        if let Some(w) = &s.weak_credential {
            let source = match w.source {
                CredentialSource::MiraiList => "the default passwords Mirai tries",
                CredentialSource::Vendor => "the vendors' published default passwords",
                CredentialSource::User => "the surveyor's own list",
            };
            let note = self.run_common("note", &format!("{key} weak credential"));
            self.push(&model::Note {
                common: note,
                summary: format!("Weak credential accepted on {endpoint}"),
                content: format!(
                    "The {protocol} service on {endpoint}/{transport} accepted a login as user {:?} with a password from {source}. The survey logged in and disconnected without sending a command. Change the password or disable the service.",
                    w.username
                ),
                object_refs: vec![infra_id.clone(), ip.clone()],
            });
        }
    }
}
