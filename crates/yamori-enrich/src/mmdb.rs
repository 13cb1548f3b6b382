//! MaxMind DB readers (via the `maxminddb` crate).
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

use crate::{EnrichError, Location};

/// The MMDB metadata marker; its presence near the end of a file identifies the format.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
/// The metadata section is at most 128 KiB from the end (MaxMind DB spec).
const METADATA_MAX: u64 = 128 * 1024;

pub(crate) fn looks_like_mmdb(path: &Path) -> Result<bool, EnrichError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| EnrichError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let start = len.saturating_sub(METADATA_MAX);
    f.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).map_err(io)?;
    Ok(tail
        .windows(METADATA_MARKER.len())
        .any(|w| w == METADATA_MARKER))
}

fn open_reader(path: &Path) -> Result<maxminddb::Reader<Vec<u8>>, EnrichError> {
    maxminddb::Reader::open_readfile(path).map_err(|source| EnrichError::Mmdb {
        path: path.to_path_buf(),
        source,
    })
}

/// The subset of GeoIP2/GeoLite2/DB-IP record fields we use.
#[derive(Deserialize, Default)]
struct GeoRecord<'a> {
    #[serde(borrow, default)]
    country: Option<CountryRec<'a>>,
    #[serde(default)]
    location: Option<LocationRec>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct CountryRec<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct LocationRec {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

/// A country/city database.
pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    /// `database_type` from the metadata, e.g. "GeoLite2-City", "DBIP-City-Lite".
    pub database_type: String,
    /// The English `description` from the metadata, if any.
    pub description: Option<String>,
}

impl GeoDb {
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        let reader = open_reader(path)?;
        let database_type = reader.metadata().database_type.clone();
        let description = reader.metadata().description.get("en").cloned();
        Ok(Self {
            reader,
            database_type,
            description,
        })
    }

    /// The notice to show where positions from this database are displayed. DB-IP's Lite
    /// databases are CC BY 4.0 and require naming DB-IP with a link.
    pub fn attribution(&self) -> String {
        let t = self.database_type.to_ascii_lowercase();
        if t.contains("dbip") || t.contains("db-ip") {
            return "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0".into();
        }
        match &self.description {
            Some(d) if !d.is_empty() => format!("{} ({})", d, self.database_type),
            _ => self.database_type.clone(),
        }
    }

    /// `None` when the address is not in the database (or its record cannot be decoded:
    /// a damaged record is treated as unknown rather than failing the whole analysis).
    pub fn lookup(&self, ip: IpAddr) -> Option<Location> {
        let rec: GeoRecord = self.reader.lookup(ip).ok()?.decode().ok()??;
        Some(Location {
            country: rec.country.and_then(|c| c.iso_code).map(str::to_owned),
            latitude: rec.location.as_ref().and_then(|l| l.latitude),
            longitude: rec.location.as_ref().and_then(|l| l.longitude),
            asn: rec.autonomous_system_number,
            as_org: rec.autonomous_system_organization.map(str::to_owned),
        })
    }
}

/// An ASN database in MMDB form (GeoLite2-ASN layout).
pub struct AsnMmdb {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl AsnMmdb {
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        Ok(Self {
            reader: open_reader(path)?,
        })
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<(u32, Option<String>)> {
        let rec: GeoRecord = self.reader.lookup(ip).ok()?.decode().ok()??;
        Some((
            rec.autonomous_system_number?,
            rec.autonomous_system_organization.map(str::to_owned),
        ))
    }
}
