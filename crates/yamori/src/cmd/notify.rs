//! `yamori notify`: one notice per owner from a survey result.
//!
//! Reads the survey JSON and the owners file, adds vulnerability matches from the embedded
//! vulnerability database (unless `--no-annotate`), groups the findings by owner and writes
//! `<out-dir>/<NN-owner>.<lang>.<html|txt>` plus `unassigned.*` and an `index.tsv` listing
//! each notice with its contact.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yamori_notify::{group_with, render, FallbackOwner, Format, Lang, Owners};
use yamori_survey::model::SurveyResult;

use super::open_store;

/// Largest survey file read: a /16 survey with banners is tens of MB; beyond this the input
/// is not a survey result.
const MAX_SURVEY_BYTES: u64 = 512 * 1024 * 1024;
/// Largest owners file read (a full ISP prefix table is well under this).
const MAX_OWNERS_BYTES: u64 = 16 * 1024 * 1024;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Html,
    Text,
    Both,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    Ja,
    En,
    Both,
    /// Each owner's language column in the owners file (both for the unassigned report).
    Owner,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Survey result (`yamori survey --out survey.json`).
    pub survey: PathBuf,
    /// Owners file: prefix<TAB>organisation<TAB>contact<TAB>language; `#` comments.
    /// Required unless --asn is given.
    #[arg(long, required_unless_present = "asn")]
    pub owners: Option<PathBuf>,
    /// ASN database (ip2asn / pfx2as TSV, or a GeoLite2/DB-IP ASN MMDB): hosts the owners file
    /// does not cover get one notice per autonomous system, for its operator (the ISP) to
    /// pass on, instead of landing in the unassigned report.
    #[arg(long, value_name = "FILE")]
    pub asn: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "both")]
    pub format: FormatArg,
    #[arg(long, value_enum, default_value = "owner")]
    pub lang: LangArg,
    /// Directory for the notices (created if missing).
    #[arg(long, default_value = "notices")]
    pub out_dir: PathBuf,
    /// Use the vulnerabilities already in the survey file instead of matching against the
    /// vulnerability database in the data directory.
    #[arg(long)]
    pub no_annotate: bool,
}

fn read_bounded(path: &PathBuf, max: u64) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= max,
        "{}: {len} bytes, over the {max}-byte limit",
        path.display()
    );
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let owners = match &a.owners {
        Some(path) => Owners::parse(&read_bounded(path, MAX_OWNERS_BYTES)?)
            .with_context(|| format!("{}", path.display()))?,
        None => Owners::default(),
    };
    let asn = a
        .asn
        .as_deref()
        .map(yamori_enrich::AsnDb::open)
        .transpose()?;
    let mut survey: SurveyResult =
        serde_json::from_str(&read_bounded(&a.survey, MAX_SURVEY_BYTES)?)
            .with_context(|| format!("{} is not a survey result", a.survey.display()))?;
    if !a.no_annotate {
        let store = open_store(g)?;
        let counts = store.vulndb_counts()?;
        if counts.cves + counts.osv == 0 {
            tracing::warn!("the vulnerability database is empty: run `yamori vulndb import` first");
        }
        let stats = yamori_vuln::annotate(&mut survey, &*store)?;
        tracing::info!(?stats, "matched vulnerabilities");
    }
    let formats: &[Format] = match a.format {
        FormatArg::Html => &[Format::Html],
        FormatArg::Text => &[Format::Text],
        FormatArg::Both => &[Format::Html, Format::Text],
    };
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating {}", a.out_dir.display()))?;
    let by_asn = |ip: std::net::IpAddr| {
        let (n, org) = asn.as_ref()?.lookup(ip)?;
        let org = org.unwrap_or_default();
        Some(FallbackOwner {
            key: format!("as{n}"),
            organisation: format!("AS{n} {org}").trim().to_string(),
            contact: format!(
                "abuse contact of AS{n} (RDAP/whois: e.g. whois -h whois.radb.net AS{n})"
            ),
            scope: format!("AS{n}"),
        })
    };
    let notices = group_with(&survey, &owners, &by_asn);
    let mut index =
        String::from("file\torganisation\tcontact\thosts\tweak_credentials\tkev\tvulnerable\n");
    let mut written = 0usize;
    for n in &notices {
        let langs: Vec<Lang> = match a.lang {
            LangArg::Ja => vec![Lang::Ja],
            LangArg::En => vec![Lang::En],
            LangArg::Both => vec![Lang::Ja, Lang::En],
            LangArg::Owner => n.languages.clone(),
        };
        for r in render(n, &langs, formats)? {
            let path = a.out_dir.join(&r.file_name);
            std::fs::write(&path, &r.body)
                .with_context(|| format!("writing {}", path.display()))?;
            index.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.file_name,
                if n.unassigned {
                    "(unassigned)"
                } else {
                    &n.organisation
                },
                n.contact,
                n.hosts.len(),
                n.n_weak,
                n.n_kev,
                n.n_vulnerable
            ));
            written += 1;
        }
    }
    let index_path = a.out_dir.join("index.tsv");
    std::fs::write(&index_path, index)
        .with_context(|| format!("writing {}", index_path.display()))?;
    if !g.quiet {
        let mut out = std::io::stdout().lock();
        let owned = notices.iter().filter(|n| !n.unassigned).count();
        let unassigned_hosts: usize = notices
            .iter()
            .filter(|n| n.unassigned)
            .map(|n| n.hosts.len())
            .sum();
        writeln!(
            out,
            "{written} files for {owned} owners in {} ({} hosts unassigned); index: {}",
            a.out_dir.display(),
            unassigned_hosts,
            index_path.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
