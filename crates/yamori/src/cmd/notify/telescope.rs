//! `yamori notify --from-telescope`: one notice per network operator for the hosts a stored
//! analysis found scanning the darknet.
//!
//! Reads the analysis' scanners from the store, leaves out hosts on the imported warninglists
//! (research scanners) and hosts notified within the quiet period (the store's record), groups
//! the rest by operator (owners file, else AS), writes the notices and `index.tsv`, and then
//! records the notified hosts (not with `--dry-run`; never the unassigned report's hosts, which
//! went to nobody yet). Selection, grouping and rendering are `yamori_notify`'s.

use std::collections::HashSet;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::Context;
use ipnet::IpNet;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_enrich::AsnDb;
use yamori_notify::{group_alerts, render_alert, select, telescope_hosts, AlertContext, Owners};
use yamori_store::Store;
use yamori_trust::warninglist::Warninglists;

use super::{as_owner, formats, languages, write_index, write_rendered, Args};
use crate::cmd::{database, open_store, warninglist::stored_lists};

/// The record's channel for notices about telescope evidence (a decoy's get their own).
const CHANNEL: &str = "telescope";

/// The first 12 characters of an analysis id, as messages show it.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The analysis `wanted` names: `latest`, an id, or a unique prefix of one.
fn resolve_analysis(store: &Store, wanted: &str, db: &str) -> anyhow::Result<String> {
    let all = store.list_analyses()?;
    if wanted == "latest" {
        return all
            .first()
            .map(|m| m.id.clone())
            .with_context(|| format!("no analysis is stored in {db}: run `yamori analyze` first"));
    }
    let matching: Vec<&str> = all
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| id.starts_with(&wanted.to_ascii_lowercase()))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.to_string()),
        [] => {
            let known: Vec<&str> = all.iter().take(5).map(|m| short(&m.id)).collect();
            anyhow::bail!(
                "--analysis {wanted:?}: no such analysis in {db} (newest stored: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        }
        many => anyhow::bail!(
            "--analysis {wanted:?} names {} analyses; give more of the id",
            many.len()
        ),
    }
}

/// The stored warninglists to apply: all, or those named (each must exist).
fn warninglists(store: &Store, names: &[String]) -> anyhow::Result<Warninglists> {
    let lists = stored_lists(store)?;
    for n in names {
        anyhow::ensure!(
            lists.iter().any(|l| &l.name == n),
            "--warninglist {n:?}: no such list imported (yamori warninglist list)"
        );
    }
    let chosen = lists
        .into_iter()
        .filter(|l| names.is_empty() || names.contains(&l.name));
    Ok(Warninglists::new(chosen)?)
}

pub(super) fn run(
    g: &crate::GlobalArgs,
    a: &Args,
    owners: &Owners,
    asn: Option<&AsnDb>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(g)?;
    let db = database(g)?.to_string();
    let id = resolve_analysis(&store, &a.analysis, &db)?;
    let scanners = store
        .analysis_scanners(&id)?
        .with_context(|| format!("analysis {id} is not in {db}"))?;
    let hosts = telescope_hosts(&id, &scanners)?;
    let lists = warninglists(&store, &a.warninglists)?;
    let benign = |ip: IpAddr| {
        let m = lists.match_network(IpNet::from(ip));
        m.first()
            .and_then(|m| lists.list(m.list))
            .map(|l| l.name.clone())
    };
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    // Whole seconds: the record keeps seconds, and a notice shows no nanoseconds.
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let now_s = now.unix_timestamp();
    let quiet = i64::try_from(a.quiet_period.seconds).unwrap_or(i64::MAX);
    let recent: HashSet<IpAddr> = if quiet == 0 {
        HashSet::new()
    } else {
        // Notified after now − quiet: still quiet. (Hosts are recorded as this command
        // writes addresses, so every stored one parses.)
        store
            .notified_since(CHANNEL, now_s.saturating_sub(quiet).saturating_add(1))?
            .iter()
            .filter_map(|h| h.host.parse().ok())
            .collect()
    };
    let selection = select(hosts, &benign, &|ip| recent.contains(&ip));
    let ctx = AlertContext {
        generated_at: now.format(&Rfc3339)?,
        quiet_period_secs: a.quiet_period.seconds,
    };
    let notices = group_alerts(selection.hosts, owners, &|ip| as_owner(asn, ip), &ctx);

    let formats = formats(a);
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating {}", a.out_dir.display()))?;
    let mut index = String::from("file\toperator\tcontact\thosts\tlikely_infected\n");
    let mut written = 0usize;
    for n in &notices {
        for r in render_alert(n, &languages(a, &n.languages), &formats)? {
            write_rendered(&a.out_dir, &r)?;
            let operator = if n.unassigned {
                "(unassigned)"
            } else {
                &n.organisation
            };
            index.push_str(&format!(
                "{}\t{operator}\t{}\t{}\t{}\n",
                r.file_name,
                n.contact,
                n.hosts.len(),
                n.n_likely_infected
            ));
            written += 1;
        }
    }
    let index_path = write_index(&a.out_dir, index)?;
    let notified: Vec<(String, String)> = notices
        .iter()
        .filter(|n| !n.unassigned)
        .flat_map(|n| n.hosts.iter().map(|h| (h.address.clone(), n.key.clone())))
        .collect();
    let recorded = if a.dry_run {
        0
    } else {
        store.record_notified(CHANNEL, &notified, now_s)?
    };

    if !g.quiet {
        let mut out = std::io::stdout().lock();
        let short = short(&id);
        if scanners.is_empty() {
            writeln!(out, "analysis {short} found no scanners: nothing to notify")?;
        }
        let operators = notices.iter().filter(|n| !n.unassigned).count();
        let unassigned: usize = notices
            .iter()
            .filter(|n| n.unassigned)
            .map(|n| n.hosts.len())
            .sum();
        writeln!(
            out,
            "analysis {short}: {} scanners; {written} files for {operators} operators in {} \
             ({} hosts, {unassigned} unassigned); index: {}",
            scanners.len(),
            a.out_dir.display(),
            notified.len() + unassigned,
            index_path.display()
        )?;
        for (list, n) in &selection.warninglisted {
            writeln!(out, "{n} hosts left out: on warninglist {list:?}")?;
        }
        if selection.recently_notified > 0 {
            writeln!(
                out,
                "{} hosts not repeated: notified within {}",
                selection.recently_notified, a.quiet_period.text
            )?;
        }
        if a.dry_run {
            writeln!(out, "dry run: nothing recorded")?;
        } else {
            writeln!(out, "{recorded} hosts recorded as notified")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
