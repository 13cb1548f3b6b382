//! `yamori export`: the indicators of a collection as a blocklist or feed that firewalls,
//! resolvers, IDSs and MISP load as they are.
//!
//! Reads the collection's latest indicator versions from the store page by page
//! (`Store::taxii_each_latest_indicator`) into a `yamori_act::Request`, which selects them and
//! writes the format, to a temporary file renamed over the output (directory formats: each
//! file so). The hub's feeds serve the same export; this module parses arguments and prints
//! the summary.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_act::export::BAD_INPUT_KINDS;
use yamori_act::{ConfidenceScore, Criteria, Format, Options, Request, Summary, Tlp};

use super::{open_store, EXIT_PARTIAL};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreArg {
    Confidence,
    Decay,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// `nft -f` input: table `yamori_<name>`, sets `yamori_<name>_v4`/`_v6` with timeouts.
    Nftables,
    /// `ipset restore` input: hash:net sets with timeout and comment, swapped in atomically.
    Ipset,
    /// DNS response policy zone: names and URL hosts → NXDOMAIN, addresses as rpz-ip.
    Rpz,
    /// Directory: Suricata IP reputation (categories.txt, <list>.list) and <list>.rules.
    Suricata,
    /// Directory: MISP feed (manifest.json, <uuid>.json per event, hashes.csv).
    MispFeed,
    /// One row per value and indicator, with score, TLP and expiry.
    Csv,
    /// One distinct value per line.
    Txt,
    /// A STIX 2.1 bundle of the selected indicators, unmodified.
    Stix,
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::Nftables => Format::Nftables,
            FormatArg::Ipset => Format::Ipset,
            FormatArg::Rpz => Format::Rpz,
            FormatArg::Suricata => Format::Suricata,
            FormatArg::MispFeed => Format::MispFeed,
            FormatArg::Csv => Format::Csv,
            FormatArg::Txt => Format::Txt,
            FormatArg::Stix => Format::Stix,
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  yamori export --format nftables --collection telescope --min-score 50 -o yamori-block.nft
  nft -f yamori-block.nft      # then: nft add rule inet filter input ip saddr @yamori_block_v4 drop
  yamori export --format rpz --max-tlp green -o yamori.rpz
  yamori export --format misp-feed -o /var/www/feed/   # a directory

Exit status: 0 written; 1 failure (nothing written); 3 written, but some indicators were
malformed (their ids and reasons are in the summary). See docs/EXPORTS.md.")]
pub struct Args {
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Collection (id, alias or title) whose indicators are exported.
    #[arg(long, default_value = "telescope")]
    pub collection: String,
    /// API root of the collection.
    #[arg(long, default_value = "api1")]
    pub api_root: String,
    /// Output file (`-`: stdout), or directory for suricata and misp-feed.
    #[arg(short, long, default_value = "-")]
    pub out: PathBuf,
    /// Leave out indicators scoring below this (0–100; the score is chosen by --score).
    /// With 0, indicators without a score are kept.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_score: u8,
    /// What --min-score compares with: `confidence` (the indicator's own STIX confidence) or
    /// `decay` (confidence × the trust in its source, `yamori trust`, decayed since its last
    /// modification or sighting by --decay-model; docs/TRUST.md).
    #[arg(long, value_enum, default_value = "confidence")]
    pub score: ScoreArg,
    /// The decay model for --score decay: nids (τ 120 days, δ 2, threshold 30), phishing,
    /// vishing, ip, url or fallback (docs/TRUST.md, "Default models").
    #[arg(long, default_value = "nids")]
    pub decay_model: String,
    /// The most permissive marking exported: clear, green, amber, amber+strict or red.
    /// Indicators marked more restrictively are left out; unmarked ones count as amber.
    #[arg(long, default_value = "amber+strict", value_parser = parse_tlp)]
    pub max_tlp: Tlp,
    /// Leave out indicators last modified longer ago than this (e.g. 30d, 12h, 90m, 3600s).
    #[arg(long, value_parser = parse_age)]
    pub max_age: Option<time::Duration>,
    /// Only these observable types (ipv4-addr, ipv6-addr, domain-name, url; comma-separated).
    #[arg(long = "type", value_delimiter = ',')]
    pub types: Vec<String>,
    /// The list's name: nftables table and ipsets `yamori_<name>…` (a-z, 0-9, _; ≤ 16).
    #[arg(long, default_value = "block")]
    pub name: String,
    /// The zone name the RPZ file will be loaded as (checks names fit within 253 characters).
    #[arg(long, default_value = "rpz.yamori")]
    pub rpz_zone: String,
    /// RPZ SOA serial (default: the latest modification time of the listed indicators).
    #[arg(long)]
    pub rpz_serial: Option<u32>,
    /// The organisation creating the MISP events.
    #[arg(long, env = "YAMORI_ORG", default_value = "Yamori")]
    pub org: String,
    /// The time expiries, timeouts and ages are measured from (RFC 3339; default: now). The
    /// output is a function of the store and this time.
    #[arg(long, value_parser = parse_time)]
    pub now: Option<OffsetDateTime>,
    /// Apply only these imported warninglists (by name; repeat). By default every imported
    /// list applies: a value on one (a research scanner, a public resolver, …) is left out
    /// and counted under `warninglist` in the summary.
    #[arg(
        long = "warninglist",
        value_name = "NAME",
        conflicts_with = "no_warninglists"
    )]
    pub warninglists: Vec<String>,
    /// Apply no warninglist.
    #[arg(long)]
    pub no_warninglists: bool,
    /// Print the summary as JSON (to stdout, or to stderr when the export goes to stdout).
    #[arg(long)]
    pub json: bool,
}

