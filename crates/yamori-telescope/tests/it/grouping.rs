//! Past 65,536 tracked sources the analyzer applies source updates grouped by source instead
//! of in arrival order (for the caches); the report must not change.

use crate::helpers::*;
use yamori_telescope::Config;
use yamori_wire::{Addr, Packet, Transport};

/// The i-th address after `base` that does not end in .0 or .255 (those are erratic).
fn host(base: u32, i: u32) -> Addr {
    Addr::V4(base | ((i / 250) << 8) | (1 + i % 250))
}

/// 90,000 one-packet sources (past the grouping threshold), then 60 scanners whose probes
/// interleave with 30,000 more stragglers over two windows; every third scanner carries the
/// Mirai fingerprint (sequence number = destination).
fn capture() -> Vec<Packet> {
    let mut pkts: Vec<Packet> = (0..90_000u32)
        .map(|i| {
            syn(
                T0 + u64::from(i) * 10_000,
                host(0x0B00_0000, i),
                dark(i % 60_000),
                23,
            )
        })
        .collect();
    let start = T0 + 1800 * SEC;
    for k in 0..36_000u32 {
        let s = k % 60;
        let mut p = syn(
            start + u64::from(k) * 100_000_000,
            Addr::V4(0xC000_0201 + s),
            dark(k / 60 + s),
            [23, 2323, 80][(k % 3) as usize],
        );
        if let (Transport::Tcp(t), Addr::V4(d), true) = (&mut p.transport, p.dst, s % 3 == 0) {
            t.seq = d;
        }
        pkts.push(p);
        if k % 6 == 0 {
            let st = host(0x0C00_0000, k);
            pkts.push(udp(start + u64::from(k) * 100_000_000, st, dark(k), 53));
        }
    }
    pkts
}

#[test]
fn grouped_updates_give_the_arrival_order_report() {
    let pkts = capture();
    // 1 GiB: far from the budget, so updates are grouped. 200 MiB: the budget is within one
    // chunk's worst-case growth (32,768 updates × 8 KiB), so they are applied in arrival
    // order; it still admits every source (the state here is a few tens of MiB).
    let grouped = analyze(cfg(), &pkts);
    let ordered = analyze(
        Config {
            state_budget_bytes: 200 << 20,
            ..cfg()
        },
        &pkts,
    );
    assert_eq!(grouped.totals.distinct_sources, 90_000 + 60 + 6_000);
    assert_eq!(grouped.totals.untracked_sources, 0);
    assert_eq!(grouped.scanners.len(), 60, "every scanner found");
    let mirai = grouped
        .scanners
        .iter()
        .filter(|s| format!("{:?}", s.tool).to_lowercase().contains("mirai"))
        .count();
    assert_eq!(mirai, 20);
    assert_eq!(json(&grouped), json(&ordered));
}
