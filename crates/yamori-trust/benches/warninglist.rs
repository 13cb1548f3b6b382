//! Warninglist lookups per second: indicators (addresses, prefixes, hostnames) matched against
//! lists of several thousand entries, the size of the public cloud-range lists.
//!
//! `cargo bench -p yamori-trust --bench warninglist` (throughput in elements/s = lookups/s).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipnet::IpNet;
use yamori_trust::warninglist::{Entries, ListKind, WarningList, Warninglists};

/// Listed IPv4 prefixes (lengths /12–/32) and IPv6 prefixes (/32–/64).
const LISTED_V4: usize = 8_000;
const LISTED_V6: usize = 2_000;
/// Listed hostnames.
const LISTED_HOSTS: usize = 10_000;
/// Indicators per timed batch.
const BATCH: usize = 100_000;

/// xorshift64*: deterministic input without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn list(name: &str, kind: ListKind, entries: Entries) -> WarningList {
    WarningList {
        name: name.into(),
        version: 1,
        description: "benchmark".into(),
        kind,
        matching_attributes: Vec::new(),
        category: None,
        entries,
    }
}

fn lists(rng: &mut Rng) -> Warninglists {
    let mut nets = Vec::new();
    for _ in 0..LISTED_V4 {
        let len = 12 + (rng.next() % 21) as u8;
        let addr = Ipv4Addr::from(rng.next() as u32);
        nets.push(IpNet::new(IpAddr::V4(addr), len).expect("len ≤ 32").trunc());
    }
    for _ in 0..LISTED_V6 {
        let len = 32 + (rng.next() % 33) as u8;
        let addr = Ipv6Addr::from((0x2000u128 << 112) | u128::from(rng.next()) << 64);
        nets.push(
            IpNet::new(IpAddr::V6(addr), len)
                .expect("len ≤ 128")
                .trunc(),
        );
    }
    let hosts = (0..LISTED_HOSTS)
        .map(|i| format!("h{i}.example{}.test", i % 97))
        .collect();
    Warninglists::new([
        list("cidr", ListKind::Cidr, Entries::Networks(nets)),
        list("hosts", ListKind::Hostname, Entries::Texts(hosts)),
    ])
    .expect("benchmark lists")
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let all = lists(&mut rng);
    let addrs: Vec<IpNet> = (0..BATCH)
        .map(|_| IpNet::from(IpAddr::V4(Ipv4Addr::from(rng.next() as u32))))
        .collect();
    let prefixes: Vec<IpNet> = (0..BATCH)
        .map(|_| {
            let len = 8 + (rng.next() % 25) as u8;
            IpNet::new(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)), len)
                .expect("len ≤ 32")
                .trunc()
        })
        .collect();
    let v6: Vec<IpNet> = (0..BATCH)
        .map(|_| {
            let a = (0x2000u128 << 112) | u128::from(rng.next()) << 64 | u128::from(rng.next());
            IpNet::from(IpAddr::V6(Ipv6Addr::from(a)))
        })
        .collect();
    let names: Vec<String> = (0..BATCH)
        .map(|_| {
            let i = rng.next() % (2 * LISTED_HOSTS as u64);
            format!("www.h{i}.example{}.test", i % 97)
        })
        .collect();

    let mut group = c.benchmark_group("warninglist");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("ipv4_address_listed", |b| {
        b.iter(|| addrs.iter().filter(|n| all.network_listed(**n)).count())
    });
    group.bench_function("ipv4_prefix_all_matches", |b| {
        b.iter(|| {
            prefixes
                .iter()
                .map(|n| all.match_network(*n).len())
                .sum::<usize>()
        })
    });
    group.bench_function("ipv6_address_listed", |b| {
        b.iter(|| v6.iter().filter(|n| all.network_listed(**n)).count())
    });
    group.bench_function("hostname_match_value", |b| {
        b.iter(|| {
            names
                .iter()
                .filter(|n| !all.match_value(black_box(n)).is_empty())
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
