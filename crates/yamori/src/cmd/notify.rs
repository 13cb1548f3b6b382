//! `yamori notify`: one notice per owner from a survey result, or per network operator from
//! the telescope's scanners and the decoy's attackers (`--from-telescope`, `--from-decoy`, in
//! `notify/alerts.rs`).
//!
//! Survey: reads the survey JSON and the owners file, adds vulnerability matches from the
//! embedded vulnerability database (unless `--no-annotate`), groups the findings by owner and
//! writes `<out-dir>/<NN-owner>.<lang>.<html|txt>` (and `.json`) plus `unassigned.*` and an
//! `index.tsv` listing each notice with its contact.

mod alerts;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use time::OffsetDateTime;
use yamori_enrich::AsnDb;
use yamori_notify::{group_with, render, FallbackOwner, Format, Lang, Owners, Rendered};
use yamori_survey::model::SurveyResult;

use super::export::{parse_age, parse_time};
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
    Json,
    /// HTML and text.
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

/// A quiet period as written (`7d`) and its length.
#[derive(Clone, Debug)]
pub struct QuietPeriod {
    pub text: String,
    pub seconds: u64,
}

fn parse_quiet(s: &str) -> Result<QuietPeriod, String> {
    // A bare 0 needs no unit: every run reports every host.
    let d = if s == "0" {
        time::Duration::ZERO
    } else {
        parse_age(s)?
    };
    Ok(QuietPeriod {
        text: s.to_string(),
        seconds: u64::try_from(d.whole_seconds()).unwrap_or(0),
    })
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  yamori notify --owners owners.tsv survey.json --format both --lang both --out-dir notices/
  yamori notify --from-telescope --owners owners.tsv --asn ip2asn-v4.tsv --format text,json --out-dir alerts/
  yamori notify --from-telescope --analysis latest --asn ip2asn-v4.tsv --quiet-period 14d --dry-run
  yamori notify --from-telescope --from-decoy --decoy-window 1d --asn ip2asn-v4.tsv --format json")]
pub struct Args {
    /// Survey result (`yamori survey --out survey.json`); not with --from-telescope or
    /// --from-decoy.
    #[arg(
        required_unless_present_any = ["from_telescope", "from_decoy"],
        conflicts_with_all = ["from_telescope", "from_decoy"]
    )]
    pub survey: Option<PathBuf>,
    /// Alert network operators to the hosts the telescope saw scanning (the scanners of a
    /// stored analysis): one notice per operator listing its hosts with the evidence (first
    /// and last seen, packets, ports, tool fingerprint). Hosts on an imported warninglist
    /// (research scanners) are left out, and so are hosts notified within --quiet-period.
    #[arg(long)]
    pub from_telescope: bool,
    /// Alert network operators to the hosts that attacked the decoy (`yamori decoy`) within
    /// --decoy-window: the credentials they tried and the download URLs they sent (defanged),
    /// first and last seen, sessions. With --from-telescope too, a host both saw is listed
    /// once with both sensors' evidence. The other --from-telescope options apply alike.
    #[arg(long)]
    pub from_decoy: bool,
    /// With --from-decoy: how far back the decoy's records are read (s, m, h or d), from --now.
    #[arg(long, default_value = "7d", value_parser = parse_quiet)]
    pub decoy_window: QuietPeriod,
    /// With --from-telescope: the stored analysis (its id, a unique prefix of it, or
    /// `latest`, the newest stored).
    #[arg(long, default_value = "latest")]
    pub analysis: String,
    /// With --from-telescope: a host notified within this time (s, m, h or d; 0 for none) is
    /// not reported again. The record is kept in the database.
    #[arg(long, default_value = "7d", value_parser = parse_quiet)]
    pub quiet_period: QuietPeriod,
    /// With --from-telescope: write the notices but record nothing, so the hosts are
    /// reported again next time.
    #[arg(long)]
    pub dry_run: bool,
    /// With --from-telescope: apply only these warninglists (by name; repeat); default: every
    /// imported list of addresses.
    #[arg(long = "warninglist", value_name = "NAME")]
    pub warninglists: Vec<String>,
    /// With --from-telescope: the time the quiet period is measured from and recorded (RFC
    /// 3339; default: now).
    #[arg(long, value_parser = parse_time)]
    pub now: Option<OffsetDateTime>,
    /// Owners file: prefix<TAB>organisation<TAB>contact<TAB>language; `#` comments.
    /// Required unless --asn is given.
    #[arg(long, required_unless_present = "asn")]
    pub owners: Option<PathBuf>,
    /// ASN database (ip2asn / pfx2as TSV, or a GeoLite2/DB-IP ASN MMDB): hosts the owners file
    /// does not cover get one notice per autonomous system, for its operator (the ISP) to
    /// pass on, instead of landing in the unassigned report.
    #[arg(long, value_name = "FILE")]
    pub asn: Option<PathBuf>,
    /// Formats, comma-separated: html, text, json (one file per notice), both (html and text).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "both")]
    pub format: Vec<FormatArg>,
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

