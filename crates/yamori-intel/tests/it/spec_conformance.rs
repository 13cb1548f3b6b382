//! Exact verdicts of `validate_object` on objects written from the STIX 2.1 text: the top-level
//! property extension (§7.3) and the case of hexadecimal values (§2.7, §2.8, §9.2).

use serde_json::{json, Value};
use yamori_intel::{validate_object, Issue};

const TOPLEVEL_DEF: &str = "extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1";
const CUSTOM: &str = "custom properties must start with x_, be carried in an extension, or be \
                      declared by a toplevel-property-extension (spec 7.3)";
const HEX: &str =
    "a _hex property must be hex (spec 2.8): an even number of digits 0-9 and lower-case a-f";
const BAD_NAME: &str = "invalid property name (a-z0-9_, 3-250, starting with a letter)";

fn issue(path: &str, message: &str) -> Issue {
    Issue {
        path: path.into(),
        message: message.into(),
    }
}

/// The indicator of spec §7.3 "Adding properties at the top-level to an existing STIX object
/// instance": `rank` and `toxicity` at the top level, declared by a toplevel-property-extension.
fn spec_toplevel_indicator() -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--66a63e16-92d7-4b2f-bd3d-21540d6b3fc7",
        "created": "2014-02-20T09:16:08.989000Z",
        "modified": "2014-02-20T09:16:08.989000Z",
        "name": "File hash for Poison Ivy variant",
        "description": "This file hash indicates that a sample of Poison Ivy is present.",
        "labels": ["malicious-activity"],
        "pattern": "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
        "pattern_type": "stix",
        "valid_from": "2014-02-20T09:00:00.000000Z",
        "rank": 1,
        "toxicity": 2,
        "extensions": {TOPLEVEL_DEF: {"extension_type": "toplevel-property-extension"}}
    })
}

fn with(mut object: Value, name: &str, value: Value) -> Value {
    object[name] = value;
    object
}

#[test]
fn spec_toplevel_property_extension_example_is_accepted() {
    assert_eq!(validate_object(&spec_toplevel_indicator()), Ok(()));
    // Also in a bundle with its extension definition, as the spec shows them.
    let definition = json!({
        "id": TOPLEVEL_DEF,
        "type": "extension-definition",
        "spec_version": "2.1",
        "name": "Extension Foo 1a",
        "description": "This schema adds two properties to a STIX object at the toplevel",
        "created": "2014-02-20T09:16:08.989000Z",
        "modified": "2014-02-20T09:16:08.989000Z",
        "created_by_ref": "identity--11b76a96-5d2b-45e0-8a5a-f6994f370731",
        "schema": "https://www.example.com/schema-foo-1a/v1/",
        "version": "1.2.1",
        "extension_types": ["toplevel-property-extension"],
        "extension_properties": ["toxicity", "rank"]
    });
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--8a92b65c-0ccb-462a-a8a5-1ef0531e3d20",
        "objects": [definition, spec_toplevel_indicator()]
    });
    assert_eq!(validate_object(&bundle), Ok(()));
}

#[test]
fn without_the_toplevel_extension_unprefixed_properties_are_refused() {
    let mut object = spec_toplevel_indicator();
    if let Some(map) = object.as_object_mut() {
        map.remove("extensions");
    }
    assert_eq!(
        validate_object(&object),
        Err(vec![issue("/rank", CUSTOM), issue("/toxicity", CUSTOM)])
    );
    // A property-extension carries its properties inside `extensions`, not at the top level
    // (the spec's property-extension example, properties moved out).
    let object = with(
        spec_toplevel_indicator(),
        "extensions",
        json!({TOPLEVEL_DEF: {"extension_type": "property-extension"}}),
    );
    assert_eq!(
        validate_object(&object),
        Err(vec![issue("/rank", CUSTOM), issue("/toxicity", CUSTOM)])
    );
}

#[test]
fn only_an_extension_definition_entry_declares_toplevel_properties() {
    // A predefined-extension key names one of the spec's nested extensions (§3.2).
    let object = with(
        spec_toplevel_indicator(),
        "extensions",
        json!({"acme-ext": {"extension_type": "toplevel-property-extension"}}),
    );
    assert_eq!(
        validate_object(&object),
        Err(vec![issue("/rank", CUSTOM), issue("/toxicity", CUSTOM)])
    );
    // An extension_type outside the enumeration is itself refused and declares nothing.
    let object = with(
        spec_toplevel_indicator(),
        "extensions",
        json!({TOPLEVEL_DEF: {"extension_type": "Toplevel-Property-Extension"}}),
    );
    let issues = validate_object(&object).expect_err("refused");
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/extensions/extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1/extension_type",
            "/rank",
            "/toxicity"
        ]
    );
    assert!(
        issues[1..].iter().all(|i| i.message == CUSTOM),
        "{issues:?}"
    );
}

