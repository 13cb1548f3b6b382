//! The TLP sharing rules (docs/TRUST.md) on real marking ids and objects.

use serde_json::{json, Value};
use yamori_intel::markings::{Tlp2, TLP1_AMBER, TLP1_RED, TLP1_WHITE};
use yamori_intel::sharing::{
    object_tlp, parse_clearance, readable_at, tlp_of_marking, TlpPolicy, Withheld,
    DEFAULT_CLEARANCE,
};

fn indicator(markings: &[&str]) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": markings,
    })
}

fn policy() -> TlpPolicy {
    TlpPolicy {
        amber_peers: ["identity--peer-a".to_string()].into(),
        amber_strict_peers: ["identity--peer-b".to_string()].into(),
        ..TlpPolicy::default()
    }
}

#[test]
fn red_is_never_shared() {
    let p = TlpPolicy {
        amber_peers: ["x".into()].into(),
        amber_strict_peers: ["x".into()].into(),
        ..TlpPolicy::default()
    };
    assert_eq!(
        p.check(&indicator(&[Tlp2::Red.id()]), "x"),
        Err(Withheld::Red)
    );
    assert_eq!(p.check(&indicator(&[TLP1_RED.id]), "x"), Err(Withheld::Red));
}

#[test]
fn amber_and_amber_strict_only_to_listed_peers() {
    let p = policy();
    let amber = indicator(&[Tlp2::Amber.id()]);
    let strict = indicator(&[Tlp2::AmberStrict.id()]);
    assert_eq!(p.check(&amber, "identity--peer-a"), Ok(()));
    let refused = p
        .check(&amber, "identity--peer-b")
        .expect_err("b not on the amber list");
    assert_eq!(
        refused.to_string(),
        "TLP:AMBER is shared only with the peers the policy lists; \"identity--peer-b\" is not among them"
    );
    assert_eq!(p.check(&strict, "identity--peer-b"), Ok(()));
    assert!(p.check(&strict, "identity--peer-a").is_err());
    assert!(p
        .check(&indicator(&[TLP1_AMBER.id]), "identity--peer-a")
        .is_ok());
    assert!(p
        .check(&indicator(&[TLP1_AMBER.id]), "identity--other")
        .is_err());
}

#[test]
fn clear_and_green_as_configured() {
    let p = policy();
    for id in [Tlp2::Clear.id(), Tlp2::Green.id(), TLP1_WHITE.id] {
        assert_eq!(p.check(&indicator(&[id]), "anyone"), Ok(()));
    }
    let closed = TlpPolicy {
        share_green: false,
        share_clear: false,
        ..policy()
    };
    assert_eq!(
        closed.check(&indicator(&[Tlp2::Green.id()]), "anyone"),
        Err(Withheld::LevelOff("TLP:GREEN"))
    );
    assert_eq!(
        closed.check(&indicator(&[Tlp2::Clear.id()]), "anyone"),
        Err(Withheld::LevelOff("TLP:CLEAR"))
    );
}

#[test]
fn most_restrictive_marking_wins_granular_included() {
    let p = policy();
    let mixed = indicator(&[Tlp2::Green.id(), Tlp2::Amber.id()]);
    assert_eq!(object_tlp(&mixed), Some(Tlp2::Amber));
    assert!(p.check(&mixed, "anyone").is_err());
    let mut granular = indicator(&[Tlp2::Clear.id()]);
    granular["granular_markings"] = json!([
        {"marking_ref": Tlp2::Red.id(), "selectors": ["pattern"]}
    ]);
    assert_eq!(object_tlp(&granular), Some(Tlp2::Red));
    assert_eq!(p.check(&granular, "identity--peer-a"), Err(Withheld::Red));
    // Non-TLP markings (statements) are not TLP levels.
    let statement = "marking-definition--0d4f5b56-4c2b-4b7e-9f3c-7c8d2f0e9a11";
    assert_eq!(tlp_of_marking(statement), None);
    assert_eq!(
        object_tlp(&indicator(&[statement, Tlp2::Green.id()])),
        Some(Tlp2::Green)
    );
}

#[test]
fn unmarked_objects_follow_the_documented_default() {
    let p = policy();
    let unmarked = indicator(&[]);
    assert_eq!(object_tlp(&unmarked), None);
    // Default: treated as TLP:AMBER.
    assert!(p.check(&unmarked, "identity--peer-a").is_ok());
    assert!(p.check(&unmarked, "anyone").is_err());
    let open = TlpPolicy {
        unmarked: Tlp2::Green,
        ..policy()
    };
    assert!(open.check(&unmarked, "anyone").is_ok());
    // Marking definitions travel with the objects they mark.
    assert!(p.check(&Tlp2::Red.object(), "anyone").is_ok());
}

