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
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::{json, Value};

use crate::observable::{Observable, ValueText};
use crate::select::Entry;
use crate::tlp::Tlp;

use super::{Error, File, Options, Written};

/// Namespace of the feed's UUIDv5s.
const MISP_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x7961_6d6f_7269_4000_8000_6d69_7370_6664);

/// `analysis`: 2 = completed (the indicators are published results).
const ANALYSIS_COMPLETED: u8 = 2;
/// `threat_level_id`: 3 = low (scanners and bots; an operator raises it in MISP if needed).
const THREAT_LEVEL_LOW: u8 = 3;

/// An attribute as its event file holds it: its value and what its day's entries of that
/// value give it (the first indicator's id as comment, the latest modification, the most
/// restrictive marking).
struct Attribute<'a> {
    entry: &'a Entry,
    timestamp: i64,
    tlp: Tlp,
}

/// An event file without its attributes, its members in the order `serde_json` writes a
/// map's members (sorted by name), so the bytes are those of the same event built as a
/// `serde_json::Value`. The attributes are written by hand in between (see [`render_event`]).
#[derive(Serialize)]
struct EventFile<'a> {
    #[serde(rename = "Event")]
    event: EventOut<'a>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    #[serde(rename = "Attribute")]
    attributes: [(); 0],
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

/// What every event of one feed shares.
struct Shared {
    orgc: Value,
    /// Per TLP, its tag and that tag as JSON text.
    tags: [Value; Tlp::ALL.len()],
    tag_texts: [String; Tlp::ALL.len()],
}

/// Where the feed's files go: into memory (the hub serves them), or each straight into its
/// file in a directory (`yamori export`), so a large event is written while it is rendered.
#[derive(Default)]
struct Sink<'a> {
    /// Files go here, each replaced atomically; without one, into `files`.
    dir: Option<&'a Path>,
    files: Vec<File>,
}

impl Sink<'_> {
    fn put(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        match self.dir {
            Some(dir) => crate::atomic::write_file(&dir.join(name), fill)?,
            None => {
                let mut bytes = Vec::new();
                fill(&mut bytes)?;
                self.files.push(File {
                    name: name.to_string(),
                    bytes,
                });
            }
        }
        Ok(())
    }
}

/// The feed's files in the order they are to be replaced: events, `hashes.csv`, then
/// `manifest.json` last (a MISP instance fetching meanwhile sees the old manifest, whose
/// events are still there, or the new one, whose events are all written).
pub(super) fn render(entries: &[Entry], opts: &Options) -> Result<(Vec<File>, Written), Error> {
    let mut sink = Sink::default();
    let written = build(entries, opts, &mut sink)?;
    Ok((sink.files, written))
}

/// Writes the feed into `dir` (which exists), each file replaced atomically in the order of
/// [`render`], then removes event files the new manifest no longer lists.
pub(super) fn write_dir(entries: &[Entry], opts: &Options, dir: &Path) -> Result<Written, Error> {
    let mut sink = Sink {
        dir: Some(dir),
        files: Vec::new(),
    };
    let written = build(entries, opts, &mut sink)?;
    remove_stale_events(dir, &written.files)?;
    Ok(written)
}

