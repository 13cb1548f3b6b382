//! Crypto-PAn against reference vectors, and its defining properties.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use yamori_trust::cryptopan::{CryptoPan, KeyLengthError};

/// The key of the reference implementation's sample (Xu et al.'s `sample.cpp`, reproduced by
/// every port) and its five published input/output pairs.
const REFERENCE_KEY: [u8; 32] = [
    21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121,
    121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
];

fn v4(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

#[test]
fn reference_vectors_ipv4() {
    let pan = CryptoPan::new(&REFERENCE_KEY);
    for (input, output) in [
        ("24.5.0.80", "100.9.15.210"),
        ("24.13.62.231", "100.2.192.247"),
        ("208.234.120.210", "227.154.67.17"),
        ("209.238.72.3", "226.6.119.243"),
        ("192.102.249.13", "252.138.62.131"),
    ] {
        assert_eq!(pan.anonymize_v4(v4(input)), v4(output), "{input}");
        assert_eq!(
            pan.deanonymize(IpAddr::V4(v4(output))),
            IpAddr::V4(v4(input))
        );
    }
}

#[test]
fn python_yacryptopan_vectors_ipv4_and_ipv6() {
    // From the yacryptopan README (PyPI), key b'32-char-str-for-AES-key-and-pad.'.
    let pan = CryptoPan::from_slice(b"32-char-str-for-AES-key-and-pad.").expect("32 bytes");
    assert_eq!(pan.anonymize_v4(v4("192.0.2.1")), v4("192.0.125.244"));
    assert_eq!(
        pan.anonymize_v6(v6("2001:db8::1")),
        v6("27fe:8bc7:fee:1e:1e1f:f0fe:f0e1:83fd")
    );
}

#[test]
fn design_notes_vectors_key_0_to_31() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let pan = CryptoPan::new(&key);
    assert_eq!(pan.anonymize_v4(v4("192.0.2.1")), v4("2.90.93.17"));
    assert_eq!(
        pan.anonymize_v6(v6("2001:db8::1")),
        v6("dd92:2c44:3fc0:ff1e:7ff9:c7f0:8180:7e00")
    );
}

#[test]
fn key_of_the_wrong_length_is_refused() {
    assert_eq!(
        CryptoPan::from_slice(&[0u8; 16]).map(|_| ()),
        Err(KeyLengthError(16))
    );
    assert!(format!("{:?}", CryptoPan::new(&REFERENCE_KEY)).contains(".."));
}

/// Bits two values share from the top, out of `width`.
fn common_prefix(a: u128, b: u128, width: u32) -> u32 {
    ((a ^ b) << (128 - width)).leading_zeros().min(width)
}

/// `a` with bit `k` (from the top, of `width`) flipped and the bits after it replaced by
/// `tail`: an address sharing exactly `k` prefix bits with `a`.
fn sharing_exactly(a: u128, k: u32, tail: u128, width: u32) -> u128 {
    let top = |n: u32| {
        if n == 0 {
            0
        } else {
            u128::MAX << (128 - n) >> (128 - width)
        }
    };
    let flip = 1u128 << (width - 1 - k);
    ((a & top(k)) | (!a & flip) | (tail & !top(k + 1))) & (u128::MAX >> (128 - width))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prefix_preserved_exactly_ipv4(a in any::<u32>(), tail in any::<u32>(), k in 0u32..32) {
        let pan = CryptoPan::new(&REFERENCE_KEY);
        let b = sharing_exactly(u128::from(a), k, u128::from(tail), 32);
        prop_assert_eq!(common_prefix(u128::from(a), b, 32), k);
        let b = u32::try_from(b).expect("32 bits");
        let (x, y) = (pan.anonymize_v4(Ipv4Addr::from(a)), pan.anonymize_v4(Ipv4Addr::from(b)));
        prop_assert_eq!(common_prefix(u128::from(u32::from(x)), u128::from(u32::from(y)), 32), k);
    }

    #[test]
    fn prefix_preserved_exactly_ipv6(a in any::<u128>(), tail in any::<u128>(), k in 0u32..128) {
        let pan = CryptoPan::new(&REFERENCE_KEY);
        let b = sharing_exactly(a, k, tail, 128);
        prop_assert_eq!(common_prefix(a, b, 128), k);
        let (x, y) = (pan.anonymize_v6(Ipv6Addr::from(a)), pan.anonymize_v6(Ipv6Addr::from(b)));
        prop_assert_eq!(common_prefix(u128::from(x), u128::from(y), 128), k);
    }

    #[test]
    fn reversible_by_the_key_holder(a in any::<u32>(), b in any::<u128>()) {
        let pan = CryptoPan::new(&REFERENCE_KEY);
        let a = IpAddr::V4(Ipv4Addr::from(a));
        let b = IpAddr::V6(Ipv6Addr::from(b));
        prop_assert_eq!(pan.deanonymize(pan.anonymize(a)), a);
        prop_assert_eq!(pan.deanonymize(pan.anonymize(b)), b);
    }
}
