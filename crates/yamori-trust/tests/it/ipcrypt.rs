//! ipcrypt-pfx against the draft's test vectors (draft-denis-ipcrypt, "ipcrypt-pfx" vectors,
//! as reproduced by its implementations), and the key checks.

use std::net::IpAddr;

use yamori_trust::ipcrypt::{IpcryptPfx, PfxKeyError};

fn key(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

#[test]
fn draft_vectors() {
    let k1 = key("0123456789abcdeffedcba98765432101032547698badcfeefcdab8967452301");
    let k2 = key("2b7e151628aed2a6abf7158809cf4f3ca9f5ba40db214c3798f2e1c23456789a");
    for (k, input, output) in [
        (&k1, "0.0.0.0", "151.82.155.134"),
        (&k1, "255.255.255.255", "94.185.169.89"),
        (&k1, "192.0.2.1", "100.115.72.131"),
        (&k1, "2001:db8::1", "c180:5dd4:2587:3524:30ab:fa65:6ab6:f88"),
        (&k2, "10.0.0.47", "19.214.210.244"),
        (&k2, "10.0.0.129", "19.214.210.80"),
        (&k2, "172.16.5.193", "210.78.229.136"),
        (
            &k2,
            "2001:db8::a5c9:4e2f:bb91:5a7d",
            "7cec:702c:1243:f70:1956:125:b9bd:1aba",
        ),
        (
            &k2,
            "2001:db8:3a5c:0:e7d1:4b9f:2c8a:f673",
            "7cec:702c:3503:bef:e616:96bd:be33:a9b9",
        ),
    ] {
        let pfx = IpcryptPfx::new(k).expect("key");
        assert_eq!(pfx.anonymize(ip(input)), ip(output), "{input}");
        assert_eq!(pfx.deanonymize(ip(output)), ip(input));
    }
}

#[test]
fn bad_keys_are_errors_not_panics() {
    assert_eq!(
        IpcryptPfx::new(&[1u8; 31]).map(|_| ()),
        Err(PfxKeyError::Length(31))
    );
    assert_eq!(
        IpcryptPfx::new(&[7u8; 32]).map(|_| ()),
        Err(PfxKeyError::EqualHalves)
    );
}