#[test]
fn declared_toplevel_properties_still_follow_the_name_rules() {
    // §3.1 and §7.3.2.1: a-z, 0-9, `_`, starting with a letter, 3 to 250 characters.
    for name in ["Rank", "rk", "_rank", "1rank", "rank-x", &"r".repeat(251)] {
        let object = with(spec_toplevel_indicator(), name, json!(3));
        assert_eq!(
            validate_object(&object),
            Err(vec![issue(&format!("/{name}"), BAD_NAME)]),
            "{name}"
        );
    }
    let longest = "r".repeat(250);
    let object = with(spec_toplevel_indicator(), &longest, json!(3));
    assert_eq!(validate_object(&object), Ok(()));
    // §3.8 reserved names stay reserved.
    let object = with(spec_toplevel_indicator(), "severity", json!("high"));
    assert_eq!(
        validate_object(&object),
        Err(vec![issue(
            "/severity",
            "reserved property name (spec 3.8)"
        )])
    );
    // Declared properties keep the suffix rules: `_ref` holds an identifier.
    let object = with(spec_toplevel_indicator(), "rank_ref", json!("not an id"));
    let issues = validate_object(&object).expect_err("refused");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].path, "/rank_ref");
}

#[test]
fn toplevel_extension_covers_its_own_object_only() {
    let mut other = spec_toplevel_indicator();
    other["id"] = json!("indicator--50a77dab-ccc6-439c-b142-92786c394b43");
    if let Some(map) = other.as_object_mut() {
        map.remove("extensions");
    }
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--8a92b65c-0ccb-462a-a8a5-1ef0531e3d20",
        "objects": [spec_toplevel_indicator(), other]
    });
    assert_eq!(
        validate_object(&bundle),
        Err(vec![
            issue("/objects/1/rank", CUSTOM),
            issue("/objects/1/toxicity", CUSTOM)
        ])
    );
}

/// A file SCO from spec §6.7 with the given extra properties.
fn file(extra: Value) -> Value {
    let mut object = json!({
        "type": "file",
        "spec_version": "2.1",
        "id": "file--66772174-3442-5e0d-b577-4bd7be55fb87",
        "name": "picture.jpg"
    });
    if let (Some(map), Some(extra)) = (object.as_object_mut(), extra.as_object()) {
        map.extend(extra.clone());
    }
    object
}

#[test]
fn hex_type_is_lower_case_whole_octets() {
    // §2.8: "an even number of hexadecimal characters, which are the digits '0' through '9'
    // and the lower-case letters 'a' through 'f'".
    for good in ["ffd8", "00000002", "0a"] {
        assert_eq!(
            validate_object(&file(json!({"magic_number_hex": good}))),
            Ok(()),
            "{good}"
        );
    }
    for bad in [
        json!("FFD8"),
        json!("fFd8"),
        json!("ffd"),
        json!(""),
        json!("0x0a"),
        json!(216),
    ] {
        assert_eq!(
            validate_object(&file(json!({"magic_number_hex": bad}))),
            Err(vec![issue("/magic_number_hex", HEX)]),
            "{bad}"
        );
    }
    // The same rule inside a predefined extension (spec §6.12.5, tcp-ext).
    let traffic = json!({
        "type": "network-traffic",
        "spec_version": "2.1",
        "id": "network-traffic--47b27c77-4272-563f-91ca-87e2a4afd6ef",
        "protocols": ["tcp"],
        "extensions": {"tcp-ext": {"src_flags_hex": "0000001A"}}
    });
    assert_eq!(
        validate_object(&traffic),
        Err(vec![issue("/extensions/tcp-ext/src_flags_hex", HEX)])
    );
}

#[test]
fn upper_case_hex_is_accepted_where_the_spec_does_not_restrict_case() {
    // §2.7: a hash value is "a string in the appropriate format defined by the hash type".
    let hashes = json!({
        "MD5": "B4D33B0C7306351B9ED96578465C5579",
        "SHA-256": "4BAC27393BDD9777CE02453256C5577CD02275510B2227F473D03F533924F877"
    });
    assert_eq!(validate_object(&file(json!({"hashes": hashes}))), Ok(()));
    // §6.7.4's own example: PDF file identifiers are strings in upper-case hex.
    let pdf = json!({"extensions": {"pdf-ext": {
        "pdfid0": "DFCE52BD827ECF765649852119D",
        "pdfid1": "57A1E0F9ED2AE523E313C"
    }}});
    assert_eq!(validate_object(&file(pdf)), Ok(()));
    // §9.2: a pattern hex constant is "the digits '0' through '9' and the letters 'a' through
    // 'f'", either case; and a hash compared as a string.
    for pattern in [
        "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'FFD8']",
        "[file:hashes.MD5 = '79054025255FB1A26E4BC422AEF54EB4']",
    ] {
        let indicator = with(spec_toplevel_indicator(), "pattern", json!(pattern));
        assert_eq!(validate_object(&indicator), Ok(()), "{pattern}");
    }
    // External references carry hashes too (§2.5).
    let indicator = with(
        spec_toplevel_indicator(),
        "external_references",
        json!([{
            "source_name": "veris",
            "external_id": "0001AA7F-C601-424A-B2B8-BE6C9F5164E7",
            "hashes": {"SHA-256": "6DB12788C37247F2316052E142F42F4B259D6561751E5F401A1AE2A6DF9C674B"}
        }]),
    );
    assert_eq!(validate_object(&indicator), Ok(()));
}
