use serde_json::json;

use super::*;

fn values(obj: Value) -> Vec<(&'static str, String, String)> {
    of_object(&obj)
        .values
        .into_iter()
        .map(|o| (o.kind.as_str(), o.key, o.value))
        .collect()
}

#[test]
fn addresses_and_prefixes_are_canonical_and_keyed_by_network() {
    let a = Observable::new(ValueKind::Ipv4, "203.0.113.5").expect("valid");
    assert_eq!(
        (a.key.as_str(), a.value.as_str()),
        ("cb007105/032", "203.0.113.5")
    );
    let p = Observable::new(ValueKind::Ipv4, "203.0.113.77/24").expect("valid");
    assert_eq!(
        (p.key.as_str(), p.value.as_str()),
        ("cb007100/024", "203.0.113.0/24")
    );
    let v6 = Observable::new(ValueKind::Ipv6, "2001:DB8::1/32").expect("valid");
    assert_eq!(v6.value, "2001:db8::/32");
    assert_eq!(v6.key, format!("{:032x}/032", 0x2001_0db8u128 << 96));
    for bad in [
        "203.0.113.5/33",
        "203.0.113",
        "2001:db8::/129",
        "1.2.3.4/",
        "1.2.3.4/x",
    ] {
        assert!(Net::parse(bad).is_none(), "{bad}");
    }
    assert!(Observable::new(ValueKind::Ipv6, "203.0.113.5").is_err());
}

#[test]
fn an_address_is_found_by_its_prefixes_and_a_prefix_finds_what_is_inside() {
    let a = Observable::guess("203.0.113.5").expect("valid");
    let k = a.lookup_keys();
    assert_eq!(k.exact.len(), 33);
    assert!(k.exact.contains(&"cb007100/024".to_string()));
    assert!(k.exact.contains(&"00000000/000".to_string()));
    let p = Observable::guess("203.0.113.0/24").expect("valid");
    let (lo, hi) = p.lookup_keys().within.expect("valid");
    // Everything keyed inside the range starts inside the prefix.
    for inside in [
        "203.0.113.0/25",
        "203.0.113.5",
        "203.0.113.255",
        "203.0.113.0/24",
    ] {
        let key = Observable::guess(inside).expect("valid").key;
        assert!(lo <= key && key <= hi, "{inside} {key} not in {lo}..{hi}");
    }
    for outside in ["203.0.112.255", "203.0.114.0", "203.0.0.0/16"] {
        let key = Observable::guess(outside).expect("valid").key;
        assert!(!(lo <= key && key <= hi), "{outside} {key} in {lo}..{hi}");
    }
    assert_eq!(a.relation_of(&p), Relation::Contains);
    assert_eq!(p.relation_of(&a), Relation::Within);
    assert_eq!(a.relation_of(&a), Relation::Equal);
}

#[test]
fn domains_are_keyed_by_reversed_labels() {
    let d = Observable::guess("WWW.Evil.Example.").expect("valid");
    assert_eq!(
        (d.kind, d.key.as_str(), d.value.as_str()),
        (ValueKind::Domain, "example.evil.www", "www.evil.example")
    );
    let k = d.lookup_keys();
    assert_eq!(k.exact, ["example.evil", "example.evil.www"]);
    let parent = Observable::guess("evil.example").expect("valid");
    let (lo, hi) = parent.lookup_keys().within.expect("valid");
    assert!(lo <= d.key && d.key <= hi);
    assert!(!(lo.as_str() <= "example.evilx" && "example.evilx" <= hi.as_str()));
    assert_eq!(d.relation_of(&parent), Relation::Contains);
    assert_eq!(parent.relation_of(&d), Relation::Within);
    assert!(Observable::guess("not a value").is_err());
    assert!(Observable::guess("a..b").is_err());
}

#[test]
fn guesses_hashes_urls_and_mail() {
    assert_eq!(
        Observable::guess(&"A".repeat(32)).expect("valid").kind,
        ValueKind::Md5
    );
    assert_eq!(
        Observable::guess(&"a".repeat(64)).expect("valid").value,
        "a".repeat(64)
    );
    assert_eq!(
        Observable::guess("http://x.example/a").expect("valid").kind,
        ValueKind::Url
    );
    assert_eq!(
        Observable::guess("Abuse@X.example").expect("valid").value,
        "abuse@x.example"
    );
    assert!(Observable::new(ValueKind::Sha1, "abc").is_err());
    assert!(Observable::new(ValueKind::Url, "no-scheme/path").is_err());
    assert!(Observable::new(ValueKind::Domain, &"a".repeat(MAX_VALUE_BYTES + 1)).is_err());
}

#[test]
fn indicator_patterns_give_their_compared_values_and_url_hosts() {
    let got = values(json!({
        "type": "indicator",
        "pattern_type": "stix",
        "pattern": "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
                    OR [url:value = 'http://[2001:db8::5]:8080/bins/x.arm'] \
                    OR [url:value = 'http://user@Loader.Example:81/a'] \
                    OR [file:hashes.'SHA-256' = 'AA00000000000000000000000000000000000000000000000000000000000000'] \
                    OR [network-traffic:dst_ref.value = '192.0.2.9' AND network-traffic:dst_port = 23] \
                    OR [ipv4-addr:value != '192.0.2.1'] OR [ipv4-addr:value = 'nonsense'] \
                    OR [domain-name:value IN ('a.example', 'A.example.')]"
    }));
    let kinds: Vec<(&str, &str)> = got.iter().map(|(k, _, v)| (*k, v.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("ipv4", "192.0.2.9"),
            ("ipv4", "198.51.100.7"),
            ("ipv4", "203.0.113.0/24"),
            ("ipv6", "2001:db8::5"),
            ("domain", "a.example"),
            ("domain", "loader.example"),
            ("url", "http://[2001:db8::5]:8080/bins/x.arm"),
            ("url", "http://user@Loader.Example:81/a"),
            (
                "sha256",
                "aa00000000000000000000000000000000000000000000000000000000000000"
            ),
        ]
    );
    let e = of_object(&json!({"type": "indicator", "pattern": "[ipv4-addr:value = 'nonsense']"}));
    assert_eq!((e.values.len(), e.unsupported), (0, 1));
    // Other pattern languages and invalid patterns name nothing.
    let snort =
        json!({"type": "indicator", "pattern_type": "snort", "pattern": "alert ip 1.2.3.4 any"});
    assert!(values(snort).is_empty());
    assert!(values(json!({"type": "indicator", "pattern": "[ipv4-addr:value = "})).is_empty());
}

#[test]
fn observables_give_their_value_and_objects_are_capped() {
    assert_eq!(
        values(json!({"type": "ipv4-addr", "value": "192.0.2.0/25"})),
        [(
            "ipv4",
            "c0000200/025".to_string(),
            "192.0.2.0/25".to_string()
        )]
    );
    let f = of_object(
        &json!({"type": "file", "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e", "SSDEEP": "3:a:b"}}),
    );
    assert_eq!((f.values.len(), f.unsupported), (1, 1));
    assert!(values(json!({"type": "malware", "name": "mirai"})).is_empty());
    let many: Vec<String> = (0..300)
        .map(|i| format!("ipv4-addr:value = '10.0.{}.{}'", i / 256, i % 256))
        .collect();
    let p = format!("[{}]", many.join(" OR "));
    let e = of_object(&json!({"type": "indicator", "pattern": p}));
    assert_eq!(
        (e.values.len(), e.left_out),
        (MAX_VALUES_PER_OBJECT, 300 - MAX_VALUES_PER_OBJECT)
    );
}