#[test]
fn policy_configuration() {
    let p: TlpPolicy = serde_json::from_value(json!({
        "amber_peers": ["identity--peer-a"],
        "unmarked": "TLP:AMBER+STRICT",
    }))
    .expect("policy");
    assert_eq!(p.unmarked, Tlp2::AmberStrict);
    assert!(p.share_clear && p.share_green);
    let e = serde_json::from_value::<TlpPolicy>(json!({"unmarked": "white"}))
        .expect_err("TLP 1.0 name")
        .to_string();
    assert!(e.contains("unknown TLP level \"white\""), "{e}");
    assert_eq!(TlpPolicy::default().unmarked, Tlp2::Amber);
}

/// A peer's table of the sharing policy file: its switches become the rules for that peer,
/// RED stays closed whatever it says, unknown keys are refused.
#[test]
fn a_peer_policy_opens_only_what_it_names() {
    use yamori_intel::sharing::PeerPolicy;
    let p: PeerPolicy = serde_json::from_value(json!({
        "url": "https://peer.example/api1/",
        "tlp": {"amber": true, "share_green": false, "unmarked": "clear"}
    }))
    .expect("policy");
    let rules = p.tlp.policy("peer-a");
    assert_eq!(
        rules.check(&indicator(&[Tlp2::Amber.id()]), "peer-a"),
        Ok(())
    );
    assert!(rules
        .check(&indicator(&[Tlp2::AmberStrict.id()]), "peer-a")
        .is_err());
    assert_eq!(
        rules.check(&indicator(&[Tlp2::Green.id()]), "peer-a"),
        Err(Withheld::LevelOff("TLP:GREEN"))
    );
    assert_eq!(
        rules.check(&indicator(&[Tlp2::Red.id()]), "peer-a"),
        Err(Withheld::Red)
    );
    assert_eq!(
        rules.check(&indicator(&[]), "peer-a"),
        Ok(()),
        "unmarked as CLEAR"
    );
    // The defaults: CLEAR and GREEN only; unmarked counts as AMBER.
    let d: PeerPolicy = serde_json::from_value(json!({"url": "u"})).expect("policy");
    let rules = d.tlp.policy("peer-a");
    assert!(rules.check(&indicator(&[]), "peer-a").is_err());
    assert_eq!(
        rules.check(&indicator(&[Tlp2::Green.id()]), "peer-a"),
        Ok(())
    );
    let typo = serde_json::from_value::<PeerPolicy>(json!({"url": "u", "tlp": {"ambr": true}}));
    assert!(typo.is_err());
}

#[test]
fn an_account_reads_up_to_its_clearance_and_never_red() {
    let unmarked = indicator(&[]);
    let strict_granular = {
        let mut o = indicator(&[Tlp2::Green.id()]);
        o["granular_markings"] =
            json!([{"marking_ref": Tlp2::AmberStrict.id(), "selectors": ["pattern"]}]);
        o
    };
    let cases: [(&Value, [bool; 4]); 8] = [
        // clearance:                              clear  green  amber  amber+strict
        (&indicator(&[Tlp2::Clear.id()]), [true, true, true, true]),
        (&indicator(&[TLP1_WHITE.id]), [true, true, true, true]),
        (&indicator(&[Tlp2::Green.id()]), [false, true, true, true]),
        (&indicator(&[Tlp2::Amber.id()]), [false, false, true, true]),
        (&unmarked, [false, false, true, true]),
        (
            &indicator(&[Tlp2::AmberStrict.id()]),
            [false, false, false, true],
        ),
        (&strict_granular, [false, false, false, true]),
        (&indicator(&[Tlp2::Red.id()]), [false; 4]),
    ];
    let levels = [Tlp2::Clear, Tlp2::Green, Tlp2::Amber, Tlp2::AmberStrict];
    for (object, expected) in cases {
        for (level, want) in levels.iter().zip(expected) {
            assert_eq!(
                readable_at(object, *level),
                want,
                "{:?} at {level:?}",
                object["object_marking_refs"]
            );
        }
    }
    // A marking definition carries no data: always readable, so bundles stay complete.
    assert!(readable_at(&Tlp2::Amber.object(), Tlp2::Clear));
    assert_eq!(DEFAULT_CLEARANCE, Tlp2::Green);
    assert_eq!(parse_clearance("TLP:AMBER+STRICT"), Ok(Tlp2::AmberStrict));
    assert_eq!(parse_clearance("green"), Ok(Tlp2::Green));
    assert!(parse_clearance("red")
        .expect_err("red")
        .contains("never served"));
    assert_eq!(parse_clearance("white"), Ok(Tlp2::Clear));
    assert!(parse_clearance("purple")
        .expect_err("purple")
        .contains("not a TLP level"));
}
