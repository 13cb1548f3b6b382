//! TLP constants against the OASIS objects.

use std::path::Path;

use serde_json::Value;
use yamori_intel::markings::{Tlp2, TLP1};
use yamori_intel::validate_object;

#[test]
fn tlp2_objects_equal_the_oasis_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tlp2");
    for level in Tlp2::ALL {
        let path = dir.join(format!("{}.json", level.id()));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let oasis: Value = serde_json::from_str(&text).expect("OASIS JSON");
        assert_eq!(level.object(), oasis, "{level:?}");
        assert_eq!(Tlp2::parse(level.name()), Some(level));
        assert_eq!(validate_object(&oasis), Ok(()));
    }
    assert_eq!(Tlp2::parse("amber+strict"), Some(Tlp2::AmberStrict));
    assert_eq!(Tlp2::parse("white"), None, "TLP 2.0 has no WHITE");
}

#[test]
fn tlp1_objects_are_valid_and_others_are_refused() {
    let ids: Vec<&str> = TLP1.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        [
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        ]
    );
    for t in TLP1 {
        assert_eq!(validate_object(&t.object()), Ok(()), "{}", t.name);
    }
    let mut fake = TLP1[1].object();
    fake["definition"]["tlp"] = "red".into();
    assert!(
        validate_object(&fake).is_err(),
        "GREEN's id with a RED definition"
    );
}
