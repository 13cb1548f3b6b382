//! Streaming reader for vulnerability files: detects NVD CVE API / feed JSON 2.0, the CISA
//! KEV catalogue, or an OSV record (or an OSV API `{"vulns": [...]}` answer) and hands each
//! entry to a sink as soon as it is parsed.
//!
//! Memory: the top-level object is walked with a serde visitor; only one element of the
//! `vulnerabilities` / `vulns` array is held as a `serde_json::Value` at a time (an NVD item is
//! typically 5–50 KB; the largest, with thousands of `cpeMatch`, a few MB). Other top-level
//! keys are skipped without being kept, except the handful OSV needs, so a 100 MB NVD file
//! is never held whole. A single-record OSV file is held whole (they are a few KB). Every held
//! entry is capped at [`MAX_ENTRY_BYTES`] while it is read. Measured: `yamori vulndb import`
//! of a 100 MB, 20,928-CVE NVD file peaks at 17 MB RSS for the whole process (release build;
//! 23 MB debug), so the memory does not grow with the file; 12 s wall on 2 vCPUs.
//!
//! Detection is by shape, not file name: an item with `cve` is NVD, with `cveID` is KEV; the
//! top-level markers `format: "NVD_CVE"` and `catalogVersion` settle an empty list.

use std::cell::Cell;
use std::fmt;
use std::io::Read;
use std::rc::Rc;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::record::{CveRecord, KevEntry, OsvRecord};
use super::{kev, nvd, osv, ItemError};

/// Which kind of file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Nvd,
    Kev,
    Osv,
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FeedKind::Nvd => "NVD CVE JSON 2.0",
            FeedKind::Kev => "CISA KEV",
            FeedKind::Osv => "OSV",
        })
    }
}

/// One entry of a file, as handed to the sink.
#[derive(Debug)]
pub enum FeedItem {
    Cve(CveRecord),
    Kev(KevEntry),
    Osv(OsvRecord),
    /// An entry that was not imported, with why (malformed, rejected, withdrawn, mixed kind).
    Skipped(ItemError),
}

/// What the sink may return to stop reading (e.g. the store failed).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("not a vulnerability file: {0}")]
    NotAFeed(String),
    #[error("import stopped: {0}")]
    Sink(#[source] SinkError),
}

/// Keys of an OSV record kept while walking the top level (all others are skipped unseen).
const OSV_KEYS: &[&str] = &[
    "id",
    "modified",
    "published",
    "withdrawn",
    "aliases",
    "summary",
    "affected",
    "schema_version",
];

/// Largest single entry (one `vulnerabilities[]` element, or one kept top-level value) read
/// into memory. The largest real NVD items (thousands of `cpeMatch`) are a few MB; 32 MiB
/// bounds what a hostile or broken file can make us hold as one `Value`.
pub const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;

/// Bytes read so far, and where the entry being held started (None: not holding one).
struct Meter {
    read: Cell<u64>,
    start: Cell<Option<u64>>,
    limit: u64,
}

impl Meter {
    fn hold_from_here(&self) {
        self.start.set(Some(self.read.get()));
    }
    fn stop_holding(&self) {
        self.start.set(None);
    }
}

/// The input, counting bytes so an entry over the limit fails as it is being read.
struct Metered<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let m = &self.meter;
        m.read.set(m.read.get() + n as u64);
        if let Some(start) = m.start.get() {
            if m.read.get() - start > m.limit {
                return Err(std::io::Error::other(format!(
                    "an entry is over the {}-byte limit",
                    m.limit
                )));
            }
        }
        Ok(n)
    }
}

struct State {
    meter: Rc<Meter>,
    kind: Option<FeedKind>,
    nvd_marker: bool,
    kev_marker: bool,
    legacy_nvd: bool,
    osv_fields: Map<String, Value>,
    sink_error: Option<SinkError>,
}

type Sink<'s> = dyn FnMut(FeedItem) -> Result<(), SinkError> + 's;

/// Read one file's JSON from `r` (buffered: serde_json reads it byte by byte), calling `sink`
/// for every entry. Returns the detected kind.
pub fn read_feed<R: Read>(r: R, sink: &mut Sink<'_>) -> Result<FeedKind, FeedError> {
    read_feed_limited(r, MAX_ENTRY_BYTES, sink)
}

