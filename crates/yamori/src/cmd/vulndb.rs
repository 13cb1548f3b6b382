//! `yamori vulndb`: import offline vulnerability data into the embedded store and query it.
//!
//! Parsing and matching live in `yamori_survey::vuln`; storage in
//! `yamori_store::vulndb`. This module walks the inputs, batches entries into the store,
//! shows progress and prints the summary.

use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use yamori_store::vulndb::{KevRow, NewCve, NewOsv};
use yamori_store::Store;
use yamori_survey::vuln::feed::{gunzip_if_needed, read_feed, FeedItem, FeedKind};
use yamori_survey::vuln::record::{CveRecord, KevEntry, OsvRecord};
use yamori_survey::vuln::{annotate::matches_for, Candidate, Identity, ItemError, VulnLookup};

use super::EXIT_PARTIAL;

mod report;

/// Entries written to the store per transaction: large enough that commits do not dominate,
/// small enough that a batch of NVD records (a few MB) stays in memory briefly.
const BATCH: usize = 500;
/// Deepest directory level walked for OSV trees (`osv/<ecosystem>/<id>.json` is 2).
const MAX_DIR_DEPTH: usize = 8;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Import NVD CVE JSON 2.0 (API pages or feed files, .json or .json.gz), the CISA KEV
    /// catalogue and OSV records (files or directories). Each file's kind is detected from
    /// its content. Re-importing replaces entries by id.
    Import(ImportArgs),
    /// Show how many CVEs, KEV entries and OSV records are stored.
    Stats,
    /// Match one device CPE against the stored data and print the matches.
    Match(MatchArgs),
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Files or directories (directories are walked for *.json and *.json.gz).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct MatchArgs {
    /// The device's CPE: 2.3 formatted string or 2.2 URI (e.g. cpe:/h:huawei:hg532).
    #[arg(long)]
    pub cpe: String,
    /// Firmware/software version, if not in the CPE (`--version` is the program's own).
    #[arg(long)]
    pub fw_version: Option<String>,
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    let store = super::open_store(g)?;
    match c {
        Command::Import(a) => import(g, &store, &a.paths),
        Command::Stats => {
            let n = store.vulndb_counts()?;
            println!(
                "CVEs: {}\nKEV entries: {}\nOSV records: {}",
                n.cves, n.kev, n.osv
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Match(a) => {
            let id = Identity::from_cpe(&a.cpe, a.fw_version.as_deref())
                .with_context(|| format!("{:?} is not a CPE name", a.cpe))?;
            let mut found = matches_for(&id, &StoreLookup(&store))?;
            yamori_survey::vuln::finding::sort_matches(&mut found);
            print!("{}", report::matches_table(&id, &found));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What one input file gave.
#[derive(Debug, Default)]
pub(crate) struct FileSummary {
    pub path: PathBuf,
    pub kind: Option<FeedKind>,
    pub cves: usize,
    pub kev: usize,
    pub osv: usize,
    pub skipped: Vec<ItemError>,
    pub error: Option<String>,
}

fn import(g: &crate::GlobalArgs, store: &Store, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let files = expand(paths)?;
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress(g, total);
    let mut summaries = Vec::with_capacity(files.len());
    for f in files {
        bar.set_message(f.display().to_string());
        summaries.push(import_file(store, &f, &bar));
    }
    bar.finish_and_clear();
    let counts = store.vulndb_counts()?;
    print!("{}", report::import_table(&summaries, counts));
    let failed = summaries.iter().filter(|s| s.error.is_some()).count();
    if failed == summaries.len() {
        let first = summaries
            .iter()
            .find_map(|s| Some((&s.path, s.error.as_ref()?)));
        if let Some((path, e)) = first {
            anyhow::bail!("{}: {e}", path.display());
        }
    }
    let partial = failed > 0 || summaries.iter().any(|s| !s.skipped.is_empty());
    Ok(if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress(g: &crate::GlobalArgs, total: u64) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if g.quiet {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Files as given, directories walked (sorted, *.json / *.json.gz only).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}", p.display()))?;
        if meta.is_dir() {
            walk(p, 0, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if depth > MAX_DIR_DEPTH {
        tracing::warn!(dir = %dir.display(), "directory deeper than {MAX_DIR_DEPTH} levels not walked");
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
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

pub(crate) fn import_file(store: &Store, path: &Path, bar: &indicatif::ProgressBar) -> FileSummary {
    let mut s = FileSummary {
        path: path.to_path_buf(),
        ..FileSummary::default()
    };
    let reader = match std::fs::File::open(path)
        .and_then(|f| gunzip_if_needed(BufReader::new(bar.wrap_read(f))))
    {
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

/// The store as a [`VulnLookup`]: records come back from their stored JSON.
pub(crate) struct StoreLookup<'a>(pub &'a Store);

/// A lookup failure: the store failed, or a stored record no longer parses.
#[derive(Debug)]
pub(crate) enum LookupError {
    Store(yamori_store::StoreError),
    Corrupt {
        id: String,
        source: serde_json::Error,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Store(e) => write!(f, "vulnerability database: {e}"),
            LookupError::Corrupt { id, source } => {
                write!(f, "stored record {id} is corrupt: {source}")
            }
        }
    }
}

impl std::error::Error for LookupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LookupError::Store(e) => Some(e),
            LookupError::Corrupt { source, .. } => Some(source),
        }
    }
}

impl VulnLookup for StoreLookup<'_> {
    type Error = LookupError;

    fn cves_for_product(&self, vendor: &str, product: &str) -> Result<Vec<Candidate>, LookupError> {
        let rows = self
            .0
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
                let kev = r.kev.map(|k| KevEntry {
                    cve_id: k.cve_id,
                    vendor_project: k.vendor_project,
                    product: k.product,
                    name: k.name,
                    date_added: k.date_added,
                    short_description: k.short_description,
                    required_action: k.required_action,
                    due_date: k.due_date,
                    ransomware_use: k.ransomware_use,
                });
                Ok(Candidate { cve, kev })
            })
            .collect()
    }

    fn osv_for_package(&self, name: &str) -> Result<Vec<OsvRecord>, LookupError> {
        let rows = self
            .0
            .find_osv_by_package(name)
            .map_err(LookupError::Store)?;
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json).map_err(|source| LookupError::Corrupt { id, source })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
