//! Deterministic STIX identifiers.
//!
//! * SCOs (spec §2.9, §3.4): UUIDv5 in the OASIS namespace [`STIX_SCO_NAMESPACE`] over the
//!   RFC 8785 (JCS) canonical JSON of the object's "ID Contributing Properties", so the same
//!   observable gets the same id at every producer.
//! * Objects Yamori generates (SDOs, SROs, bundles): UUIDv5 in [`YAMORI_NAMESPACE`] over a
//!   stable key, so re-publishing the same analysis yields the same ids and bytes. The spec
//!   (§2.9) lets producers use something other than UUIDv4 here provided they use their own
//!   namespace, never the SCO one. stix2-validator's best-practice check 103 (`uuid-check`)
//!   still warns on them; see the crate docs.

use serde_json::{Map, Value};
use uuid::Uuid;

/// The namespace the STIX 2.1 spec (§2.9) fixes for deterministic SCO ids.
pub const STIX_SCO_NAMESPACE: Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// Yamori's own namespace for generated SDO/SRO/bundle ids: UUIDv5 of the URL namespace over
/// `https://yamori.invalid/ns/stix` (checked by a test), so anyone can re-derive it.
pub const YAMORI_NAMESPACE: Uuid = uuid::uuid!("1b7e6b81-0336-51c1-ade9-9e84720f365d");

/// `<type>--<UUIDv5(YAMORI_NAMESPACE, "<type>\n<key>")>`: the id of an object Yamori generates.
/// The type is part of the hashed name so one key never yields the same UUID for two types
/// (spec §2.9: a UUID must not be reused across types).
pub fn generated_id(object_type: &str, key: &str) -> String {
    let name = format!("{object_type}\n{key}");
    format!(
        "{object_type}--{}",
        Uuid::new_v5(&YAMORI_NAMESPACE, name.as_bytes())
    )
}

/// ID Contributing Properties per SCO type (spec §6, each type's "ID Contributing
/// Properties"). Types whose rule needs more than copying properties (artifact, file and
/// x509-certificate pick one hash by preference; network-traffic and file include extension
/// contents) and process (always UUIDv4) are left out: [`sco_id`] returns `None` for them.
const CONTRIBUTING: &[(&str, &[&str])] = &[
    ("autonomous-system", &["number"]),
    ("directory", &["path"]),
    ("domain-name", &["value"]),
    ("email-addr", &["value"]),
    ("email-message", &["from_ref", "subject", "body"]),
    ("ipv4-addr", &["value"]),
    ("ipv6-addr", &["value"]),
    ("mac-addr", &["value"]),
    ("mutex", &["name"]),
    ("software", &["name", "cpe", "swid", "vendor", "version"]),
    ("url", &["value"]),
    (
        "user-account",
        &["account_type", "user_id", "account_login"],
    ),
    ("windows-registry-key", &["key", "values"]),
];

/// The deterministic id of an SCO given as JSON (its `type` and properties), or `None` when the
/// type is not in the table above or none of its contributing properties is present (then the
/// spec asks for a UUIDv4).
pub fn sco_id(object: &Map<String, Value>) -> Option<String> {
    let object_type = object.get("type")?.as_str()?;
    let (_, names) = CONTRIBUTING.iter().find(|(t, _)| *t == object_type)?;
    let contributing: Map<String, Value> = names
        .iter()
        .filter_map(|name| Some((name.to_string(), object.get(*name)?.clone())))
        .collect();
    if contributing.is_empty() {
        return None;
    }
    let canonical = serde_json_canonicalizer::to_string(&Value::Object(contributing)).ok()?;
    Some(format!(
        "{object_type}--{}",
        Uuid::new_v5(&STIX_SCO_NAMESPACE, canonical.as_bytes())
    ))
}

/// Deterministic id of an `ipv4-addr` / `ipv6-addr` (or other `value`-keyed) SCO.
pub fn value_sco_id(object_type: &str, value: &str) -> Option<String> {
    let mut object = Map::new();
    object.insert("type".into(), Value::from(object_type));
    object.insert("value".into(), Value::from(value));
    sco_id(&object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id_of(v: Value) -> Option<String> {
        sco_id(v.as_object().expect("test literal is an object"))
    }

    /// Ids from the spec's examples (errata 01 recomputed them with python-stix2).
    #[test]
    fn matches_the_spec_examples() {
        assert_eq!(
            value_sco_id("ipv4-addr", "198.51.100.3").as_deref(),
            Some("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")
        );
        assert_eq!(
            value_sco_id("ipv6-addr", "2001:0db8:85a3:0000:0000:8a2e:0370:7334").as_deref(),
            Some("ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f")
        );
        assert_eq!(
            value_sco_id("domain-name", "example.com").as_deref(),
            Some("domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7")
        );
        assert_eq!(
            value_sco_id("mac-addr", "d2:fb:49:24:37:18").as_deref(),
            Some("mac-addr--757b1725-9903-54f5-a855-1240691d7659")
        );
        let word = json!({"type": "software", "name": "Word",
            "cpe": "cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
            "version": "2002", "vendor": "Microsoft"});
        assert_eq!(
            id_of(word).as_deref(),
            Some("software--710b0b41-d4d0-5d6c-a400-fc9254554ffc")
        );
        let asn = json!({"type": "autonomous-system", "number": 15139, "name": "Slime Industries"});
        assert_eq!(
            id_of(asn).as_deref(),
            Some("autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff")
        );
    }

    #[test]
    fn no_contributing_property_means_no_deterministic_id() {
        assert_eq!(
            id_of(json!({"type": "user-account", "display_name": "x"})),
            None
        );
        assert_eq!(id_of(json!({"type": "process", "pid": 1})), None);
    }

    #[test]
    fn yamori_namespace_is_derived_as_documented() {
        let derived = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://yamori.invalid/ns/stix");
        assert_eq!(derived, YAMORI_NAMESPACE);
    }

    #[test]
    fn generated_ids_are_stable_and_type_scoped() {
        let a = generated_id("indicator", "k");
        assert_eq!(a, generated_id("indicator", "k"));
        assert_ne!(a[11..], generated_id("sighting", "k")[10..]);
        let uuid = Uuid::parse_str(&a["indicator--".len()..]).expect("valid uuid");
        assert_eq!(uuid.get_version_num(), 5);
    }
}
