//! `yamori notify --from-telescope` / `--from-decoy`: one notice per network operator for the
//! hosts a stored analysis found scanning the darknet and the hosts that logged into the decoy
//! or sent it download commands; a host both saw is one host with both sensors' evidence.
//!
//! Reads the analysis' scanners and the decoy's records from the store, leaves out hosts on
//! the imported warninglists (research scanners) and hosts notified within the quiet period
//! (the store's record, per sensor), groups the rest by operator (owners file, else AS),
//! writes the notices and `index.tsv`, and then records the notified hosts (not with
//! `--dry-run`; never the unassigned report's hosts, which went to nobody yet). Selection,
//! merging, grouping and rendering are `yamori_notify`'s.

use std::collections::HashSet;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::Context;
use ipnet::IpNet;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_enrich::AsnDb;
use yamori_notify::{
    group_alerts, merge_hosts, render_alert, select, telescope_hosts, AlertContext, AlertHost,
    DecoyEvidence, Evidence, Owners, MAX_LISTED,
};
use yamori_store::Store;

use super::{as_owner, formats, languages, write_index, write_rendered, Args};
use crate::cmd::{database, open_store};

/// The record's channels: a host is recorded per sensor that saw it, so a host notified for
/// scanning is still reported once it attacks the decoy, and the other way round.
const TELESCOPE: &str = "telescope";
const DECOY: &str = "decoy";

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

/// A decoy timestamp (`2026-12-01T00:00:01.123456Z`) to the second, as the telescope's: the
/// notice shows and compares both as text.
fn to_second(ts: &str) -> String {
    match ts.get(..19) {
        Some(s) if ts.ends_with('Z') => format!("{s}Z"),
        _ => ts.to_string(),
    }
}

/// The decoy's hosts since `since`, as alert hosts. Source addresses are the decoy's peers,
/// so they parse; one that does not (a record written by something else) is skipped and said.
fn decoy_hosts(store: &Store, since: &str) -> anyhow::Result<Vec<AlertHost>> {
    let mut hosts = Vec::new();
    for h in store.decoy_hosts(since, MAX_LISTED)? {
        let Ok(ip) = h.src_ip.parse::<IpAddr>() else {
            tracing::warn!(src_ip = %h.src_ip, "decoy record with a source that is no address: left out");
            continue;
        };
        let creds: Vec<(&str, &str)> = h
            .credentials
            .iter()
            .map(|(u, p)| (u.as_str(), p.as_str()))
            .collect();
        let urls: Vec<&str> = h.urls.iter().map(String::as_str).collect();
        let e = DecoyEvidence::new(
            &to_second(&h.first_seen),
            &to_second(&h.last_seen),
            h.sessions,
            &creds,
            &urls,
        );
        hosts.push(AlertHost::new(ip, vec![Evidence::Decoy(e)]));
    }
    Ok(hosts)
}

/// The channels a host's evidence belongs to.
fn channels(h: &AlertHost) -> Vec<&'static str> {
    let mut out = Vec::new();
    for e in &h.evidence {
        let c = match e {
            Evidence::Telescope(_) => TELESCOPE,
            Evidence::Decoy(_) => DECOY,
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

pub(super) fn run(
    g: &crate::GlobalArgs,
    a: &Args,
    owners: &Owners,
    asn: Option<&AsnDb>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(g)?;
    let db = database(g)?.to_string();
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    // Whole seconds: the record keeps seconds, and a notice shows no nanoseconds.
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let now_s = now.unix_timestamp();
    let mut hosts = Vec::new();
    let mut telescope = None;
    if a.from_telescope {
        let id = resolve_analysis(&store, &a.analysis, &db)?;
        let scanners = store
            .analysis_scanners(&id)?
            .with_context(|| format!("analysis {id} is not in {db}"))?;
        hosts.extend(telescope_hosts(&id, &scanners)?);
        telescope = Some((id, scanners.len()));
    }
    let mut decoy = None;
    if a.from_decoy {
        // The decoy's own timestamp format (microseconds, Z), so text order is time order; a
        // window reaching before year 0 reads every record.
        let window = time::Duration::seconds(i64::try_from(a.decoy_window.seconds)?);
        let since = now
            .checked_sub(window)
            .filter(|t| t.year() >= 0)
            .map(yamori_store::taxii::format_taxii)
            .unwrap_or_default();
        let found = decoy_hosts(&store, &since)?;
        decoy = Some(found.len());
        hosts.extend(found);
    }
    let hosts = merge_hosts(hosts);
    let lists = crate::cmd::warninglist::load(&store, &a.warninglists)?;
    let benign = |ip: IpAddr| {
        let m = lists.match_network(IpNet::from(ip));
        m.first()
            .and_then(|m| lists.list(m.list))
            .map(|l| l.name.clone())
    };
    let quiet = i64::try_from(a.quiet_period.seconds).unwrap_or(i64::MAX);
    let mut recent: HashSet<(&str, IpAddr)> = HashSet::new();
    if quiet > 0 {
        // Notified after now − quiet: still quiet. (Hosts are recorded as this command
        // writes addresses, so every stored one parses.)
        let after = now_s.saturating_sub(quiet).saturating_add(1);
        for channel in [TELESCOPE, DECOY] {
            for h in store.notified_since(channel, after)? {
                if let Ok(ip) = h.host.parse() {
                    recent.insert((channel, ip));
                }
            }
        }
    }
    // Quiet when every sensor that saw the host has had it notified within the period: new
    // evidence from another sensor is news to the operator.
    let kinds: std::collections::HashMap<IpAddr, Vec<&'static str>> =
        hosts.iter().map(|h| (h.ip, channels(h))).collect();
    let selection = select(hosts, &benign, &|ip| {
        kinds
            .get(&ip)
            .is_some_and(|cs| cs.iter().all(|c| recent.contains(&(*c, ip))))
    });
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
    // Each notified host with its recipient and the sensors (channels) that saw it.
    let notified: Vec<(&AlertHost, &String, Vec<&str>)> = notices
        .iter()
        .filter(|n| !n.unassigned)
        .flat_map(|n| n.hosts.iter().map(move |h| (h, &n.key, channels(h))))
        .collect();
    let mut recorded = 0;
    if !a.dry_run {
        for channel in [TELESCOPE, DECOY] {
            let rows: Vec<(String, String)> = notified
                .iter()
                .filter(|(_, _, cs)| cs.contains(&channel))
                .map(|(h, key, _)| (h.address.clone(), (*key).clone()))
                .collect();
            if !rows.is_empty() {
                store.record_notified(channel, &rows, now_s)?;
            }
        }
        recorded = notified.len();
    }

    if !g.quiet {
        let mut out = std::io::stdout().lock();
        let nothing = if notices.is_empty() {
            ": nothing to notify"
        } else {
            ""
        };
        if let Some((id, n)) = &telescope {
            match n {
                0 => writeln!(out, "analysis {} found no scanners{nothing}", short(id))?,
                n => writeln!(out, "analysis {}: {n} scanners", short(id))?,
            }
        }
        if let Some(n) = decoy {
            let window = &a.decoy_window.text;
            match n {
                0 => writeln!(out, "the decoy saw no host in the last {window}{nothing}")?,
                n => writeln!(out, "decoy: {n} hosts in the last {window}")?,
            }
        }
        let operators = notices.iter().filter(|n| !n.unassigned).count();
        let unassigned: usize = notices
            .iter()
            .filter(|n| n.unassigned)
            .map(|n| n.hosts.len())
            .sum();
        writeln!(
            out,
            "{written} files for {operators} operators in {} ({} hosts, {unassigned} \
             unassigned); index: {}",
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
