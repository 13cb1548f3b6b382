use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{json, Value};
use uuid::Uuid;

use super::*;
use crate::ids::value_sco_id;

const ORG: &str = "identity--00000000-0000-4000-8000-0000000000aa";
const T: &str = "2026-11-01T00:00:00.000Z";

fn sco(value: &str) -> Value {
    let t = if value.contains(':') {
        "ipv6-addr"
    } else {
        "ipv4-addr"
    };
    json!({"type": t, "spec_version": "2.1", "id": value_sco_id(t, value).expect("the fixture has it"), "value": value})
}

/// A scanner (indicator, its SCO, observed-data, sighting) and a backscatter victim
/// (SCO, observed-data, note), and a surveyed camera (infrastructure, relationship), as the
/// telescope and survey conversions write them.
fn objects() -> Vec<Value> {
    let scanner = sco("198.51.100.7");
    let victim = sco("203.0.113.9");
    let camera = sco("192.0.2.44");
    let od_scan = json!({"type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--00000000-0000-4000-8000-000000000001", "created": T, "modified": T,
        "created_by_ref": ORG, "first_observed": T, "last_observed": T, "number_observed": 3,
        "object_refs": [scanner["id"]]});
    let od_victim = json!({"type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--00000000-0000-4000-8000-000000000002", "created": T, "modified": T,
        "created_by_ref": ORG, "first_observed": T, "last_observed": T, "number_observed": 1,
        "object_refs": [victim["id"]]});
    vec![
        scanner.clone(),
        json!({"type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-8000-000000000003", "created": T, "modified": T,
            "created_by_ref": ORG, "pattern": "[ipv4-addr:value = '198.51.100.7']",
            "pattern_type": "stix", "valid_from": T, "name": "scanner 198.51.100.7",
            "description": "also seen near 203.0.113.9"}),
        od_scan.clone(),
        json!({"type": "sighting", "spec_version": "2.1",
            "id": "sighting--00000000-0000-4000-8000-000000000004", "created": T, "modified": T,
            "sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000003",
            "observed_data_refs": [od_scan["id"]], "where_sighted_refs": [ORG], "count": 3}),
        victim.clone(),
        od_victim.clone(),
        json!({"type": "note", "spec_version": "2.1",
            "id": "note--00000000-0000-4000-8000-000000000005", "created": T, "modified": T,
            "created_by_ref": ORG, "abstract": "DDoS backscatter from victim 203.0.113.9",
            "content": "203.0.113.9 appears to be under attack; 203.0.113.0/24 too.",
            "object_refs": [od_victim["id"], victim["id"]]}),
        camera.clone(),
        json!({"type": "infrastructure", "spec_version": "2.1",
            "id": "infrastructure--00000000-0000-4000-8000-000000000006", "created": T,
            "modified": T, "created_by_ref": ORG, "name": "Hikvision camera at 192.0.2.44:80",
            "infrastructure_types": ["unknown"]}),
        json!({"type": "relationship", "spec_version": "2.1",
            "id": "relationship--00000000-0000-4000-8000-000000000007", "created": T,
            "modified": T, "relationship_type": "consists-of",
            "source_ref": "infrastructure--00000000-0000-4000-8000-000000000006",
            "target_ref": camera["id"]}),
    ]
}

fn keep_of(objs: &[Value]) -> HashSet<IpNet> {
    objs.iter().flat_map(indicator_addresses).collect()
}

fn sco_values(objs: &[Value]) -> HashMap<String, IpNet> {
    objs.iter()
        .filter_map(|o| Some((o["id"].as_str()?.to_string(), address_value(o)?)))
        .collect()
}

/// A stand-in prefix-preserving map for the tests: flips the first octet's low bit and the
/// last octet (the real schemes are tested in yamori-trust).
fn toy(net: IpNet) -> Option<IpNet> {
    let IpAddr::V4(a) = net.addr() else {
        return None;
    };
    let o = a.octets();
    let b = std::net::Ipv4Addr::new(o[0] ^ 1, o[1], o[2], o[3] ^ 0x5a);
    IpNet::new(IpAddr::V4(b), net.prefix_len())
        .ok()
        .map(|n| n.trunc())
}

