//! Write an MMDB with our writer, read it back with the `maxminddb` crate (the reader every
//! user's GeoLite2 / DB-IP file goes through), and check lookups.
use std::net::IpAddr;

use yamori_enrich::{Enricher, GeoDb, MmdbRecord, MmdbWriter};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn rec(cc: &str, lat: f64, lon: f64, asn: u32, org: &str) -> MmdbRecord {
    MmdbRecord {
        country: Some(cc.into()),
        country_name: None,
        city: None,
        latitude: Some(lat),
        longitude: Some(lon),
        asn: Some(asn),
        as_org: Some(org.into()),
    }
}

#[test]
fn written_database_reads_back_with_maxminddb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test-city.mmdb");
    let mut w = MmdbWriter::new("Yamori-Test-City", "test database");
    w.insert(
        "198.51.100.0/24".parse().expect("net"),
        rec("JP", 35.68, 139.69, 64500, "Example JP"),
    );
    w.insert(
        "198.51.100.128/25".parse().expect("net"),
        rec("BR", -23.5, -46.6, 64501, "Example BR"),
    );
    w.insert(
        "203.0.113.7/32".parse().expect("net"),
        rec("US", 37.77, -122.4, 64502, "Example US"),
    );
    w.insert(
        "2001:db8:1::/48".parse().expect("net"),
        rec("DE", 52.5, 13.4, 64503, "Example DE"),
    );
    w.write(std::fs::File::create(&path).expect("create"))
        .expect("write");

    let db = GeoDb::open(&path).expect("maxminddb opens our file");
    assert_eq!(db.database_type, "Yamori-Test-City");
    let jp = db.lookup(ip("198.51.100.5")).expect("in /24");
    assert_eq!(jp.country.as_deref(), Some("JP"));
    assert_eq!(jp.latitude, Some(35.68));
    assert_eq!(jp.asn, Some(64500));
    // The more specific /25 wins over the /24 regardless of insertion order.
    assert_eq!(
        db.lookup(ip("198.51.100.200"))
            .and_then(|l| l.country)
            .as_deref(),
        Some("BR")
    );
    assert_eq!(
        db.lookup(ip("203.0.113.7"))
            .and_then(|l| l.country)
            .as_deref(),
        Some("US")
    );
    assert!(db.lookup(ip("203.0.113.8")).is_none());
    assert_eq!(
        db.lookup(ip("2001:db8:1::99"))
            .and_then(|l| l.country)
            .as_deref(),
        Some("DE")
    );
    assert!(db.lookup(ip("2001:db8:2::1")).is_none());

    // The same file serves as an ASN database.
    let e = Enricher::open(Some(&path), Some(&path)).expect("both open");
    let loc = e.locate(ip("198.51.100.130"));
    assert_eq!(loc.asn, Some(64501));
    assert_eq!(loc.as_org.as_deref(), Some("Example BR"));
}

#[test]
fn many_networks_and_long_strings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.mmdb");
    let mut w = MmdbWriter::new("Yamori-Test", "big");
    let long = "x".repeat(70_000); // exercises the 3-byte size encoding
    for i in 0..2000u32 {
        let net = format!("10.{}.{}.0/24", i / 256, i % 256);
        let org = if i == 7 {
            long.clone()
        } else {
            format!("org{i}")
        };
        w.insert(
            net.parse().expect("net"),
            rec("JP", 1.0, 2.0, 65000 + i, &org),
        );
    }
    w.write(std::fs::File::create(&path).expect("create"))
        .expect("write");
    let db = GeoDb::open(&path).expect("opens");
    for i in [0u32, 7, 999, 1999] {
        let a = ip(&format!("10.{}.{}.9", i / 256, i % 256));
        let l = db.lookup(a).expect("present");
        assert_eq!(l.asn, Some(65000 + i));
        if i == 7 {
            assert_eq!(l.as_org.as_ref().map(|s| s.len()), Some(70_000));
        }
    }
}

#[test]
fn garbage_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.mmdb");
    std::fs::write(&path, b"this is not a database").expect("write");
    let err = GeoDb::open(&path).err().expect("rejected");
    assert!(err.to_string().contains("nope.mmdb"), "{err}");
}
