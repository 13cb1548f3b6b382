//! Rewriting STIX objects before they are shared so that victims' and surveyed hosts'
//! addresses leave pseudonymised, generalised or not at all, while the indicators a partner
//! must act on leave as they are (docs/TRUST.md §3–§5).
//!
//! Which addresses: every address an object names — an `ipv4-addr`/`ipv6-addr` SCO's `value`,
//! and addresses written in its text (a note's content, an infrastructure's name "camera at
//! 198.51.100.7:80") — *except* the addresses the sharing organisation's own indicators name
//! (the `keep` set): a scanner's address is the indicator; a backscatter victim or a surveyed
//! device never has one. Indicator patterns, versions, CPEs and hashes are never rewritten.
//!
//! Ids, so that what is shared stays consistent and reveals nothing:
//! * an address SCO's id is derived from its value (UUIDv5, spec §2.9), which anyone can
//!   recompute for all 2³² IPv4 addresses: a rewritten SCO gets the id of its new value, and
//!   references to it follow (the caller resolves referenced SCOs' values, [`Anonymiser::rewrite`]);
//! * objects whose identity is public knowledge ([`STABLE_TYPES`]: indicators, so that partners'
//!   sightings point back at them, identities, marking definitions, malware, vulnerabilities …)
//!   keep their ids;
//! * every other id (observed-data, notes, infrastructure, relationships, sightings, other
//!   SCOs) is re-keyed: `type--UUIDv5(namespace, old id)`, the namespace derived from the
//!   sharing group's key. The rule needs only the id, so an object and every reference to it
//!   get the same new id in any push, and versions of one object stay versions of one object.
//!
//! The same rules apply at every depth: embedded objects (observed-data's `objects`,
//! extensions), their ids and references, and the keys of dictionaries.
//!
//! Withheld addresses: an SCO whose value is withheld is not shared (nor is an object that
//! embeds one); a reference to it is dropped from a `_refs` list, and an object whose `_ref`,
//! or whose whole `_refs` list, named only withheld addresses is not shared; in text the
//! address becomes `[address withheld]`. An object is not shared either when a reference is
//! not a string, or when a reference was dropped from a list that its granular markings
//! select by position.
//!
//! Each rewritten object comes with the hosts it shares (in any form the map gave them), so
//! the caller measures the k-anonymity of exactly what is sent.
//!
//! Pure: no keys (the caller's map does the cryptography), no I/O.

pub mod text;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::ids::value_sco_id;

/// Types whose ids are kept: their identity is public (or must stay stable so partners can
/// refer back to them), and they name no victim by their id.
pub const STABLE_TYPES: &[&str] = &[
    "indicator",
    "identity",
    "marking-definition",
    "extension-definition",
    "malware",
    "tool",
    "vulnerability",
    "attack-pattern",
    "campaign",
    "intrusion-set",
    "threat-actor",
    "course-of-action",
    "location",
];

/// Properties whose strings are never searched for addresses, on any object: the spec's
/// fixed vocabulary and timestamps, hashes (hex), markings.
const NOT_TEXT: &[&str] = &[
    "type",
    "spec_version",
    "created",
    "modified",
    "hashes",
    "granular_markings",
];

/// Properties left as they are on one type of object: an indicator's pattern (shared as its
/// producer wrote it; its addresses are kept, [`indicator_addresses`]), a software's version
/// and identifiers, a certificate's serial number.
const NOT_TEXT_OF: &[(&str, &[&str])] = &[
    ("indicator", &["pattern", "pattern_type", "pattern_version"]),
    ("software", &["version", "cpe", "swid"]),
    ("x509-certificate", &["serial_number", "version"]),
];

fn not_text(object_type: &str, key: &str) -> bool {
    NOT_TEXT.contains(&key)
        || NOT_TEXT_OF
            .iter()
            .any(|(t, keys)| *t == object_type && keys.contains(&key))
}

/// What replaces text where an address is withheld.
pub const WITHHELD_TEXT: &str = "[address withheld]";

fn is_address_type(t: &str) -> bool {
    t == "ipv4-addr" || t == "ipv6-addr"
}

fn id_type(id: &str) -> &str {
    id.split_once("--").map_or("", |(t, _)| t)
}

/// A STIX id (`type--uuid`), as opposed to a local reference ("0") of a 2.0-style embedded
/// object.
fn is_id(s: &str) -> bool {
    s.contains("--")
}

/// One object as it may be shared, and the hosts it shares (in whatever form the map gave
/// them): the records whose k-anonymity is measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    pub object: Value,
    pub hosts: Vec<IpAddr>,
}

/// The outcome of rewriting one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Rewritten {
    Shared(Shared),
    /// Not shared, and why.
    Withheld(&'static str),
}

