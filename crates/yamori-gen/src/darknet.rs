//! The darknet as a flat index space (so scanners can walk it by permutation) and the
//! allocator that hands every simulated host its own address.
use ipnet::{IpNet, Ipv6Net};

use crate::rng::{mix32, Rng};
use crate::GenError;

pub(crate) struct Darknet {
    /// IPv4 prefixes as (first address, size, index of the first address in the flat space).
    v4: Vec<(u32, u64, u64)>,
    v4_size: u64,
    v6: Vec<Ipv6Net>,
}

impl Darknet {
    pub(crate) fn new(nets: &[IpNet]) -> Result<Self, GenError> {
        for (i, a) in nets.iter().enumerate() {
            for b in &nets[i + 1..] {
                if a.contains(b) || b.contains(a) {
                    return Err(GenError::OverlappingPrefixes(a.to_string(), b.to_string()));
                }
            }
        }
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut v4_size = 0u64;
        for net in nets {
            match net.trunc() {
                IpNet::V4(n) => {
                    let size = 1u64 << (32 - n.prefix_len());
                    v4.push((u32::from(n.network()), size, v4_size));
                    v4_size += size;
                }
                IpNet::V6(n) => v6.push(n),
            }
        }
        Ok(Self { v4, v4_size, v6 })
    }

    pub(crate) fn v4_size(&self) -> u64 {
        self.v4_size
    }

    /// The `idx`-th IPv4 darknet address (`idx < v4_size`).
    pub(crate) fn v4_at(&self, idx: u64) -> u32 {
        let pos = self.v4.partition_point(|&(_, _, start)| start <= idx) - 1;
        let (base, _, start) = self.v4[pos];
        base.wrapping_add((idx - start) as u32)
    }

    pub(crate) fn contains_v4(&self, a: u32) -> bool {
        self.v4
            .iter()
            .any(|&(base, size, _)| u64::from(a.wrapping_sub(base)) < size && a >= base)
    }

    pub(crate) fn contains_v6(&self, a: u128) -> bool {
        self.v6
            .iter()
            .any(|n| n.contains(&std::net::Ipv6Addr::from(a)))
    }

    /// A random address inside one of the IPv6 prefixes.
    pub(crate) fn random_v6(&self, rng: &mut Rng) -> Option<u128> {
        if self.v6.is_empty() {
            return None;
        }
        let net = self.v6[rng.below(self.v6.len() as u64) as usize];
        let host_bits = 128 - u32::from(net.prefix_len());
        let host = if host_bits == 0 {
            0
        } else {
            ((u128::from(rng.u64()) << 64) | u128::from(rng.u64())) >> (128 - host_bits)
        };
        Some(u128::from(net.network()) | host)
    }
}

/// True for addresses a real Internet source could have: not reserved, private, loopback,
/// documentation, multicast or class E, and not ending in .0 or .255 (the analyzer treats those
/// as spoofed, so only the deliberately erratic sources use them).
pub(crate) fn plausible_public_v4(a: u32) -> bool {
    const RESERVED: [(u32, u32); 13] = [
        (0x0000_0000, 8),  // 0/8
        (0x0a00_0000, 8),  // 10/8
        (0x6440_0000, 10), // 100.64/10
        (0x7f00_0000, 8),  // 127/8
        (0xa9fe_0000, 16), // 169.254/16
        (0xac10_0000, 12), // 172.16/12
        (0xc000_0000, 24), // 192.0.0/24
        (0xc000_0200, 24), // 192.0.2/24
        (0xc0a8_0000, 16), // 192.168/16
        (0xc612_0000, 15), // 198.18/15
        (0xc633_6400, 24), // 198.51.100/24
        (0xcb00_7100, 24), // 203.0.113/24
        (0xe000_0000, 3),  // 224/4 multicast and 240/4 class E
    ];
    let last = a & 0xff;
    last != 0
        && last != 255
        && !RESERVED
            .iter()
            .any(|&(net, len)| (a ^ net) >> (32 - len) == 0)
}

/// Hands out addresses that are never handed out twice, so every simulated host is its own
/// source in the analysis and ground truth per source stays exact.
pub(crate) struct AddrAlloc {
    counter: u32,
    key_in: u32,
    key_out: u32,
    edge_counter: u32,
    edge_key: u32,
    v6_counter: u64,
    v6_pool: u128,
}

/// Documentation prefixes (RFC 9637 3fff::/20, RFC 3849 2001:db8::/32) for IPv6 sources and
/// outside destinations; the first one that does not overlap the darknet is used.
const V6_POOLS: [(u128, u8); 2] = [
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20),
    (0x2001_0db8_f000_0000_0000_0000_0000_0000, 36),
];

