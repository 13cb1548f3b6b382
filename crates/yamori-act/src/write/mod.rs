//! The writers: selected entries in, the bytes a firewall, resolver, IDS or MISP loads out.
//!
//! Every writer is a function of its inputs only (entries, selected objects, [`Options`]
//! including the time): same inputs, same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use time::OffsetDateTime;

use crate::objects::Objects;
use crate::select::{Entry, Skips};
use crate::tlp::Tlp;

mod ipset;
mod misp;
pub(crate) mod nft;
mod plain;
mod rpz;
mod suricata;

pub use ipset::IPSET_MAX_TIMEOUT;
pub use suricata::{SID_FIRST, SID_LAST};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Nftables,
    Ipset,
    Rpz,
    Suricata,
    MispFeed,
    Csv,
    Txt,
    Stix,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Nftables,
        Format::Ipset,
        Format::Rpz,
        Format::Suricata,
        Format::MispFeed,
        Format::Csv,
        Format::Txt,
        Format::Stix,
    ];

    /// The format [`Format::name`] names.
    pub fn from_name(name: &str) -> Option<Format> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Formats written as a directory of files rather than one file.
    pub fn is_directory(self) -> bool {
        matches!(self, Format::Suricata | Format::MispFeed)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Nftables => "nftables",
            Format::Ipset => "ipset",
            Format::Rpz => "rpz",
            Format::Suricata => "suricata",
            Format::MispFeed => "misp-feed",
            Format::Csv => "csv",
            Format::Txt => "txt",
            Format::Stix => "stix",
        }
    }
}

/// Longest list name: ipset names hold at most 31 characters, and the longest one written is
/// `yamori_<name>_v6_n` (the set filled before the swap).
pub const MAX_LIST_NAME: usize = 16;

/// What the writers need besides the entries.
#[derive(Debug, Clone)]
pub struct Options {
    /// The list's own name part (`[a-z0-9_]`, 1–16 characters): nftables table
    /// `yamori_<name>` with sets `yamori_<name>_v4`/`_v6`, ipsets of the same names.
    pub list_name: String,
    /// The collection the entries came from (headers, MISP event titles).
    pub collection: String,
    /// Timeouts are `valid_until - now`.
    pub now: OffsetDateTime,
    /// The RPZ zone's name, to keep every owner name within DNS's length limit.
    pub rpz_zone: String,
    /// The SOA serial; by default the latest modification time of the listed indicators.
    pub rpz_serial: Option<u32>,
    /// The MISP organisation that creates the events.
    pub org_name: String,
}

/// Errors before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("list name {0:?}: use 1 to {MAX_LIST_NAME} of a-z, 0-9 and _")]
    ListName(String),
    #[error("RPZ zone name {0:?} is not a DNS name: {1}")]
    Zone(String, String),
    #[error("{0} is written to a directory; give one with -o")]
    NeedsDirectory(&'static str),
    #[error("{0} is written to one file, not a directory")]
    NotDirectory(&'static str),
    #[error("writing: {0}")]
    Io(#[from] io::Error),
}

/// What a writer wrote and what it left out.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Written {
    /// Counts by what was written (`ipv4_ranges`, `domains`, `events`, …).
    pub counts: BTreeMap<&'static str, u64>,
    /// Entries this format cannot hold (an address in a DNS-only format, …).
    pub skips: Skips,
    /// The files written, relative to the output directory for directory formats.
    pub files: Vec<String>,
}

impl Options {
    pub fn check(&self) -> Result<(), Error> {
        let ok = !self.list_name.is_empty()
            && self.list_name.len() <= MAX_LIST_NAME
            && self
                .list_name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(Error::ListName(self.list_name.clone()));
        }
        crate::observable::dns_name(&self.rpz_zone)
            .map_err(|e| Error::Zone(self.rpz_zone.clone(), e))?;
        Ok(())
    }

    /// Every identifier starts with `yamori_`, which no nftables or ipset keyword does, so a
    /// name can never be read as a keyword.
    pub fn ident(&self) -> String {
        format!("yamori_{}", self.list_name)
    }
}

