//! The `extensions` property and the extension facility (spec §3.2, §7.3).

use serde_json::{Map, Value};

use super::common::{check_reference_property, identifier_type, is_property_name, is_type_name};
use super::{join, Sink};

/// The `extension_type` that adds properties at an object's top level (spec §7.3, §10.5).
pub const TOPLEVEL_PROPERTY_EXTENSION: &str = "toplevel-property-extension";

/// `extensions` (spec §3.2, §7.3): a non-empty dictionary whose keys are either the id of an
/// extension-definition (value: object with an `extension_type` from the enumeration) or a
/// predefined extension name ending in `-ext` (value: non-empty object).
pub fn check_extensions(value: &Value, path: &str, sink: &mut Sink) {
    const EXTENSION_TYPES: [&str; 5] = [
        "new-sdo",
        "new-sco",
        "new-sro",
        "property-extension",
        TOPLEVEL_PROPERTY_EXTENSION,
    ];
    let Some(map) = value.as_object().filter(|m| !m.is_empty()) else {
        sink.push(
            path.into(),
            "must be a non-empty dictionary of extensions".into(),
        );
        return;
    };
    for (key, ext) in map {
        let ext_path = join(path, key);
        let Some(ext_map) = ext.as_object() else {
            sink.push(ext_path, "an extension must be an object".into());
            continue;
        };
        if identifier_type(key) == Some("extension-definition") {
            match ext_map.get("extension_type").and_then(Value::as_str) {
                Some(t) if EXTENSION_TYPES.contains(&t) => {}
                _ => sink.push(
                    join(&ext_path, "extension_type"),
                    format!("required, one of {}", EXTENSION_TYPES.join(", ")),
                ),
            }
        } else if key.ends_with("-ext") && is_type_name(key) {
            if ext_map.is_empty() {
                sink.push(
                    ext_path.clone(),
                    "a predefined extension must not be empty".into(),
                );
            }
        } else {
            sink.push(
                ext_path.clone(),
                "extension keys are extension-definition ids or names ending in -ext".into(),
            );
            continue;
        }
        for (name, v) in ext_map {
            if !is_property_name(name) {
                sink.push(
                    join(&ext_path, name),
                    "invalid property name (a-z0-9_, 3-250, starting with a letter)".into(),
                );
            }
            check_reference_property(name, v, &join(&ext_path, name), sink);
        }
    }
}

/// Whether the object declares a top-level property extension: an `extensions` entry keyed by
/// an extension-definition id whose `extension_type` is `toplevel-property-extension`.
///
/// Spec §7.3 lists three ways to extend STIX, the third being to "define additional properties
/// for an existing STIX Object type at the object's top-level"; its example adds `rank` and
/// `toxicity` to an indicator at the top level, with no `x_` prefix, the indicator's
/// `extensions` holding `{"<extension-definition id>": {"extension_type":
/// "toplevel-property-extension"}}`. Those names must still follow the property-name rules
/// (§3.1, §7.3.2.1: a-z, 0-9, `_`, 3–250 characters), which are checked for every property.
/// stix2-validator agrees: its `extensions-use` check (401) exempts such objects from asking
/// for an extension; its older `custom-prefix-lax` check (102) does not know §7.3 and flags
/// the spec's own example (see the corpus's `extensions/`).
///
/// Only extension-definition ids count: a predefined `*-ext` key names one of the spec's own
/// nested extensions, which do not use the extension facility (§3.2 `extensions`).
pub fn declares_toplevel_properties(object: &Map<String, Value>) -> bool {
    object
        .get("extensions")
        .and_then(Value::as_object)
        .is_some_and(|extensions| {
            extensions.iter().any(|(key, ext)| {
                identifier_type(key) == Some("extension-definition")
                    && ext.get("extension_type").and_then(Value::as_str)
                        == Some(TOPLEVEL_PROPERTY_EXTENSION)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEF: &str = "extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1";

    fn declares(extensions: Value) -> bool {
        let object = json!({"type": "indicator", "extensions": extensions});
        declares_toplevel_properties(object.as_object().expect("an object"))
    }

    #[test]
    fn toplevel_extension_is_an_extension_definition_entry_of_that_type() {
        assert!(declares(
            json!({DEF: {"extension_type": "toplevel-property-extension"}})
        ));
        // One such entry among others is enough.
        assert!(declares(json!({
            "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":
                {"extension_type": "property-extension", "rank": 5},
            DEF: {"extension_type": "toplevel-property-extension"}
        })));
    }

    #[test]
    fn other_entries_do_not_declare_toplevel_properties() {
        for extensions in [
            json!({DEF: {"extension_type": "property-extension"}}),
            json!({DEF: {"extension_type": "Toplevel-Property-Extension"}}),
            json!({DEF: {}}),
            json!({DEF: "toplevel-property-extension"}),
            json!({"acme-ext": {"extension_type": "toplevel-property-extension"}}),
            json!({"identity--311b2d2d-f010-4473-83ec-1edf84858f4c":
                {"extension_type": "toplevel-property-extension"}}),
            json!({}),
            json!(["toplevel-property-extension"]),
        ] {
            assert!(!declares(extensions.clone()), "{extensions}");
        }
        let object = json!({"type": "indicator"});
        assert!(!declares_toplevel_properties(
            object.as_object().expect("an object")
        ));
    }
}
