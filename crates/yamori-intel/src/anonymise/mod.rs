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
//! Withheld addresses: an SCO whose value is withheld is not shared; a reference to it is
//! dropped from a `_refs` list, and an object whose `_ref`, or whose whole `_refs` list, named
//! only withheld addresses is not shared; in text the address becomes `[address withheld]`.
//!
//! Pure: no keys (the caller's map does the cryptography), no I/O.

pub mod text;

use std::collections::{BTreeSet, HashMap, HashSet};

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

/// Properties whose strings are never searched for addresses.
const NOT_TEXT: &[&str] = &[
    "id",
    "type",
    "spec_version",
    "created",
    "modified",
    "pattern",
    "pattern_type",
    "pattern_version",
    "version",
    "cpe",
    "swid",
    "hashes",
    "granular_markings",
];

/// What replaces text where an address is withheld.
pub const WITHHELD_TEXT: &str = "[address withheld]";

fn is_address_type(t: &str) -> bool {
    t == "ipv4-addr" || t == "ipv6-addr"
}

fn id_type(id: &str) -> &str {
    id.split_once("--").map_or("", |(t, _)| t)
}

/// The outcome of rewriting one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Rewritten {
    Shared(Value),
    /// Not shared, and why.
    Withheld(&'static str),
}

/// How one sharing group's objects are rewritten.
pub struct Anonymiser<'a> {
    /// Addresses and prefixes shared as they are: those named by the organisation's
    /// indicators (hosts as /32 or /128).
    pub keep: &'a HashSet<IpNet>,
    /// What each other address or prefix becomes; `None` withholds it.
    pub map: &'a dyn Fn(IpNet) -> Option<IpNet>,
    /// The namespace of re-keyed ids (derived from the group's key).
    pub id_namespace: Uuid,
}

