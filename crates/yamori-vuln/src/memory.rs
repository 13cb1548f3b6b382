//! An in-memory [`VulnLookup`], for tests and for small data sets read straight from files.

use std::collections::HashMap;
use std::convert::Infallible;

use super::annotate::{Candidate, VulnLookup};
use super::feed::FeedItem;
use super::record::{CveRecord, KevEntry, OsvRecord};

#[derive(Debug, Clone, Default)]
pub struct MemoryVulnDb {
    pub cves: Vec<CveRecord>,
    pub kev: HashMap<String, KevEntry>,
    pub osv: Vec<OsvRecord>,
}

impl MemoryVulnDb {
    /// Adds one item [`crate::feed::read_feed`] gave; skipped entries are left out.
    pub fn add(&mut self, item: FeedItem) {
        match item {
            FeedItem::Cve(c) => self.cves.push(c),
            FeedItem::Kev(k) => {
                self.kev.insert(k.cve_id.clone(), k);
            }
            FeedItem::Osv(o) => self.osv.push(o),
            FeedItem::Skipped(_) => {}
        }
    }
}

impl VulnLookup for MemoryVulnDb {
    type Error = Infallible;

    fn cves_for_product(&self, vendor: &str, product: &str) -> Result<Vec<Candidate>, Infallible> {
        Ok(self
            .cves
            .iter()
            .filter(|c| {
                c.products()
                    .iter()
                    .any(|(v, p)| (v == vendor || v == "*") && (p == product || p == "*"))
            })
            .map(|c| Candidate {
                cve: c.clone(),
                kev: self.kev.get(&c.id).cloned(),
            })
            .collect())
    }

    fn osv_for_package(&self, name: &str) -> Result<Vec<OsvRecord>, Infallible> {
        Ok(self
            .osv
            .iter()
            .filter(|o| o.affected.iter().any(|a| a.name.eq_ignore_ascii_case(name)))
            .cloned()
            .collect())
    }
}
