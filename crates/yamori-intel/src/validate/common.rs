//! Checks shared by all object types: names, identifiers, timestamps, common properties.

use serde_json::{Map, Value};

use super::{join, Sink};
use crate::timestamp::StixTimestamp;

/// Longest type, property or dictionary-key name (spec §3.1, §2.3).
pub const MAX_NAME_LEN: usize = 250;

/// Type names (spec §3.1): lowercase ASCII letters, digits and single hyphens between words,
/// starting with a letter, 3–250 characters.
pub fn is_type_name(s: &str) -> bool {
    (3..=MAX_NAME_LEN).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Property names (spec §3.1, §11.1): `a-z0-9_`, starting with a letter, 3–250 characters;
/// `id` is the one shorter name the spec defines.
pub fn is_property_name(s: &str) -> bool {
    s == "id"
        || ((3..=MAX_NAME_LEN).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
}

/// Dictionary keys (spec §2.3): ASCII letters, digits, `-`, `_`, at most 250 characters.
pub fn is_dictionary_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An RFC 4122 UUID in its 8-4-4-4-12 text form: versions 1–5 and the RFC 4122 variant
/// (the only ones RFC 4122 defines; stix2-validator's schema accepts the same set).
pub fn is_rfc4122_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
        && (b'1'..=b'5').contains(&b[14])
        && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
}

/// Splits a STIX identifier into its type, or `None` when it is not `<type>--<UUID>`.
pub fn identifier_type(s: &str) -> Option<&str> {
    let (object_type, uuid) = s.split_once("--")?;
    (is_type_name(object_type) && is_rfc4122_uuid(uuid)).then_some(object_type)
}

/// Checks that `value` is an identifier, of one of `allowed` types when given.
pub fn check_identifier(value: &Value, path: &str, allowed: Option<&[&str]>, sink: &mut Sink) {
    let Some(text) = value.as_str() else {
        sink.push(path.into(), "must be a string identifier".into());
        return;
    };
    match identifier_type(text) {
        None => sink.push(
            path.into(),
            format!("{text:?} is not an identifier of the form <type>--<RFC 4122 UUID>"),
        ),
        Some(t) => {
            if let Some(allowed) = allowed {
                if !allowed.contains(&t) {
                    sink.push(
                        path.into(),
                        format!("must reference an object of type {}", allowed.join(" or ")),
                    );
                }
            }
        }
    }
}

/// Checks a non-empty list of identifiers.
pub fn check_identifier_list(value: &Value, path: &str, allowed: Option<&[&str]>, sink: &mut Sink) {
    match value.as_array() {
        Some(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                check_identifier(item, &format!("{path}/{i}"), allowed, sink);
            }
        }
        _ => sink.push(
            path.into(),
            "must be a non-empty list of identifiers".into(),
        ),
    }
}

/// Reads an optional timestamp property; reports a bad one. `min_precision` is the number of
/// fractional digits required (3 for `created`/`modified`).
pub fn timestamp(
    map: &Map<String, Value>,
    name: &str,
    base: &str,
    min_precision: usize,
    sink: &mut Sink,
) -> Option<StixTimestamp> {
    let value = map.get(name)?;
    let path = join(base, name);
    let parsed = value.as_str().and_then(StixTimestamp::parse);
    match parsed {
        None => {
            sink.push(
                path,
                "must be a timestamp YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC".into(),
            );
            None
        }
        Some(t) if t.precision() < min_precision => {
            sink.push(
                path,
                format!("needs at least {min_precision} fractional digits (milliseconds)"),
            );
            None
        }
        Some(t) => Some(t),
    }
}

/// Reports when `later` is not after (or, with `allow_equal`, not at or after) `earlier`.
pub fn check_order(
    map: &Map<String, Value>,
    (earlier, later): (&str, &str),
    allow_equal: bool,
    base: &str,
    sink: &mut Sink,
) {
    let a = timestamp(map, earlier, base, 0, &mut Sink::default());
    let b = timestamp(map, later, base, 0, &mut Sink::default());
    if let (Some(a), Some(b)) = (a, b) {
        if b < a || (!allow_equal && b == a) {
            let relation = if allow_equal {
                "later than or equal to"
            } else {
                "later than"
            };
            sink.push(join(base, later), format!("must be {relation} {earlier}"));
        }
    }
}

