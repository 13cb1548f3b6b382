//! Warninglists: reading the MISP format, matching by prefix and by name, malformed lists.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use proptest::prelude::*;
use yamori_trust::warninglist::{
    Entries, ListKind, Match, PrefixSet, Relation, WarningList, Warninglists,
};

fn fixture(name: &str) -> WarningList {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/warninglists")
        .join(name);
    let bytes = std::fs::read(&path).expect("fixture");
    WarningList::from_json(&bytes, name).expect("fixture parses")
}

fn net(s: &str) -> IpNet {
    s.parse().expect("test prefix")
}

fn list_json(kind: &str, entries: &str) -> String {
    format!(r#"{{"name":"t","version":1,"description":"d","type":"{kind}","list":{entries}}}"#)
}

fn lists(jsons: &[String]) -> Warninglists {
    Warninglists::new(jsons.iter().enumerate().map(|(i, j)| {
        WarningList::from_json(j.as_bytes(), &format!("list{i}.json")).expect("test list")
    }))
    .expect("lists index")
}

#[test]
fn reads_the_misp_format() {
    let cidr = fixture("research-scanners.json");
    assert_eq!(cidr.name, "Yamori test research scanners");
    assert_eq!((cidr.kind, cidr.version), (ListKind::Cidr, 3));
    assert_eq!(cidr.matching_attributes, ["ip-src", "ip-dst", "domain|ip"]);
    // Bare addresses become host prefixes, host bits are cleared, comments dropped.
    assert_eq!(
        cidr.entries,
        Entries::Networks(vec![
            net("192.0.2.0/24"),
            net("198.51.100.7/32"),
            net("203.0.113.64/26"),
            net("2001:db8:5ca::/48"),
            net("2001:db8:ffff::1/128"),
        ])
    );
    let hosts = fixture("benign-hostnames.json");
    assert_eq!(hosts.category.as_deref(), Some("false-positive"));
    assert_eq!(
        hosts.entries,
        Entries::Texts(vec![
            "example.com".into(),
            "scanner.example.net".into(),
            "resolver.example.org".into()
        ])
    );
}

fn relations(all: &Warninglists, query: &str) -> Vec<(String, Relation)> {
    all.match_network(net(query))
        .into_iter()
        .map(|m| (m.entry, m.relation.expect("cidr match has a relation")))
        .collect()
}

#[test]
fn prefixes_match_by_containment_both_ways() {
    let all = Warninglists::new([fixture("research-scanners.json")]).expect("index");
    // A /25 inside the listed /24: the listed prefix contains the indicator.
    assert_eq!(
        relations(&all, "192.0.2.128/25"),
        [("192.0.2.0/24".to_string(), Relation::ListedContainsQuery)]
    );
    // A single address inside it, and the /24 itself.
    assert_eq!(
        relations(&all, "192.0.2.9/32"),
        [("192.0.2.0/24".to_string(), Relation::ListedContainsQuery)]
    );
    assert_eq!(
        relations(&all, "192.0.2.0/24"),
        [("192.0.2.0/24".to_string(), Relation::Equal)]
    );
    // A /16 around the listed /24 overlaps it: the indicator contains the listed prefix.
    assert_eq!(
        relations(&all, "192.0.0.0/16"),
        [("192.0.2.0/24".to_string(), Relation::QueryContainsListed)]
    );
    // A /8 around several listed prefixes names each.
    let wide = relations(&all, "192.0.0.0/2");
    assert_eq!(wide.len(), 3, "{wide:?}");
    assert!(wide
        .iter()
        .all(|(_, r)| *r == Relation::QueryContainsListed));
    // Neighbours do not match.
    assert!(relations(&all, "192.0.3.0/24").is_empty());
    assert!(relations(&all, "198.51.100.8/32").is_empty());
    assert!(relations(&all, "203.0.113.0/26").is_empty());
    // IPv6 likewise; families never mix.
    assert_eq!(
        relations(&all, "2001:db8:5ca:1::/64"),
        [(
            "2001:db8:5ca::/48".to_string(),
            Relation::ListedContainsQuery
        )]
    );
    assert_eq!(relations(&all, "2001:db8::/32").len(), 2);
    assert!(relations(&all, "::/0").len() == 2 && relations(&all, "0.0.0.0/0").len() == 3);
    assert!(all.network_listed(net("203.0.113.100/32")));
    assert!(!all.network_listed(net("2001:db9::/32")));
    // Through match_value, addresses and prefixes as text.
    let m = all.match_value("198.51.100.7");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].list.0, 0);
    assert_eq!(all.list(m[0].list).map(|l| l.entries), Some(5));
}

fn entries_of(matches: &[Match]) -> Vec<&str> {
    matches.iter().map(|m| m.entry.as_str()).collect()
}

#[test]
fn hostnames_match_the_name_and_its_subdomains() {
    let all = Warninglists::new([fixture("benign-hostnames.json")]).expect("index");
    assert_eq!(entries_of(&all.match_value("example.com")), ["example.com"]);
    assert_eq!(
        entries_of(&all.match_value("WWW.Example.com.")),
        ["example.com"]
    );
    assert_eq!(
        entries_of(&all.match_value("a.b.scanner.example.net")),
        ["scanner.example.net"]
    );
    assert_eq!(
        entries_of(&all.match_value("https://user@resolver.example.org:8443/dns-query?x=1")),
        ["resolver.example.org"]
    );
    // A suffix that is not at a label boundary, and the parent of a listed name, do not match.
    assert!(all.match_value("badexample.com").is_empty());
    assert!(all.match_value("example.net").is_empty());
    assert!(all.match_value("example.com.evil.test").is_empty());
    assert!(all.match_value("").is_empty());
}

