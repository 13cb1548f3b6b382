//! Integration tests for yamori-vuln: CPE, versions, feed reading, matching against
//! fixtures, and importing into and looking up from the store.

mod cpe;
mod feed;
mod matching;
mod props;
mod store;
mod version;

use std::path::PathBuf;

use yamori_vuln::feed::{read_feed, FeedItem, FeedKind};
use yamori_vuln::MemoryVulnDb;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Read one fixture file, returning its kind and every item.
pub fn read_fixture(rel: &str) -> (FeedKind, Vec<FeedItem>) {
    let f = std::fs::File::open(fixture(rel)).expect("fixture exists");
    let mut items = Vec::new();
    let kind = read_feed(std::io::BufReader::new(f), &mut |i| {
        items.push(i);
        Ok(())
    })
    .expect("fixture reads");
    (kind, items)
}

/// The NVD, KEV and OSV fixtures loaded into memory.
pub fn fixture_db() -> MemoryVulnDb {
    let mut db = MemoryVulnDb::default();
    for rel in [
        "nvd/cves.json",
        "kev.json",
        "osv/ALPINE-CVE-2020-36254.json",
    ] {
        for item in read_fixture(rel).1 {
            db.add(item);
        }
    }
    db
}
