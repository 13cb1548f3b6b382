//! `yamori gateway`: MUD files (RFC 8520) of IoT devices as one nftables ruleset for the
//! gateway in front of them, with a quarantine set checked before any device's policy.
//!
//! A pure function like the other writers: devices (address + parsed MUD file), the site's
//! networks, the quarantined prefixes and the addresses DNS names resolved to in; one file
//! for `nft -f` out. The file replaces the whole table in one transaction (`table` to make
//! sure it exists, `delete table`, then the new one), so a reload never leaves a device
//! unfiltered or half-filtered.
//!
//! Layout of the table `yamori_<name>` (family `inet`):
//! * sets `yamori_quarantine_v4`/`_v6` (`flags interval`) and per DNS name of any MUD file
//!   `yamori_dns_<i>_v4`/`_v6` (`flags timeout`: resolved addresses expire unless refreshed);
//! * chain `yamori_forward` on the forward hook, policy accept (traffic of other hosts is the
//!   site's own ruleset's business): quarantined sources and destinations jump to
//!   `yamori_quarantined` (logged, dropped) first; then each device's packets jump to its
//!   `yamori_dev_<i>_from` or `_to` chain, which holds its MUD ACEs in order and ends in a
//!   logged drop.

mod quarantine;
mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::mud::{family_of, Direction, Family, Mud};
use crate::ranges;
use crate::write::nft::write_element;

pub use quarantine::{quarantine, Finding, Quarantine};

/// The log prefix of a packet a device's MUD policy does not allow (`journalctl -k -g …`).
pub const MUD_DROP_PREFIX: &str = "yamori-mud drop: ";
/// The log prefix of a packet from or to a quarantined address.
pub const QUARANTINE_PREFIX: &str = "yamori-quarantine: ";

/// Log lines per second per chain: a device stuck retrying a blocked flow must not flood the
/// kernel log; the drop counters still count every packet.
const LOG_RATE: &str = "limit rate 10/second burst 20 packets";

/// Most elements per `add element` statement (as in the blocklist writer: nft quotes the
/// whole statement in its errors).
const ELEMENTS_PER_STATEMENT: usize = 4096;

/// One IoT device: its address and its MUD file.
#[derive(Debug, Clone)]
pub struct Device {
    pub address: IpAddr,
    /// Where its MUD file came from (a file name), for comments and warnings.
    pub source: String,
    pub mud: Mud,
}

/// Everything besides the devices.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The table's name part: table `yamori_<name>` (a-z, 0-9, _; 1–16 characters).
    pub name: String,
    /// The site's own networks: what `local-networks` in a MUD file means.
    pub site: Vec<IpNet>,
    /// Quarantined addresses and prefixes.
    pub quarantine: Vec<IpNet>,
    /// Addresses each DNS name resolved to; a name missing here gets empty sets.
    pub resolved: BTreeMap<String, Vec<IpAddr>>,
    /// Lifetime of a resolved address in its set (seconds), so a name that stops being
    /// refreshed stops being reachable rather than pointing at stale addresses forever.
    pub dns_timeout_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("table name {0:?}: use 1 to {max} of a-z, 0-9 and _", max = crate::write::MAX_LIST_NAME)]
    Name(String),
    #[error("device {0} is listed twice")]
    Duplicate(IpAddr),
    #[error("writing: {0}")]
    Io(#[from] io::Error),
}

/// Something of a MUD file the ruleset does not enforce.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceWarning {
    pub device: IpAddr,
    pub source: String,
    pub path: String,
    pub message: String,
}

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GatewayWritten {
    pub devices: usize,
    /// MUD rules written (ACEs across all devices and both directions).
    pub rules: usize,
    pub dns_names: usize,
    /// DNS names with no resolved address (their sets are empty).
    pub unresolved: Vec<String>,
    /// Quarantine set elements (merged prefixes).
    pub quarantine_elements: usize,
    pub warnings: Vec<DeviceWarning>,
}

/// Every DNS name the devices' MUD files name, sorted: what to resolve.
pub fn dns_names(devices: &[Device]) -> BTreeSet<String> {
    devices
        .iter()
        .flat_map(|d| d.mud.dns_names().map(str::to_string))
        .collect()
}