#[test]
fn string_substring_and_regex_lists() {
    let all = lists(&[
        list_json("string", r#"["d41d8cd98f00b204e9800998ecf8427e"]"#),
        list_json("substring", r#"["/wp-admin/", "pastebin"]"#),
        list_json(
            "regex",
            r#"["/^https?:\\/\\/[a-z]+\\.invalid\\//i", "^x{3}$"]"#,
        ),
    ]);
    assert_eq!(
        all.match_value("d41d8cd98f00b204e9800998ecf8427e")[0]
            .list
            .0,
        0
    );
    assert!(all
        .match_value("D41D8CD98F00B204E9800998ECF8427E")
        .is_empty());
    let sub = all.match_value("http://203.0.113.5/wp-admin/x.php");
    assert_eq!(entries_of(&sub), ["/wp-admin/"]);
    let re = all.match_value("HTTP://Foo.INVALID/x");
    assert_eq!(re.len(), 1);
    assert_eq!(re[0].list.0, 2);
    assert_eq!(re[0].entry, r"(?i)^https?:\/\/[a-z]+\.invalid\/");
    assert_eq!(all.match_value("xxx").len(), 1);
    assert!(all.match_value("xxxx").is_empty());
}

fn error_of(json: &str) -> String {
    WarningList::from_json(json.as_bytes(), "lists/bad/list.json")
        .expect_err("malformed list")
        .to_string()
}

#[test]
fn malformed_lists_name_the_file_and_the_place() {
    let e = error_of("{\"name\": ");
    assert!(
        e.starts_with("lists/bad/list.json: not JSON") && e.contains("line 1"),
        "{e}"
    );
    assert_eq!(
        error_of("[]"),
        "lists/bad/list.json: a warninglist is a JSON object"
    );
    assert_eq!(
        error_of(r#"{"name":"t","version":1,"description":"d","list":[]}"#),
        "lists/bad/list.json: member \"type\" is missing"
    );
    assert_eq!(
        error_of(&list_json("ip", "[]")),
        "lists/bad/list.json: at /type: unknown type \"ip\" (expected cidr, string, substring, hostname or regex)"
    );
    assert_eq!(
        error_of(&list_json("cidr", r#"["192.0.2.0/24", "198.51.100.0/33"]"#)),
        "lists/bad/list.json: at /list/1: \"198.51.100.0/33\" is not an address or CIDR prefix"
    );
    assert_eq!(
        error_of(&list_json("cidr", r#"["192.0.2.0/24", 7]"#)),
        "lists/bad/list.json: at /list/1: an entry is a string or an object with a \"value\""
    );
    assert_eq!(
        error_of(&list_json("string", r#"[{"comment": "no value"}]"#)),
        "lists/bad/list.json: at /list/0: an entry object needs a string \"value\""
    );
    assert_eq!(
        error_of(&list_json("string", r#""not an array""#)),
        "lists/bad/list.json: at /list: must be an array"
    );
    assert_eq!(
        error_of(r#"{"name":"t","version":-1,"description":"d","type":"cidr","list":[]}"#),
        "lists/bad/list.json: at /version: must be a non-negative integer"
    );
    assert_eq!(
        error_of(&list_json("regex", r#"["/abc/e"]"#)),
        "lists/bad/list.json: at /list/0: unsupported regular-expression flag 'e'"
    );
    let long = format!("[\"{}\"]", "a".repeat(5000));
    assert!(error_of(&list_json("string", &long)).contains("at /list/0: 5000 bytes"));
    // A pattern the regex crate cannot compile: named by list and entry when indexed.
    let lookahead = WarningList::from_json(
        list_json("regex", r#"["ok", "a(?=b)"]"#).as_bytes(),
        "x.json",
    )
    .expect("parses");
    let e = Warninglists::new([lookahead])
        .expect_err("look-ahead")
        .to_string();
    assert!(e.starts_with("t: at /list/1: pattern:"), "{e}");
}

/// The listed prefixes overlapping `q`, by brute force.
fn brute(listed: &[IpNet], q: IpNet) -> Vec<(IpNet, Relation)> {
    let mut out: Vec<_> = listed
        .iter()
        .filter_map(|l| {
            if *l == q {
                Some((*l, Relation::Equal))
            } else if l.contains(&q) {
                Some((*l, Relation::ListedContainsQuery))
            } else if q.contains(l) {
                Some((*l, Relation::QueryContainsListed))
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn arb_net() -> impl Strategy<Value = IpNet> {
    // Addresses from a small space so that random prefixes often nest.
    prop_oneof![
        (0u32..64, 0u8..=32).prop_map(|(a, len)| {
            IpNet::new(IpAddr::from((0xC000_0200u32 | a << 2).to_be_bytes()), len)
                .expect("len ≤ 32")
                .trunc()
        }),
        (0u128..64, 0u8..=128).prop_map(|(a, len)| {
            let addr = 0x2001_0db8u128 << 96 | a << 60;
            IpNet::new(IpAddr::from(addr.to_be_bytes()), len)
                .expect("len ≤ 128")
                .trunc()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prefix_set_agrees_with_brute_force(
        listed in proptest::collection::vec(arb_net(), 0..40),
        queries in proptest::collection::vec(arb_net(), 1..20),
    ) {
        let set = PrefixSet::new(listed.iter().map(|n| (*n, 0u32)));
        for q in queries {
            let mut got: Vec<_> = set.overlapping(q).into_iter().map(|h| (h.listed, h.relation)).collect();
            got.sort();
            prop_assert_eq!(&got, &brute(&listed, q), "query {}", q);
            prop_assert_eq!(set.overlaps(q), !got.is_empty());
        }
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = WarningList::from_json(&bytes, "fuzz");
    }
}
