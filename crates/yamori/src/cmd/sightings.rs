//! `yamori sightings`: STIX sightings of other organisations' indicators that our own sensors
//! confirmed. The store joins the correlation index with what the telescope and the decoy
//! recorded (`Store::correlation_seen_indicators`); `yamori-intel` writes the sightings; they
//! go into the local `sightings` collection, for `yamori sync push` back to the peers and for
//! the scores (a sighting restarts an indicator's decay).
use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_intel::markings::Tlp2;
use yamori_intel::sightings::{sightings_bundle, SeenBy, SeenIndicator};
use yamori_intel::{Options, OrgIdentity};

/// The collection sightings are published into.
pub const SIGHTINGS_COLLECTION: &str = "sightings";

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  yamori sync pull https://partner.example/taxii2/ --collection blocklist
  yamori sightings --org \"Example CSIRT\"
  yamori sync push https://partner.example/taxii2/ --collection sightings --to inbox

Running again over the same data stores nothing new (the same sightings, the same ids); over
more data, new versions of the same sightings. An indicator naming a prefix is sighted by the
addresses inside it that a sensor saw; an address it names twice (itself and a prefix around
it) counts once.")]
pub struct Args {
    /// Our organisation (the STIX identity the sightings are made by and where they were seen).
    #[arg(long, env = "YAMORI_ORG")]
    pub org: String,
    /// Contact information for the organisation's identity.
    #[arg(long)]
    pub contact: Option<String>,
    /// TLP 2.0 marking for the sightings (they say which addresses reached our sensors).
    #[arg(long, value_parser = parse_tlp, default_value = "green")]
    pub tlp: Tlp2,
    /// Our own collections (aliases): their indicators are ours, not a peer's, and are not
    /// sighted.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "telescope,survey,decoy,sightings"
    )]
    pub own: Vec<String>,
    #[arg(long, default_value = "api1")]
    pub api_root: String,
    /// Say what would be sighted; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_tlp(s: &str) -> Result<Tlp2, String> {
    Tlp2::parse(s)
        .ok_or_else(|| format!("{s:?}: expected clear, green, amber, amber+strict or red"))
}

pub fn run(g: &crate::GlobalArgs, a: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(g)?;
    let mut own = Vec::new();
    for name in &a.own {
        if let Some(c) = store.taxii_collection(&a.api_root, name)? {
            own.push(c.id);
        }
    }
    // The index follows the objects: bring it up to every object stored so far.
    yamori_hub::ingest::index_correlation(&store)?;
    let rows = store.correlation_seen_indicators(&own)?;
    // One sighting per indicator and sensor kind, over every address of the indicator.
    let mut merged: BTreeMap<(String, &'static str), (OffsetDateTime, OffsetDateTime, u64)> =
        BTreeMap::new();
    // One indicator pulled into two collections is one sighting, counted once; so is an
    // address it names both itself and through a prefix around it (one row each).
    let mut once = std::collections::HashSet::new();
    for r in &rows {
        if !once.insert((r.object_id.as_str(), r.value.as_str(), r.sensor)) {
            continue;
        }
        let parse = |t: &str| {
            OffsetDateTime::parse(t, &Rfc3339)
                .with_context(|| format!("{} record time {t:?} of {}", r.sensor, r.value))
        };
        let (first, last) = (parse(&r.first)?, parse(&r.last)?);
        let e = merged
            .entry((r.object_id.clone(), r.sensor))
            .or_insert((first, last, 0));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
        e.2 += r.count;
    }
    let seen: Vec<SeenIndicator> = merged
        .into_iter()
        .map(|((id, sensor), (first, last, count))| SeenIndicator {
            indicator_id: id,
            seen_by: if sensor == "decoy" {
                SeenBy::Decoy
            } else {
                SeenBy::Telescope
            },
            first_seen: first,
            last_seen: last,
            count,
        })
        .collect();
    let org = OrgIdentity {
        name: a.org.clone(),
        contact_information: a.contact.clone(),
    };
    let mut bundle = sightings_bundle(
        &seen,
        &org,
        &Options {
            marking: Some(a.tlp),
        },
    )
    .context("writing the sightings as STIX")?;
    // A sighting stored before becomes its next version (created kept, modified moved on when
    // the content changed), never a conflicting copy of the same version.
    if let Some(c) = store.taxii_collection(&a.api_root, SIGHTINGS_COLLECTION)? {
        let now = OffsetDateTime::now_utc();
        for o in bundle.objects.iter_mut() {
            let Some(id) = o.get("id").and_then(|v| v.as_str()).map(str::to_owned) else {
                continue;
            };
            if !id.starts_with("sighting--") {
                continue;
            }
            let mut q = yamori_store::taxii::ObjectQuery::new(&c.id, 1);
            q.ids = vec![id];
            if let Some(stored) = store.taxii_query(&q)?.objects.first() {
                let stored: serde_json::Value =
                    serde_json::from_str(stored.body.as_deref().unwrap_or("null"))
                        .unwrap_or_default();
                yamori_intel::sightings::as_next_version(o, &stored, now);
            }
        }
    }
    let (mut added, mut unchanged) = (0u64, 0u64);
    if !a.dry_run && !seen.is_empty() {
        let done = yamori_hub::ingest::publish_local(
            store.as_ref(),
            &a.api_root,
            SIGHTINGS_COLLECTION,
            &bundle.objects,
        )
        .context("storing the sightings")?;
        if let Some(f) = done.status.failures.first() {
            anyhow::bail!(
                "{} of {} objects were not stored in collection {SIGHTINGS_COLLECTION:?}; the first: {} ({})",
                done.status.failures.len(),
                bundle.objects.len(),
                f.id,
                f.message.as_deref().unwrap_or("")
            );
        }
        for s in &done.status.successes {
            if s.id.starts_with("sighting--") {
                if s.message.is_some() {
                    unchanged += 1;
                } else {
                    added += 1;
                }
            }
        }
    }
    if a.json {
        let list: Vec<_> = seen
            .iter()
            .map(|s| {
                json!({
                    "indicator": s.indicator_id, "seen_by": s.seen_by.as_str(),
                    "first_seen": s.first_seen.format(&Rfc3339).unwrap_or_default(),
                    "last_seen": s.last_seen.format(&Rfc3339).unwrap_or_default(),
                    "count": s.count,
                })
            })
            .collect();
        println!(
            "{}",
            json!({"sightings": list, "stored": added, "unchanged": unchanged, "dry_run": a.dry_run})
        );
    } else {
        for s in &seen {
            println!(
                "{:<10} {:>10}  {}",
                s.seen_by.as_str(),
                s.count,
                s.indicator_id
            );
        }
        println!(
            "{} indicator(s) of other organisations seen by our sensors; {}",
            seen.len(),
            if a.dry_run {
                "nothing stored (--dry-run)".to_string()
            } else {
                format!(
                    "{added} sighting(s) stored in collection {SIGHTINGS_COLLECTION:?}, {unchanged} unchanged"
                )
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
