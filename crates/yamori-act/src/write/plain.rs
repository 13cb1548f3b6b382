//! CSV, plain text and a STIX 2.1 bundle: for everything that reads none of the above.

use std::collections::BTreeMap;
use std::io::Write;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::select::{Entry, Skips};

use super::{distinct, Error, Written};

/// Namespace of bundle ids (UUIDv5 over the ids of the objects it holds): the same selection
/// gives the same bundle id.
const BUNDLE_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x7961_6d6f_7269_4000_8000_6578_706f_7274);

/// One row per (value, indicator): type, value, indicator, score, TLP, valid_until, modified,
/// name.
pub(super) fn csv(entries: &[Entry], out: &mut dyn Write) -> Result<Written, Error> {
    let mut w = csv::Writer::from_writer(out);
    let header = [
        "type",
        "value",
        "indicator_id",
        "score",
        "tlp",
        "valid_until",
        "modified",
        "name",
    ];
    w.write_record(header).map_err(csv_error)?;
    for e in entries {
        w.write_record([
            e.observable.stix_type(),
            &e.observable.text(),
            &e.indicator_id,
            &e.score.map(|s| s.to_string()).unwrap_or_default(),
            e.tlp.name(),
            &e.expires.map(rfc3339).unwrap_or_default(),
            &rfc3339(e.modified),
            e.name.as_deref().unwrap_or(""),
        ])
        .map_err(csv_error)?;
    }
    w.flush()?;
    let mut written = Written::default();
    written.counts.insert("rows", entries.len() as u64);
    Ok(written)
}

/// One distinct value per line.
pub(super) fn txt(entries: &[Entry], out: &mut dyn Write) -> Result<Written, Error> {
    let mut skips = Skips::default();
    let mut lines = 0u64;
    for e in distinct(entries) {
        let text = e.observable.text();
        // A line format cannot hold a line break (URLs are checked for control characters
        // already; this keeps the format's promise whatever a value holds).
        if text.contains(['\n', '\r']) {
            skips.push(&e.indicator_id, "format", "value contains a line break");
            continue;
        }
        writeln!(out, "{text}")?;
        lines += 1;
    }
    let mut written = Written {
        skips,
        ..Written::default()
    };
    written.counts.insert("lines", lines);
    Ok(written)
}

/// The selected indicators, unmodified, in id order, in one bundle.
pub(super) fn stix(
    objects: &BTreeMap<String, String>,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    let mut names = String::new();
    for id in objects.keys() {
        names.push_str(id);
        names.push('\n');
    }
    let id = uuid::Uuid::new_v5(&BUNDLE_NAMESPACE, names.as_bytes());
    write!(
        out,
        "{{\"type\": \"bundle\", \"id\": \"bundle--{id}\", \"objects\": ["
    )?;
    for (i, body) in objects.values().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(body.trim().as_bytes())?;
    }
    writeln!(out, "\n]}}")?;
    let mut written = Written::default();
    written.counts.insert("objects", objects.len() as u64);
    Ok(written)
}

pub(super) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn csv_error(e: csv::Error) -> Error {
    Error::Io(std::io::Error::other(e))
}
