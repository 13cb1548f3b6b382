//! Arbitrary packets (odd timestamps, flags, addresses) never panic and the totals add up.

use crate::helpers::*;
use proptest::prelude::*;
use yamori_telescope::Analyzer;
use yamori_wire::{Addr, Icmp, Packet, Quoted, Tcp, Transport, Udp};

fn addr() -> impl Strategy<Value = Addr> {
    prop_oneof![
        (0u32..1024).prop_map(|i| Addr::V4(0x0A00_0000 | i)), // darknet 10.0.0.0/16
        any::<u32>().prop_map(Addr::V4),
        (0u128..64).prop_map(|i| Addr::V6(0x2001_0db8_dead_u128 << 80 | i)),
        any::<u128>().prop_map(Addr::V6),
    ]
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![
        (any::<u16>(), any::<u16>(), any::<u32>(), any::<u8>()).prop_map(|(s, d, seq, flags)| {
            Transport::Tcp(Tcp {
                src_port: s,
                dst_port: d,
                seq,
                ack: 0,
                flags,
                window: 0,
                has_options: false,
            })
        }),
        (any::<u16>(), any::<u16>()).prop_map(|(s, d)| Transport::Udp(Udp {
            src_port: s,
            dst_port: d
        })),
        (
            any::<bool>(),
            any::<u8>(),
            addr(),
            proptest::option::of(any::<u16>())
        )
            .prop_map(|(v6, t, victim, port)| Transport::Icmp(Icmp {
                v6,
                icmp_type: t,
                code: 0,
                quoted: Some(Quoted {
                    src: victim,
                    dst: victim,
                    protocol: 6,
                    src_port: port,
                    dst_port: port,
                }),
            })),
        any::<u8>().prop_map(|protocol| Transport::Fragment { protocol }),
        any::<u8>().prop_map(|protocol| Transport::Other {
            protocol,
            truncated: true
        }),
    ]
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        prop_oneof![
            Just(0u64),
            Just(u64::MAX),
            T0..T0 + 7 * 3600 * SEC,
            any::<u64>()
        ],
        addr(),
        addr(),
        any::<u8>(),
        any::<u16>(),
        any::<bool>(),
        transport(),
    )
        .prop_map(|(ts_ns, src, dst, ttl, id, fragment, transport)| Packet {
            ts_ns,
            ip_len: 40,
            src,
            dst,
            ttl,
            ip_id: Some(id),
            fragment,
            transport,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn totals_add_up_on_arbitrary_input(pkts in prop::collection::vec(packet(), 0..300), junk in 0u32..5) {
        let mut an = Analyzer::new(cfg());
        for p in &pkts {
            an.observe(p, 60);
        }
        for i in 0..junk {
            an.observe_undecodable(u64::from(i), 10);
        }
        let r = an.finish(None);
        let t = &r.totals;
        prop_assert_eq!(t.packets, pkts.len() as u64 + u64::from(junk));
        prop_assert_eq!(t.darknet_packets + t.outside + t.undecodable, t.packets);
        prop_assert_eq!(t.by_category.values().sum::<u64>(), t.darknet_packets);
        prop_assert_eq!(t.ipv4 + t.ipv6, t.darknet_packets + t.outside);
        prop_assert!(t.erratic.values().sum::<u64>() <= t.darknet_packets);
        let series: u64 = r.timeseries.iter().map(|m| m.counts.iter().sum::<u64>()).sum();
        prop_assert_eq!(series, t.darknet_packets);
        let clean = t.darknet_packets - t.erratic.values().sum::<u64>();
        let listed: u64 = r.top_sources.iter().map(|s| s.packets).sum();
        prop_assert!(listed <= clean);
        serde_json::to_string(&r).expect("serialises");
    }
}