fn read_bounded(path: &Path, max: u64) -> anyhow::Result<String> {
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

/// The owners file, or no owners.
fn read_owners(a: &Args) -> anyhow::Result<Owners> {
    match &a.owners {
        Some(path) => Ok(Owners::parse(&read_bounded(path, MAX_OWNERS_BYTES)?)
            .with_context(|| format!("{}", path.display()))?),
        None => Ok(Owners::default()),
    }
}

/// The operator of `ip`'s autonomous system, for hosts the owners file does not cover.
fn as_owner(asn: Option<&AsnDb>, ip: std::net::IpAddr) -> Option<FallbackOwner> {
    let (n, org) = asn?.lookup(ip)?;
    let org = org.unwrap_or_default();
    Some(FallbackOwner {
        key: format!("as{n}"),
        organisation: format!("AS{n} {org}").trim().to_string(),
        contact: format!("abuse contact of AS{n} (RDAP/whois: e.g. whois -h whois.radb.net AS{n})"),
        scope: format!("AS{n}"),
    })
}

fn formats(a: &Args) -> Vec<Format> {
    let mut out = Vec::new();
    for f in &a.format {
        let add: &[Format] = match f {
            FormatArg::Html => &[Format::Html],
            FormatArg::Text => &[Format::Text],
            FormatArg::Json => &[Format::Json],
            FormatArg::Both => &[Format::Html, Format::Text],
        };
        for f in add {
            if !out.contains(f) {
                out.push(*f);
            }
        }
    }
    out
}

/// The languages one notice is written in.
fn languages(a: &Args, owner_languages: &[Lang]) -> Vec<Lang> {
    match a.lang {
        LangArg::Ja => vec![Lang::Ja],
        LangArg::En => vec![Lang::En],
        LangArg::Both => vec![Lang::Ja, Lang::En],
        LangArg::Owner => owner_languages.to_vec(),
    }
}

/// Write one rendered file into the output directory.
fn write_rendered(dir: &Path, r: &Rendered) -> anyhow::Result<()> {
    let path = dir.join(&r.file_name);
    std::fs::write(&path, &r.body).with_context(|| format!("writing {}", path.display()))
}

fn write_index(dir: &Path, index: String) -> anyhow::Result<PathBuf> {
    let path = dir.join("index.tsv");
    std::fs::write(&path, index).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let owners = read_owners(&a)?;
    let asn = a.asn.as_deref().map(AsnDb::open).transpose()?;
    if a.from_telescope || a.from_decoy {
        return alerts::run(g, &a, &owners, asn.as_ref());
    }
    // (clap's `requires` counts a flag's default as given, so this is checked here.)
    let telescope_only = [
        (a.analysis != "latest", "--analysis"),
        (a.quiet_period.text != "7d", "--quiet-period"),
        (a.dry_run, "--dry-run"),
        (!a.warninglists.is_empty(), "--warninglist"),
        (a.now.is_some(), "--now"),
        (a.decoy_window.text != "7d", "--decoy-window"),
    ];
    if let Some((_, flag)) = telescope_only.iter().find(|(given, _)| *given) {
        anyhow::bail!("{flag} applies to --from-telescope and --from-decoy only");
    }
    let Some(survey_path) = &a.survey else {
        anyhow::bail!("give a survey result, or --from-telescope / --from-decoy");
    };
    let mut survey: SurveyResult =
        serde_json::from_str(&read_bounded(survey_path, MAX_SURVEY_BYTES)?)
            .with_context(|| format!("{} is not a survey result", survey_path.display()))?;
    if !a.no_annotate {
        let store = open_store(g)?;
        let counts = store.vulndb_counts()?;
        if counts.cves + counts.osv == 0 {
            tracing::warn!("the vulnerability database is empty: run `yamori vulndb import` first");
        }
        let stats = yamori_vuln::annotate(&mut survey, &*store)?;
        tracing::info!(?stats, "matched vulnerabilities");
    }
    let formats = formats(&a);
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating {}", a.out_dir.display()))?;
    let notices = group_with(&survey, &owners, &|ip| as_owner(asn.as_ref(), ip));
    let mut index =
        String::from("file\torganisation\tcontact\thosts\tweak_credentials\tkev\tvulnerable\n");
    let mut written = 0usize;
    for n in &notices {
        for r in render(n, &languages(&a, &n.languages), &formats)? {
            write_rendered(&a.out_dir, &r)?;
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
    let index_path = write_index(&a.out_dir, index)?;
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