pub fn require(map: &Map<String, Value>, names: &[&str], base: &str, sink: &mut Sink) {
    for name in names {
        if !map.contains_key(*name) {
            sink.push(join(base, name), "required property is missing".into());
        }
    }
}

pub fn check_string(map: &Map<String, Value>, name: &str, base: &str, sink: &mut Sink) {
    if let Some(v) = map.get(name) {
        if !v.is_string() {
            sink.push(join(base, name), "must be a string".into());
        }
    }
}

pub fn check_bool(map: &Map<String, Value>, name: &str, base: &str, sink: &mut Sink) {
    if let Some(v) = map.get(name) {
        if !v.is_boolean() {
            sink.push(join(base, name), "must be true or false".into());
        }
    }
}

/// An integer property within `range` (JSON numbers with a fraction are refused).
pub fn check_integer(
    map: &Map<String, Value>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    base: &str,
    sink: &mut Sink,
) {
    if let Some(v) = map.get(name) {
        let ok = v.as_i64().is_some_and(|n| range.contains(&n));
        if !ok {
            sink.push(
                join(base, name),
                format!(
                    "must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
        }
    }
}

pub fn check_string_list(map: &Map<String, Value>, name: &str, base: &str, sink: &mut Sink) {
    if let Some(v) = map.get(name) {
        let ok = v
            .as_array()
            .is_some_and(|items| !items.is_empty() && items.iter().all(Value::is_string));
        if !ok {
            sink.push(
                join(base, name),
                "must be a non-empty list of strings".into(),
            );
        }
    }
}

/// RFC 5646 language-tag *syntax* (letters, digits, hyphen-separated subtags of 1–8, the first
/// alphabetic); membership in the IANA registry is not checked.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `external_references` (spec §2.5): non-empty list of objects with a `source_name` and at
/// least one of `description`, `url`, `external_id`.
pub fn check_external_references(value: &Value, path: &str, sink: &mut Sink) {
    let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
        sink.push(
            path.into(),
            "must be a non-empty list of external references".into(),
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}/{i}");
        let Some(reference) = item.as_object() else {
            sink.push(item_path, "an external reference must be an object".into());
            continue;
        };
        require(reference, &["source_name"], &item_path, sink);
        for name in ["source_name", "description", "url", "external_id"] {
            check_string(reference, name, &item_path, sink);
        }
        if !["description", "url", "external_id"]
            .iter()
            .any(|k| reference.contains_key(*k))
        {
            sink.push(
                item_path.clone(),
                "needs at least one of description, url or external_id".into(),
            );
        }
        if let Some(hashes) = reference.get("hashes") {
            check_dictionary(hashes, &join(&item_path, "hashes"), sink);
        }
    }
}

/// A dictionary (spec §2.3): a non-empty JSON object with valid keys.
pub fn check_dictionary(value: &Value, path: &str, sink: &mut Sink) {
    match value.as_object() {
        Some(map) if !map.is_empty() => {
            for key in map.keys() {
                if !is_dictionary_key(key) {
                    sink.push(
                        join(path, key),
                        "invalid dictionary key (a-z, A-Z, 0-9, -, _; at most 250)".into(),
                    );
                }
            }
        }
        _ => sink.push(path.into(), "must be a non-empty dictionary".into()),
    }
}

/// `granular_markings` (spec §7.2.3): each has non-empty `selectors` that resolve inside the
/// object, and exactly one of `marking_ref` (a marking-definition) or `lang`.
pub fn check_granular_markings(object: &Map<String, Value>, path: &str, sink: &mut Sink) {
    let Some(items) = object
        .get("granular_markings")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
    else {
        sink.push(
            path.into(),
            "must be a non-empty list of granular markings".into(),
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}/{i}");
        let Some(marking) = item.as_object() else {
            sink.push(item_path, "a granular marking must be an object".into());
            continue;
        };
        match (marking.get("marking_ref"), marking.get("lang")) {
            (Some(r), None) => check_identifier(
                r,
                &join(&item_path, "marking_ref"),
                Some(&["marking-definition"]),
                sink,
            ),
            (None, Some(lang)) => {
                if !lang.as_str().is_some_and(is_language_tag) {
                    sink.push(
                        join(&item_path, "lang"),
                        "must be an RFC 5646 language tag".into(),
                    );
                }
            }
            _ => sink.push(
                item_path.clone(),
                "needs exactly one of marking_ref or lang".into(),
            ),
        }
        let selectors_path = join(&item_path, "selectors");
        match marking.get("selectors").and_then(Value::as_array) {
            Some(selectors) if !selectors.is_empty() => {
                for (j, selector) in selectors.iter().enumerate() {
                    let resolves = selector
                        .as_str()
                        .is_some_and(|s| selector_resolves(object, s));
                    if !resolves {
                        sink.push(
                            format!("{selectors_path}/{j}"),
                            "selector does not resolve to a property of this object".into(),
                        );
                    }
                }
            }
            _ => sink.push(
                selectors_path,
                "must be a non-empty list of selectors".into(),
            ),
        }
    }
}

/// Follows a selector such as `external_references.[0].url` (spec §7.2.3.1).
fn selector_resolves(object: &Map<String, Value>, selector: &str) -> bool {
    let mut segments = selector.split('.');
    let Some(mut current) = segments.next().and_then(|first| object.get(first)) else {
        return false;
    };
    for segment in segments {
        let next = match segment.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(index) => index
                .parse::<usize>()
                .ok()
                .and_then(|i| current.as_array()?.get(i)),
            None => current.as_object().and_then(|m| m.get(segment)),
        };
        match next {
            Some(v) => current = v,
            None => return false,
        }
    }
    true
}

