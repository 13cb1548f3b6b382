use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("literal address")
}

#[test]
fn comments_blank_lines_and_merging() {
    let text = "# lab scope\n198.51.100.0/25\n\n198.51.100.128/25  # second half\n198.51.100.7\n";
    let s = Scope::parse("scope.txt", text, None).expect("valid scope");
    assert_eq!(s.cidrs(), vec!["198.51.100.0/24"]);
    assert_eq!(s.count(), 256);
}

#[test]
fn garbage_lines_are_listed_with_numbers() {
    let text = "198.51.100.0/24\nhello\n203.0.113.9-203.0.113.1\n10.0.0.0/33\n";
    let err = Scope::parse("scope.txt", text, None).expect_err("garbage must be refused");
    let ScopeError::BadLines { lines, .. } = &err else {
        panic!("unexpected error {err}");
    };
    let numbers: Vec<usize> = lines.iter().map(|b| b.line).collect();
    assert_eq!(numbers, vec![2, 3, 4]);
    assert!(
        lines[1].reason.contains("reversed range"),
        "{}",
        lines[1].reason
    );
    let msg = err.to_string();
    assert!(msg.contains("line 2") && msg.contains("line 4"), "{msg}");
}

#[test]
fn ranges_become_cidrs() {
    let s = Scope::parse("s", "203.0.113.1-203.0.113.6", None).expect("valid range");
    assert_eq!(s.count(), 6);
    assert_eq!(
        s.cidrs(),
        vec![
            "203.0.113.1/32",
            "203.0.113.2/31",
            "203.0.113.4/31",
            "203.0.113.6/32"
        ]
    );
}

#[test]
fn special_purpose_cut_from_broad_ranges_but_explicit_kept() {
    // 198.0.0.0/7 covers 198.18/15 and 198.51.100/24: both cut.
    let s = Scope::parse("s", "198.0.0.0/7", None).expect("valid");
    assert!(s.contains(ip("198.17.255.255")));
    assert!(!s.contains(ip("198.18.0.1")));
    assert!(!s.contains(ip("198.51.100.10")));
    assert!(s.contains(ip("199.1.2.3")));
    assert_eq!(s.count(), (1u128 << 25) - (1 << 17) - 256);
    // Named explicitly: kept.
    let s = Scope::parse("s", "198.51.100.0/24\n127.0.0.1\n", None).expect("valid");
    assert!(s.contains(ip("198.51.100.10")));
    assert!(s.contains(ip("127.0.0.1")));
    assert!(!s.contains(ip("127.0.0.2")));
}

#[test]
fn whole_internet_excludes_private_and_multicast() {
    let s = Scope::parse("s", "0.0.0.0/0", None).expect("valid");
    for bad in [
        "10.1.2.3",
        "192.168.1.1",
        "172.20.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "127.0.0.1",
        "100.64.0.1",
    ] {
        assert!(!s.contains(ip(bad)), "{bad} must be excluded");
    }
    assert!(s.contains(ip("8.8.8.8")));
}

#[test]
fn blocklist_removed_and_empty_refused() {
    let s = Scope::parse("s", "198.51.100.0/24", Some(("x", "198.51.100.0/25\n"))).expect("valid");
    assert_eq!(s.count(), 128);
    assert!(!s.contains(ip("198.51.100.5")));
    let err =
        Scope::parse("s", "198.51.100.0/24", Some(("x", "198.51.100.0/24"))).expect_err("empty");
    assert!(matches!(err, ScopeError::Empty));
    assert!(matches!(
        Scope::parse("s", "# nothing\n", None),
        Err(ScopeError::Empty)
    ));
}

#[test]
fn ipv6_and_size_limit() {
    let s = Scope::parse("s", "2001:db8::/120\n", None).expect("explicit doc prefix");
    assert_eq!(s.count(), 256);
    assert!(s.contains(ip("2001:db8::ff")));
    assert!(!s.contains(ip("198.51.100.1")));
    let err = Scope::parse("s", "2001:db8::/64", None).expect_err("too large");
    assert!(matches!(err, ScopeError::TooLarge { .. }));
    // fe80::/10 cut from a broad v6 entry.
    let s = Scope::parse("s", "fe00::/9", None);
    assert!(matches!(s, Err(ScopeError::TooLarge { .. })));
}

#[test]
fn mapped_v4_judged_as_v4() {
    let s = Scope::parse("s", "127.0.0.1", None).expect("valid");
    assert!(s.contains(ip("::ffff:127.0.0.1")));
    assert_eq!(s.addresses().collect::<Vec<_>>(), vec![ip("127.0.0.1")]);
}
