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
use std::fmt::Write as _;
use std::path::Path;

use md5::{Digest, Md5};
use serde::Serialize;
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
    comment: String,
    timestamp: i64,
    tlp: Tlp,
}

/// An attribute as its event file holds it. Its members are declared in the order
/// `serde_json` writes a map's members (sorted by name), so the bytes are those of the same
/// attribute built as a `serde_json::Value`, without a map per attribute.
#[derive(Serialize)]
struct AttributeOut<'a> {
    #[serde(rename = "Tag")]
    tag: [&'a Value; 1],
    category: &'static str,
    comment: &'a str,
    deleted: bool,
    disable_correlation: bool,
    timestamp: String,
    to_ids: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: String,
    value: &'a str,
}

/// An event file, its members in `serde_json`'s order as above.
#[derive(Serialize)]
struct EventFile<'a> {
    #[serde(rename = "Event")]
    event: EventOut<'a>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    #[serde(rename = "Attribute")]
    attributes: Vec<AttributeOut<'a>>,
    #[serde(rename = "Orgc")]
    orgc: &'a Value,
    #[serde(rename = "Tag")]
    tag: [&'a Value; 1],
    analysis: String,
    date: &'a str,
    info: &'a str,
    publish_timestamp: String,
    published: bool,
    threat_level_id: String,
    timestamp: String,
    uuid: &'a str,
}

/// The feed's files in the order they are to be replaced: events, `hashes.csv`, then
/// `manifest.json` last (a MISP instance fetching meanwhile sees the old manifest, whose
/// events are still there, or the new one, whose events are all written).
pub(super) fn render(entries: &[Entry], opts: &Options) -> Result<(Vec<File>, Written), Error> {
    let skips = Skips::default();
    // day → (type, value) → attribute; BTreeMaps keep every output in a fixed order.
    type Day = BTreeMap<(&'static str, String), Attribute>;
    let mut days: BTreeMap<String, Day> = BTreeMap::new();
    let mut day = String::new();
    for e in entries {
        let (kind, value) = match &e.observable {
            Observable::Net(_) => ("ip-src", e.observable.text()),
            Observable::Domain(d) => ("domain", d.clone()),
            Observable::Url { url, .. } => ("url", url.clone()),
        };
        day.clear();
        super::plain::push_rfc3339(&mut day, e.modified);
        day.truncate(10);
        let attrs = match days.get_mut(day.as_str()) {
            Some(attrs) => attrs,
            None => days.entry(day.clone()).or_default(),
        };
        let attr = attrs.entry((kind, value)).or_insert(Attribute {
            comment: e.indicator_id.clone(),
            timestamp: e.modified,
            tlp: e.tlp,
        });
        attr.timestamp = attr.timestamp.max(e.modified);
        attr.tlp = attr.tlp.max(e.tlp);
    }
    let tags = Tlp::ALL.map(tag);
    let tag_of = |t: Tlp| &tags[t as usize];
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
        let mut key = String::new();
        let attr_out: Vec<AttributeOut> = attrs
            .iter()
            .map(|((kind, value), a)| {
                key.clear();
                let _ = write!(key, "attribute\n{event_uuid}\n{kind}\n{value}");
                let uuid = uuid::Uuid::new_v5(&MISP_NAMESPACE, key.as_bytes());
                let mut md5 = [0u8; 32];
                // 32 hex digits for a 16-byte digest: the buffer is exactly that long.
                let _ = hex::encode_to_slice(Md5::digest(value.as_bytes()), &mut md5);
                hashes.push_str(std::str::from_utf8(&md5).unwrap_or_default());
                hashes.push(',');
                hashes.push_str(&event_uuid);
                hashes.push('\n');
                AttributeOut {
                    tag: [tag_of(a.tlp)],
                    category: "Network activity",
                    comment: &a.comment,
                    deleted: false,
                    disable_correlation: false,
                    timestamp: a.timestamp.to_string(),
                    to_ids: true,
                    kind,
                    uuid: uuid.to_string(),
                    value,
                }
            })
            .collect();
        attributes += attr_out.len() as u64;
        let timestamp_text = timestamp.to_string();
        let event = EventFile {
            event: EventOut {
                attributes: attr_out,
                orgc: &orgc,
                tag: [tag_of(tlp)],
                analysis: ANALYSIS_COMPLETED.to_string(),
                date: day,
                info: &info,
                publish_timestamp: timestamp_text.clone(),
                published: true,
                threat_level_id: THREAT_LEVEL_LOW.to_string(),
                timestamp: timestamp_text,
                uuid: &event_uuid,
            },
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The event files are written from structs; their bytes must stay those of the same
    /// event as a `serde_json::Value` (members sorted by name), which is what MISP and the
    /// feed's hashes were checked against.
    #[test]
    fn event_files_are_the_bytes_of_the_same_json_value() {
        let entry = |n: u32, value: &str, modified: i64, tlp: Tlp| Entry {
            observable: crate::observable::parse(
                if value.contains("://") {
                    "url"
                } else if value.parse::<std::net::IpAddr>().is_ok() {
                    "ipv4-addr"
                } else {
                    "domain-name"
                },
                value,
            )
            .expect("valid value"),
            indicator_id: format!("indicator--00000000-0000-4000-8000-{n:012}"),
            name: Some(format!("n{n}")),
            score: Some(70),
            expires: None,
            tlp,
            modified,
        };
        let entries = [
            entry(1, "198.51.100.7", 1_798_675_200, Tlp::Green),
            entry(2, "bad.test", 1_798_675_201, Tlp::Amber),
            entry(3, "http://bad.test/\"x\"", 1_798_761_600, Tlp::Clear),
        ];
        let opts = Options {
            list_name: "block".into(),
            collection: "telescope".into(),
            now: time::OffsetDateTime::UNIX_EPOCH,
            rpz_zone: "rpz.yamori".into(),
            rpz_serial: None,
            org_name: "Yamori \"test\"".into(),
        };
        let (files, written) = render(&entries, &opts).expect("render");
        assert_eq!(written.counts.get("events"), Some(&2));
        for f in files.iter().filter(|f| f.name.ends_with(".json")) {
            let v: Value = serde_json::from_slice(&f.bytes).expect("JSON");
            let mut again = serde_json::to_vec(&v).expect("serialize");
            again.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&f.bytes),
                String::from_utf8_lossy(&again),
                "{}",
                f.name
            );
        }
    }
}