/// The most restrictive marking among `entries` (CLEAR when empty): the export as a whole is
/// shared no more widely than any indicator in it.
pub fn export_tlp(entries: &[Entry]) -> Tlp {
    entries.iter().map(|e| e.tlp).max().unwrap_or(Tlp::Clear)
}

/// Writes a one-file format to `out`.
pub fn write(
    format: Format,
    entries: &[Entry],
    objects: &Objects,
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    opts.check()?;
    let written = match format {
        Format::Nftables => nft::write(entries, opts, out)?,
        Format::Ipset => ipset::write(entries, opts, out)?,
        Format::Rpz => rpz::write(entries, opts, out)?,
        Format::Csv => plain::csv(entries, out)?,
        Format::Txt => plain::txt(entries, out)?,
        Format::Stix => plain::stix(objects, out)?,
        Format::Suricata | Format::MispFeed => return Err(Error::NeedsDirectory(format.name())),
    };
    out.flush()?;
    Ok(written)
}

/// One file of a directory format, in memory: what [`write_dir`] writes and what a server
/// serves as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The name within the directory (no separators).
    pub name: String,
    pub bytes: Vec<u8>,
}

impl File {
    pub(crate) fn text(name: &str, text: String) -> Self {
        Self {
            name: name.to_string(),
            bytes: text.into_bytes(),
        }
    }

    /// The value as compact JSON and a newline.
    pub(crate) fn json(name: &str, value: &impl serde::Serialize) -> Result<Self, Error> {
        let mut bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
        bytes.push(b'\n');
        Ok(Self {
            name: name.to_string(),
            bytes,
        })
    }
}

/// The files of a directory format, in the order [`write_dir`] replaces them (for the MISP
/// feed, the manifest last).
pub fn render_dir(
    format: Format,
    entries: &[Entry],
    opts: &Options,
) -> Result<(Vec<File>, Written), Error> {
    opts.check()?;
    match format {
        Format::Suricata => suricata::render(entries, opts),
        Format::MispFeed => misp::render(entries, opts),
        _ => Err(Error::NotDirectory(format.name())),
    }
}

/// Writes a directory format into `dir` (created if missing), each file atomically, in the
/// order of [`render_dir`] and with its bytes; MISP event files the new manifest no longer
/// lists are removed.
pub fn write_dir(
    format: Format,
    entries: &[Entry],
    opts: &Options,
    dir: &Path,
) -> Result<Written, Error> {
    opts.check()?;
    std::fs::create_dir_all(dir)?;
    if format == Format::MispFeed {
        // Each event straight into its file while it is rendered (hundreds of megabytes for
        // a large day), rather than all of it in memory first.
        return misp::write_dir(entries, opts, dir);
    }
    let (files, written) = render_dir(format, entries, opts)?;
    for f in &files {
        crate::atomic::write_file(&dir.join(&f.name), |w| w.write_all(&f.bytes))?;
    }
    Ok(written)
}

/// Seconds from `now` until `expires` (at least 1: selection already left out the expired).
pub(crate) fn timeout_secs(expires: Option<i64>, now: &OffsetDateTime) -> Option<u64> {
    expires.map(|e| u64::try_from(e - now.unix_timestamp()).unwrap_or(0).max(1))
}

/// Distinct values of `entries` with their first entry.
pub(crate) fn distinct(entries: &[Entry]) -> Vec<&Entry> {
    // Selection sorts entries by value, so a value's entries are neighbours and one pass
    // finds the first of each; entries handed in some other order take the set.
    if entries.is_sorted_by(|a, b| a.observable <= b.observable) {
        let mut out: Vec<&Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            if out
                .last()
                .is_none_or(|last| last.observable != e.observable)
            {
                out.push(e);
            }
        }
        return out;
    }
    let mut seen = BTreeSet::new();
    entries
        .iter()
        .filter(|e| seen.insert(&e.observable))
        .collect()
}
