//! `yamori vulndb`: import offline vulnerability data into the store and query it.
//!
//! Reading the feeds, importing them in batches and matching live in `yamori_vuln`; the
//! tables in `yamori_store::vulndb`. This module parses the arguments, shows progress, prints
//! the summary and chooses the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yamori_store::Store;
use yamori_vuln::annotate::matches_for;
use yamori_vuln::store::{expand, import_file};
use yamori_vuln::Identity;

use super::EXIT_PARTIAL;

mod report;

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
            let mut found = matches_for(&id, &*store)?;
            yamori_vuln::finding::sort_matches(&mut found);
            print!("{}", report::matches_table(&id, &found));
            Ok(ExitCode::SUCCESS)
        }
    }
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
        summaries.push(import_file(store, &f, |r| bar.wrap_read(r)));
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

#[cfg(test)]
mod tests;