/// How one sharing group's objects are rewritten.
pub struct Anonymiser<'a> {
    /// Addresses and prefixes shared as they are: those named by the organisation's
    /// indicators (hosts as /32 or /128, prefixes without host bits).
    keep: &'a HashSet<IpNet>,
    /// What each other address or prefix becomes; `None` withholds it.
    map: &'a dyn Fn(IpNet) -> Option<IpNet>,
    /// The namespace of re-keyed ids (derived from the group's key).
    id_namespace: Uuid,
    /// Hosts the object being rewritten shares.
    hosts: RefCell<Vec<IpAddr>>,
}

/// What rewriting one object found: why it cannot be shared, and whether a reference was
/// dropped from a list.
struct Walk<'s> {
    sco_values: &'s HashMap<String, IpNet>,
    dropped_ref: bool,
}

impl<'a> Anonymiser<'a> {
    pub fn new(
        keep: &'a HashSet<IpNet>,
        map: &'a dyn Fn(IpNet) -> Option<IpNet>,
        id_namespace: Uuid,
    ) -> Self {
        Anonymiser {
            keep,
            map,
            id_namespace,
            hosts: RefCell::new(Vec::new()),
        }
    }

    fn kept(&self, net: IpNet) -> bool {
        self.keep.contains(&net)
    }

    /// What `net` is shared as: itself when kept, else the map's answer (a host shared in any
    /// form is noted).
    fn shared_as(&self, net: IpNet) -> Option<IpNet> {
        if self.kept(net) {
            return Some(net);
        }
        let out = (self.map)(net);
        if out.is_some() && net.prefix_len() == text::full_len(net.addr()) {
            self.hosts.borrow_mut().push(net.addr());
        }
        out
    }

    /// The re-keyed form of `id` (for types outside [`STABLE_TYPES`]).
    pub fn rekey(&self, id: &str) -> String {
        let t = id_type(id);
        format!("{t}--{}", Uuid::new_v5(&self.id_namespace, id.as_bytes()))
    }

    /// The address SCO ids `obj` refers to, at any depth: the caller resolves their values
    /// (the SCOs' `value`s, from this push or the store) before [`Anonymiser::rewrite`].
    pub fn address_refs(obj: &Value) -> Vec<String> {
        let mut ids = Vec::new();
        collect_refs(obj, &mut ids);
        ids
    }

    /// The new id of a reference: address SCOs by their resolved value (`sco_values`, old id →
    /// value); `None` when that address is withheld.
    fn new_ref(&self, id: &str, sco_values: &HashMap<String, IpNet>) -> Option<String> {
        let t = id_type(id);
        if STABLE_TYPES.contains(&t) {
            return Some(id.to_string());
        }
        if is_address_type(t) {
            if let Some(value) = sco_values.get(id) {
                let new = self.shared_as(*value)?;
                return value_sco_id(t, &value_text(t, new));
            }
        }
        Some(self.rekey(id))
    }

    /// `obj` as it may be shared, with the hosts it shares.
    pub fn rewrite(&self, obj: &Value, sco_values: &HashMap<String, IpNet>) -> Rewritten {
        self.hosts.borrow_mut().clear();
        let Some(map) = obj.as_object() else {
            return Rewritten::Withheld("not a JSON object");
        };
        let mut walk = Walk {
            sco_values,
            dropped_ref: false,
        };
        match self.rewrite_map(map, &mut walk) {
            Ok(out) => {
                if walk.dropped_ref && map.contains_key("granular_markings") {
                    // Its selectors count list positions that are no longer there.
                    return Rewritten::Withheld(
                        "granular markings would point at other references",
                    );
                }
                let mut hosts = std::mem::take(&mut *self.hosts.borrow_mut());
                hosts.sort();
                hosts.dedup();
                Rewritten::Shared(Shared {
                    object: Value::Object(out),
                    hosts,
                })
            }
            Err(why) => Rewritten::Withheld(why),
        }
    }

