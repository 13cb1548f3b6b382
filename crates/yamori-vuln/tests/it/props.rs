//! Invariants on arbitrary input: parsers never panic, comparison is antisymmetric, a parsed
//! CPE re-binds to a string that parses to the same CPE.

use proptest::prelude::*;
use yamori_vuln::cpe::Cpe;
use yamori_vuln::feed::read_feed;
use yamori_vuln::version::compare;

fn version_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[vV]?[0-9a-z]{1,4}([._-][0-9a-z]{1,4}){0,4}")
        .expect("valid regex")
}

proptest! {
    #[test]
    fn cpe_parse_never_panics(s in "\\PC{0,80}") {
        let _ = Cpe::parse(&s);
        let _ = Cpe::parse_any(&s);
    }

    #[test]
    fn cpe_rebinding_round_trips(
        vendor in "[a-z0-9_.\\-/!()]{1,12}",
        product in "[a-z0-9_.\\-/!()?*]{1,12}",
        version in "[0-9.a-z]{1,8}",
    ) {
        let escape = |s: &str| -> String {
            s.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-*?".contains(c) { c.to_string() } else { format!("\\{c}") }).collect()
        };
        let s = format!("cpe:2.3:o:{}:{}:{}:*:*:*:*:*:*:*", escape(&vendor), escape(&product), escape(&version));
        let parsed = Cpe::parse(&s);
        prop_assume!(parsed.is_ok());
        let parsed = parsed.expect("checked above");
        let again = Cpe::parse(&parsed.to_string()).expect("re-bound string parses");
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn version_comparison_is_antisymmetric_and_reflexive(a in version_like(), b in version_like()) {
        prop_assert_eq!(compare(&a, &b), compare(&b, &a).map(std::cmp::Ordering::reverse));
        if let Some(o) = compare(&a, &a) {
            prop_assert_eq!(o, std::cmp::Ordering::Equal);
        }
    }

    #[test]
    fn feed_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = read_feed(&bytes[..], &mut |_| Ok(()));
    }

    #[test]
    fn feed_reader_never_panics_on_json_shapes(
        key in prop_oneof![Just("vulnerabilities"), Just("vulns"), Just("id"), Just("format")],
        item in prop_oneof![
            Just("{\"cve\":{}}".to_string()),
            Just("{\"cveID\":1}".to_string()),
            Just("{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"a\",\"name\":\"b\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{}]}]}]}".to_string()),
            "\\PC{0,20}".prop_map(|s| serde_json::to_string(&s).expect("string serialises")),
        ],
    ) {
        let doc = format!("{{\"{key}\": [{item}]}}");
        let _ = read_feed(doc.as_bytes(), &mut |_| Ok(()));
    }
}
