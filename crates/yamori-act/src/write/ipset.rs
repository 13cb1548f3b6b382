//! ipset: input for `ipset restore`, refilled atomically by filling a second set and
//! swapping it with the live one.
//!
//! Sets are `hash:net` with `timeout` (per-element: the seconds left until `valid_until`)
//! and `comment` (the indicator behind the element). Prefixes are merged like nftables'
//! (overlapping entries would be harmless here, but one list means one answer).

use std::io::Write;

use crate::observable::Observable;
use crate::ranges::{self, Range};
use crate::select::{Entry, Skips};

use super::{export_tlp, timeout_secs, Error, Options, Written};

/// ipset's largest timeout in seconds (`IPSET_MAX_TIMEOUT`, `(UINT_MAX >> 1) / 1000`, about
/// 24.8 days). Longer validities are written as this: re-export within it.
pub const IPSET_MAX_TIMEOUT: u64 = 2_147_483;

/// ipset's default `maxelem`; raised to the number of elements when larger.
const DEFAULT_MAXELEM: usize = 65_536;

pub(super) fn write(
    entries: &[Entry],
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    let mut skips = Skips::default();
    // Each net with the id of (one of) its indicators, for the comment.
    let mut nets = Vec::new();
    let mut ids = Vec::new();
    for e in entries {
        match &e.observable {
            Observable::Net(n) => {
                nets.push((*n, e.expires));
                ids.push(e.indicator_id.as_str());
            }
            other => skips.push(
                &e.indicator_id,
                "format",
                format!("{} values do not go into an address set", other.stix_type()),
            ),
        }
    }
    let merged = ranges::merge(&nets);
    let name = opts.ident();
    writeln!(
        out,
        "# Yamori blocklist from collection {:?}; marking {}. Load: ipset restore < FILE",
        opts.collection.replace(['\n', '\r'], " "),
        export_tlp(entries).name()
    )?;
    let mut written = Written {
        skips,
        ..Written::default()
    };
    let mut clamped = 0u64;
    for (suffix, family, v6) in [("v4", "inet", false), ("v6", "inet6", true)] {
        let live = format!("{name}_{suffix}");
        let next = format!("{live}_n");
        // hash:net cannot store a /0, so a range is split into prefixes of at least /1.
        let prefixes: Vec<(ipnet::IpNet, &Range)> = merged
            .iter()
            .filter(|r| r.v6 == v6)
            .flat_map(|r| {
                r.prefixes()
                    .into_iter()
                    .flat_map(split_zero)
                    .map(move |p| (p, r))
            })
            .collect();
        let maxelem = prefixes.len().max(DEFAULT_MAXELEM);
        for set in [&live, &next] {
            writeln!(
                out,
                "create {set} hash:net family {family} maxelem {maxelem} timeout 0 comment -exist"
            )?;
        }
        writeln!(out, "flush {next}")?;
        for (p, r) in &prefixes {
            write!(out, "add {next} {p}")?;
            if let Some(t) = timeout_secs(r.expires, &opts.now) {
                if t > IPSET_MAX_TIMEOUT {
                    clamped += 1;
                }
                write!(out, " timeout {}", t.min(IPSET_MAX_TIMEOUT))?;
            }
            writeln!(out, " comment \"{}\"", comment(r, &ids))?;
        }
        writeln!(out, "swap {next} {live}")?;
        writeln!(out, "destroy {next}")?;
        written.counts.insert(
            if v6 { "ipv6_elements" } else { "ipv4_elements" },
            prefixes.len() as u64,
        );
    }
    written.counts.insert("timeouts_clamped", clamped);
    Ok(written)
}

/// The indicator of the range's first prefix, and how many more the range merged.
fn comment(r: &Range, ids: &[&str]) -> String {
    // Ids are `type--uuid`; anything else an object may carry is replaced, so nothing needs
    // escaping inside the double quotes, and cut to stay within ipset's 255-byte comments.
    let first: String = ids
        .get(r.first_source)
        .copied()
        .unwrap_or("")
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if r.sources > 1 {
        format!("{first} +{}", r.sources - 1)
    } else {
        first.to_string()
    }
}

/// `/0` as two `/1` halves (hash:net refuses a zero prefix length).
fn split_zero(p: ipnet::IpNet) -> Vec<ipnet::IpNet> {
    if p.prefix_len() == 0 {
        p.subnets(1).map(|s| s.collect()).unwrap_or_default()
    } else {
        vec![p]
    }
}