/// Writes the ruleset.
pub fn write(
    devices: &[Device],
    policy: &Policy,
    out: &mut dyn Write,
) -> Result<GatewayWritten, GatewayError> {
    let table = check_name(&policy.name)?;
    let mut seen = BTreeSet::new();
    for d in devices {
        if !seen.insert(d.address) {
            return Err(GatewayError::Duplicate(d.address));
        }
    }
    let names = dns_names(devices);
    let dns_sets: BTreeMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let quarantined = ranges::merge(
        &policy
            .quarantine
            .iter()
            .map(|n| (*n, None))
            .collect::<Vec<_>>(),
    );
    let mut written = GatewayWritten {
        devices: devices.len(),
        dns_names: names.len(),
        quarantine_elements: quarantined.len(),
        ..GatewayWritten::default()
    };

    writeln!(out, "#!/usr/sbin/nft -f")?;
    writeln!(
        out,
        "# Yamori gateway policy: {} device(s) from MUD files, {} DNS name(s), {} quarantine element(s).",
        devices.len(),
        names.len(),
        quarantined.len()
    )?;
    writeln!(
        out,
        "# Load: nft -f FILE (one transaction: the table is replaced whole). Drops log with the prefixes {:?} and {:?}.",
        MUD_DROP_PREFIX, QUARANTINE_PREFIX
    )?;
    writeln!(out, "table inet {table}")?;
    writeln!(out, "delete table inet {table}")?;
    writeln!(out, "table inet {table} {{")?;
    for fam in ["v4", "v6"] {
        let kind = if fam == "v4" {
            "ipv4_addr"
        } else {
            "ipv6_addr"
        };
        writeln!(
            out,
            "\tset yamori_quarantine_{fam} {{\n\t\ttype {kind}\n\t\tflags interval\n\t}}"
        )?;
    }
    for (name, i) in &dns_sets {
        writeln!(out, "\t# {name}")?;
        for (fam, kind) in [("v4", "ipv4_addr"), ("v6", "ipv6_addr")] {
            writeln!(
                out,
                "\tset yamori_dns_{i}_{fam} {{\n\t\ttype {kind}\n\t\tflags timeout\n\t}}"
            )?;
        }
    }
    writeln!(out, "\tchain yamori_forward {{")?;
    writeln!(
        out,
        "\t\ttype filter hook forward priority filter; policy accept;"
    )?;
    for (fam, ip) in [("v4", "ip"), ("v6", "ip6")] {
        writeln!(
            out,
            "\t\t{ip} saddr @yamori_quarantine_{fam} jump yamori_quarantined"
        )?;
        writeln!(
            out,
            "\t\t{ip} daddr @yamori_quarantine_{fam} jump yamori_quarantined"
        )?;
    }
    for (i, d) in devices.iter().enumerate() {
        let ip = match family_of(d.address) {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        };
        writeln!(out, "\t\t{ip} saddr {} jump yamori_dev_{i}_from", d.address)?;
        writeln!(out, "\t\t{ip} daddr {} jump yamori_dev_{i}_to", d.address)?;
    }
    writeln!(out, "\t}}")?;
    writeln!(out, "\tchain yamori_quarantined {{")?;
    writeln!(out, "\t\t{LOG_RATE} log prefix {QUARANTINE_PREFIX:?}")?;
    writeln!(out, "\t\tcounter drop")?;
    writeln!(out, "\t}}")?;
    let cx = rules::Context {
        dns_sets: &dns_sets,
        site: &policy.site,
    };
    for (i, d) in devices.iter().enumerate() {
        for (dir, suffix, aces) in [
            (Direction::FromDevice, "from", &d.mud.from_device),
            (Direction::ToDevice, "to", &d.mud.to_device),
        ] {
            writeln!(out, "\tchain yamori_dev_{i}_{suffix} {{")?;
            writeln!(
                out,
                "\t\t# {} {suffix} the device: MUD {} ({})",
                d.address,
                rules::comment_text(&d.mud.url),
                rules::comment_text(&d.source)
            )?;
            // ICMP errors about flows this chain let through (path MTU, unreachable):
            // conntrack relates them only to connections that passed, so nothing new opens.
            writeln!(out, "\t\tct state related return")?;
            for ace in aces.iter() {
                let text = if ace.family != family_of(d.address) {
                    Err("an ACE of the other IP family than the device's address".to_string())
                } else {
                    rules::rule(ace, dir, &cx)
                };
                match text {
                    Ok(rule) => {
                        writeln!(
                            out,
                            "\t\t# ACL {} ACE {}",
                            rules::comment_text(&ace.acl),
                            rules::comment_text(&ace.name)
                        )?;
                        writeln!(out, "\t\t{rule}")?;
                        written.rules += 1;
                    }
                    Err(why) => written.warnings.push(DeviceWarning {
                        device: d.address,
                        source: d.source.clone(),
                        path: format!("ACL {:?} ACE {:?}", ace.acl, ace.name),
                        message: format!("{why}; not written (the flow stays dropped)"),
                    }),
                }
            }
            writeln!(out, "\t\t{LOG_RATE} log prefix {MUD_DROP_PREFIX:?}")?;
            writeln!(out, "\t\tcounter drop")?;
            writeln!(out, "\t}}")?;
        }
        written
            .warnings
            .extend(d.mud.warnings.iter().map(|w| DeviceWarning {
                device: d.address,
                source: d.source.clone(),
                path: w.path.clone(),
                message: w.message.clone(),
            }));
    }
    writeln!(out, "}}")?;
    let (q4, q6): (Vec<_>, Vec<_>) = quarantined.iter().partition(|r| !r.v6);
    for (fam, list) in [("v4", q4), ("v6", q6)] {
        for chunk in list.chunks(ELEMENTS_PER_STATEMENT) {
            write!(out, "add element inet {table} yamori_quarantine_{fam} {{")?;
            for (k, r) in chunk.iter().enumerate() {
                out.write_all(if k == 0 { b" " } else { b",\n\t" })?;
                write_element(out, r)?;
            }
            writeln!(out, " }}")?;
        }
    }
    let timeout = policy.dns_timeout_secs.max(1);
    for (name, i) in &dns_sets {
        let addrs: BTreeSet<IpAddr> = policy
            .resolved
            .get(name)
            .map(|a| a.iter().copied().collect())
            .unwrap_or_default();
        if addrs.is_empty() {
            written.unresolved.push(name.clone());
        }
        for (fam, v6) in [("v4", false), ("v6", true)] {
            let of_family: Vec<String> = addrs
                .iter()
                .filter(|a| a.is_ipv6() == v6)
                .map(|a| format!("{a} timeout {timeout}s"))
                .collect();
            for chunk in of_family.chunks(ELEMENTS_PER_STATEMENT) {
                writeln!(
                    out,
                    "add element inet {table} yamori_dns_{i}_{fam} {{ {} }}",
                    chunk.join(", ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(written)
}

fn check_name(name: &str) -> Result<String, GatewayError> {
    let ok = !name.is_empty()
        && name.len() <= crate::write::MAX_LIST_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(format!("yamori_{name}"))
    } else {
        Err(GatewayError::Name(name.to_string()))
    }
}
