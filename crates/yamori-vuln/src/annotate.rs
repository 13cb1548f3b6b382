//! Adding matches to a survey result: for each service, build its [`Identity`], fetch the
//! candidate records by (vendor, product), match them, and write the sorted matches into
//! `Service::vulnerabilities`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use super::finding::{sort_matches, summarise, KevFlag, VulnMatch};
use super::identity::Identity;
use super::matcher::match_cve;
use super::osv_match::match_osv;
use super::record::{CveRecord, KevEntry, OsvRecord};
use yamori_model::survey::SurveyResult;

/// A CVE record found for a lookup, with its KEV entry if the catalogue lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub cve: CveRecord,
    pub kev: Option<KevEntry>,
}

/// Where `annotate` finds records (the SQLite store in the binary, [`super::MemoryVulnDb`] in
/// tests). Lookups are by the keys the store indexes, never a full scan.
pub trait VulnLookup {
    type Error: std::error::Error + Send + Sync + 'static;
    /// CVE records whose criteria name `vendor:product` (as CPE 2.3 escaped, lower-case).
    fn cves_for_product(&self, vendor: &str, product: &str) -> Result<Vec<Candidate>, Self::Error>;
    /// OSV records with a package of this name in any ecosystem.
    fn osv_for_package(&self, name: &str) -> Result<Vec<OsvRecord>, Self::Error>;
}

/// What `annotate` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnnotateStats {
    pub services: usize,
    pub services_with_identity: usize,
    pub affected: usize,
    pub unknown: usize,
    pub kev: usize,
}

/// Replace every service's `vulnerabilities` with the matches found in `db`: KEV first, then
/// by CVSS (see [`sort_matches`]).
pub fn annotate<L: VulnLookup>(
    result: &mut SurveyResult,
    db: &L,
) -> Result<AnnotateStats, L::Error> {
    let db = Cached::new(db);
    let db = &db;
    let mut stats = AnnotateStats::default();
    for host in &mut result.hosts {
        for svc in &mut host.services {
            stats.services += 1;
            let identity = Identity::of_service(svc);
            if identity.cpes.is_empty() {
                svc.vulnerabilities.clear();
                continue;
            }
            stats.services_with_identity += 1;
            let mut found = matches_for(&identity, db)?;
            sort_matches(&mut found);
            for m in &found {
                match m.certainty {
                    super::Certainty::Affected => stats.affected += 1,
                    super::Certainty::Unknown => stats.unknown += 1,
                }
                stats.kev += usize::from(m.kev.is_some());
            }
            svc.vulnerabilities = found;
        }
    }
    Ok(stats)
}

/// Lookups remembered for one `annotate` run: a survey finds the same product on many
/// hosts. Bounded by the number of distinct (vendor, product) / package keys in the survey.
struct Cached<'a, L> {
    db: &'a L,
    cves: RefCell<HashMap<(String, String), Vec<Candidate>>>,
    osv: RefCell<HashMap<String, Vec<OsvRecord>>>,
}

impl<'a, L: VulnLookup> Cached<'a, L> {
    fn new(db: &'a L) -> Self {
        Cached {
            db,
            cves: RefCell::default(),
            osv: RefCell::default(),
        }
    }
}

impl<L: VulnLookup> VulnLookup for Cached<'_, L> {
    type Error = L::Error;

    fn cves_for_product(&self, vendor: &str, product: &str) -> Result<Vec<Candidate>, L::Error> {
        let key = (vendor.to_string(), product.to_string());
        if let Some(hit) = self.cves.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let found = self.db.cves_for_product(vendor, product)?;
        self.cves.borrow_mut().insert(key, found.clone());
        Ok(found)
    }

    fn osv_for_package(&self, name: &str) -> Result<Vec<OsvRecord>, L::Error> {
        if let Some(hit) = self.osv.borrow().get(name) {
            return Ok(hit.clone());
        }
        let found = self.db.osv_for_package(name)?;
        self.osv
            .borrow_mut()
            .insert(name.to_string(), found.clone());
        Ok(found)
    }
}

/// All matches for one identity, unsorted, one per CVE / OSV id.
pub fn matches_for<L: VulnLookup>(identity: &Identity, db: &L) -> Result<Vec<VulnMatch>, L::Error> {
    let mut by_id: BTreeMap<String, VulnMatch> = BTreeMap::new();
    for (vendor, product) in identity.lookup_keys() {
        for cand in db.cves_for_product(&vendor, &product)? {
            if by_id.contains_key(&cand.cve.id) {
                continue;
            }
            let Some(m) = match_cve(&cand.cve, identity) else {
                continue;
            };
            by_id.insert(
                cand.cve.id.clone(),
                VulnMatch {
                    id: cand.cve.id.clone(),
                    source: "nvd".into(),
                    certainty: m.certainty,
                    unknown_reason: m.unknown_reason,
                    kev: cand.kev.map(|k| KevFlag {
                        date_added: k.date_added,
                        due_date: k.due_date,
                        required_action: k.required_action,
                        ransomware_use: k.ransomware_use,
                    }),
                    cvss: cand.cve.cvss.clone(),
                    summary: summarise(&cand.cve.description),
                    rule: m.rule,
                    platform: m.platform,
                },
            );
        }
    }
    for (ident, package, version) in identity.packages() {
        let device = ident.to_string();
        for rec in db.osv_for_package(package)? {
            // An OSV record that aliases a CVE already matched through NVD adds nothing.
            if by_id.contains_key(&rec.id) || rec.aliases.iter().any(|a| by_id.contains_key(a)) {
                continue;
            }
            let Some((certainty, reason, rule)) =
                match_osv(&rec, package, version.as_deref(), &device)
            else {
                continue;
            };
            by_id.insert(
                rec.id.clone(),
                VulnMatch {
                    id: rec.id.clone(),
                    source: "osv".into(),
                    certainty,
                    unknown_reason: reason,
                    kev: None,
                    cvss: None,
                    summary: summarise(&rec.summary),
                    rule,
                    platform: Vec::new(),
                },
            );
        }
    }
    Ok(by_id.into_values().collect())
}
