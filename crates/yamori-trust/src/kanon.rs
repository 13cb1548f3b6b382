//! k-anonymity of shared host records (Sweeney, "k-anonymity: a model for protecting
//! privacy", 2002).
//!
//! Records (a victim's or a surveyed host's address and autonomous system) are shared after
//! *generalisation*: the address is cut to a prefix (e.g. /24 for IPv4, /48 for IPv6) and the
//! AS kept or dropped. Records whose generalised values are equal form an *equivalence class*:
//! a recipient cannot tell its members apart. The data set is *k-anonymous* when every class
//! has at least `k` members; its k is the size of its smallest class. A class below the
//! policy's minimum singles out fewer than `k` hosts: the push is refused, or those records are
//! generalised further or left out.
//!
//! An empty set of records has no classes; its k is reported as `None` and satisfies any
//! minimum (nothing is shared).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

/// A shared record's quasi-identifiers: the host address and its autonomous system, if known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostRecord {
    pub addr: IpAddr,
    pub asn: Option<u32>,
}

/// How records are generalised before sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generalisation {
    /// Prefix length IPv4 addresses are cut to (0–32).
    pub v4_prefix: u8,
    /// Prefix length IPv6 addresses are cut to (0–128).
    pub v6_prefix: u8,
    /// Whether the AS is shared (part of the class) or dropped.
    pub keep_asn: bool,
}

impl Default for Generalisation {
    /// /24 and /48 with the AS: the usual granularity of routing and abuse contacts.
    fn default() -> Self {
        Generalisation {
            v4_prefix: 24,
            v6_prefix: 48,
            keep_asn: true,
        }
    }
}

/// A generalised record: the class it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassKey {
    pub prefix: IpNet,
    pub asn: Option<u32>,
}

impl Generalisation {
    /// The class of one record (prefix lengths above the family's width are capped to it).
    pub fn class_of(&self, record: &HostRecord) -> ClassKey {
        let prefix = match record.addr {
            IpAddr::V4(a) => IpNet::V4(
                ipnet::Ipv4Net::new(a, self.v4_prefix.min(32))
                    .map(|n| n.trunc())
                    .unwrap_or_default(),
            ),
            IpAddr::V6(a) => IpNet::V6(
                ipnet::Ipv6Net::new(a, self.v6_prefix.min(128))
                    .map(|n| n.trunc())
                    .unwrap_or_default(),
            ),
        };
        ClassKey {
            prefix,
            asn: if self.keep_asn { record.asn } else { None },
        }
    }
}

/// The equivalence classes of a record set and its k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anonymity {
    /// Class → number of records in it, in class order.
    pub classes: BTreeMap<ClassKey, usize>,
    /// Size of the smallest class; `None` for no records.
    pub k: Option<usize>,
}

impl Anonymity {
    /// Groups `records` under `generalisation`.
    pub fn measure<'a>(
        records: impl IntoIterator<Item = &'a HostRecord>,
        generalisation: &Generalisation,
    ) -> Anonymity {
        let mut classes = BTreeMap::new();
        for r in records {
            *classes.entry(generalisation.class_of(r)).or_insert(0) += 1;
        }
        let k = classes.values().copied().min();
        Anonymity { classes, k }
    }

    /// The classes with fewer than `min_k` members, with their sizes (what a policy with that
    /// minimum refuses to share as is).
    pub fn below(&self, min_k: usize) -> Vec<(ClassKey, usize)> {
        self.classes
            .iter()
            .filter(|(_, &n)| n < min_k)
            .map(|(c, &n)| (*c, n))
            .collect()
    }

    /// Whether every class has at least `min_k` members (true for no records).
    pub fn satisfies(&self, min_k: usize) -> bool {
        self.k.is_none_or(|k| k >= min_k)
    }
}