impl AddrAlloc {
    pub(crate) fn new(rng: &mut Rng, dn: &Darknet) -> Self {
        let overlaps = |&(addr, len): &(u128, u8)| {
            let pool = Ipv6Net::new(addr.into(), len).map(|n| n.trunc());
            dn.v6.iter().any(|n| match pool {
                Ok(p) => n.contains(&p) || p.contains(n),
                Err(_) => true,
            })
        };
        let v6_pool = V6_POOLS
            .iter()
            .find(|p| !overlaps(p))
            .map_or(V6_POOLS[0].0, |p| p.0);
        Self {
            counter: 0,
            key_in: rng.u32(),
            key_out: rng.u32(),
            edge_counter: 0,
            edge_key: rng.u32() & 0x00ff_ffff,
            v6_counter: 0,
            v6_pool,
        }
    }

    /// A fresh, plausible public IPv4 address outside the darknet.
    pub(crate) fn v4(&mut self, dn: &Darknet) -> u32 {
        loop {
            let a = mix32(self.counter ^ self.key_in) ^ self.key_out;
            self.counter = self.counter.wrapping_add(1);
            if plausible_public_v4(a) && !dn.contains_v4(a) {
                return a;
            }
        }
    }

    /// A fresh address ending in .0 or .255, in a /24 no other edge address uses
    /// (an odd multiplier is a bijection modulo 2^24).
    pub(crate) fn v4_edge(&mut self, dn: &Darknet) -> u32 {
        loop {
            let prefix = self
                .edge_counter
                .wrapping_mul(0x9e_3779)
                .wrapping_add(self.edge_key)
                & 0x00ff_ffff;
            self.edge_counter = self.edge_counter.wrapping_add(1);
            let a = (prefix << 8)
                | if self.edge_counter.is_multiple_of(2) {
                    0
                } else {
                    255
                };
            if plausible_public_v4(prefix << 8 | 1) && !dn.contains_v4(a) {
                return a;
            }
        }
    }

    /// A fresh IPv6 source address (documentation space).
    pub(crate) fn v6(&mut self) -> u128 {
        self.v6_counter += 1;
        self.v6_pool | (u128::from(mix32(self.v6_counter as u32)) << 64) | 0x1
    }

    /// An IPv6 destination outside any darknet prefix.
    pub(crate) fn v6_outside(&self, rng: &mut Rng) -> u128 {
        self.v6_pool | (0xffff_u128 << 80) | u128::from(rng.u64())
    }
}

/// A random IPv4 destination outside the darknet (not necessarily fresh).
pub(crate) fn v4_outside(rng: &mut Rng, dn: &Darknet) -> u32 {
    loop {
        let a = rng.u32();
        if plausible_public_v4(a) && !dn.contains_v4(a) {
            return a;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(nets: &[&str]) -> Darknet {
        let nets: Vec<IpNet> = nets.iter().map(|n| n.parse().expect("prefix")).collect();
        Darknet::new(&nets).expect("valid darknet")
    }

    #[test]
    fn flat_index_covers_every_prefix() {
        let d = dn(&["203.0.113.0/24", "198.51.100.128/25"]);
        assert_eq!(d.v4_size(), 384);
        assert_eq!(
            d.v4_at(0),
            u32::from(std::net::Ipv4Addr::new(203, 0, 113, 0))
        );
        assert_eq!(
            d.v4_at(255),
            u32::from(std::net::Ipv4Addr::new(203, 0, 113, 255))
        );
        assert_eq!(
            d.v4_at(256),
            u32::from(std::net::Ipv4Addr::new(198, 51, 100, 128))
        );
        for i in 0..384 {
            assert!(d.contains_v4(d.v4_at(i)));
        }
        assert!(!d.contains_v4(u32::from(std::net::Ipv4Addr::new(198, 51, 100, 127))));
    }

    #[test]
    fn overlapping_prefixes_are_rejected() {
        let nets: Vec<IpNet> = ["10.0.0.0/8", "10.1.0.0/16"]
            .iter()
            .map(|n| n.parse().expect("prefix"))
            .collect();
        assert!(matches!(
            Darknet::new(&nets),
            Err(GenError::OverlappingPrefixes(..))
        ));
    }

    #[test]
    fn allocated_addresses_are_distinct_and_plausible() {
        let d = dn(&["203.0.113.0/24"]);
        let mut rng = Rng::new(1);
        let mut alloc = AddrAlloc::new(&mut rng, &d);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50_000 {
            let a = alloc.v4(&d);
            assert!(plausible_public_v4(a) && !d.contains_v4(a));
            assert!(seen.insert(a));
            let e = alloc.v4_edge(&d);
            assert!(matches!(e & 0xff, 0 | 255));
            assert!(seen.insert(e));
        }
    }
}
