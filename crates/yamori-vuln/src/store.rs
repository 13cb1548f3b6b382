//! The vulnerability tables of `yamori-store`: feed files imported into them in batches, and
//! [`VulnLookup`] for [`Store`], reading the records back for matching.
//!
//! The store keeps rows and each record's JSON (`record_json`) and knows nothing of what a
//! record means; which products a CVE names, which packages an OSV record covers and how the
//! JSON reads back are decided here, next to the parsers that write it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use yamori_store::vulndb::{KevRow, NewCve, NewOsv};
use yamori_store::Store;

use crate::annotate::{Candidate, VulnLookup};
use crate::feed::{gunzip_if_needed, read_feed, FeedItem, FeedKind};
use crate::record::{CveRecord, KevEntry, OsvRecord};
use crate::ItemError;

/// Entries written to the store per transaction: large enough that commits do not dominate,
/// small enough that a batch of NVD records (a few MB) stays in memory briefly.
const BATCH: usize = 500;
/// Deepest directory level walked for OSV trees (`osv/<ecosystem>/<id>.json` is 2).
const MAX_DIR_DEPTH: usize = 8;

/// What one input file gave.
#[derive(Debug, Default)]
pub struct FileSummary {
    pub path: PathBuf,
    pub kind: Option<FeedKind>,
    pub cves: usize,
    pub kev: usize,
    pub osv: usize,
    pub skipped: Vec<ItemError>,
    pub error: Option<String>,
}

/// A path that could not be read while listing the inputs.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct ExpandError {
    what: String,
    #[source]
    source: std::io::Error,
}

