//! Indicators naming a *prefix* that our sensors saw an address inside: the prefix half of
//! [`Store::correlation_seen_indicators`](crate::Store::correlation_seen_indicators).
//!
//! The sensors' records keep addresses as text, which neither engine orders by number, so
//! the containment test runs here: each distinct address a sensor saw, with its first and
//! last time and its count, parsed and sorted once, then one binary search per prefix. This
//! reads every distinct address of the telescope and the decoy (about 40 bytes each in
//! memory), and does so only when some indicator names a prefix.
//!
//! A prefix gives one row per address inside it that a sensor saw, written as the address
//! (as the exact join writes its rows): an indicator that names an address and a prefix
//! around it, or two overlapping prefixes, meets the same address twice, and the caller
//! counts it once.

use std::net::IpAddr;

use crate::correlation::SeenIndicatorRow;
use crate::db::{Conn, Param};
use crate::Result;

/// When a sensor saw an address: Unix seconds (telescope), or RFC 3339 text (the decoy's
/// records), turned into text only for the rows returned.
enum When {
    Unix(i64),
    Text(String),
}

impl When {
    fn text(&self) -> String {
        match self {
            When::Unix(t) => crate::correlation::rfc3339(*t),
            When::Text(t) => t.clone(),
        }
    }
}

/// What one sensor saw of one address: its first and last time, and packets or records.
struct Seen {
    key: u128,
    ip: IpAddr,
    first: When,
    last: When,
    count: u64,
}

/// An address as a number in one family's space (IPv4 in the low 32 bits).
fn number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The first and last number of a prefix `address/len` of the index (canonical text), and
/// whether it is IPv6; `None` for anything else.
fn range(prefix: &str) -> Option<(bool, u128, u128)> {
    let (addr, len) = prefix.split_once('/')?;
    let ip: IpAddr = addr.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    let bits = if ip.is_ipv6() { 128 } else { 32 };
    if len > bits {
        return None;
    }
    let host_bits = bits - len;
    let span = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let first = number(ip) & !span;
    Some((ip.is_ipv6(), first, first | span))
}

/// Per family (IPv4, IPv6), the sensor's addresses sorted by number.
fn load(
    c: &mut dyn Conn,
    op: &'static str,
    sql: &str,
    times_are_unix: bool,
) -> Result<[Vec<Seen>; 2]> {
    let mut out: [Vec<Seen>; 2] = [Vec::new(), Vec::new()];
    for r in c.query(op, sql, &[])? {
        let Ok(ip) = r.str(0)?.parse::<IpAddr>() else {
            continue;
        };
        let (first, last) = if times_are_unix {
            (When::Unix(r.i64(1)?), When::Unix(r.i64(2)?))
        } else {
            (When::Text(r.str(1)?), When::Text(r.str(2)?))
        };
        out[usize::from(ip.is_ipv6())].push(Seen {
            key: number(ip),
            ip,
            first,
            last,
            count: r.u64(3)?,
        });
    }
    for family in &mut out {
        family.sort_by_key(|s| s.key);
    }
    Ok(out)
}

/// Rows for the indicators (outside the excluded collections: `filter` and `params`, as the
/// exact join writes them) that name a prefix holding an address the telescope or the decoy
/// saw: one per indicator, address inside and sensor.
pub(crate) fn seen_within(
    c: &mut dyn Conn,
    filter: &str,
    params: &[Param],
) -> Result<Vec<SeenIndicatorRow>> {
    let prefixes = c.query(
        "indicators naming prefixes",
        &format!(
            "SELECT r.object_id, r.collection_id, v.value
             FROM intel_refs r JOIN intel_values v ON v.kind = r.kind AND v.key = r.key
             WHERE r.kind IN ('ipv4', 'ipv6') AND r.object_type = 'indicator'
               AND v.value LIKE '%/%'{filter}
             GROUP BY r.object_id, r.collection_id, v.value
             ORDER BY r.object_id, r.collection_id, v.value"
        ),
        params,
    )?;
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let sensors = [
        (
            "telescope",
            load(
                c,
                "addresses the telescope saw",
                "SELECT address, MIN(first_s), MAX(last_s), CAST(SUM(packets) AS BIGINT)
                 FROM tel_sources GROUP BY address",
                true,
            )?,
        ),
        (
            "decoy",
            load(
                c,
                "addresses the decoy saw",
                "SELECT src_ip, MIN(ts), MAX(ts), COUNT(*) FROM decoy_events GROUP BY src_ip",
                false,
            )?,
        ),
    ];
    let mut rows = Vec::new();
    for (sensor, families) in &sensors {
        for p in &prefixes {
            let value = p.str(2)?;
            let Some((v6, lo, hi)) = range(&value) else {
                continue;
            };
            let family = &families[usize::from(v6)];
            let start = family.partition_point(|s| s.key < lo);
            for s in family[start..].iter().take_while(|s| s.key <= hi) {
                rows.push(SeenIndicatorRow {
                    object_id: p.str(0)?,
                    collection_id: p.str(1)?,
                    value: s.ip.to_string(),
                    sensor,
                    first: s.first.text(),
                    last: s.last.text(),
                    count: s.count,
                });
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges() {
        assert_eq!(
            range("192.0.2.0/24"),
            Some((false, 0xc000_0200, 0xc000_02ff))
        );
        assert_eq!(
            range("192.0.2.7/32"),
            Some((false, 0xc000_0207, 0xc000_0207))
        );
        assert_eq!(range("0.0.0.0/0"), Some((false, 0, 0xffff_ffff)));
        assert_eq!(range("::/0"), Some((true, 0, u128::MAX)));
        let (v6, lo, hi) = range("2001:db8::/32").expect("v6");
        assert!(v6);
        assert_eq!(lo >> 96, 0x2001_0db8);
        assert_eq!(hi - lo, (1u128 << 96) - 1);
        for bad in ["192.0.2.0/33", "192.0.2.0", "x/8", "192.0.2.0/x", "::/129"] {
            assert_eq!(range(bad), None, "{bad}");
        }
    }
}