/// The feed's files into `sink` in the order of [`render`]; what was written.
fn build(entries: &[Entry], opts: &Options, sink: &mut Sink) -> Result<Written, Error> {
    // day → its attributes. Entries come sorted by value (selection's order), so a value's
    // entries of one day are neighbours in that day's list and one pass merges them.
    let mut days: BTreeMap<String, Vec<Attribute>> = BTreeMap::new();
    let mut day = String::new();
    for e in entries {
        day.clear();
        super::plain::push_rfc3339(&mut day, e.modified);
        day.truncate(10);
        let attrs = match days.get_mut(day.as_str()) {
            Some(attrs) => attrs,
            None => days.entry(day.clone()).or_default(),
        };
        match attrs.last_mut() {
            Some(a) if a.entry.observable == e.observable => {
                a.timestamp = a.timestamp.max(e.modified);
                a.tlp = a.tlp.max(e.tlp);
            }
            _ => attrs.push(Attribute {
                entry: e,
                timestamp: e.modified,
                tlp: e.tlp,
            }),
        }
    }
    let tags = Tlp::ALL.map(tag);
    let tag_texts = Tlp::ALL.map(|t| tags[t as usize].to_string());
    let org_uuid = uuid::Uuid::new_v5(
        &MISP_NAMESPACE,
        format!("org\n{}", opts.org_name).as_bytes(),
    );
    let shared = Shared {
        orgc: json!({"name": opts.org_name, "uuid": org_uuid.to_string()}),
        tags,
        tag_texts,
    };
    let mut manifest = serde_json::Map::new();
    let mut hashes = Vec::new();
    let mut written = Written::default();
    let mut attributes = 0u64;
    for (day, attrs) in &days {
        let event_uuid = uuid::Uuid::new_v5(
            &MISP_NAMESPACE,
            format!("event\n{}\n{day}", opts.collection).as_bytes(),
        )
        .to_string();
        let timestamp = attrs.iter().map(|a| a.timestamp).max().unwrap_or(0);
        let tlp = attrs.iter().map(|a| a.tlp).max().unwrap_or(Tlp::Clear);
        let info = format!("Yamori {} indicators {day}", opts.collection);
        let head = EventOut {
            attributes: [],
            orgc: &shared.orgc,
            tag: [&shared.tags[tlp as usize]],
            analysis: ANALYSIS_COMPLETED.to_string(),
            date: day,
            info: &info,
            publish_timestamp: timestamp.to_string(),
            published: true,
            threat_level_id: THREAT_LEVEL_LOW.to_string(),
            timestamp: timestamp.to_string(),
            uuid: &event_uuid,
        };
        let name = format!("{event_uuid}.json");
        sink.put(&name, |out| {
            render_event(
                &EventFile { event: head },
                attrs,
                &shared,
                &event_uuid,
                &mut hashes,
                out,
            )
        })?;
        attributes += attrs.len() as u64;
        manifest.insert(
            event_uuid.clone(),
            json!({
                "Orgc": shared.orgc,
                "Tag": [manifest_tag(tlp)],
                "info": info,
                "date": day,
                "analysis": ANALYSIS_COMPLETED,
                "threat_level_id": THREAT_LEVEL_LOW,
                "timestamp": timestamp,
            }),
        );
        written.files.push(name);
    }
    sink.put("hashes.csv", |out| out.write_all(&hashes))?;
    let manifest = File::json("manifest.json", &Value::Object(manifest))?;
    sink.put(&manifest.name, |out| out.write_all(&manifest.bytes))?;
    written.files.push("hashes.csv".into());
    written.files.push("manifest.json".into());
    written.counts.insert("events", days.len() as u64);
    written.counts.insert("attributes", attributes);
    Ok(written)
}

