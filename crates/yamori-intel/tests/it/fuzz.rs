//! `validate_object` and the pattern checker never panic, whatever the JSON.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use yamori_intel::validate::pattern;
use yamori_intel::validate_object;

/// Arbitrary JSON biased towards STIX-looking keys and values, so the type-specific paths run.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_string()),
        Just("id".to_string()),
        Just("created".to_string()),
        Just("modified".to_string()),
        Just("spec_version".to_string()),
        Just("pattern".to_string()),
        Just("granular_markings".to_string()),
        Just("selectors".to_string()),
        Just("extensions".to_string()),
        Just("objects".to_string()),
        Just("source_ref".to_string()),
        Just("x_ref".to_string()),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!("indicator")),
        Just(json!("bundle")),
        Just(json!("sighting")),
        Just(json!("stix")),
        Just(json!("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")),
        Just(json!("2016-04-06T20:03:48.000Z")),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 256, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validate_object_never_panics(v in json_value()) {
        let _ = validate_object(&v);
        let wrapped = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [v]});
        let _ = validate_object(&wrapped);
    }

    #[test]
    fn pattern_check_never_panics(p in "[\\[\\]()' a-z0-9:.=<>!,*\\\\-]{0,60}|\\PC{0,40}") {
        let _ = pattern::check(&p);
        let _ = pattern::check(&format!("[ipv4-addr:value = '{p}"));
    }
}