    /// One object, top-level or embedded, rewritten by the same rules at every depth.
    fn rewrite_map(
        &self,
        map: &Map<String, Value>,
        walk: &mut Walk<'_>,
    ) -> Result<Map<String, Value>, &'static str> {
        let own_type = map.get("type").and_then(Value::as_str).unwrap_or("");
        let address = if is_address_type(own_type) {
            map.get("value")
                .and_then(Value::as_str)
                .and_then(text::parse_net)
        } else {
            None
        };
        let mut out = Map::with_capacity(map.len());
        for (key, value) in map {
            let new = if key == "id" && value.as_str().is_some_and(is_id) {
                let id = value.as_str().unwrap_or_default();
                if let Some(net) = address {
                    let new = self.shared_as(net).ok_or("a withheld address")?;
                    Value::from(
                        value_sco_id(own_type, &value_text(own_type, new))
                            .unwrap_or_else(|| self.rekey(id)),
                    )
                } else if STABLE_TYPES.contains(&own_type) {
                    value.clone()
                } else {
                    Value::from(self.rekey(id))
                }
            } else if key == "value" && address.is_some() {
                let net = address.ok_or("a withheld address")?;
                let new = self.shared_as(net).ok_or("a withheld address")?;
                Value::from(value_text(own_type, new))
            } else if key.ends_with("_ref") {
                match value.as_str() {
                    Some(id) if is_id(id) => Value::from(
                        self.new_ref(id, walk.sco_values)
                            .ok_or("refers to a withheld address")?,
                    ),
                    // A local reference ("0") of an embedded object, or whatever else a
                    // producer put there: text like any other.
                    Some(other) => self
                        .rewrite_text(other)
                        .map_or_else(|| value.clone(), Value::from),
                    None => return Err("a reference that is not a string"),
                }
            } else if key.ends_with("_refs") {
                let ids = value
                    .as_array()
                    .ok_or("a reference list that is not a list")?;
                let mut kept = Vec::with_capacity(ids.len());
                for v in ids {
                    match v.as_str() {
                        Some(id) if is_id(id) => match self.new_ref(id, walk.sco_values) {
                            Some(new) => kept.push(Value::from(new)),
                            None => walk.dropped_ref = true,
                        },
                        Some(other) => kept.push(
                            self.rewrite_text(other)
                                .map_or_else(|| v.clone(), Value::from),
                        ),
                        None => return Err("a reference that is not a string"),
                    }
                }
                if kept.is_empty() && !ids.is_empty() {
                    return Err("refers only to withheld addresses");
                }
                Value::Array(kept)
            } else if not_text(own_type, key) {
                value.clone()
            } else {
                self.rewrite_value(value, walk)?
            };
            let key = self.rewrite_text(key).unwrap_or_else(|| key.clone());
            if out.insert(key, new).is_some() {
                // Two keys naming addresses that map to one: one entry would be lost.
                return Err("two dictionary keys would become one");
            }
        }
        Ok(out)
    }

    fn rewrite_value(&self, value: &Value, walk: &mut Walk<'_>) -> Result<Value, &'static str> {
        Ok(match value {
            Value::String(s) => self
                .rewrite_text(s)
                .map_or_else(|| value.clone(), Value::from),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.rewrite_value(v, walk))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(self.rewrite_map(map, walk)?),
            _ => value.clone(),
        })
    }

    fn rewrite_text(&self, s: &str) -> Option<String> {
        text::replace(s, |net| {
            if self.kept(net) {
                return None;
            }
            Some(match self.shared_as(net) {
                Some(n) => text::display(n),
                None => WITHHELD_TEXT.to_string(),
            })
        })
    }
}

/// How an address SCO of `object_type` writes `net`: an `ipv6-addr` keeps an IPv4-mapped
/// address in IPv6 form (its value must be IPv6).
fn value_text(object_type: &str, net: IpNet) -> String {
    match (object_type, net.addr()) {
        ("ipv6-addr", IpAddr::V4(a)) => {
            let mapped = IpNet::new(IpAddr::V6(a.to_ipv6_mapped()), net.prefix_len() + 96);
            mapped.map_or_else(|_| text::display(net), text::display)
        }
        _ => text::display(net),
    }
}

/// The address (or prefix) of an `ipv4-addr` / `ipv6-addr` SCO, canonical.
pub fn address_value(obj: &Value) -> Option<IpNet> {
    let t = obj.get("type")?.as_str()?;
    if !is_address_type(t) {
        return None;
    }
    text::parse_net(obj.get("value")?.as_str()?)
}

/// Every reference to an address SCO in `v` (any `*_ref` / `*_refs`, at any depth).
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k.ends_with("_ref") || k.ends_with("_refs") {
                    let ids = v
                        .as_str()
                        .into_iter()
                        .chain(v.as_array().into_iter().flatten().filter_map(Value::as_str));
                    out.extend(
                        ids.filter(|id| is_address_type(id_type(id)))
                            .map(String::from),
                    );
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The addresses and prefixes an indicator shares as they are: those its pattern names (the
/// grammar's comparisons), and every address written in the pattern (negations, other
/// pattern languages), so that no address appears in clear in the pattern and pseudonymised
/// elsewhere in the same push.
pub fn indicator_addresses(obj: &Value) -> Vec<IpNet> {
    if obj.get("type").and_then(Value::as_str) != Some("indicator") {
        return Vec::new();
    }
    let named = crate::observables::of_object(obj)
        .values
        .into_iter()
        .filter_map(|o| text::parse_net(&o.value));
    let written = obj
        .get("pattern")
        .and_then(Value::as_str)
        .map(text::addresses)
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.net);
    named.chain(written).collect()
}

#[cfg(test)]
mod tests;
