//! The values a STIX object names — addresses and prefixes, domain names, URLs, e-mail
//! addresses, file hashes — in the canonical form correlation indexes them by.
//!
//! Correlation answers "who else reported this value": the hub extracts these values from
//! every object it stores (indicator patterns through the pattern grammar, and the cyber
//! observables themselves), and the store keeps one index row per value and object. Each value
//! has an index *key* chosen so that the related values are near it in byte order:
//!
//! * an address or prefix is the network's first address in fixed-width hex and the prefix
//!   length (`cb007105/32`, `cb007100/24`): the prefixes containing an address are a short list
//!   of exact keys (one per prefix length), and everything inside a prefix is one key range;
//! * a domain name is its labels in reverse order (`example.evil.www`): its parent domains are
//!   exact keys and its subdomains one key range;
//! * URLs, e-mail addresses and hashes are their canonical text; a URL's host is also indexed
//!   as an address or domain, so a query for the host finds the URL's reports.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use crate::validate::pattern::named_values;

/// At most this many values are indexed per object. A pattern may be up to 256 KiB
/// (`MAX_PATTERN_BYTES`), i.e. thousands of values; a blocklist dump in one indicator would
/// otherwise write thousands of index rows for one object. The rest is counted as left out.
pub const MAX_VALUES_PER_OBJECT: usize = 256;

/// Longest URL, e-mail address or domain indexed (bytes); longer values are left out rather
/// than truncated, since a truncated value would correlate with values it is not.
pub const MAX_VALUE_BYTES: usize = 2048;

/// What kind of value an [`Observable`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueKind {
    Ipv4,
    Ipv6,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl ValueKind {
    /// The name the store and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Ipv4 => "ipv4",
            ValueKind::Ipv6 => "ipv6",
            ValueKind::Domain => "domain",
            ValueKind::Url => "url",
            ValueKind::Email => "email",
            ValueKind::Md5 => "md5",
            ValueKind::Sha1 => "sha1",
            ValueKind::Sha256 => "sha256",
            ValueKind::Sha512 => "sha512",
        }
    }

    /// Hash kinds by STIX's hash-algorithm vocabulary name (`MD5`, `SHA-1`, …).
    fn of_hash_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(ValueKind::Md5),
            "SHA-1" | "SHA1" => Some(ValueKind::Sha1),
            "SHA-256" | "SHA256" => Some(ValueKind::Sha256),
            "SHA-512" | "SHA512" => Some(ValueKind::Sha512),
            _ => None,
        }
    }

    fn hash_hex_len(self) -> Option<usize> {
        match self {
            ValueKind::Md5 => Some(32),
            ValueKind::Sha1 => Some(40),
            ValueKind::Sha256 => Some(64),
            ValueKind::Sha512 => Some(128),
            _ => None,
        }
    }
}

/// One value in canonical form, with the key the index sorts it by (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observable {
    pub kind: ValueKind,
    pub key: String,
    /// Canonical text: an address, a prefix with its host bits cleared, a lower-case domain
    /// without a final dot, a URL as given, a lower-case e-mail address or hash.
    pub value: String,
}

/// An address or prefix as (kind, first address, prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

impl Net {
    fn parse(text: &str) -> Option<Net> {
        let (addr, len) = match text.split_once('/') {
            Some((a, l))
                if !l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (a, Some(l.parse::<u8>().ok()?))
            }
            Some(_) => return None,
            None => (text, None),
        };
        if let Ok(a) = addr.parse::<Ipv4Addr>() {
            let len = len.unwrap_or(32);
            (len <= 32).then(|| Net::V4(u32::from(a) & mask32(len), len))
        } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
            let len = len.unwrap_or(128);
            (len <= 128).then(|| Net::V6(u128::from(a) & mask128(len), len))
        } else {
            None
        }
    }

    fn observable(self) -> Observable {
        match self {
            Net::V4(a, len) => Observable {
                kind: ValueKind::Ipv4,
                key: v4_key(a, len),
                value: if len == 32 {
                    Ipv4Addr::from(a).to_string()
                } else {
                    format!("{}/{len}", Ipv4Addr::from(a))
                },
            },
            Net::V6(a, len) => Observable {
                kind: ValueKind::Ipv6,
                key: v6_key(a, len),
                value: if len == 128 {
                    Ipv6Addr::from(a).to_string()
                } else {
                    format!("{}/{len}", Ipv6Addr::from(a))
                },
            },
        }
    }
}

fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

fn v4_key(a: u32, len: u8) -> String {
    format!("{a:08x}/{len:03}")
}

fn v6_key(a: u128, len: u8) -> String {
    format!("{a:032x}/{len:03}")
}

/// Above every character of a key's tail (digits, letters, `-`, `_`, `.`), closing ranges.
const RANGE_END: char = '~';

