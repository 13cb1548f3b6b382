//! A made-up City database for the demo, used when no real one is at hand (offline).
//!
//! Every public IPv4 /8 is assigned one of [`PLACES`] (round robin) and, inside it, each
//! /16 a position jittered around the place's inland point, so a map shows spread bubbles
//! that still fall inside the right country at Natural Earth's 1:110m scale. It says it is
//! fake in its metadata and in the attribution the dashboard shows.

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};

use crate::writer::{MmdbRecord, MmdbWriter};

/// A country with an inland point (degrees) and how far bubbles may stray from it.
pub struct Place {
    pub country: &'static str,
    pub name: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub jitter: f64,
}

const fn p(country: &'static str, name: &'static str, lat: f64, lon: f64, jitter: f64) -> Place {
    Place {
        country,
        name,
        latitude: lat,
        longitude: lon,
        jitter,
    }
}

/// Inland points, checked against the country outlines by the dashboard's browser test.
pub const PLACES: &[Place] = &[
    p("US", "United States", 39.8, -98.6, 4.0),
    p("CN", "China", 33.0, 105.0, 4.0),
    p("JP", "Japan", 36.3, 138.4, 0.3),
    p("BR", "Brazil", -10.0, -52.0, 4.0),
    p("RU", "Russia", 60.0, 90.0, 5.0),
    p("IN", "India", 22.0, 79.0, 3.0),
    p("DE", "Germany", 51.0, 10.3, 0.8),
    p("KR", "South Korea", 36.5, 127.9, 0.3),
    p("FR", "France", 46.6, 2.5, 1.0),
    p("GB", "United Kingdom", 52.6, -1.5, 0.4),
    p("NL", "Netherlands", 52.2, 5.6, 0.15),
    p("MX", "Mexico", 23.5, -102.5, 2.0),
    p("CA", "Canada", 56.0, -100.0, 4.0),
    p("AU", "Australia", -25.0, 134.0, 4.0),
    p("AR", "Argentina", -35.0, -65.0, 2.0),
    p("ZA", "South Africa", -29.0, 24.5, 1.5),
    p("EG", "Egypt", 26.5, 29.5, 1.5),
    p("TR", "Turkey", 39.0, 35.0, 1.0),
    p("IR", "Iran", 32.5, 54.0, 2.0),
    p("UA", "Ukraine", 49.0, 31.5, 1.5),
    p("PL", "Poland", 52.0, 19.5, 1.0),
    p("ES", "Spain", 40.0, -3.7, 1.2),
    p("TH", "Thailand", 15.5, 101.0, 1.0),
    p("NG", "Nigeria", 9.5, 8.0, 1.5),
    p("SA", "Saudi Arabia", 24.0, 45.0, 2.0),
    p("KZ", "Kazakhstan", 48.0, 67.0, 3.0),
];

/// Description written into the database and shown as the map's attribution.
pub const DEMO_DESCRIPTION: &str =
    "Yamori demo geolocation: made-up positions for generated traffic, not real data";

/// The place assigned to an address (the same rule the database encodes).
pub fn place_of(addr: Ipv4Addr) -> &'static Place {
    let o = addr.octets();
    &PLACES[usize::from(o[0]) % PLACES.len()]
}

/// A deterministic offset in [-1, 1) from a /16's second octet.
fn unit(b: u8, salt: u8) -> f64 {
    let h = (u32::from(b).wrapping_mul(2_654_435_761) ^ u32::from(salt).wrapping_mul(40_503)) >> 8;
    f64::from(h % 2000) / 1000.0 - 1.0
}

/// Write the demo database: one record per public /16 (the /8's place, jittered).
pub fn demo_city_db() -> MmdbWriter {
    let mut w = MmdbWriter::new("Yamori-Demo-City", DEMO_DESCRIPTION);
    for a in 1u8..=223 {
        if matches!(a, 10 | 127) {
            continue;
        }
        for b in 0u8..=255 {
            let place = place_of(Ipv4Addr::new(a, b, 0, 0));
            let net = Ipv4Net::new(Ipv4Addr::new(a, b, 0, 0), 16).expect("valid /16");
            w.insert(
                IpNet::V4(net),
                MmdbRecord {
                    country: Some(place.country.into()),
                    country_name: Some(place.name.into()),
                    city: None,
                    latitude: Some(place.latitude + place.jitter * unit(b, 1)),
                    longitude: Some(place.longitude + place.jitter * unit(b, 2)),
                    asn: None,
                    as_org: None,
                },
            );
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_db_places_addresses_as_place_of_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("demo.mmdb");
        let mut f = std::fs::File::create(&path).expect("create");
        demo_city_db().write(&mut f).expect("write");
        drop(f);
        let db = crate::GeoDb::open(&path).expect("open");
        for ip in ["1.2.3.4", "45.9.8.7", "203.0.112.9", "223.255.1.1"] {
            let a: Ipv4Addr = ip.parse().expect("ip");
            let loc = db.lookup(a.into()).expect("located");
            let want = place_of(a);
            assert_eq!(loc.country.as_deref(), Some(want.country), "{ip}");
            let (lat, lon) = (loc.latitude.expect("lat"), loc.longitude.expect("lon"));
            assert!(
                (lat - want.latitude).abs() <= want.jitter + 1e-9,
                "{ip} {lat}"
            );
            assert!(
                (lon - want.longitude).abs() <= want.jitter + 1e-9,
                "{ip} {lon}"
            );
        }
        assert!(db.lookup("10.1.2.3".parse().expect("ip")).is_none());
    }
}
