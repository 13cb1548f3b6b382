//! Validation of STIX 2.1 objects as received (JSON values, never re-serialised: the hub keeps
//! the bytes it was sent and only needs a verdict).
//!
//! What is checked (spec section in brackets); everything else passes:
//! * shape: the object is a JSON object, within [`MAX_DEPTH`] / [`MAX_VALUES`];
//! * `type` syntax [3.1]; `id` = `<type>--<RFC 4122 UUID>` with the same type [2.9];
//! * `spec_version` required and `"2.1"` on SDOs, SROs and meta objects, optional on SCOs [3.2];
//! * `created`/`modified` required where the spec requires them, timestamp syntax [2.16] with at
//!   least millisecond precision, `modified` ≥ `created` [3.2]; the other known timestamp
//!   properties and their order rules (`valid_until` > `valid_from`, `last_seen` ≥
//!   `first_seen`, `last_observed` ≥ `first_observed`, `stop_time` > `start_time`);
//! * required properties of every spec-defined type, value ranges (`confidence` 0–100,
//!   sighting `count` 0–999,999,999, `number_observed` 1–999,999,999), malware `is_family` and
//!   `name` for families, observed-data `objects` xor `object_refs`;
//! * every top-level `*_ref` / `*_refs` holds identifiers (and of the right type where the
//!   spec restricts it: markings, `created_by_ref`, sighting and observed-data references);
//! * common properties: `labels`, `external_references` [2.5], `object_marking_refs`,
//!   `granular_markings` (selectors resolve inside the object), `extensions` [3.2, 7.3],
//!   `lang` (RFC 5646 *syntax* only: stix2-validator also checks a list of registered codes),
//!   `defanged` only on SCOs, reserved names [3.8];
//! * property names: `a-z0-9_`, starting with a letter, 3–250 characters [3.1, 7.3.2, 11.1];
//!   on the types this module knows, a property the spec does not define must start with `x_`,
//!   live in an extension, or be declared by a `toplevel-property-extension` [7.3] — a hub
//!   policy matching stix2-validator's `--strict` check 102 (`custom-prefix-lax`) for
//!   unprefixed properties, and its check 401 (`extensions-use`) for objects declaring a
//!   top-level property extension, which 102 does not know;
//! * properties ending in `_hex` hold the hex type [2.8]: lower-case, whole octets (upper-case
//!   hex stays valid where the spec does not restrict case: hash values, pattern `h'…'`
//!   constants, strings);
//! * TLP 1.0 marking definitions must be the four spec instances [7.2.1.4];
//! * indicator patterns with `pattern_type` `stix`: syntax, see [`pattern`].
//!
//! Not checked: open-vocabulary membership, SCO id determinism (a SHOULD), hash value formats,
//! `_bin` base64, URL syntax, relationship types per object pair, references across objects
//! (the store resolves those).

mod common;
mod extensions;
pub mod pattern;
mod properties;
mod types;

use std::fmt;

use serde_json::Value;

/// Deepest nesting accepted. STIX objects are shallow (the deepest spec structures, e.g.
/// extensions holding dictionaries of lists, stay under 10); the margin is for extensions.
pub const MAX_DEPTH: usize = 64;
/// Most JSON values (every object, array, string, number…) in one object (in a bundle: in each
/// of its objects, so a bundle of many objects is not refused for its size). The hub's request
/// body limit bounds bytes; this bounds the work of walking what one object decodes to.
pub const MAX_VALUES: usize = 1_000_000;
/// Issues collected before giving up on an object: enough to show everything wrong with a
/// hand-written object, without building a huge answer for a hostile one.
pub const MAX_ISSUES: usize = 100;

/// One violation, located by a JSON Pointer (RFC 6901) into the validated value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// JSON Pointer to the offending value, e.g. `/objects/3/valid_until`; `""` is the root.
    pub path: String,
    pub message: String,
}