fn run(map: &dyn Fn(IpNet) -> Option<IpNet>) -> (Vec<Value>, Vec<&'static str>) {
    let objs = objects();
    let keep = keep_of(&objs);
    let values = sco_values(&objs);
    let a = Anonymiser::new(&keep, map, Uuid::from_u128(7));
    let mut shared = Vec::new();
    let mut withheld = Vec::new();
    for o in &objs {
        match a.rewrite(o, &values) {
            Rewritten::Shared(v) => shared.push(v.object),
            Rewritten::Withheld(why) => withheld.push(why),
        }
    }
    (shared, withheld)
}

#[test]
fn victims_are_pseudonymised_and_indicators_kept() {
    let (shared, withheld) = run(&toy);
    assert!(withheld.is_empty(), "{withheld:?}");
    let text = serde_json::to_string(&shared).expect("the fixture has it");
    for secret in ["203.0.113.9", "192.0.2.44", "203.0.113.0/24"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // The victim's pseudonym under the toy map, and its SCO id follows the new value.
    assert!(text.contains("202.0.113.83"), "{text}");
    let victim = shared
        .iter()
        .find(|o| o["value"] == "202.0.113.83")
        .expect("the fixture has it");
    assert_eq!(
        victim["id"],
        value_sco_id("ipv4-addr", "202.0.113.83").expect("the fixture has it")
    );
    // The prefix in text maps to the pseudonym's prefix, written canonically.
    assert!(text.contains("202.0.113.0/24"), "{text}");
    assert!(
        text.contains("Hikvision camera at 193.0.2.118:80"),
        "{text}"
    );
    // The scanner's indicator, SCO and pattern are as they were.
    let originals = objects();
    assert_eq!(shared[0], originals[0]);
    let ind = shared
        .iter()
        .find(|o| o["type"] == "indicator")
        .expect("the fixture has it");
    assert_eq!(ind["pattern"], originals[1]["pattern"]);
    assert_eq!(ind["id"], originals[1]["id"]);
    assert_eq!(ind["description"], "also seen near 202.0.113.83");
    // Every object is valid STIX, and every reference inside the shared set resolves.
    let ids: BTreeSet<&str> = shared.iter().filter_map(|o| o["id"].as_str()).collect();
    for o in &shared {
        assert!(crate::validate_object(o).is_ok(), "{o}");
        for r in Anonymiser::address_refs(o) {
            assert!(ids.contains(r.as_str()), "dangling {r} in {o}");
        }
    }
    let note = shared
        .iter()
        .find(|o| o["type"] == "note")
        .expect("the fixture has it");
    for r in note["object_refs"].as_array().expect("the fixture has it") {
        assert!(
            ids.contains(r.as_str().expect("the fixture has it")),
            "note refers to {r}"
        );
    }
    let rel = shared
        .iter()
        .find(|o| o["type"] == "relationship")
        .expect("the fixture has it");
    assert!(ids.contains(rel["source_ref"].as_str().expect("the fixture has it")));
    assert!(ids.contains(rel["target_ref"].as_str().expect("the fixture has it")));
    // Sightings keep pointing at the indicator; their own ids are re-keyed.
    let s = shared
        .iter()
        .find(|o| o["type"] == "sighting")
        .expect("the fixture has it");
    assert_eq!(s["sighting_of_ref"], originals[1]["id"]);
    assert_ne!(s["id"], originals[3]["id"]);
    assert_eq!(s["where_sighted_refs"][0], ORG);
}

#[test]
fn the_same_input_gives_the_same_output_and_another_key_other_ids() {
    let (a, _) = run(&toy);
    let (b, _) = run(&toy);
    assert_eq!(a, b);
    let objs = objects();
    let keep = keep_of(&objs);
    let other = Anonymiser::new(&keep, &toy, Uuid::from_u128(8));
    let Rewritten::Shared(Shared { object: note, .. }) =
        other.rewrite(&objs[6], &sco_values(&objs))
    else {
        panic!()
    };
    let first = a
        .iter()
        .find(|o| o["type"] == "note")
        .expect("the fixture has it");
    assert_ne!(note["id"], first["id"]);
    assert_eq!(note["content"], first["content"]);
}

#[test]
fn withheld_addresses_take_their_objects_and_references_with_them() {
    let (shared, withheld) = run(&|_| None);
    let text = serde_json::to_string(&shared).expect("the fixture has it");
    for secret in ["203.0.113.9", "192.0.2.44", "203.0.113.0"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // The victim's and camera's SCOs, the observed-data naming only the victim, and the
    // relationship to the camera's SCO are not shared.
    assert_eq!(withheld.len(), 4, "{withheld:?}");
    let note = shared
        .iter()
        .find(|o| o["type"] == "note")
        .expect("the fixture has it");
    assert_eq!(
        note["object_refs"]
            .as_array()
            .expect("the fixture has it")
            .len(),
        1,
        "{note}"
    );
    assert!(note["abstract"]
        .as_str()
        .expect("the fixture has it")
        .ends_with(WITHHELD_TEXT));
    let infra = shared
        .iter()
        .find(|o| o["type"] == "infrastructure")
        .expect("the fixture has it");
    assert_eq!(infra["name"], "Hikvision camera at [address withheld]:80");
    for o in &shared {
        assert!(crate::validate_object(o).is_ok(), "{o}");
    }
    // The scanner stays.
    assert!(text.contains("198.51.100.7"));
}

#[test]
fn shared_hosts_are_victims_not_indicators_nor_prefixes() {
    let objs = objects();
    let keep = keep_of(&objs);
    let values = sco_values(&objs);
    let a = Anonymiser::new(&keep, &toy, Uuid::nil());
    let mut hosts = BTreeSet::new();
    for o in &objs {
        if let Rewritten::Shared(s) = a.rewrite(o, &values) {
            hosts.extend(s.hosts);
        }
    }
    let got: Vec<String> = hosts.iter().map(ToString::to_string).collect();
    assert_eq!(got, ["192.0.2.44", "203.0.113.9"]);
    // Withheld everywhere: no host is shared.
    let none = Anonymiser::new(&keep, &|_| None, Uuid::nil());
    for o in &objs {
        if let Rewritten::Shared(s) = none.rewrite(o, &values) {
            assert!(s.hosts.is_empty(), "{o}");
        }
    }
}

#[test]
fn embedded_objects_keys_and_extensions_are_rewritten_too() {
    let victim_id = value_sco_id("ipv4-addr", "203.0.113.9").expect("an id");
    let od = json!({"type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--00000000-0000-4000-8000-000000000009", "created": T, "modified": T,
        "first_observed": T, "last_observed": T, "number_observed": 1,
        "objects": {"0": {"type": "ipv4-addr", "id": victim_id, "value": "203.0.113.9"},
                    "1": {"type": "network-traffic", "src_ref": "0", "protocols": ["tcp"]}},
        "extensions": {"x-example-ext": {"victim_ref": victim_id}},
        "x_ports": {"203.0.113.9": [80]}});
    let keep = HashSet::new();
    let a = Anonymiser::new(&keep, &toy, Uuid::nil());
    let Rewritten::Shared(s) = a.rewrite(&od, &HashMap::new()) else {
        panic!()
    };
    let text = s.object.to_string();
    assert!(
        !text.contains("203.0.113.9") && !text.contains(&victim_id),
        "{text}"
    );
    assert_eq!(s.object["objects"]["1"]["src_ref"], "0");
    assert_eq!(
        s.object["objects"]["0"]["id"],
        value_sco_id("ipv4-addr", "202.0.113.83").expect("an id")
    );
    assert_eq!(
        s.hosts,
        ["203.0.113.9".parse::<IpAddr>().expect("an address")]
    );
    // Withheld: the observed-data embeds the host, so it is not shared at all.
    let none = Anonymiser::new(&keep, &|_| None, Uuid::nil());
    assert!(matches!(
        none.rewrite(&od, &HashMap::new()),
        Rewritten::Withheld(_)
    ));
    // A reference that is not a string is not passed on.
    let bad = json!({"type": "note", "id": "note--00000000-0000-4000-8000-000000000001",
        "object_refs": [{"value": "203.0.113.9"}]});
    assert!(matches!(
        a.rewrite(&bad, &HashMap::new()),
        Rewritten::Withheld(_)
    ));
}

#[test]
fn a_kept_prefix_does_not_keep_a_host_written_with_its_length() {
    let keep: HashSet<IpNet> = ["203.0.113.0/24".parse().expect("a prefix")].into();
    let a = Anonymiser::new(&keep, &toy, Uuid::nil());
    let note = json!({"type": "note", "id": "note--00000000-0000-4000-8000-000000000001",
        "content": "203.0.113.0/24 holds 203.0.113.9/24",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000003"]});
    let Rewritten::Shared(s) = a.rewrite(&note, &HashMap::new()) else {
        panic!()
    };
    assert_eq!(s.object["content"], "203.0.113.0/24 holds 202.0.113.0/24");
}

#[test]
fn dropping_a_reference_that_granular_markings_select_withholds_the_object() {
    let objs = objects();
    let keep = keep_of(&objs);
    let mut note = objs[6].clone();
    note["granular_markings"] = json!([{"selectors": ["object_refs.[1]"],
        "marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]);
    let a = Anonymiser::new(&keep, &|_| None, Uuid::nil());
    assert!(matches!(
        a.rewrite(&note, &sco_values(&objs)),
        Rewritten::Withheld(_)
    ));
}

#[test]
fn unresolved_address_references_are_rekeyed_not_left_guessable() {
    let objs = objects();
    let keep = keep_of(&objs);
    let a = Anonymiser::new(&keep, &toy, Uuid::from_u128(7));
    let Rewritten::Shared(Shared { object: od, .. }) = a.rewrite(&objs[5], &HashMap::new()) else {
        panic!()
    };
    let victim_id = objs[4]["id"].as_str().expect("the fixture has it");
    assert_ne!(od["object_refs"][0], victim_id);
    assert_eq!(od["object_refs"][0], a.rekey(victim_id));
}

#[test]
fn properties_left_alone_are_left_alone_only_where_they_mean_it() {
    let keep = HashSet::new();
    let a = Anonymiser::new(&keep, &toy, Uuid::nil());
    let obj = json!({"type": "note", "id": "note--00000000-0000-4000-8000-000000000001",
        "x_victim_ref": "203.0.113.9", "x_hosts_refs": ["203.0.113.10"],
        "x_ext": {"pattern": "203.0.113.11", "version": "203.0.113.12"},
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000003"]});
    let Rewritten::Shared(s) = a.rewrite(&obj, &HashMap::new()) else {
        panic!()
    };
    let text = s.object.to_string();
    for secret in [
        "203.0.113.9",
        "203.0.113.10",
        "203.0.113.11",
        "203.0.113.12",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(s.hosts.len(), 4);
    // A software's version is not an address, whatever it looks like.
    let sw = json!({"type": "software", "id": "software--00000000-0000-4000-8000-000000000002",
        "name": "firmware", "version": "5.4.0.1"});
    let Rewritten::Shared(s) = a.rewrite(&sw, &HashMap::new()) else {
        panic!()
    };
    assert_eq!(s.object["version"], "5.4.0.1");
}

#[test]
fn an_ipv4_mapped_ipv6_sco_stays_ipv6_and_colliding_keys_withhold() {
    let keep = HashSet::new();
    let a = Anonymiser::new(&keep, &toy, Uuid::nil());
    let mapped = json!({"type": "ipv6-addr", "spec_version": "2.1",
        "id": value_sco_id("ipv6-addr", "::ffff:203.0.113.9").expect("an id"),
        "value": "::ffff:203.0.113.9"});
    let Rewritten::Shared(s) = a.rewrite(&mapped, &HashMap::new()) else {
        panic!()
    };
    assert_eq!(s.object["value"], "::ffff:202.0.113.83");
    assert_eq!(
        s.object["id"],
        value_sco_id("ipv6-addr", "::ffff:202.0.113.83").expect("an id")
    );
    assert!(crate::validate_object(&s.object).is_ok(), "{}", s.object);
    let two = json!({"type": "note", "id": "note--00000000-0000-4000-8000-000000000001",
        "x_ports": {"203.0.113.9": [80], "203.000.113.009": [443]},
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000003"]});
    assert!(matches!(
        a.rewrite(&two, &HashMap::new()),
        Rewritten::Withheld(_)
    ));
}
