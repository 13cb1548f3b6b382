//! Merging listed prefixes into disjoint address ranges, each with one expiry.
//!
//! nftables refuses a set whose interval elements overlap ("conflicting intervals specified"),
//! and its own `auto-merge` cannot be combined with per-element timeouts, so Yamori merges
//! before writing. Overlapping and adjacent prefixes become one range; the range expires when
//! the last of its prefixes does (a blocklist must not unblock an address that one of its
//! entries still lists), and never if any of them has no expiry.
//!
//! By hand because it is a sort and one sweep over integers; splitting a range back into
//! prefixes for tools that want CIDRs is `ipnet`'s (`Ipv4Subnets`/`Ipv6Subnets`). Fuzzed
//! (`fuzz/fuzz_targets/act_ranges.rs`): the output is sorted, disjoint, not adjacent, and
//! covers exactly the input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

/// An inclusive range of one family's addresses, as integers, with its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub v6: bool,
    pub first: u128,
    pub last: u128,
    /// Unix seconds after which no listed prefix of the range is valid; `None`: no expiry.
    pub expires: Option<i64>,
    /// The lowest input index among the prefixes merged into this range, and how many there
    /// were (writers name an indicator per element).
    pub first_source: usize,
    pub sources: usize,
}

/// The integer bounds of a prefix.
pub fn bounds(net: &IpNet) -> (bool, u128, u128) {
    match net {
        IpNet::V4(n) => (
            false,
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (true, u128::from(n.network()), u128::from(n.broadcast())),
    }
}

/// Merges `nets` (any order, any mix of families) into sorted, disjoint, non-adjacent ranges:
/// IPv4 first, then IPv6.
pub fn merge(nets: &[(IpNet, Option<i64>)]) -> Vec<Range> {
    let mut items: Vec<Range> = nets
        .iter()
        .enumerate()
        .map(|(i, (n, expires))| {
            let (v6, first, last) = bounds(n);
            Range {
                v6,
                first,
                last,
                expires: *expires,
                first_source: i,
                sources: 1,
            }
        })
        .collect();
    items.sort_by_key(|r| (r.v6, r.first, r.last));
    let mut out: Vec<Range> = Vec::with_capacity(items.len());
    for r in items {
        if let Some(cur) = out.last_mut() {
            // Adjacent too: `cur.last + 1 == r.first` (saturating: nothing follows the top).
            if cur.v6 == r.v6 && r.first <= cur.last.saturating_add(1) {
                cur.last = cur.last.max(r.last);
                cur.first_source = cur.first_source.min(r.first_source);
                cur.sources += 1;
                cur.expires = match (cur.expires, r.expires) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        out.push(r);
    }
    out
}

impl Range {
    pub fn first_addr(&self) -> IpAddr {
        addr(self.v6, self.first)
    }

    pub fn last_addr(&self) -> IpAddr {
        addr(self.v6, self.last)
    }

    /// The fewest prefixes covering exactly this range.
    pub fn prefixes(&self) -> Vec<IpNet> {
        match (self.first_addr(), self.last_addr()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect(),
            (IpAddr::V6(a), IpAddr::V6(b)) => Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect(),
            _ => Vec::new(),
        }
    }
}

fn addr(v6: bool, n: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        // A v4 range holds only values that came from u32 addresses.
        IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().expect("net")
    }

    #[test]
    fn overlapping_and_adjacent_prefixes_merge_and_keep_the_latest_expiry() {
        let merged = merge(&[
            (net("198.51.100.0/25"), Some(10)),
            (net("198.51.100.128/25"), Some(30)),
            (net("198.51.100.7/32"), Some(20)),
            (net("203.0.113.9/32"), None),
            (net("203.0.113.10/32"), Some(5)),
            (net("2001:db8::/64"), Some(1)),
            (net("192.0.2.1/32"), Some(1)),
        ]);
        let shown: Vec<String> = merged
            .iter()
            .map(|r| format!("{}-{} {:?}", r.first_addr(), r.last_addr(), r.expires))
            .collect();
        assert_eq!(
            shown,
            [
                "192.0.2.1-192.0.2.1 Some(1)",
                "198.51.100.0-198.51.100.255 Some(30)",
                "203.0.113.9-203.0.113.10 None",
                "2001:db8::-2001:db8::ffff:ffff:ffff:ffff Some(1)",
            ]
        );
        assert_eq!(merged[1].prefixes(), vec![net("198.51.100.0/24")]);
        assert_eq!(
            merged[2].prefixes(),
            vec![net("203.0.113.9/32"), net("203.0.113.10/32")]
        );
    }

    /// The fuzz target's invariants (`fuzz/fuzz_targets/act_ranges.rs`) over seeded random
    /// lists, on every `cargo test`: sorted, disjoint, not adjacent, exact cover.
    #[test]
    fn random_lists_merge_into_an_exact_disjoint_cover() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..500 {
            let n = next() % 40;
            let nets: Vec<(IpNet, Option<i64>)> = (0..n)
                .map(|i| {
                    let r = next();
                    // A small address space, so prefixes overlap and touch often.
                    let net = if r % 2 == 0 {
                        let a = u32::from_be_bytes([198, 51, 100, (r >> 8) as u8 & 0x3f]);
                        IpNet::V4(
                            ipnet::Ipv4Net::new(a.into(), 26 + (r >> 16) as u8 % 7)
                                .expect("prefix")
                                .trunc(),
                        )
                    } else {
                        let a = (0x2001_0db8u128 << 96) | u128::from((r >> 8) & 0xff);
                        IpNet::V6(
                            ipnet::Ipv6Net::new(a.into(), 120 + (r >> 16) as u8 % 9)
                                .expect("prefix")
                                .trunc(),
                        )
                    };
                    (net, (i % 3 != 0).then_some(i as i64))
                })
                .collect();
            let ranges = merge(&nets);
            for w in ranges.windows(2) {
                assert!((w[0].v6, w[0].last) < (w[1].v6, w[1].first));
                assert!(w[0].v6 != w[1].v6 || w[0].last + 1 < w[1].first);
            }
            for r in &ranges {
                let mut at = r.first;
                for p in r.prefixes() {
                    let (_, first, last) = bounds(&p);
                    assert_eq!(first, at);
                    at = last + 1;
                }
                assert_eq!(at - 1, r.last);
            }
            for (n, _) in &nets {
                let (v6, first, last) = bounds(n);
                assert!(ranges
                    .iter()
                    .any(|r| r.v6 == v6 && r.first <= first && last <= r.last));
            }
            assert_eq!(ranges.iter().map(|r| r.sources).sum::<usize>(), nets.len());
        }
    }
}