impl Issue {
    /// The property name at the end of [`Issue::path`] (empty for the root).
    pub fn property(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Validates one STIX 2.1 object, or a bundle (then every object in it, with paths
/// `/objects/<n>/…`). Never panics; work is bounded by [`MAX_DEPTH`] and [`MAX_VALUES`].
pub fn validate_object(obj: &Value) -> Result<(), Vec<Issue>> {
    let mut sink = Sink::default();
    let Some(map) = obj.as_object() else {
        sink.push(String::new(), "a STIX object must be a JSON object".into());
        return sink.finish();
    };
    if map.get("type").and_then(Value::as_str) == Some("bundle") {
        // Each object of a bundle is bounded on its own (depth counted from the bundle root).
        for (key, value) in map {
            match (key.as_str(), value) {
                ("objects", Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Err(message) = check_size(item, 3) {
                            sink.push(format!("/objects/{i}"), message);
                        }
                    }
                }
                _ => {
                    if let Err(message) = check_size(value, 2) {
                        sink.push(join("", key), message);
                    }
                }
            }
        }
        if sink.issues.is_empty() {
            types::check_bundle(map, &mut sink);
        }
    } else if let Err(message) = check_size(obj, 1) {
        sink.push(String::new(), message);
    } else {
        types::check_object(map, "", &mut sink);
    }
    sink.finish()
}

/// Collects issues up to [`MAX_ISSUES`].
#[derive(Default)]
pub(crate) struct Sink {
    issues: Vec<Issue>,
    truncated: bool,
}

impl Sink {
    pub(crate) fn push(&mut self, path: String, message: String) {
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(Issue { path, message });
        } else {
            self.truncated = true;
        }
    }

    pub(crate) fn full(&self) -> bool {
        self.truncated
    }

    fn finish(mut self) -> Result<(), Vec<Issue>> {
        if self.truncated {
            self.issues.push(Issue {
                path: String::new(),
                message: format!("more than {MAX_ISSUES} issues; the rest were not listed"),
            });
        }
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(self.issues)
        }
    }
}

/// Iterative walk (no recursion, so no stack risk) enforcing the depth and count limits before
/// any recursive check runs.
fn check_size(root: &Value, root_depth: usize) -> Result<(), String> {
    let mut stack: Vec<(&Value, usize)> = vec![(root, root_depth)];
    let mut seen = 0usize;
    while let Some((value, depth)) = stack.pop() {
        seen += 1;
        if seen > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} JSON values"));
        }
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Escapes one JSON Pointer segment (RFC 6901 §3).
pub(crate) fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// `<base>/<segment>` with escaping.
pub(crate) fn join(base: &str, segment: &str) -> String {
    format!("{base}/{}", pointer_segment(segment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_limit_is_enforced_without_recursion() {
        let mut deep = json!(1);
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        let mut v = json!({"type": "x-deep", "id": "x-deep--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"});
        v["x_deep"] = deep;
        let issues = validate_object(&v).expect_err("too deep");
        assert!(issues[0].message.contains("nested deeper"), "{issues:?}");
        let mut bundle =
            json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"});
        bundle["objects"] = Value::Array(vec![v]);
        let issues = validate_object(&bundle).expect_err("too deep inside a bundle");
        assert_eq!(issues[0].path, "/objects/0");
        // Dropping a 10,000-deep value recurses inside serde_json; unwind it by hand.
        let mut rest = bundle["objects"][0]["x_deep"].take();
        while let Value::Array(mut items) = rest {
            rest = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn value_limit_is_per_object() {
        let big = Value::Array(vec![Value::Null; MAX_VALUES]);
        let issues = validate_object(&json!({"type": "x-big", "id": "x-big--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "x_data": big}))
            .expect_err("too many values");
        assert!(issues[0].message.contains("more than"), "{issues:?}");
        // A bundle of many objects, each small, is not refused for its total size.
        let ip = |i: u32| json!({"type": "ipv4-addr", "id": crate::ids::value_sco_id("ipv4-addr", &i.to_string()), "value": i.to_string()});
        let objects: Vec<Value> = (0..(MAX_VALUES as u32 / 4 + 1)).map(ip).collect();
        let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects});
        assert_eq!(validate_object(&bundle), Ok(()));
    }

    #[test]
    fn issue_display_and_property() {
        let issue = Issue {
            path: "/objects/2/valid_until".into(),
            message: "must be later than valid_from".into(),
        };
        assert_eq!(issue.property(), "valid_until");
        assert_eq!(
            issue.to_string(),
            "/objects/2/valid_until: must be later than valid_from"
        );
    }
}
