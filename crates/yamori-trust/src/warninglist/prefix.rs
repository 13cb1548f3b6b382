//! A static set of IP prefixes answering, for any query prefix, which listed prefixes contain
//! it and which it contains.
//!
//! CIDR prefixes either nest or are disjoint, so the two questions split cleanly:
//! * listed prefixes *containing* the query (its ancestors, or itself) sit at lengths ≤ the
//!   query's, each at exactly one start (the query's address masked to that length): one
//!   binary search per distinct length present in the set (at most 33 for IPv4, 129 for IPv6,
//!   a handful in real lists);
//! * listed prefixes *inside* the query start within the query's range: one binary search in
//!   all entries sorted by start, then a scan over that range.
//!
//! Sorted vectors rather than a bit trie: a few bytes per entry, no pointers, and the lookups
//! are cache-friendly binary searches (see the benchmark in `benches/warninglist.rs`).

use std::net::IpAddr;
use std::ops::ControlFlow;

use ipnet::IpNet;

/// How a listed prefix relates to the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// The listed prefix is the query.
    Equal,
    /// The listed prefix contains the query (an indicator for a /25 inside a listed /24).
    ListedContainsQuery,
    /// The query contains the listed prefix (an indicator for a /16 around a listed /24).
    QueryContainsListed,
}

/// One listed prefix that overlaps a query, and the value attached to it (a list id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrefixHit<T> {
    pub listed: IpNet,
    pub relation: Relation,
    pub value: T,
}

/// The prefixes of one address family, as integers of `WIDTH` bits.
#[derive(Debug, Clone)]
struct Family<T> {
    width: u8,
    /// Per distinct length, ascending: (length, [(start, value)] sorted by start).
    levels: Vec<(u8, Vec<(u128, T)>)>,
    /// Every entry as (start, length, value), sorted by start then length.
    by_start: Vec<(u128, u8, T)>,
}

impl<T: Copy + Ord> Family<T> {
    fn new(width: u8, mut entries: Vec<(u128, u8, T)>) -> Family<T> {
        entries.sort_unstable();
        entries.dedup();
        let mut levels: Vec<(u8, Vec<(u128, T)>)> = Vec::new();
        let mut by_len = entries.clone();
        by_len.sort_unstable_by_key(|&(start, len, value)| (len, start, value));
        for (start, len, value) in by_len {
            match levels.last_mut() {
                Some((l, v)) if *l == len => v.push((start, value)),
                _ => levels.push((len, vec![(start, value)])),
            }
        }
        Family {
            width,
            levels,
            by_start: entries,
        }
    }

    fn to_net(&self, start: u128, len: u8) -> IpNet {
        let net = if self.width == 32 {
            // Entries of the IPv4 family were built from u32 values.
            let addr = std::net::Ipv4Addr::from(u32::try_from(start).unwrap_or(u32::MAX));
            ipnet::Ipv4Net::new(addr, len).map(IpNet::V4)
        } else {
            ipnet::Ipv6Net::new(std::net::Ipv6Addr::from(start), len).map(IpNet::V6)
        };
        // Lengths were taken from valid networks of this family.
        net.unwrap_or_else(|_| IpNet::from(IpAddr::from([0, 0, 0, 0])))
    }

    fn visit(
        &self,
        start: u128,
        len: u8,
        f: &mut impl FnMut(PrefixHit<T>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        // Listed prefixes containing the query (or equal to it).
        for (level_len, starts) in &self.levels {
            if *level_len > len {
                break;
            }
            let key = start & mask(self.width, *level_len);
            let from = starts.partition_point(|&(s, _)| s < key);
            for &(s, value) in starts[from..].iter().take_while(|&&(s, _)| s == key) {
                let relation = if *level_len == len {
                    Relation::Equal
                } else {
                    Relation::ListedContainsQuery
                };
                f(PrefixHit {
                    listed: self.to_net(s, *level_len),
                    relation,
                    value,
                })?;
            }
        }
        // Listed prefixes strictly inside the query: they start within its range and are
        // longer (a shorter or equal one starting there contains the query: reported above).
        let end = start | (all_bits(self.width) & !mask(self.width, len));
        let from = self.by_start.partition_point(|&(s, _, _)| s < start);
        for &(s, l, value) in self.by_start[from..]
            .iter()
            .take_while(|&&(s, _, _)| s <= end)
        {
            if l > len {
                f(PrefixHit {
                    listed: self.to_net(s, l),
                    relation: Relation::QueryContainsListed,
                    value,
                })?;
            }
        }
        ControlFlow::Continue(())
    }
}

/// The network bits of a prefix of length `len` in an address of `width` bits, as the low
/// `width` bits of a u128.
fn mask(width: u8, len: u8) -> u128 {
    if len == 0 {
        return 0;
    }
    let host_bits = u32::from(width - len.min(width));
    all_bits(width) & !((1u128 << host_bits) - 1)
}

/// The low `width` bits set.
fn all_bits(width: u8) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

fn family_key(net: &IpNet) -> (bool, u128, u8) {
    match net {
        IpNet::V4(n) => (true, u128::from(u32::from(n.network())), n.prefix_len()),
        IpNet::V6(n) => (false, u128::from(n.network()), n.prefix_len()),
    }
}

/// A static set of prefixes, each carrying a value (a list id; one prefix may carry several).
#[derive(Debug, Clone)]
pub struct PrefixSet<T> {
    v4: Family<T>,
    v6: Family<T>,
}

impl<T: Copy + Ord> PrefixSet<T> {
    /// Builds the set; duplicate (prefix, value) pairs are kept once.
    pub fn new(entries: impl IntoIterator<Item = (IpNet, T)>) -> PrefixSet<T> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (net, value) in entries {
            let (is_v4, start, len) = family_key(&net.trunc());
            if is_v4 {
                v4.push((start, len, value));
            } else {
                v6.push((start, len, value));
            }
        }
        PrefixSet {
            v4: Family::new(32, v4),
            v6: Family::new(128, v6),
        }
    }

    /// Number of (prefix, value) pairs.
    pub fn len(&self) -> usize {
        self.v4.by_start.len() + self.v6.by_start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` for each listed prefix overlapping `query` (containing it, equal to it, or
    /// inside it) until `f` breaks. Containing prefixes come first, shortest first.
    pub fn visit(
        &self,
        query: IpNet,
        mut f: impl FnMut(PrefixHit<T>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let (is_v4, start, len) = family_key(&query.trunc());
        if is_v4 {
            self.v4.visit(start, len, &mut f)
        } else {
            self.v6.visit(start, len, &mut f)
        }
    }

    /// Every listed prefix overlapping `query`.
    pub fn overlapping(&self, query: IpNet) -> Vec<PrefixHit<T>> {
        let mut hits = Vec::new();
        let _ = self.visit(query, |h| {
            hits.push(h);
            ControlFlow::Continue(())
        });
        hits
    }

    /// Whether any listed prefix overlaps `query`.
    pub fn overlaps(&self, query: IpNet) -> bool {
        self.visit(query, |_| ControlFlow::Break(())).is_break()
    }
}