/// Files as given, directories walked (sorted, *.json / *.json.gz only).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExpandError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| ExpandError {
            what: format!("{}", p.display()),
            source,
        })?;
        if meta.is_dir() {
            walk(p, 0, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), ExpandError> {
    if depth > MAX_DIR_DEPTH {
        tracing::warn!(dir = %dir.display(), "directory deeper than {MAX_DIR_DEPTH} levels not walked");
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| ExpandError {
            what: format!("reading directory {}", dir.display()),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, depth + 1, out)?;
        } else {
            let name = e
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if name.ends_with(".json") || name.ends_with(".json.gz") {
                out.push(e);
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct Batches {
    cves: Vec<NewCve>,
    kev: Vec<KevRow>,
    osv: Vec<NewOsv>,
}

impl Batches {
    fn flush(&mut self, store: &Store, s: &mut FileSummary) -> yamori_store::Result<()> {
        s.cves += store.import_nvd_items(&self.cves)?;
        s.kev += store.import_kev(&self.kev)?;
        s.osv += store.import_osv(&self.osv)?;
        self.cves.clear();
        self.kev.clear();
        self.osv.clear();
        Ok(())
    }
    fn len(&self) -> usize {
        self.cves.len() + self.kev.len() + self.osv.len()
    }
}

/// Imports one file (NVD, KEV or OSV, detected from its content; gzip or plain) into `store`
/// in batches. Re-importing replaces entries by id. `wrap` sees the opened file before it is
/// read (e.g. to count bytes for a progress bar; `|f| f` otherwise). Nothing is returned as an
/// error: what was imported, what was skipped and why the file stopped are in the summary.
pub fn import_file<R: Read>(
    store: &Store,
    path: &Path,
    wrap: impl FnOnce(File) -> R,
) -> FileSummary {
    let mut s = FileSummary {
        path: path.to_path_buf(),
        ..FileSummary::default()
    };
    let reader = match File::open(path).and_then(|f| gunzip_if_needed(BufReader::new(wrap(f)))) {
        Ok(r) => r,
        Err(e) => {
            s.error = Some(format!("cannot read: {e}"));
            return s;
        }
    };
    let mut batches = Batches::default();
    let mut skipped = Vec::new();
    let mut stored = FileSummary::default();
    let result = read_feed(reader, &mut |item| {
        match item {
            FeedItem::Cve(c) => batches.cves.push(new_cve(&c)?),
            FeedItem::Kev(k) => batches.kev.push(kev_row(k)),
            FeedItem::Osv(o) => batches.osv.push(new_osv(&o)?),
            FeedItem::Skipped(e) => skipped.push(e),
        }
        if batches.len() >= BATCH {
            batches.flush(store, &mut stored)?;
        }
        Ok(())
    });
    let flushed = batches.flush(store, &mut stored);
    s.kind = result.as_ref().ok().copied();
    s.cves = stored.cves;
    s.kev = stored.kev;
    s.osv = stored.osv;
    s.skipped = skipped;
    match (result, flushed) {
        (Err(e), _) => {
            let done = s.cves + s.kev + s.osv;
            s.error = Some(if done > 0 {
                format!("{e} (after {done} entries were imported)")
            } else {
                e.to_string()
            });
        }
        (Ok(_), Err(e)) => s.error = Some(format!("storing: {e}")),
        (Ok(_), Ok(())) => {}
    }
    s
}

fn new_cve(c: &CveRecord) -> Result<NewCve, serde_json::Error> {
    Ok(NewCve {
        id: c.id.clone(),
        published: c.published.clone(),
        last_modified: c.last_modified.clone(),
        cvss_score: c.cvss.as_ref().map(|x| x.score.as_f64()),
        severity: c.cvss.as_ref().map(|x| x.severity.clone()),
        products: c.products(),
        record_json: serde_json::to_string(c)?,
    })
}

fn new_osv(o: &OsvRecord) -> Result<NewOsv, serde_json::Error> {
    let mut packages: Vec<(String, String)> = o
        .affected
        .iter()
        .map(|a| (a.ecosystem.clone(), a.name.clone()))
        .collect();
    packages.sort();
    packages.dedup();
    Ok(NewOsv {
        id: o.id.clone(),
        modified: o.modified.clone(),
        packages,
        record_json: serde_json::to_string(o)?,
    })
}

fn kev_row(k: KevEntry) -> KevRow {
    KevRow {
        cve_id: k.cve_id,
        vendor_project: k.vendor_project,
        product: k.product,
        name: k.name,
        date_added: k.date_added,
        short_description: k.short_description,
        required_action: k.required_action,
        due_date: k.due_date,
        ransomware_use: k.ransomware_use,
    }
}

fn kev_entry(k: KevRow) -> KevEntry {
    KevEntry {
        cve_id: k.cve_id,
        vendor_project: k.vendor_project,
        product: k.product,
        name: k.name,
        date_added: k.date_added,
        short_description: k.short_description,
        required_action: k.required_action,
        due_date: k.due_date,
        ransomware_use: k.ransomware_use,
    }
}

/// A lookup failure: the store failed, or a stored record no longer parses.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("vulnerability database: {0}")]
    Store(#[source] yamori_store::StoreError),
    #[error("stored record {id} is corrupt: {source}")]
    Corrupt {
        id: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The store as a [`VulnLookup`]: records come back from their stored JSON.
impl VulnLookup for Store {
    type Error = LookupError;

    fn cves_for_product(&self, vendor: &str, product: &str) -> Result<Vec<Candidate>, LookupError> {
        let rows = self
            .find_by_cpe_prefix(vendor, product)
            .map_err(LookupError::Store)?;
        rows.into_iter()
            .map(|r| {
                let cve = serde_json::from_str(&r.record_json).map_err(|source| {
                    LookupError::Corrupt {
                        id: r.id.clone(),
                        source,
                    }
                })?;
                Ok(Candidate {
                    cve,
                    kev: r.kev.map(kev_entry),
                })
            })
            .collect()
    }

    fn osv_for_package(&self, name: &str) -> Result<Vec<OsvRecord>, LookupError> {
        let rows = self.find_osv_by_package(name).map_err(LookupError::Store)?;
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json).map_err(|source| LookupError::Corrupt { id, source })
            })
            .collect()
    }
}
