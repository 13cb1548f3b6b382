//! Per-type rules: which common properties apply, what each spec-defined type requires.

use serde_json::{Map, Value};

use super::common::*;
use super::extensions::{check_extensions, declares_toplevel_properties};
use super::properties::*;
use super::{join, pattern, Sink};

fn category(object_type: &str) -> (Category, Option<&'static [&'static str]>) {
    if let Some((_, cat, props)) = SPECIFIC.iter().find(|(t, _, _)| *t == object_type) {
        return (*cat, Some(props));
    }
    if OTHER_SCOS.contains(&object_type) {
        (Category::Sco, None)
    } else if OTHER_META.contains(&object_type) {
        (Category::Meta, None)
    } else {
        (Category::Custom, None)
    }
}

pub fn check_bundle(map: &Map<String, Value>, sink: &mut Sink) {
    match map.get("id").and_then(Value::as_str) {
        Some(id) if identifier_type(id) == Some("bundle") => {}
        _ => sink.push(
            "/id".into(),
            "a bundle id must be bundle--<RFC 4122 UUID>".into(),
        ),
    }
    for key in map.keys() {
        if !["type", "id", "objects"].contains(&key.as_str()) && !key.starts_with("x_") {
            sink.push(
                join("", key),
                "a bundle has only type, id and objects".into(),
            );
        }
    }
    let Some(objects) = map.get("objects") else {
        return;
    };
    let Some(items) = objects.as_array().filter(|items| !items.is_empty()) else {
        sink.push(
            "/objects".into(),
            "must be a non-empty list of STIX objects".into(),
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if sink.full() {
            return;
        }
        let path = format!("/objects/{i}");
        match item.as_object() {
            Some(obj) if obj.get("type").and_then(Value::as_str) == Some("bundle") => {
                sink.push(path, "a bundle may not contain a bundle".into());
            }
            Some(obj) => check_object(obj, &path, sink),
            None => sink.push(path, "a STIX object must be a JSON object".into()),
        }
    }
}

pub fn check_object(map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    let Some(object_type) = map.get("type").and_then(Value::as_str) else {
        sink.push(
            join(base, "type"),
            "required string property is missing".into(),
        );
        return;
    };
    if !is_type_name(object_type) {
        sink.push(
            join(base, "type"),
            format!("{object_type:?} is not a valid type name (a-z0-9 and single hyphens, 3-250)"),
        );
        return;
    }
    match map.get("id").and_then(Value::as_str) {
        None => sink.push(
            join(base, "id"),
            "required string property is missing".into(),
        ),
        Some(id) => match identifier_type(id) {
            Some(t) if t == object_type => {}
            Some(_) => sink.push(
                join(base, "id"),
                "the id's type prefix must equal the type property".into(),
            ),
            None => sink.push(
                join(base, "id"),
                format!("{id:?} is not <type>--<RFC 4122 UUID>"),
            ),
        },
    }
    let (cat, specific) = category(object_type);
    check_common(map, cat, specific, base, sink);
    check_specific(object_type, map, base, sink);
}

/// The issue for a property the spec does not define on a type whose properties we know.
pub const CUSTOM_PROPERTY_MESSAGE: &str = "custom properties must start with x_, be carried in \
     an extension, or be declared by a toplevel-property-extension (spec 7.3)";

fn check_common(
    map: &Map<String, Value>,
    cat: Category,
    specific: Option<&[&str]>,
    base: &str,
    sink: &mut Sink,
) {
    let versioned = matches!(cat, Category::Sdo | Category::Sro);
    match (map.get("spec_version"), cat) {
        (Some(v), _) if v.as_str() != Some("2.1") => {
            sink.push(join(base, "spec_version"), "must be \"2.1\"".into());
        }
        (None, Category::Sdo | Category::Sro | Category::Meta) => {
            sink.push(
                join(base, "spec_version"),
                "required property is missing".into(),
            );
        }
        _ => {}
    }
    if versioned {
        require(map, &["created", "modified"], base, sink);
    }
    if map.get("type").and_then(Value::as_str) == Some("marking-definition") {
        require(map, &["created"], base, sink);
    }
    let created = timestamp(map, "created", base, 3, sink);
    let modified = timestamp(map, "modified", base, 3, sink);
    if let (Some(c), Some(m)) = (created, modified) {
        if m < c {
            sink.push(
                join(base, "modified"),
                "must be later than or equal to created".into(),
            );
        }
    }
    check_bool(map, "revoked", base, sink);
    check_string_list(map, "labels", base, sink);
    check_integer(map, "confidence", 0..=100, base, sink);
    if let Some(lang) = map.get("lang") {
        if !lang.as_str().is_some_and(is_language_tag) {
            sink.push(
                join(base, "lang"),
                "must be an RFC 5646 language tag".into(),
            );
        }
    }
    if let Some(v) = map.get("created_by_ref") {
        check_identifier(v, &join(base, "created_by_ref"), Some(&["identity"]), sink);
    }
    if let Some(v) = map.get("external_references") {
        check_external_references(v, &join(base, "external_references"), sink);
    }
    if let Some(v) = map.get("object_marking_refs") {
        check_identifier_list(
            v,
            &join(base, "object_marking_refs"),
            Some(&["marking-definition"]),
            sink,
        );
    }
    if map.contains_key("granular_markings") {
        check_granular_markings(map, &join(base, "granular_markings"), sink);
    }
    if let Some(v) = map.get("extensions") {
        check_extensions(v, &join(base, "extensions"), sink);
    }
    if map.contains_key("defanged") && cat != Category::Sco && cat != Category::Custom {
        sink.push(
            join(base, "defanged"),
            "only SCOs may carry defanged".into(),
        );
    }
    check_bool(map, "defanged", base, sink);

    let common = if cat == Category::Sco {
        SCO_COMMON
    } else {
        SDO_COMMON
    };
    // Spec §7.3: a toplevel-property-extension adds properties at the top level, unprefixed.
    let toplevel_extension = declares_toplevel_properties(map);
    for (name, value) in map {
        let path = join(base, name);
        if RESERVED.contains(&name.as_str()) {
            sink.push(path, "reserved property name (spec 3.8)".into());
            continue;
        }
        if !is_property_name(name) {
            sink.push(
                path,
                "invalid property name (a-z0-9_, 3-250, starting with a letter)".into(),
            );
            continue;
        }
        if let Some(specific) = specific {
            let known = specific.contains(&name.as_str())
                || (cat != Category::Meta && common.contains(&name.as_str()));
            if !known && !name.starts_with("x_") && !toplevel_extension {
                sink.push(path.clone(), CUSTOM_PROPERTY_MESSAGE.into());
            }
        }
        // Type-specific reference properties with a restricted target are checked per type.
        let restricted = [
            "created_by_ref",
            "object_marking_refs",
            "sighting_of_ref",
            "observed_data_refs",
            "where_sighted_refs",
            "source_ref",
            "target_ref",
        ];
        if !restricted.contains(&name.as_str()) {
            check_reference_property(name, value, &path, sink);
        }
    }
}

fn check_specific(object_type: &str, map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    let named = [
        "attack-pattern",
        "campaign",
        "course-of-action",
        "identity",
        "incident",
        "infrastructure",
        "intrusion-set",
        "threat-actor",
        "tool",
        "vulnerability",
    ];
    if named.contains(&object_type) {
        require(map, &["name"], base, sink);
    }
    for name in ["name", "description"] {
        check_string(map, name, base, sink);
    }
    for pair in [
        ("first_seen", "last_seen"),
        ("first_observed", "last_observed"),
    ] {
        check_order(map, pair, true, base, sink);
    }
    for name in ["first_seen", "last_seen"] {
        timestamp(map, name, base, 0, sink);
    }
    match object_type {
        "indicator" => check_indicator(map, base, sink),
        "malware" => {
            require(map, &["is_family"], base, sink);
            check_bool(map, "is_family", base, sink);
            if map.get("is_family") == Some(&Value::Bool(true)) {
                require(map, &["name"], base, sink);
            }
        }
        "relationship" => {
            require(
                map,
                &["relationship_type", "source_ref", "target_ref"],
                base,
                sink,
            );
            let type_ok = map
                .get("relationship_type")
                .and_then(Value::as_str)
                .is_some_and(|t| {
                    !t.is_empty()
                        && t.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            if map.contains_key("relationship_type") && !type_ok {
                sink.push(
                    join(base, "relationship_type"),
                    "must be lowercase a-z0-9 and hyphens".into(),
                );
            }
            for end in ["source_ref", "target_ref"] {
                if let Some(v) = map.get(end) {
                    check_relatable(v, &join(base, end), sink);
                }
            }
            timestamp(map, "start_time", base, 0, sink);
            timestamp(map, "stop_time", base, 0, sink);
            check_order(map, ("start_time", "stop_time"), false, base, sink);
        }
        "sighting" => check_sighting(map, base, sink),
        "observed-data" => check_observed_data(map, base, sink),
        "grouping" => require(map, &["context", "object_refs"], base, sink),
        "note" => require(map, &["content", "object_refs"], base, sink),
        "opinion" => {
            require(map, &["opinion", "object_refs"], base, sink);
            const OPINIONS: [&str; 5] = [
                "strongly-disagree",
                "disagree",
                "neutral",
                "agree",
                "strongly-agree",
            ];
            if let Some(v) = map.get("opinion") {
                if !v.as_str().is_some_and(|s| OPINIONS.contains(&s)) {
                    sink.push(
                        join(base, "opinion"),
                        format!("must be one of {}", OPINIONS.join(", ")),
                    );
                }
            }
        }
        "report" => {
            require(map, &["name", "published", "object_refs"], base, sink);
            timestamp(map, "published", base, 0, sink);
        }
        "malware-analysis" => require(map, &["product"], base, sink),
        "software" => require(map, &["name"], base, sink),
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "mac-addr" | "email-addr" => {
            require(map, &["value"], base, sink);
            check_string(map, "value", base, sink);
        }
        "autonomous-system" => {
            require(map, &["number"], base, sink);
            check_integer(map, "number", 0..=i64::from(u32::MAX), base, sink);
        }
        "marking-definition" => check_marking_definition(map, base, sink),
        _ => {}
    }
}

/// Relationship ends and sighting targets must be SDOs or SCOs.
fn check_relatable(value: &Value, path: &str, sink: &mut Sink) {
    check_identifier(value, path, None, sink);
    if let Some(t) = value.as_str().and_then(identifier_type) {
        if NOT_RELATABLE.contains(&t) {
            sink.push(path.into(), format!("may not reference a {t}"));
        }
    }
}

fn check_indicator(map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    require(map, &["pattern", "pattern_type", "valid_from"], base, sink);
    for name in ["pattern", "pattern_type", "pattern_version"] {
        check_string(map, name, base, sink);
    }
    check_string_list(map, "indicator_types", base, sink);
    timestamp(map, "valid_from", base, 0, sink);
    timestamp(map, "valid_until", base, 0, sink);
    check_order(map, ("valid_from", "valid_until"), false, base, sink);
    let is_stix = map.get("pattern_type").and_then(Value::as_str) == Some("stix");
    if let (true, Some(text)) = (is_stix, map.get("pattern").and_then(Value::as_str)) {
        if let Err(e) = pattern::check(text) {
            sink.push(join(base, "pattern"), format!("invalid STIX pattern: {e}"));
        }
    }
}

fn check_sighting(map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    require(map, &["sighting_of_ref"], base, sink);
    if let Some(v) = map.get("sighting_of_ref") {
        check_relatable(v, &join(base, "sighting_of_ref"), sink);
    }
    if let Some(v) = map.get("observed_data_refs") {
        check_identifier_list(
            v,
            &join(base, "observed_data_refs"),
            Some(&["observed-data"]),
            sink,
        );
    }
    if let Some(v) = map.get("where_sighted_refs") {
        check_identifier_list(
            v,
            &join(base, "where_sighted_refs"),
            Some(&["identity", "location"]),
            sink,
        );
    }
    check_integer(map, "count", 0..=999_999_999, base, sink);
    check_bool(map, "summary", base, sink);
}

fn check_observed_data(map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    require(
        map,
        &["first_observed", "last_observed", "number_observed"],
        base,
        sink,
    );
    timestamp(map, "first_observed", base, 0, sink);
    timestamp(map, "last_observed", base, 0, sink);
    check_integer(map, "number_observed", 1..=999_999_999, base, sink);
    match (map.get("objects"), map.get("object_refs")) {
        (Some(_), Some(_)) | (None, None) => {
            sink.push(
                base.into(),
                "exactly one of objects (deprecated) or object_refs must be present".into(),
            );
        }
        (Some(objects), None) => {
            if objects.as_object().is_none_or(|m| m.is_empty()) {
                sink.push(
                    join(base, "objects"),
                    "must be a non-empty dictionary".into(),
                );
            }
        }
        (None, Some(_)) => {}
    }
}

fn check_marking_definition(map: &Map<String, Value>, base: &str, sink: &mut Sink) {
    if map.contains_key("modified") {
        sink.push(
            join(base, "modified"),
            "marking definitions are not versioned".into(),
        );
    }
    let has_extensions = map.contains_key("extensions");
    let definition_type = map.get("definition_type").and_then(Value::as_str);
    if !has_extensions {
        require(map, &["definition_type", "definition"], base, sink);
    }
    if let Some(def) = map.get("definition") {
        if !def.is_object() {
            sink.push(join(base, "definition"), "must be an object".into());
        }
    }
    match definition_type {
        Some("statement") => {
            let ok = map
                .get("definition")
                .and_then(|d| d.get("statement"))
                .is_some_and(Value::is_string);
            if !ok {
                sink.push(
                    join(base, "definition"),
                    "a statement marking needs a string statement".into(),
                );
            }
        }
        Some("tlp") => {
            // Spec 7.2.1.4: only the four standard TLP 1.0 instances may exist.
            let id = map.get("id").and_then(Value::as_str).unwrap_or("");
            let level = map
                .get("definition")
                .and_then(|d| d.get("tlp"))
                .and_then(Value::as_str);
            let standard = crate::markings::TLP1
                .iter()
                .any(|m| m.id == id && Some(m.level) == level);
            if !standard {
                sink.push(
                    base.into(),
                    "a TLP 1.0 marking must be one of the four standard instances".into(),
                );
            }
        }
        _ => {}
    }
}