impl Observable {
    /// The value `text` of `kind`, canonicalised, or why it is not one.
    pub fn new(kind: ValueKind, text: &str) -> Result<Observable, String> {
        let text = text.trim();
        if text.len() > MAX_VALUE_BYTES {
            return Err(format!("longer than {MAX_VALUE_BYTES} bytes"));
        }
        match kind {
            ValueKind::Ipv4 | ValueKind::Ipv6 => match Net::parse(text) {
                Some(n @ Net::V4(..)) if kind == ValueKind::Ipv4 => Ok(n.observable()),
                Some(n @ Net::V6(..)) if kind == ValueKind::Ipv6 => Ok(n.observable()),
                _ => Err(format!(
                    "{text:?} is not an {} address or prefix",
                    kind.as_str()
                )),
            },
            ValueKind::Domain => {
                let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
                let ok = !name.is_empty()
                    && name.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    });
                if !ok {
                    return Err(format!("{text:?} is not a domain name"));
                }
                let key = name.rsplit('.').collect::<Vec<_>>().join(".");
                Ok(Observable {
                    kind,
                    key,
                    value: name,
                })
            }
            ValueKind::Url => {
                if url_host(text).is_none() {
                    return Err(format!("{text:?} is not a URL with a host"));
                }
                Ok(Observable {
                    kind,
                    key: text.to_string(),
                    value: text.to_string(),
                })
            }
            ValueKind::Email => {
                let v = text.to_ascii_lowercase();
                match v.split_once('@') {
                    Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@') => {
                        Ok(Observable {
                            kind,
                            key: v.clone(),
                            value: v,
                        })
                    }
                    _ => Err(format!("{text:?} is not an e-mail address")),
                }
            }
            ValueKind::Md5 | ValueKind::Sha1 | ValueKind::Sha256 | ValueKind::Sha512 => {
                let v = text.to_ascii_lowercase();
                if Some(v.len()) != kind.hash_hex_len() || !v.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return Err(format!("{text:?} is not a {} in hex", kind.as_str()));
                }
                Ok(Observable {
                    kind,
                    key: v.clone(),
                    value: v,
                })
            }
        }
    }

    /// What a person asks about, typed by its look: an address or prefix, a URL (has `://`),
    /// an e-mail address (has `@`), a hash (hex of 32, 40, 64 or 128 digits), else a domain.
    pub fn guess(text: &str) -> Result<Observable, String> {
        let text = text.trim();
        if let Some(n) = Net::parse(text) {
            return Ok(n.observable());
        }
        if text.contains("://") {
            return Observable::new(ValueKind::Url, text);
        }
        if text.contains('@') {
            return Observable::new(ValueKind::Email, text);
        }
        if text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let kind = match text.len() {
                32 => Some(ValueKind::Md5),
                40 => Some(ValueKind::Sha1),
                64 => Some(ValueKind::Sha256),
                128 => Some(ValueKind::Sha512),
                _ => None,
            };
            if let Some(k) = kind {
                return Observable::new(k, text);
            }
        }
        Observable::new(ValueKind::Domain, text).map_err(|_| {
            format!(
                "{text:?} is not an IPv4/IPv6 address or prefix, domain name, URL, e-mail \
                 address or MD5/SHA-1/SHA-256/SHA-512 hash"
            )
        })
    }

    /// The keys to look this value up by: `exact` are the keys of the value itself and of
    /// every value containing it (the prefixes around an address, the parent domains);
    /// `within` is the key range (inclusive) of the values inside it (addresses in a prefix,
    /// subdomains), if the kind has one.
    pub fn lookup_keys(&self) -> LookupKeys {
        match self.kind {
            ValueKind::Ipv4 | ValueKind::Ipv6 => {
                let Some(net) = Net::parse(&self.value) else {
                    return LookupKeys::exact(self.key.clone());
                };
                match net {
                    Net::V4(a, len) => LookupKeys {
                        exact: (0..=len).map(|l| v4_key(a & mask32(l), l)).collect(),
                        within: Some((
                            format!("{a:08x}/"),
                            format!("{:08x}/{RANGE_END}", a | !mask32(len)),
                        )),
                    },
                    Net::V6(a, len) => LookupKeys {
                        exact: (0..=len).map(|l| v6_key(a & mask128(l), l)).collect(),
                        within: Some((
                            format!("{a:032x}/"),
                            format!("{:032x}/{RANGE_END}", a | !mask128(len)),
                        )),
                    },
                }
            }
            ValueKind::Domain => {
                let labels: Vec<&str> = self.key.split('.').collect();
                LookupKeys {
                    // Parents down to two labels: every name under a top-level domain is
                    // not "related" to every other.
                    exact: (2.min(labels.len())..=labels.len())
                        .map(|n| labels[..n].join("."))
                        .collect(),
                    within: Some((
                        format!("{}.", self.key),
                        format!("{}.{RANGE_END}", self.key),
                    )),
                }
            }
            _ => LookupKeys::exact(self.key.clone()),
        }
    }

    /// How a stored value stands to this one: the same, containing it, or inside it.
    pub fn relation_of(&self, stored: &Observable) -> Relation {
        if stored.key == self.key {
            return Relation::Equal;
        }
        match (Net::parse(&self.value), Net::parse(&stored.value)) {
            (Some(Net::V4(_, q)), Some(Net::V4(_, s))) if s < q => return Relation::Contains,
            (Some(Net::V6(_, q)), Some(Net::V6(_, s))) if s < q => return Relation::Contains,
            (Some(_), Some(_)) => return Relation::Within,
            _ => {}
        }
        if stored.kind == ValueKind::Domain && self.key.starts_with(&format!("{}.", stored.key)) {
            Relation::Contains
        } else {
            Relation::Within
        }
    }
}

