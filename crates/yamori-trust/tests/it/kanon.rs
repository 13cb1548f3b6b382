//! k-anonymity on crafted record sets whose k is known by construction.

use std::net::IpAddr;

use yamori_trust::kanon::{Anonymity, ClassKey, Generalisation, HostRecord};

fn rec(addr: &str, asn: Option<u32>) -> HostRecord {
    HostRecord {
        addr: addr.parse::<IpAddr>().expect("test address"),
        asn,
    }
}

fn class(prefix: &str, asn: Option<u32>) -> ClassKey {
    ClassKey {
        prefix: prefix.parse().expect("test prefix"),
        asn,
    }
}

/// Three hosts in 192.0.2.0/24 (AS 64500), two in 198.51.100.0/24 (AS 64501), one in
/// 198.51.100.0/24 announced by AS 64502, two in 2001:db8:1::/48 (no AS known).
fn crafted() -> Vec<HostRecord> {
    vec![
        rec("192.0.2.1", Some(64500)),
        rec("192.0.2.77", Some(64500)),
        rec("192.0.2.254", Some(64500)),
        rec("198.51.100.3", Some(64501)),
        rec("198.51.100.4", Some(64501)),
        rec("198.51.100.200", Some(64502)),
        rec("2001:db8:1:2::5", None),
        rec("2001:db8:1:ffff::9", None),
    ]
}

#[test]
fn k_is_the_smallest_class_at_slash_24_and_as() {
    let a = Anonymity::measure(&crafted(), &Generalisation::default());
    assert_eq!(a.classes.len(), 4);
    assert_eq!(a.classes[&class("192.0.2.0/24", Some(64500))], 3);
    assert_eq!(a.classes[&class("198.51.100.0/24", Some(64501))], 2);
    assert_eq!(a.classes[&class("2001:db8:1::/48", None)], 2);
    assert_eq!(a.k, Some(1));
    assert_eq!(a.below(2), [(class("198.51.100.0/24", Some(64502)), 1)]);
    assert_eq!(a.below(3).len(), 3);
    assert!(a.satisfies(1) && !a.satisfies(2));
}

#[test]
fn generalising_further_raises_k() {
    // Dropping the AS merges the two 198.51.100.0/24 classes: k = 2.
    let no_as = Generalisation {
        keep_asn: false,
        ..Generalisation::default()
    };
    let a = Anonymity::measure(&crafted(), &no_as);
    assert_eq!(a.k, Some(2));
    assert_eq!(a.classes[&class("198.51.100.0/24", None)], 3);
    // /8 for IPv4 and /32 for IPv6 without AS: 192/8 has 3, 198/8 has 3, the /32 has 2.
    let coarse = Generalisation {
        v4_prefix: 8,
        v6_prefix: 32,
        keep_asn: false,
    };
    let a = Anonymity::measure(&crafted(), &coarse);
    assert_eq!(a.k, Some(2));
    assert!(a.satisfies(2) && !a.satisfies(3));
    // /0 everywhere: two classes (one per family): 6 and 2.
    let all = Generalisation {
        v4_prefix: 0,
        v6_prefix: 0,
        keep_asn: false,
    };
    assert_eq!(Anonymity::measure(&crafted(), &all).k, Some(2));
    // Full addresses: every host alone.
    let exact = Generalisation {
        v4_prefix: 32,
        v6_prefix: 128,
        keep_asn: true,
    };
    assert_eq!(Anonymity::measure(&crafted(), &exact).k, Some(1));
}

#[test]
fn empty_and_out_of_range_lengths() {
    let a = Anonymity::measure(&[], &Generalisation::default());
    assert_eq!(a.k, None);
    assert!(a.satisfies(1000));
    assert!(a.below(5).is_empty());
    // Lengths beyond the family's width are capped, not a panic.
    let wide = Generalisation {
        v4_prefix: 200,
        v6_prefix: 200,
        keep_asn: false,
    };
    let a = Anonymity::measure(&crafted(), &wide);
    assert_eq!(a.classes.len(), 8);
}