fn parse_tlp(s: &str) -> Result<Tlp, String> {
    Tlp::parse(s).ok_or_else(|| format!("{s:?}: expected clear, green, amber, amber+strict or red"))
}

pub(crate) fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("{s:?}: not an RFC 3339 time ({e})"))
}

/// `<n>s`, `<n>m`, `<n>h` or `<n>d`.
pub(crate) fn parse_age(s: &str) -> Result<time::Duration, String> {
    yamori_act::parse_age(s)
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let format = a.format.format();
    let to_stdout = a.out.as_os_str() == "-";
    if format.is_directory() && to_stdout {
        bail!(
            "--format {} writes a directory: give it with -o DIR",
            format.name()
        );
    }
    let opts = Options {
        list_name: a.name.clone(),
        collection: a.collection.clone(),
        now: a.now.unwrap_or_else(OffsetDateTime::now_utc),
        rpz_zone: a.rpz_zone.clone(),
        rpz_serial: a.rpz_serial,
        org_name: a.org.clone(),
    };
    opts.check()?;
    let store = open_store(g)?;
    let collection = store
        .taxii_collection(&a.api_root, &a.collection)?
        .with_context(|| {
            let known: Vec<String> = store
                .taxii_collections(&a.api_root)
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.alias.unwrap_or(c.title))
                .collect();
            format!(
                "no collection {:?} in API root {:?} (collections: {})",
                a.collection,
                a.api_root,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )
        })?;
    let warninglists = if a.no_warninglists {
        None
    } else {
        let lists = crate::cmd::warninglist::load(&store, &a.warninglists)?;
        (!lists.lists().is_empty()).then(|| std::sync::Arc::new(lists))
    };
    let request = Request {
        format,
        criteria: Criteria {
            now: opts.now,
            min_score: a.min_score,
            max_tlp: a.max_tlp,
            max_age: a.max_age,
            types: a.types.clone(),
            warninglists,
        },
        options: opts,
    };
    let decay;
    let scorer: &dyn yamori_act::Scorer = match a.score {
        ScoreArg::Confidence => &ConfidenceScore,
        ScoreArg::Decay => {
            let model = yamori_trust::DecayModel::named(&a.decay_model).with_context(|| {
                format!(
                    "no decay model {:?}: use nids, phishing, vishing, ip, url or fallback",
                    a.decay_model
                )
            })?;
            let trust = crate::cmd::trust::load(&store)?;
            // Every collection's indicators of other sources corroborate (docs/TRUST.md §1).
            yamori_hub::ingest::index_correlation(&store)?;
            let shared = store.correlation_shared_values(None)?;
            let corroboration = yamori_act::score::corroboration(
                shared
                    .iter()
                    .map(|r| ((r.kind.as_str(), r.key.as_str()), r.body.as_str())),
                &model,
                &trust,
                request.options.now,
            );
            decay = yamori_act::score::DecayScore {
                model,
                trust,
                corroboration,
                now: request.options.now,
                sightings: {
                    // Ours and the peers' sightings (`yamori sightings`, `sync pull`) land
                    // in the `sightings` collection, beside those in the exported one.
                    let mut ids = vec![collection.id.as_str()];
                    let sightings = store.taxii_collection(
                        &a.api_root,
                        crate::cmd::sightings::SIGHTINGS_COLLECTION,
                    )?;
                    if let Some(c) = &sightings {
                        ids.push(&c.id);
                    }
                    store.latest_sightings(&ids, &|_| true)?
                },
            };
            &decay
        }
    };
    let started = std::time::Instant::now();
    let export = request
        .read(scorer, |push| {
            store.taxii_each_latest_indicator(&collection.id, push)
        })
        .with_context(|| format!("reading collection {:?}", a.collection))?;
    let read = started.elapsed();
    let written = if format.is_directory() {
        export
            .write_dir(&a.out)
            .with_context(|| format!("writing {}", a.out.display()))?
    } else if to_stdout {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        export.write(&mut lock).context("writing to stdout")?
    } else {
        yamori_act::atomic::write_file(&a.out, |w| export.write(w).map_err(std::io::Error::other))
            .with_context(|| format!("writing {}", a.out.display()))?
    };
    tracing::debug!(
        read_s = read.as_secs_f64(),
        written_s = (started.elapsed() - read).as_secs_f64(),
        "export done"
    );
    let summary = export.summary(written, &a.collection, &a.out.display().to_string());
    print_summary(g, &a, to_stdout, &summary)?;
    // The command ends here and the process with it: a million entries and their texts go
    // back to the system at once, instead of being freed one by one first (a tenth of a
    // second and more of a large export).
    std::mem::forget(export);
    Ok(if summary.bad_input() {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_summary(
    g: &crate::GlobalArgs,
    a: &Args,
    to_stdout: bool,
    s: &Summary,
) -> anyhow::Result<()> {
    let text = if a.json {
        serde_json::to_string_pretty(s)? + "\n"
    } else {
        let counts: Vec<String> = s.written.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let mut t = format!(
            "{}: {} indicators read, {} selected ({} values); wrote {}\n",
            s.format,
            s.read,
            s.selected,
            s.values,
            counts.join(", ")
        );
        for (kind, n) in &s.skipped.by_kind {
            t.push_str(&format!("  skipped {n} ({kind})\n"));
        }
        for skip in s
            .skipped
            .listed
            .iter()
            .filter(|k| BAD_INPUT_KINDS.contains(&k.kind))
            .take(20)
        {
            t.push_str(&format!("  {}: {}\n", skip.id, skip.reason));
        }
        t
    };
    if a.json && !to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else if a.json || !g.quiet {
        std::io::stderr().lock().write_all(text.as_bytes())?;
    }
    Ok(())
}