/// [`read_feed`] with another per-entry limit than [`MAX_ENTRY_BYTES`].
pub fn read_feed_limited<R: Read>(
    r: R,
    max_entry_bytes: u64,
    sink: &mut Sink<'_>,
) -> Result<FeedKind, FeedError> {
    let meter = Rc::new(Meter {
        read: Cell::new(0),
        start: Cell::new(None),
        limit: max_entry_bytes,
    });
    let mut state = State {
        meter: Rc::clone(&meter),
        kind: None,
        nvd_marker: false,
        kev_marker: false,
        legacy_nvd: false,
        osv_fields: Map::new(),
        sink_error: None,
    };
    let mut de = serde_json::Deserializer::from_reader(Metered { inner: r, meter });
    let walked = Top {
        state: &mut state,
        sink,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some(e) = state.sink_error.take() {
        return Err(FeedError::Sink(e));
    }
    walked.map_err(FeedError::Json)?;
    if let Some(kind) = state.kind {
        return Ok(kind);
    }
    if state.nvd_marker {
        return Ok(FeedKind::Nvd);
    }
    if state.kev_marker {
        return Ok(FeedKind::Kev);
    }
    let f = &state.osv_fields;
    if f.contains_key("id")
        && ["affected", "modified", "schema_version"]
            .iter()
            .any(|k| f.contains_key(*k))
    {
        let item = match osv::parse_item(0, Value::Object(std::mem::take(&mut state.osv_fields))) {
            Ok(osv::OsvItem::Record(r)) => FeedItem::Osv(r),
            Ok(osv::OsvItem::Withdrawn(id)) => FeedItem::Skipped(ItemError {
                index: 0,
                id: Some(id),
                reason: "withdrawn".into(),
            }),
            Err(e) => FeedItem::Skipped(e),
        };
        sink(item).map_err(FeedError::Sink)?;
        return Ok(FeedKind::Osv);
    }
    Err(FeedError::NotAFeed(if state.legacy_nvd {
        "NVD JSON 1.1 (`CVE_Items`) is retired and not supported; use the NVD 2.0 feeds or API"
            .into()
    } else {
        "expected NVD CVE JSON 2.0 (`vulnerabilities[].cve`), CISA KEV (`vulnerabilities[].cveID`) \
         or an OSV record (`id` with `affected`/`modified`)"
            .into()
    }))
}

struct Top<'a, 's> {
    state: &'a mut State,
    sink: &'a mut Sink<'s>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (NVD 2.0, CISA KEV or OSV)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        loop {
            // Keys are held too (a key is a String).
            self.state.meter.hold_from_here();
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            // Values kept in memory are metered; skipped ones (IgnoredAny) are not held.
            self.state.meter.hold_from_here();
            match key.as_str() {
                "vulnerabilities" | "vulns" => map.next_value_seed(Items {
                    state: &mut *self.state,
                    sink: &mut *self.sink,
                    osv_list: key == "vulns",
                })?,
                "format" => {
                    let v: Value = map.next_value()?;
                    self.state.nvd_marker |= v.as_str() == Some("NVD_CVE");
                }
                "catalogVersion" => {
                    self.state.meter.stop_holding();
                    map.next_value::<IgnoredAny>()?;
                    self.state.kev_marker = true;
                }
                "CVE_Items" => {
                    self.state.meter.stop_holding();
                    map.next_value::<IgnoredAny>()?;
                    self.state.legacy_nvd = true;
                }
                k if OSV_KEYS.contains(&k) => {
                    let v: Value = map.next_value()?;
                    self.state.osv_fields.insert(key, v);
                }
                _ => {
                    self.state.meter.stop_holding();
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Items<'a, 's> {
    state: &'a mut State,
    sink: &'a mut Sink<'s>,
    osv_list: bool,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of vulnerability entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            self.state.meter.hold_from_here();
            let Some(v) = seq.next_element::<Value>()? else {
                break;
            };
            let item = classify(self.state, self.osv_list, index, v);
            index += 1;
            if let Err(e) = (self.sink)(item) {
                let msg = e.to_string();
                self.state.sink_error = Some(e);
                return Err(serde::de::Error::custom(msg));
            }
        }
        Ok(())
    }
}

fn classify(state: &mut State, osv_list: bool, index: usize, v: Value) -> FeedItem {
    let kind = if osv_list {
        Some(FeedKind::Osv)
    } else if v.get("cve").is_some() {
        Some(FeedKind::Nvd)
    } else if v.get("cveID").is_some() {
        Some(FeedKind::Kev)
    } else {
        state.kind
    };
    let skip =
        |id: Option<String>, reason: String| FeedItem::Skipped(ItemError { index, id, reason });
    let Some(kind) = kind else {
        return skip(
            None,
            "neither an NVD item (`cve`) nor a KEV entry (`cveID`)".into(),
        );
    };
    match state.kind {
        None => state.kind = Some(kind),
        Some(k) if k != kind => return skip(None, format!("a {kind} entry in a {k} file")),
        Some(_) => {}
    }
    match kind {
        FeedKind::Nvd => match nvd::parse_item(index, v) {
            Ok(nvd::NvdItem::Record(r)) => FeedItem::Cve(r),
            Ok(nvd::NvdItem::Rejected(id)) => skip(Some(id), "rejected CVE".into()),
            Err(e) => FeedItem::Skipped(e),
        },
        FeedKind::Kev => match kev::parse_item(index, v) {
            Ok(k) => FeedItem::Kev(k),
            Err(e) => FeedItem::Skipped(e),
        },
        FeedKind::Osv => match osv::parse_item(index, v) {
            Ok(osv::OsvItem::Record(r)) => FeedItem::Osv(r),
            Ok(osv::OsvItem::Withdrawn(id)) => skip(Some(id), "withdrawn".into()),
            Err(e) => FeedItem::Skipped(e),
        },
    }
}

/// `r`, gunzipped if it starts with the gzip magic (NVD publishes its feeds as `.json.gz`).
/// Decompression streams, so a highly compressed file costs time, not memory.
pub fn gunzip_if_needed<'a, R: std::io::BufRead + 'a>(
    mut r: R,
) -> std::io::Result<Box<dyn Read + 'a>> {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    if r.fill_buf()?.starts_with(&GZIP_MAGIC) {
        // Buffered again: serde_json reads one byte at a time.
        Ok(Box::new(std::io::BufReader::new(
            flate2::bufread::MultiGzDecoder::new(r),
        )))
    } else {
        Ok(Box::new(r))
    }
}
