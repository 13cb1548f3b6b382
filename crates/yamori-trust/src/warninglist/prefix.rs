//! A static set of IP prefixes answering, for any query prefix, which listed prefixes contain
//! it and which it contains.
//!
//! CIDR prefixes either nest or are disjoint. The set keeps its distinct prefixes sorted by
//! (start, length) with, for each, the index of its *parent* (the nearest listed prefix
//! containing it). For a query `q`:
//! * listed prefixes *inside* `q` start within `q`'s range: one binary search, then a scan over
//!   that range;
//! * listed prefixes *containing* `q` all start at or before `q`'s start, and every entry
//!   sorted between such a prefix and the last entry starting at or before `q` lies inside
//!   it; so they are found by walking the parent chain up from that last entry (a handful of
//!   steps: the nesting depth), after one binary search.
//!
//! Sorted vectors rather than a bit trie: a few bytes per prefix, no pointers, and two binary
//! searches per lookup (see the benchmark in `benches/warninglist.rs`).

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

/// No parent: the prefix is not inside any other listed prefix.
const NO_PARENT: u32 = u32::MAX;

/// The prefixes of one address family, as integers of `width` bits.
#[derive(Debug, Clone)]
struct Family<T> {
    width: u8,
    /// Distinct prefixes sorted by (start, length): their starts, lengths and parents.
    starts: Vec<u128>,
    lens: Vec<u8>,
    parents: Vec<u32>,
    /// Values of prefix `i`: `values[value_from[i]..value_from[i + 1]]`.
    value_from: Vec<u32>,
    values: Vec<T>,
}

impl<T: Copy + Ord> Family<T> {
    fn new(width: u8, mut entries: Vec<(u128, u8, T)>) -> Family<T> {
        entries.sort_unstable();
        entries.dedup();
        let mut family = Family {
            width,
            starts: Vec::new(),
            lens: Vec::new(),
            parents: Vec::new(),
            value_from: Vec::new(),
            values: Vec::with_capacity(entries.len()),
        };
        // Open prefixes, outermost first: the parent of the next prefix is the innermost one
        // still containing it.
        let mut open: Vec<u32> = Vec::new();
        for (start, len, value) in entries {
            let same = family.starts.last() == Some(&start) && family.lens.last() == Some(&len);
            if !same {
                let index = u32::try_from(family.starts.len()).unwrap_or(NO_PARENT);
                while let Some(&top) = open.last() {
                    if family.contains(top as usize, start, len) {
                        break;
                    }
                    open.pop();
                }
                family
                    .parents
                    .push(open.last().copied().unwrap_or(NO_PARENT));
                family.starts.push(start);
                family.lens.push(len);
                family
                    .value_from
                    .push(u32::try_from(family.values.len()).unwrap_or(u32::MAX));
                open.push(index);
            }
            family.values.push(value);
        }
        family
            .value_from
            .push(u32::try_from(family.values.len()).unwrap_or(u32::MAX));
        family
    }

    /// Whether listed prefix `i` contains (or equals) the prefix (`start`, `len`).
    fn contains(&self, i: usize, start: u128, len: u8) -> bool {
        self.lens[i] <= len && start & mask(self.width, self.lens[i]) == self.starts[i]
    }

    fn to_net(&self, i: usize) -> IpNet {
        let (start, len) = (self.starts[i], self.lens[i]);
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

    fn report(
        &self,
        i: usize,
        relation: Relation,
        f: &mut impl FnMut(PrefixHit<T>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let listed = self.to_net(i);
        let values = &self.values[self.value_from[i] as usize..self.value_from[i + 1] as usize];
        for &value in values {
            f(PrefixHit {
                listed,
                relation,
                value,
            })?;
        }
        ControlFlow::Continue(())
    }

    fn visit(
        &self,
        start: u128,
        len: u8,
        f: &mut impl FnMut(PrefixHit<T>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        // Listed prefixes containing the query (or equal to it), most specific first: up the
        // parent chain from the last prefix starting at or before the query.
        let after = self.starts.partition_point(|&s| s <= start);
        let mut at = after.checked_sub(1);
        while let Some(i) = at {
            if self.contains(i, start, len) {
                let relation = if self.lens[i] == len {
                    Relation::Equal
                } else {
                    Relation::ListedContainsQuery
                };
                self.report(i, relation, f)?;
            }
            at = match self.parents[i] {
                NO_PARENT => None,
                p => Some(p as usize),
            };
        }
        // Listed prefixes strictly inside the query: they start within its range and are
        // longer (a shorter or equal one starting there contains the query: reported above).
        let end = start | (all_bits(self.width) & !mask(self.width, len));
        let from = self.starts.partition_point(|&s| s < start);
        for i in from..self.starts.len() {
            if self.starts[i] > end {
                break;
            }
            if self.lens[i] > len {
                self.report(i, Relation::QueryContainsListed, f)?;
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

    /// Number of distinct (prefix, value) pairs.
    pub fn len(&self) -> usize {
        self.v4.values.len() + self.v6.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` for each listed prefix overlapping `query` (containing it, equal to it, or
    /// inside it) until `f` breaks. Containing prefixes come first, the most specific first.
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