/// One event file to `out`: `event`'s members around its attributes. A day of a million
/// indicators is one event of some 300 MB, and each attribute costs two digests, so the
/// attributes are rendered on the machine's cores in runs of neighbours, and each run is
/// written in order as soon as it and those before it are done: the writing (a copy into the
/// page cache as costly as the rendering) overlaps the rendering. The attributes'
/// `hashes.csv` lines are appended to `hashes` in the same order.
fn render_event(
    event: &EventFile,
    attrs: &[Attribute],
    shared: &Shared,
    event_uuid: &str,
    hashes: &mut Vec<u8>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let frame = serde_json::to_string(event).map_err(std::io::Error::other)?;
    // `{"Event":{"Attribute":[],"Orgc":…}}`: the attributes go between the brackets.
    let open = "{\"Event\":{\"Attribute\":[";
    let rest = frame
        .strip_prefix(open)
        .and_then(|r| r.strip_prefix(']'))
        .ok_or_else(|| std::io::Error::other("event frame is not in serde_json's member order"))?;
    out.write_all(open.as_bytes())?;
    let runs: Vec<&[Attribute]> = attrs.chunks(ATTRIBUTES_PER_RUN).collect();
    let mut put = |i: usize, (json, lines): (Vec<u8>, Vec<u8>)| -> std::io::Result<()> {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(&json)?;
        hashes.extend_from_slice(&lines);
        Ok(())
    };
    let workers = crate::parallel::default_workers().min(runs.len());
    if workers <= 1 {
        for (i, run) in runs.iter().enumerate() {
            put(i, render_attributes(run, shared, event_uuid))?;
        }
    } else {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| -> std::io::Result<()> {
            let (tx, rx) = crossbeam_channel::bounded(2 * workers);
            for _ in 0..workers {
                let (tx, next, runs) = (tx.clone(), &next, &runs);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(run) = runs.get(i) else { return };
                    // The writer only goes away on a write error; nothing to do then.
                    if tx
                        .send((i, render_attributes(run, shared, event_uuid)))
                        .is_err()
                    {
                        return;
                    }
                });
            }
            drop(tx);
            let mut waiting = BTreeMap::new();
            let mut due = 0;
            for (i, part) in rx {
                waiting.insert(i, part);
                while let Some(part) = waiting.remove(&due) {
                    put(due, part)?;
                    due += 1;
                }
            }
            Ok(())
        })?;
    }
    out.write_all(b"]")?;
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\n")
}

/// Attributes rendered at a time: a few hundred kilobytes of JSON, enough that handing runs
/// between threads costs little, small enough that the writing starts early.
const ATTRIBUTES_PER_RUN: usize = 2048;

/// A run of attributes as JSON, comma-separated, and their `hashes.csv` lines.
fn render_attributes(run: &[Attribute], shared: &Shared, event_uuid: &str) -> (Vec<u8>, Vec<u8>) {
    let mut json = Vec::with_capacity(run.len() * 320);
    let mut lines = Vec::with_capacity(run.len() * 70);
    let mut value = String::new();
    let mut key = String::new();
    for (i, a) in run.iter().enumerate() {
        let e = a.entry;
        value.clear();
        let (kind, value) = match &e.observable {
            Observable::Net(_) => {
                let _ = write!(value, "{}", ValueText(&e.observable));
                ("ip-src", value.as_str())
            }
            Observable::Domain(d) => ("domain", d.as_str()),
            Observable::Url { url, .. } => ("url", url.as_str()),
        };
        key.clear();
        let _ = write!(key, "attribute\n{event_uuid}\n{kind}\n{value}");
        let uuid = uuid::Uuid::new_v5(&MISP_NAMESPACE, key.as_bytes());
        let mut uuid_text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        uuid.hyphenated().encode_lower(&mut uuid_text);
        let mut md5 = [0u8; 32];
        // 32 hex digits for a 16-byte digest: the buffer is exactly that long.
        let _ = hex::encode_to_slice(Md5::digest(value.as_bytes()), &mut md5);
        lines.extend_from_slice(&md5);
        lines.push(b',');
        lines.extend_from_slice(event_uuid.as_bytes());
        lines.push(b'\n');

        if i > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"Tag\":[");
        json.extend_from_slice(shared.tag_texts[a.tlp as usize].as_bytes());
        json.extend_from_slice(b"],\"category\":\"Network activity\",\"comment\":");
        json_string(&mut json, &e.indicator_id);
        json.extend_from_slice(
            b",\"deleted\":false,\"disable_correlation\":false,\"timestamp\":\"",
        );
        let _ = write!(json, "{}", a.timestamp);
        json.extend_from_slice(b"\",\"to_ids\":true,\"type\":\"");
        json.extend_from_slice(kind.as_bytes());
        json.extend_from_slice(b"\",\"uuid\":\"");
        json.extend_from_slice(&uuid_text);
        json.extend_from_slice(b"\",\"value\":");
        json_string(&mut json, value);
        json.push(b'}');
    }
    (json, lines)
}

