//! A MISP feed: `manifest.json`, one `<event uuid>.json` per event and `hashes.csv`, laid out
//! as MISP's feed generators write them (PyMISP's `MISPEvent.to_feed` for events,
//! `pymisp.tools.feed.feed_meta_generator` for the manifest and hashes), so a MISP instance
//! adds the directory's URL as a feed of format "MISP Feed".
//!
//! One event per UTC day of the indicators' last modification: a day's event changes only
//! when that day's indicators do, and events stay of a size MISP handles. Event, attribute and
//! organisation UUIDs are UUIDv5 of what they stand for, so a re-export updates the same
//! events instead of adding new ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use md5::{Digest, Md5};
use serde_json::{json, Value};

use crate::observable::Observable;
use crate::select::{Entry, Skips};
use crate::tlp::Tlp;

use super::{Error, File, Options, Written};

/// Namespace of the feed's UUIDv5s.
const MISP_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x7961_6d6f_7269_4000_8000_6d69_7370_6664);

/// `analysis`: 2 = completed (the indicators are published results).
const ANALYSIS_COMPLETED: u8 = 2;
/// `threat_level_id`: 3 = low (scanners and bots; an operator raises it in MISP if needed).
const THREAT_LEVEL_LOW: u8 = 3;

struct Attribute {
    kind: &'static str,
    value: String,
    comment: String,
    timestamp: i64,
    tlp: Tlp,
}

/// The feed's files in the order they are to be replaced: events, `hashes.csv`, then
/// `manifest.json` last (a MISP instance fetching meanwhile sees the old manifest, whose
/// events are still there, or the new one, whose events are all written).
pub(super) fn render(entries: &[Entry], opts: &Options) -> Result<(Vec<File>, Written), Error> {
    let skips = Skips::default();
    // day → (type, value) → attribute; BTreeMaps keep every output in a fixed order.
    let mut days: BTreeMap<String, BTreeMap<(&'static str, String), Attribute>> = BTreeMap::new();
    for e in entries {
        let (kind, value) = match &e.observable {
            Observable::Net(_) => ("ip-src", e.observable.text()),
            Observable::Domain(d) => ("domain", d.clone()),
            Observable::Url { url, .. } => ("url", url.clone()),
        };
        let day = super::plain::rfc3339(e.modified)
            .chars()
            .take(10)
            .collect::<String>();
        let attr = days
            .entry(day)
            .or_default()
            .entry((kind, value.clone()))
            .or_insert(Attribute {
                kind,
                value,
                comment: e.indicator_id.clone(),
                timestamp: e.modified,
                tlp: e.tlp,
            });
        attr.timestamp = attr.timestamp.max(e.modified);
        attr.tlp = attr.tlp.max(e.tlp);
    }
    let org_uuid = uuid::Uuid::new_v5(
        &MISP_NAMESPACE,
        format!("org\n{}", opts.org_name).as_bytes(),
    );
    let orgc = json!({"name": opts.org_name, "uuid": org_uuid.to_string()});
    let mut manifest = serde_json::Map::new();
    let mut hashes = String::new();
    let mut written = Written {
        skips,
        ..Written::default()
    };
    let mut attributes = 0u64;
    let mut files = Vec::with_capacity(days.len() + 2);
    for (day, attrs) in &days {
        let event_uuid = uuid::Uuid::new_v5(
            &MISP_NAMESPACE,
            format!("event\n{}\n{day}", opts.collection).as_bytes(),
        )
        .to_string();
        let timestamp = attrs.values().map(|a| a.timestamp).max().unwrap_or(0);
        let tlp = attrs.values().map(|a| a.tlp).max().unwrap_or(Tlp::Clear);
        let info = format!("Yamori {} indicators {day}", opts.collection);
        let attr_json: Vec<Value> = attrs
            .values()
            .map(|a| {
                let uuid = uuid::Uuid::new_v5(
                    &MISP_NAMESPACE,
                    format!("attribute\n{event_uuid}\n{}\n{}", a.kind, a.value).as_bytes(),
                );
                hashes.push_str(&format!("{},{event_uuid}\n", md5_hex(&a.value)));
                json!({
                    "uuid": uuid.to_string(),
                    "type": a.kind,
                    "category": "Network activity",
                    "value": a.value,
                    "to_ids": true,
                    "disable_correlation": false,
                    "deleted": false,
                    "comment": a.comment,
                    "timestamp": a.timestamp.to_string(),
                    "Tag": [tag(a.tlp)],
                })
            })
            .collect();
        attributes += attr_json.len() as u64;
        let event = json!({"Event": {
            "uuid": event_uuid,
            "info": info,
            "date": day,
            "analysis": ANALYSIS_COMPLETED.to_string(),
            "threat_level_id": THREAT_LEVEL_LOW.to_string(),
            "published": true,
            "timestamp": timestamp.to_string(),
            "publish_timestamp": timestamp.to_string(),
            "Orgc": orgc,
            "Tag": [tag(tlp)],
            "Attribute": attr_json,
        }});
        manifest.insert(
            event_uuid.clone(),
            json!({
                "Orgc": orgc,
                "Tag": [manifest_tag(tlp)],
                "info": info,
                "date": day,
                "analysis": ANALYSIS_COMPLETED,
                "threat_level_id": THREAT_LEVEL_LOW,
                "timestamp": timestamp,
            }),
        );
        let name = format!("{event_uuid}.json");
        files.push(File::json(&name, &event)?);
        written.files.push(name);
    }
    files.push(File {
        name: "hashes.csv".into(),
        bytes: hashes.into_bytes(),
    });
    files.push(File::json("manifest.json", &Value::Object(manifest))?);
    written.files.push("hashes.csv".into());
    written.files.push("manifest.json".into());
    written.counts.insert("events", days.len() as u64);
    written.counts.insert("attributes", attributes);
    Ok((files, written))
}

/// Event files of earlier exports that the new feed (`files`) no longer holds.
pub(super) fn remove_stale_events(dir: &Path, files: &[File]) -> std::io::Result<()> {
    let keep: BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.name.strip_suffix(".json"))
        .collect();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json") {
            if uuid::Uuid::parse_str(stem).is_ok() && !keep.contains(stem) {
                std::fs::remove_file(dir.join(&name))?;
            }
        }
    }
    Ok(())
}

/// The TLP tag with the colour of MISP's `tlp` taxonomy, as events carry it (the fields
/// PyMISP's event schema, `schema.json`, allows).
fn tag(tlp: Tlp) -> Value {
    let colour = match tlp {
        Tlp::Clear => "#ffffff",
        Tlp::Green => "#339900",
        Tlp::Amber | Tlp::AmberStrict => "#ffc000",
        Tlp::Red => "#cc0033",
    };
    json!({"name": tlp.misp_tag(), "colour": colour})
}

/// The tag as the manifest lists it: PyMISP's feed generator adds its defaults (`local`: a
/// global tag; no relationship), and the manifest is what MISP reads first.
fn manifest_tag(tlp: Tlp) -> Value {
    let mut t = tag(tlp);
    if let Some(o) = t.as_object_mut() {
        o.insert("local".into(), Value::Bool(false));
        o.insert("relationship_type".into(), Value::String(String::new()));
    }
    t
}

fn md5_hex(value: &str) -> String {
    hex::encode(Md5::digest(value.as_bytes()))
}