/// See [`Observable::lookup_keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKeys {
    pub exact: Vec<String>,
    pub within: Option<(String, String)>,
}

impl LookupKeys {
    fn exact(key: String) -> Self {
        LookupKeys {
            exact: vec![key],
            within: None,
        }
    }
}

/// How an indexed value stands to the one asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Equal,
    /// The indexed value contains the one asked about (a prefix around the address, a parent
    /// domain).
    Contains,
    /// The indexed value lies inside the one asked about.
    Within,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Equal => "equal",
            Relation::Contains => "contains",
            Relation::Within => "within",
        }
    }
}

/// The host of a URL (`scheme://[user@]host[:port]/…`), if it has one.
fn url_host(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// The host of a URL as an address or domain observable.
fn host_observable(url: &str) -> Option<Observable> {
    let host = url_host(url)?;
    Net::parse(host)
        .map(Net::observable)
        .or_else(|| Observable::new(ValueKind::Domain, host).ok())
}

/// What [`of_object`] found in one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Distinct values, sorted, at most [`MAX_VALUES_PER_OBJECT`].
    pub values: Vec<Observable>,
    /// Values beyond the cap, not indexed.
    pub left_out: usize,
    /// Values the object names that are not of an indexed kind or form (e.g. a malformed
    /// address in a pattern), not indexed.
    pub unsupported: usize,
}

/// The values a STIX object names: an indicator's STIX pattern (values compared with `=`,
/// `IN` or `ISSUBSET`, not negated), or a cyber observable's own value (`ipv4-addr`,
/// `ipv6-addr`, `domain-name`, `url`, `email-addr`, `file` hashes). Other objects name none.
pub fn of_object(obj: &Value) -> Extracted {
    let mut found: Vec<Observable> = Vec::new();
    let mut unsupported = 0usize;
    let mut add = |kind: Option<ValueKind>, text: &str| match kind.map(|k| Observable::new(k, text))
    {
        Some(Ok(o)) => {
            if o.kind == ValueKind::Url {
                found.extend(host_observable(&o.value));
            }
            found.push(o);
        }
        _ => unsupported += 1,
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "indicator" => {
            let stix = obj
                .get("pattern_type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "stix");
            let pattern = obj.get("pattern").and_then(Value::as_str);
            if let (true, Some(p)) = (stix, pattern) {
                for n in named_values(p).unwrap_or_default() {
                    // Properties correlation does not index (ports, names, …) are no loss.
                    if let Some(k) = pattern_kind(n.object_type, &n.path, &n.value) {
                        add(Some(k), &n.value);
                    }
                }
            }
        }
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" => {
            if let Some(v) = obj.get("value").and_then(Value::as_str) {
                add(pattern_kind(kind, "value", v), v);
            }
        }
        "file" => {
            if let Some(h) = obj.get("hashes").and_then(Value::as_object) {
                for (name, v) in h {
                    if let Some(v) = v.as_str() {
                        add(ValueKind::of_hash_name(name), v);
                    }
                }
            }
        }
        _ => {}
    }
    found.sort();
    found.dedup();
    let left_out = found.len().saturating_sub(MAX_VALUES_PER_OBJECT);
    found.truncate(MAX_VALUES_PER_OBJECT);
    Extracted {
        values: found,
        left_out,
        unsupported,
    }
}

/// The kind a pattern's `type:path` names, or `None` for properties correlation does not
/// index (ports, sizes, names, …). A reference's `value` (`network-traffic:src_ref.value`)
/// is an address, typed by its form.
fn pattern_kind(object_type: &str, path: &str, value: &str) -> Option<ValueKind> {
    match (object_type, path) {
        ("ipv4-addr", "value") => Some(ValueKind::Ipv4),
        ("ipv6-addr", "value") => Some(ValueKind::Ipv6),
        ("domain-name", "value") => Some(ValueKind::Domain),
        ("url", "value") => Some(ValueKind::Url),
        ("email-addr", "value") => Some(ValueKind::Email),
        ("file", p) => p.strip_prefix("hashes.").and_then(ValueKind::of_hash_name),
        ("network-traffic", "src_ref.value" | "dst_ref.value") => match Net::parse(value) {
            Some(Net::V4(..)) => Some(ValueKind::Ipv4),
            Some(Net::V6(..)) => Some(ValueKind::Ipv6),
            None => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
