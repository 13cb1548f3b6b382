//! One export from start to end, shared by every caller (`yamori export`, the hub's feeds): a
//! [`Request`] (format, selection criteria, writer options) reads stored objects through a
//! source the caller hands in, and the [`Export`] it yields writes its format to a stream, to
//! a directory, or as files in memory, and sums up what it did in a [`Summary`].
//!
//! The source is a callback rather than a store: this crate reads no store, so the caller
//! walks its own (the binary and the hub both call `Store::taxii_each_latest_indicator`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::parallel;
use crate::select::{Criteria, Scorer, Selected, Skips};
use crate::write::{self, Error, File, Format, Options, Written};

/// Skip kinds that mean bad input (rather than a choice of the selection): `yamori export`
/// exits 3 when any occurs.
pub const BAD_INPUT_KINDS: [&str; 4] = ["json", "field", "pattern", "value"];

/// What to export and how.
#[derive(Debug, Clone)]
pub struct Request {
    pub format: Format,
    pub criteria: Criteria,
    pub options: Options,
}

impl Request {
    /// Checks the writer options (list name, zone name) before anything is read.
    pub fn check(&self) -> Result<(), Error> {
        self.options.check()
    }

    /// Selects from the objects `source` hands to its argument (each object's JSON text as
    /// stored); `source`'s own error is passed on, what it returns otherwise is not needed.
    ///
    /// Objects are selected on as many threads as the machine offers while `source` runs
    /// ([`crate::parallel`]); the result does not depend on it.
    pub fn read<T, E>(
        self,
        scorer: &dyn Scorer,
        source: impl FnOnce(&mut dyn FnMut(&str)) -> Result<T, E>,
    ) -> Result<Export, E> {
        self.read_on(parallel::default_workers(), scorer, source)
    }

    /// [`Request::read`] with `workers` threads selecting (1: all on the caller's thread).
    pub fn read_on<T, E>(
        self,
        workers: usize,
        scorer: &dyn Scorer,
        source: impl FnOnce(&mut dyn FnMut(&str)) -> Result<T, E>,
    ) -> Result<Export, E> {
        // Only the STIX bundle lists objects as they are; other formats need the entries only.
        let keep_objects = self.format == Format::Stix;
        let selected = parallel::select(self.criteria, scorer, keep_objects, workers, source)?;
        Ok(Export {
            format: self.format,
            options: self.options,
            selected,
        })
    }
}

/// A selection ready to be written in its format.
#[derive(Debug)]
pub struct Export {
    pub format: Format,
    pub options: Options,
    pub selected: Selected,
}

impl Export {
    /// A one-file format to `out`.
    pub fn write(&self, out: &mut dyn Write) -> Result<Written, Error> {
        write::write(
            self.format,
            &self.selected.entries,
            &self.selected.objects,
            &self.options,
            out,
        )
    }

    /// A directory format into `dir`, each file replaced atomically.
    pub fn write_dir(&self, dir: &Path) -> Result<Written, Error> {
        write::write_dir(self.format, &self.selected.entries, &self.options, dir)
    }

    /// Every format as files in memory: a directory format's files, or a one-file format as
    /// one file named by [`file_name`]. The bytes are those [`Export::write`] and
    /// [`Export::write_dir`] write.
    pub fn render(&self) -> Result<(Vec<File>, Written), Error> {
        if self.format.is_directory() {
            return write::render_dir(self.format, &self.selected.entries, &self.options);
        }
        let mut bytes = Vec::new();
        let written = self.write(&mut bytes)?;
        let name = file_name(self.format, &self.options.list_name);
        Ok((vec![File { name, bytes }], written))
    }

    /// What was read, selected, written and skipped (the selection's skips and the writer's).
    pub fn summary(&self, written: Written, collection: &str, output: &str) -> Summary {
        let mut skipped = self.selected.skips.clone();
        skipped.extend(written.skips);
        Summary {
            format: self.format.name(),
            collection: collection.to_string(),
            output: output.to_string(),
            read: self.selected.read,
            selected: self.selected.indicators,
            values: self.selected.entries.len() as u64,
            written: written.counts,
            files: written.files,
            skipped,
        }
    }
}

/// The name a one-file format is saved as (`Content-Disposition` of a feed): `yamori-<list
/// name>` and the format's usual extension.
pub fn file_name(format: Format, list_name: &str) -> String {
    let ext = match format {
        Format::Nftables => "nft",
        Format::Ipset => "ipset",
        Format::Rpz => "rpz",
        Format::Csv => "csv",
        Format::Txt => "txt",
        Format::Stix => "json",
        Format::Suricata | Format::MispFeed => "d",
    };
    format!("yamori-{list_name}.{ext}")
}

/// An export's summary (`yamori export --json`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub collection: String,
    pub output: String,
    /// Indicators read from the store (latest versions).
    pub read: u64,
    /// Indicators with at least one listed value.
    pub selected: u64,
    /// Values selected (an indicator may name several).
    pub values: u64,
    pub written: BTreeMap<&'static str, u64>,
    pub files: Vec<String>,
    pub skipped: Skips,
}

impl Summary {
    /// Some indicators were malformed ([`BAD_INPUT_KINDS`]).
    pub fn bad_input(&self) -> bool {
        BAD_INPUT_KINDS
            .iter()
            .any(|k| self.skipped.by_kind.contains_key(k))
    }
}

/// A duration as `<n>s`, `<n>m`, `<n>h` or `<n>d` (`--max-age`, a feed's `max_age`).
pub fn parse_age(s: &str) -> Result<time::Duration, String> {
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit (s, m, h, d), e.g. 30d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    n.checked_mul(seconds)
        .map(time::Duration::seconds)
        .ok_or_else(|| format!("{s:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_with_their_unit_and_refuse_the_rest() {
        assert_eq!(parse_age("30d"), Ok(time::Duration::days(30)));
        assert_eq!(parse_age("90m"), Ok(time::Duration::minutes(90)));
        assert!(parse_age("30").is_err());
        assert!(parse_age("d").is_err());
        assert!(parse_age("99999999999999999999d").is_err());
        assert!(parse_age("9999999999999999d").is_err());
    }
}