/// A property whose name ends in `_ref` / `_refs` must hold identifiers (spec §3.1).
pub fn check_reference_property(name: &str, value: &Value, path: &str, sink: &mut Sink) {
    if name.ends_with("_ref") {
        check_identifier(value, path, None, sink);
    } else if name.ends_with("_refs") {
        check_identifier_list(value, path, None, sink);
    } else if name.ends_with("_hex") && !value.as_str().is_some_and(is_hex) {
        sink.push(path.into(), HEX_MESSAGE.into());
    }
}

/// The issue for a `_hex` property whose value is not of the hex type.
pub const HEX_MESSAGE: &str =
    "a _hex property must be hex (spec 2.8): an even number of digits 0-9 and lower-case a-f";

/// The hex type (spec §2.8): "The string MUST consist of an even number of hexadecimal
/// characters, which are the digits '0' through '9' and the lower-case letters 'a' through 'f'",
/// and at least one octet (the OASIS JSON schema's `hex.json` is `^([a-fA-F0-9]{2})+$`).
///
/// Upper case is refused here and only here, because §2.8 says lower-case; stix2-validator's
/// schema accepts it, so these objects are in the corpus's `stricter/`. Upper-case hex where
/// the spec does not restrict case stays valid: `hashes` values (§2.7: "a string in the
/// appropriate format defined by the hash type"), pattern hex constants `h'…'` (§9.2: "the
/// letters 'a' through 'f'"), and plain strings such as `pdfid0` (§6.7.4's own example).
pub fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_type_name("ipv4-addr") && is_type_name("x-acme-widget"));
        for bad in ["ab", "Indicator", "-abc", "abc-", "a--b", "1abc", "abc_d"] {
            assert!(!is_type_name(bad), "{bad}");
        }
        assert!(is_property_name("id") && is_property_name("x_acme_score"));
        for bad in ["ab", "Name", "_abc", "a-b-c", "ünï"] {
            assert!(!is_property_name(bad), "{bad}");
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            identifier_type("indicator--e2e1a340-4415-4ba8-9671-f7343fbf0836"),
            Some("indicator")
        );
        assert_eq!(
            identifier_type("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"),
            Some("ipv4-addr")
        );
        for bad in [
            "indicator--e2e1a340-4415-0ba8-9671-f7343fbf0836", // version 0
            "indicator--e2e1a340-4415-4ba8-c671-f7343fbf0836", // variant 110x
            "indicator-e2e1a340-4415-4ba8-9671-f7343fbf0836",
            "indicator--e2e1a3404-415-4ba8-9671-f7343fbf0836",
            "indicator--",
        ] {
            assert_eq!(identifier_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn hex_type_is_lower_case_octets() {
        for good in ["00", "ffd8", "0123456789abcdef"] {
            assert!(is_hex(good), "{good}");
        }
        for bad in ["", "f", "fff", "FFD8", "ffD8", "0x00", "gg", "ff d8"] {
            assert!(!is_hex(bad), "{bad}");
        }
    }

    #[test]
    fn language_tags() {
        assert!(is_language_tag("en") && is_language_tag("zh-Hant-TW") && is_language_tag("ja"));
        assert!(!is_language_tag("") && !is_language_tag("en_US") && !is_language_tag("e n"));
    }
}
