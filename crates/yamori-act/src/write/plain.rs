//! CSV, plain text and a STIX 2.1 bundle: for everything that reads none of the above.

use std::fmt::Write as _;
use std::io::Write;

use time::OffsetDateTime;

use crate::objects::Objects;
use crate::observable::{Observable, ValueText};
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
    // One buffer for the row's computed cells, reused: no allocation per cell.
    let mut cells = String::new();
    for e in entries {
        cells.clear();
        match &e.observable {
            Observable::Domain(d) => cells.push_str(d),
            Observable::Url { url, .. } => cells.push_str(url),
            net => {
                let _ = write!(cells, "{}", ValueText(net));
            }
        }
        let value_end = cells.len();
        if let Some(s) = e.score {
            let _ = write!(cells, "{s}");
        }
        let score_end = cells.len();
        if let Some(x) = e.expires {
            push_rfc3339(&mut cells, x);
        }
        let expires_end = cells.len();
        push_rfc3339(&mut cells, e.modified);
        w.write_record([
            e.observable.stix_type(),
            &cells[..value_end],
            &e.indicator_id,
            &cells[value_end..score_end],
            e.tlp.name(),
            &cells[score_end..expires_end],
            &cells[expires_end..],
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
    let mut text = String::new();
    for e in distinct(entries) {
        text.clear();
        let _ = write!(text, "{}", ValueText(&e.observable));
        // A line format cannot hold a line break (URLs are checked for control characters
        // already; this keeps the format's promise whatever a value holds).
        if text.contains(['\n', '\r']) {
            skips.push(&e.indicator_id, "format", "value contains a line break");
            continue;
        }
        text.push('\n');
        out.write_all(text.as_bytes())?;
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
pub(super) fn stix(objects: &Objects, out: &mut dyn Write) -> Result<Written, Error> {
    let objects = objects.by_id();
    let mut names = String::with_capacity(objects.iter().map(|o| o.0.len() + 1).sum());
    for (id, _) in &objects {
        names.push_str(id);
        names.push('\n');
    }
    let id = uuid::Uuid::new_v5(&BUNDLE_NAMESPACE, names.as_bytes());
    write!(
        out,
        "{{\"type\": \"bundle\", \"id\": \"bundle--{id}\", \"objects\": ["
    )?;
    for (i, (_, body)) in objects.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(body.trim().as_bytes())?;
    }
    writeln!(out, "\n]}}")?;
    let mut written = Written::default();
    written.counts.insert("objects", objects.len() as u64);
    Ok(written)
}

/// `unix` as RFC 3339 in UTC (`2026-12-31T00:00:00Z`) appended to `out`; nothing outside
/// the years 0–9999, which RFC 3339 cannot write. The text `time`'s RFC 3339 formatting gives
/// for whole seconds, written directly (a CSV export writes two a row; the general formatter
/// was a visible part of the export's time).
pub(super) fn push_rfc3339(out: &mut String, unix: i64) {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(unix) else {
        return;
    };
    if !(0..=9999).contains(&t.year()) {
        return;
    }
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

fn csv_error(e: csv::Error) -> Error {
    Error::Io(std::io::Error::other(e))
}

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;

    use super::*;

    fn rfc3339(unix: i64) -> String {
        let mut s = String::new();
        push_rfc3339(&mut s, unix);
        s
    }

    #[test]
    fn timestamps_are_written_as_time_writes_them() {
        let general = |unix: i64| {
            OffsetDateTime::from_unix_timestamp(unix)
                .ok()
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_default()
        };
        let mut unix = -62_167_219_300i64; // shortly before year 0
        while unix < 253_402_400_000 {
            // shortly after year 9999
            assert_eq!(rfc3339(unix), general(unix), "{unix}");
            unix += 86_399 * 37 + 13;
        }
        for unix in [
            0,
            1_798_675_200,
            -62_167_219_200,
            253_402_300_799,
            253_402_300_800,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(rfc3339(unix), general(unix), "{unix}");
        }
    }
}
