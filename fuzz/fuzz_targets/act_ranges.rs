//! The prefix merge behind nftables and ipset exports: output sorted, disjoint, not adjacent,
//! each range's prefixes covering exactly it, and every input prefix inside one range.
#![no_main]
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use libfuzzer_sys::fuzz_target;
use yamori_act::ranges::{bounds, merge};

fuzz_target!(|data: &[u8]| {
    // 18 bytes a prefix: family, length, 16 address bytes (IPv4 uses the first four).
    let nets: Vec<(IpNet, Option<i64>)> = data
        .chunks_exact(18)
        .enumerate()
        .filter_map(|(i, c)| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&c[2..18]);
            let net = if c[0] & 1 == 0 {
                Ipv4Net::new([a[0], a[1], a[2], a[3]].into(), c[1] % 33)
                    .ok()
                    .map(|n| IpNet::V4(n.trunc()))
            } else {
                Ipv6Net::new(a.into(), c[1] % 129)
                    .ok()
                    .map(|n| IpNet::V6(n.trunc()))
            }?;
            Some((net, (i % 3 != 0).then_some(i as i64)))
        })
        .collect();
    let ranges = merge(&nets);
    for w in ranges.windows(2) {
        let (a, b) = (w[0], w[1]);
        assert!((a.v6, a.last) < (b.v6, b.first));
        assert!(
            a.v6 != b.v6 || a.last + 1 < b.first,
            "adjacent ranges were not merged"
        );
    }
    for r in &ranges {
        assert!(r.first <= r.last);
        let mut next = r.first;
        for p in r.prefixes() {
            let (v6, first, last) = bounds(&p);
            assert_eq!(v6, r.v6);
            assert_eq!(first, next);
            next = last.wrapping_add(1);
        }
        assert_eq!(next.wrapping_sub(1), r.last);
    }
    for (n, _) in &nets {
        let (v6, first, last) = bounds(n);
        assert!(ranges
            .iter()
            .any(|r| r.v6 == v6 && r.first <= first && last <= r.last));
    }
});