impl Anonymiser<'_> {
    fn kept(&self, net: IpNet) -> bool {
        self.keep.contains(&net.trunc())
    }

    /// What `net` is shared as: itself when kept, else the map's answer.
    fn shared_as(&self, net: IpNet) -> Option<IpNet> {
        if self.kept(net) {
            Some(net)
        } else {
            (self.map)(net)
        }
    }

    /// The re-keyed form of `id` (for types outside [`STABLE_TYPES`]).
    pub fn rekey(&self, id: &str) -> String {
        let t = id_type(id);
        format!("{t}--{}", Uuid::new_v5(&self.id_namespace, id.as_bytes()))
    }

    /// The addresses (hosts, not prefixes) `obj` names that are not kept: the host records a
    /// push shares, whose k-anonymity is measured.
    pub fn hosts_in(&self, obj: &Value, out: &mut BTreeSet<std::net::IpAddr>) {
        let mut note = |net: IpNet| {
            if net.prefix_len() == text::full_len(net.addr()) && !self.kept(net) {
                out.insert(net.addr());
            }
        };
        if let Some(net) = address_value(obj) {
            note(net);
        }
        visit_text(obj, &mut |s: &str| {
            for f in text::addresses(s) {
                note(f.net);
            }
        });
    }

    /// The address SCO ids `obj` refers to: the caller resolves their values (the SCOs'
    /// `value`s, from this push or the store) before [`Anonymiser::rewrite`].
    pub fn address_refs(obj: &Value) -> Vec<String> {
        let mut ids = Vec::new();
        for_each_ref(obj, &mut |id| {
            if is_address_type(id_type(id)) {
                ids.push(id.to_string());
            }
        });
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
                return value_sco_id(t, &text::display(new));
            }
        }
        Some(self.rekey(id))
    }

    /// `obj` as it may be shared.
    pub fn rewrite(&self, obj: &Value, sco_values: &HashMap<String, IpNet>) -> Rewritten {
        let Some(map) = obj.as_object() else {
            return Rewritten::Withheld("not a JSON object");
        };
        let mut out = Map::with_capacity(map.len());
        let own_type = map.get("type").and_then(Value::as_str).unwrap_or("");
        for (key, value) in map {
            let new = if key == "id" {
                let Some(id) = value.as_str() else {
                    return Rewritten::Withheld("id is not a string");
                };
                if is_address_type(own_type) {
                    match address_value(obj) {
                        Some(net) => match self.shared_as(net) {
                            Some(new) => Value::from(
                                value_sco_id(own_type, &text::display(new))
                                    .unwrap_or_else(|| self.rekey(id)),
                            ),
                            None => return Rewritten::Withheld("a withheld address"),
                        },
                        None => Value::from(self.rekey(id)),
                    }
                } else if STABLE_TYPES.contains(&own_type) {
                    value.clone()
                } else {
                    Value::from(self.rekey(id))
                }
            } else if key == "value" && is_address_type(own_type) {
                match address_value(obj).map(|net| self.shared_as(net)) {
                    Some(Some(new)) => Value::from(text::display(new)),
                    Some(None) => return Rewritten::Withheld("a withheld address"),
                    // Not an address after all: text like any other.
                    None => self.rewrite_text_in(value),
                }
            } else if key.ends_with("_ref") {
                match value.as_str() {
                    Some(id) => match self.new_ref(id, sco_values) {
                        Some(new) => Value::from(new),
                        None => return Rewritten::Withheld("refers to a withheld address"),
                    },
                    None => value.clone(),
                }
            } else if key.ends_with("_refs") {
                match value.as_array() {
                    Some(ids) => {
                        let kept: Vec<Value> = ids
                            .iter()
                            .filter_map(|v| match v.as_str() {
                                Some(id) => self.new_ref(id, sco_values).map(Value::from),
                                None => Some(v.clone()),
                            })
                            .collect();
                        if kept.is_empty() && !ids.is_empty() {
                            return Rewritten::Withheld("refers only to withheld addresses");
                        }
                        Value::Array(kept)
                    }
                    None => value.clone(),
                }
            } else if NOT_TEXT.contains(&key.as_str()) {
                value.clone()
            } else {
                self.rewrite_text_in(value)
            };
            out.insert(key.clone(), new);
        }
        Rewritten::Shared(Value::Object(out))
    }

    fn rewrite_text_in(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => {
                let new = text::replace(s, |net| {
                    if self.kept(net) {
                        return None;
                    }
                    Some(match (self.map)(net) {
                        Some(n) => text::display(n),
                        None => WITHHELD_TEXT.to_string(),
                    })
                });
                new.map_or_else(|| value.clone(), Value::from)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.rewrite_text_in(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if NOT_TEXT.contains(&k.as_str()) {
                            v.clone()
                        } else {
                            self.rewrite_text_in(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            _ => value.clone(),
        }
    }
}

/// The address (or prefix) of an `ipv4-addr` / `ipv6-addr` SCO.
pub fn address_value(obj: &Value) -> Option<IpNet> {
    let t = obj.get("type")?.as_str()?;
    if !is_address_type(t) {
        return None;
    }
    parse_net(obj.get("value")?.as_str()?)
}

/// An address ("192.0.2.1", a /32) or a prefix ("192.0.2.0/24").
fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// Calls `f` with every string of `obj` outside [`NOT_TEXT`] and the reference properties.
fn visit_text(obj: &Value, f: &mut dyn FnMut(&str)) {
    match obj {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| visit_text(v, f)),
        Value::Object(map) => {
            for (k, v) in map {
                let skip = NOT_TEXT.contains(&k.as_str())
                    || k.ends_with("_ref")
                    || k.ends_with("_refs")
                    || (k == "value" && address_value(obj).is_some());
                if !skip {
                    visit_text(v, f);
                }
            }
        }
        _ => {}
    }
}

/// Calls `f` with every top-level reference (`*_ref`, `*_refs`) of `obj`.
fn for_each_ref(obj: &Value, f: &mut dyn FnMut(&str)) {
    let Some(map) = obj.as_object() else { return };
    for (k, v) in map {
        if k.ends_with("_ref") {
            if let Some(id) = v.as_str() {
                f(id);
            }
        } else if k.ends_with("_refs") {
            for id in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                f(id);
            }
        }
    }
}

/// The addresses and prefixes an indicator's pattern names (for the `keep` set).
pub fn indicator_addresses(obj: &Value) -> Vec<IpNet> {
    if obj.get("type").and_then(Value::as_str) != Some("indicator") {
        return Vec::new();
    }
    crate::observables::of_object(obj)
        .values
        .iter()
        .filter_map(|o| parse_net(&o.value))
        .map(|n| n.trunc())
        .collect()
}

#[cfg(test)]
mod tests;
