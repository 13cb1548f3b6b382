//! Enrichment: where a source address is (country, coordinates) and who routes it (ASN).
//!
//! * [`GeoDb`]: a MaxMind DB file (GeoLite2-City/Country, DB-IP Lite City/Country, or any MMDB
//!   with the same `country.iso_code` / `location` layout).
//! * [`AsnDb`]: an ASN MMDB (GeoLite2-ASN layout), an iptoasn.com `ip2asn-*.tsv`, or a CAIDA
//!   `pfx2as` file; the format is detected from the content.
//! * [`MmdbWriter`]: writes small MMDB files (tests, and the demo when no real database is
//!   installed). Hand-written because no maintained Rust crate writes the format; it is a
//!   binary trie plus a self-describing data section (MaxMind DB spec 2.0).
//!
//! Lookups are done once per *source* after analysis, never per packet.

mod asn_tsv;
pub mod demo_geo;
mod mmdb;
mod writer;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use asn_tsv::AsnTable;
pub use mmdb::{AsnMmdb, GeoDb};
pub use writer::{MmdbRecord, MmdbWriter};

/// What enrichment knows about one address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

/// Errors name the database file and what was wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrichError {
    #[error("{path}: cannot open MaxMind DB: {source}")]
    Mmdb {
        path: PathBuf,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {what}")]
    BadLine {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("{path}: not a MaxMind DB, ip2asn TSV or pfx2as file")]
    UnknownFormat { path: PathBuf },
}

/// ASN data from either an MMDB or a TSV table.
pub enum AsnDb {
    Mmdb(AsnMmdb),
    Table(AsnTable),
}

impl AsnDb {
    /// Open an ASN database, detecting MMDB vs ip2asn/pfx2as text.
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        if mmdb::looks_like_mmdb(path)? {
            Ok(AsnDb::Mmdb(AsnMmdb::open(path)?))
        } else {
            Ok(AsnDb::Table(AsnTable::open(path)?))
        }
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<(u32, Option<String>)> {
        match self {
            AsnDb::Mmdb(m) => m.lookup(ip),
            AsnDb::Table(t) => t.lookup(ip),
        }
    }
}

/// Geo and ASN databases together; either may be absent.
#[derive(Default)]
pub struct Enricher {
    pub geo: Option<GeoDb>,
    pub asn: Option<AsnDb>,
}

impl Enricher {
    pub fn open(geoip: Option<&Path>, asn: Option<&Path>) -> Result<Self, EnrichError> {
        Ok(Self {
            geo: geoip.map(GeoDb::open).transpose()?,
            asn: asn.map(AsnDb::open).transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.geo.is_none() && self.asn.is_none()
    }

    /// Everything known about `ip`. A geo database that also carries ASN fields (some DB-IP
    /// and GeoLite2 builds do) fills the ASN when no ASN database was given.
    pub fn locate(&self, ip: IpAddr) -> Location {
        let mut loc = self
            .geo
            .as_ref()
            .and_then(|g| g.lookup(ip))
            .unwrap_or_default();
        if let Some((asn, org)) = self.asn.as_ref().and_then(|a| a.lookup(ip)) {
            loc.asn = Some(asn);
            loc.as_org = org;
        }
        loc
    }
}
impl yamori_telescope::SourceEnricher for Enricher {
    fn lookup(&self, addr: IpAddr) -> yamori_telescope::Enrichment {
        let loc = self.locate(addr);
        yamori_telescope::Enrichment {
            country: loc.country,
            asn: loc.asn,
            as_org: loc.as_org,
            location: loc
                .latitude
                .zip(loc.longitude)
                .map(|(latitude, longitude)| yamori_telescope::GeoPoint {
                    latitude,
                    longitude,
                }),
        }
    }
}