/// `s` as a JSON string, escaped as `serde_json` escapes it.
fn json_string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Event files of earlier exports that the new feed (`files`) no longer holds.
fn remove_stale_events(dir: &Path, files: &[String]) -> std::io::Result<()> {
    let keep: BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.strip_suffix(".json"))
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

    fn entry(n: u32, value: &str, modified: i64, tlp: Tlp) -> Entry {
        Entry {
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
        }
    }

    fn options() -> Options {
        Options {
            list_name: "block".into(),
            collection: "telescope".into(),
            now: time::OffsetDateTime::UNIX_EPOCH,
            rpz_zone: "rpz.yamori".into(),
            rpz_serial: None,
            org_name: "Yamori \"test\"".into(),
        }
    }

    /// Every event file's bytes are those of the same event as a `serde_json::Value`
    /// (members sorted by name), which is what MISP and the feed's hashes were checked
    /// against.
    fn assert_serde_bytes(files: &[File]) {
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

    #[test]
    fn event_files_are_the_bytes_of_the_same_json_value() {
        let entries = [
            entry(1, "198.51.100.7", 1_798_675_200, Tlp::Green),
            entry(2, "bad.test", 1_798_675_201, Tlp::Amber),
            entry(3, "http://bad.test/\"x\"", 1_798_761_600, Tlp::Clear),
        ];
        let (files, written) = render(&entries, &options()).expect("render");
        assert_eq!(written.counts.get("events"), Some(&2));
        assert_serde_bytes(&files);
    }

    /// `n` entries of distinct addresses in 10.0.0.0/8, the `i`th modified `later(i)` seconds
    /// after 2026-12-31T00:00:00Z.
    fn addresses(n: u32, later: impl Fn(u32) -> i64) -> Vec<Entry> {
        (0..n)
            .map(|i| {
                let v = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
                entry(i, &v, 1_798_675_200 + later(i), Tlp::Green)
            })
            .collect()
    }

    /// A large event is rendered in runs on several threads: the runs join into one JSON
    /// array in entry order, and `hashes.csv` lists the attributes in that same order.
    #[test]
    fn attributes_rendered_in_runs_join_in_order() {
        let n = 5 * ATTRIBUTES_PER_RUN as u32 + 7;
        let entries = addresses(n, |i| i64::from(i % 60));
        let (files, written) = render(&entries, &options()).expect("render");
        assert_eq!(written.counts.get("attributes"), Some(&u64::from(n)));
        assert_serde_bytes(&files);
        let event: Value = serde_json::from_slice(&files[0].bytes).expect("event");
        let attrs = event["Event"]["Attribute"].as_array().expect("attributes");
        let hashes = String::from_utf8(files[1].bytes.clone()).expect("hashes");
        assert_eq!(attrs.len(), hashes.lines().count());
        for (i, (a, line)) in attrs.iter().zip(hashes.lines()).enumerate() {
            assert_eq!(a["value"], entries[i].observable.text());
            let md5 = hex::encode(Md5::digest(entries[i].observable.text().as_bytes()));
            assert!(line.starts_with(&md5), "{i}: {line}");
        }
    }

    /// The files written into a directory (rendered and written run by run) are the files
    /// rendered in memory, byte for byte: the hub serves what `yamori export` writes.
    #[test]
    fn a_directory_holds_the_files_rendered_in_memory() {
        let n = 3 * ATTRIBUTES_PER_RUN as u32 + 5;
        // Two days: two events.
        let entries = addresses(n, |i| 86_400 * i64::from(i % 2));
        let (files, written) = render(&entries, &options()).expect("render");
        let dir = tempfile::tempdir().expect("dir");
        let on_disk = write_dir(&entries, &options(), dir.path()).expect("write");
        assert_eq!(written.files, on_disk.files);
        assert_eq!(files.len(), 4, "two events, hashes, manifest");
        for f in &files {
            let bytes = std::fs::read(dir.path().join(&f.name)).expect("file");
            assert!(bytes == f.bytes, "{} differs", f.name);
        }
    }
}
