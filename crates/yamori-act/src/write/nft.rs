//! nftables: one file for `nft -f`, applied as one transaction.
//!
//! The table and its two sets (IPv4, IPv6; `flags interval, timeout`) are declared (a no-op
//! when they exist), flushed and refilled in the same file, and `nft -f` commits a file
//! atomically: a reader of the ruleset sees the old list or the new one. Elements are literal
//! addresses, prefixes or ranges (nft would resolve a name through DNS), merged beforehand
//! (nft refuses overlapping intervals), each with the seconds left until its indicators'
//! `valid_until` as its timeout. The table holds no chain: the site's own ruleset refers to
//! the sets (`ip saddr @yamori_block_v4 drop`), or a chain is added to the table once; a
//! refill leaves it in place.

use std::io::Write;
use std::net::IpAddr;

use crate::observable::Observable;
use crate::ranges::{self, Range};
use crate::select::{Entry, Skips};

use super::{export_tlp, timeout_secs, Error, Options, Written};

/// Elements per `add element` statement: one statement of a million elements works but makes
/// nft's error messages (which quote the statement) unusable; the file is one transaction
/// however many statements it has.
const ELEMENTS_PER_STATEMENT: usize = 4096;

pub(super) fn write(
    entries: &[Entry],
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    let mut skips = Skips::default();
    let nets: Vec<_> = entries
        .iter()
        .filter_map(|e| match &e.observable {
            Observable::Net(n) => Some((*n, e.expires)),
            other => {
                skips.push(
                    &e.indicator_id,
                    "format",
                    format!("{} values do not go into an address set", other.stix_type()),
                );
                None
            }
        })
        .collect();
    let merged = ranges::merge(&nets);
    let (v4, v6): (Vec<Range>, Vec<Range>) = merged.into_iter().partition(|r| !r.v6);
    let table = opts.ident();
    writeln!(out, "#!/usr/sbin/nft -f")?;
    writeln!(
        out,
        "# Yamori blocklist from collection {:?}: {} IPv4 and {} IPv6 elements from {} addresses.",
        opts.collection.replace(['\n', '\r'], " "),
        v4.len(),
        v6.len(),
        nets.len()
    )?;
    writeln!(
        out,
        "# Marking: {} (the most restrictive of the listed indicators).",
        export_tlp(entries).name()
    )?;
    writeln!(
        out,
        "# Load: nft -f FILE (atomic). Use: ip saddr @{table}_v4 drop; ip6 saddr @{table}_v6 drop"
    )?;
    writeln!(out, "table inet {table} {{")?;
    for (suffix, kind) in [("v4", "ipv4_addr"), ("v6", "ipv6_addr")] {
        writeln!(out, "\tset {table}_{suffix} {{")?;
        writeln!(out, "\t\ttype {kind}")?;
        writeln!(out, "\t\tflags interval, timeout")?;
        writeln!(out, "\t}}")?;
    }
    writeln!(out, "}}")?;
    for suffix in ["v4", "v6"] {
        writeln!(out, "flush set inet {table} {table}_{suffix}")?;
    }
    for (suffix, list) in [("v4", &v4), ("v6", &v6)] {
        for chunk in list.chunks(ELEMENTS_PER_STATEMENT) {
            write!(out, "add element inet {table} {table}_{suffix} {{")?;
            for (i, r) in chunk.iter().enumerate() {
                out.write_all(if i == 0 { b" " } else { b",\n\t" })?;
                write_element(out, r)?;
                if let Some(t) = timeout_secs(r.expires, &opts.now) {
                    write!(out, " timeout {t}s")?;
                }
            }
            writeln!(out, " }}")?;
        }
    }
    let mut written = Written {
        skips,
        ..Written::default()
    };
    written.counts.insert("ipv4_elements", v4.len() as u64);
    written.counts.insert("ipv6_elements", v6.len() as u64);
    written.counts.insert("addresses", nets.len() as u64);
    Ok(written)
}

/// An address, a prefix when the range is exactly one, else `first-last`.
pub(crate) fn write_element(out: &mut dyn Write, r: &Range) -> std::io::Result<()> {
    let prefixes = r.prefixes();
    match prefixes.as_slice() {
        [one] if one.prefix_len() == one.max_prefix_len() => write!(out, "{}", one.addr()),
        [one] => write!(out, "{one}"),
        _ => write!(out, "{}-{}", show(r.first_addr()), show(r.last_addr())),
    }
}

fn show(a: IpAddr) -> String {
    a.to_string()
}
