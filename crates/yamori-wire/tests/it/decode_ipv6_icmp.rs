//! `decode` on the harder layers: the IPv6 extension-header chain and ICMP/ICMPv6 errors with
//! the packet they quote.
use yamori_wire::{decode, Addr, DecodeError, Icmp, LinkType, Quoted, Tcp, Transport, Udp};

use crate::util::*;

const SRC: [u8; 4] = [198, 51, 100, 7];
const DST: [u8; 4] = [203, 0, 113, 9];
const V6SRC: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
const V6DST: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0002;

fn v4(a: [u8; 4]) -> Addr {
    Addr::V4(u32::from_be_bytes(a))
}

#[test]
fn ipv6_extension_chain_is_walked() {
    let tcp_hdr = tcp(443, 51000, 9, 10, Tcp::SYN | Tcp::ACK, 100, &[]);
    // hop-by-hop (8) → routing (24) → dest opts (8) → AH (16) → TCP
    let mut chain = vec![43, 0, 0, 0, 0, 0, 0, 0];
    chain.extend_from_slice(&[60, 2, 0, 0, 0, 0, 0, 0]);
    chain.extend_from_slice(&[0; 16]);
    chain.extend_from_slice(&[51, 0, 0, 0, 0, 0, 0, 0]);
    chain.extend_from_slice(&[6, 2, 0, 0, 0, 0, 0, 1]);
    chain.extend_from_slice(&[0; 8]);
    chain.extend_from_slice(&tcp_hdr);
    let ip = ipv6(V6SRC, V6DST, 0, 60, &chain);
    let p = decode(LinkType::IPV6, 0, &ip).expect("ext chain");
    assert!(!p.fragment);
    assert!(
        matches!(
            p.transport,
            Transport::Tcp(Tcp {
                src_port: 443,
                dst_port: 51000,
                flags: 0x12,
                ..
            })
        ),
        "{:?}",
        p.transport
    );

    // Fragment header, first fragment: transport readable, fragment flagged.
    let first = ipv6(
        V6SRC,
        V6DST,
        44,
        60,
        &[&[17, 0, 0, 1, 0, 0, 0, 7][..], &udp(53, 999, &[])].concat(),
    );
    let p = decode(LinkType::IPV6, 0, &first).expect("first frag");
    assert!(p.fragment);
    assert_eq!(
        p.transport,
        Transport::Udp(Udp {
            src_port: 53,
            dst_port: 999
        })
    );
    // Later fragment (offset 1 × 8).
    let later = ipv6(V6SRC, V6DST, 44, 60, &[17, 0, 0, 8, 0, 0, 0, 7, 1, 2, 3, 4]);
    let p = decode(LinkType::IPV6, 0, &later).expect("later frag");
    assert_eq!(
        (p.fragment, p.transport),
        (true, Transport::Fragment { protocol: 17 })
    );
    // A chain cut inside the routing header.
    let cut = ipv6(V6SRC, V6DST, 43, 60, &[6, 2, 0, 0]);
    assert_eq!(
        decode(LinkType::IPV6, 0, &cut).expect("ip").transport,
        Transport::Other {
            protocol: 43,
            truncated: true
        }
    );
    // Nine destination-options headers exceed the bound (8).
    let mut long = Vec::new();
    for _ in 0..9 {
        long.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
    }
    let ip = ipv6(V6SRC, V6DST, 60, 1, &long);
    assert!(matches!(
        decode(LinkType::IPV6, 0, &ip),
        Err(DecodeError::Malformed { layer: "ipv6", .. })
    ));
    // Eight are fine (then "no next header", 59).
    let ip = ipv6(
        V6SRC,
        V6DST,
        60,
        1,
        &long[..64]
            .iter()
            .enumerate()
            .map(|(i, &b)| if i == 56 { 59 } else { b })
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        decode(LinkType::IPV6, 0, &ip).expect("8 headers").transport,
        Transport::Other {
            protocol: 59,
            truncated: false
        }
    );
}

#[test]
fn icmp_errors_quote_the_offending_packet() {
    // Port unreachable quoting a UDP probe from DST:5000 to SRC:161 (backscatter names DST's victim).
    let inner = ipv4(DST, SRC, 17, 50, 7, 0, &[], &udp(5000, 161, b"public"));
    let frame = ipv4(SRC, DST, 1, 64, 1, 0, &[], &icmp(3, 3, &inner[..28]));
    let p = decode(LinkType::RAW, 0, &frame).expect("icmp");
    let quoted = Quoted {
        src: v4(DST),
        dst: v4(SRC),
        protocol: 17,
        src_port: Some(5000),
        dst_port: Some(161),
    };
    assert_eq!(
        p.transport,
        Transport::Icmp(Icmp {
            v6: false,
            icmp_type: 3,
            code: 3,
            quoted: Some(quoted)
        })
    );
    // Quote with only the IP header: addresses but no ports.
    let frame = ipv4(SRC, DST, 1, 64, 1, 0, &[], &icmp(11, 0, &inner[..23]));
    let Transport::Icmp(i) = decode(LinkType::RAW, 0, &frame).expect("icmp").transport else {
        panic!("not icmp")
    };
    assert_eq!(
        i.quoted.map(|q| (q.protocol, q.src_port, q.dst_port)),
        Some((17, None, None))
    );
    // Quote too short for an IP header: no quote, still ICMP.
    let frame = ipv4(SRC, DST, 1, 64, 1, 0, &[], &icmp(3, 1, &inner[..10]));
    assert_eq!(
        decode(LinkType::RAW, 0, &frame).expect("icmp").transport,
        Transport::Icmp(Icmp {
            v6: false,
            icmp_type: 3,
            code: 1,
            quoted: None
        })
    );
    // Echo request: not an error type, no quote even with bytes after the header.
    let frame = ipv4(SRC, DST, 1, 64, 1, 0, &[], &icmp(8, 0, &inner));
    assert_eq!(
        decode(LinkType::RAW, 0, &frame).expect("icmp").transport,
        Transport::Icmp(Icmp {
            v6: false,
            icmp_type: 8,
            code: 0,
            quoted: None
        })
    );
    for t in [4u8, 5, 12] {
        let frame = ipv4(SRC, DST, 1, 64, 1, 0, &[], &icmp(t, 0, &inner));
        let Transport::Icmp(i) = decode(LinkType::RAW, 0, &frame).expect("icmp").transport else {
            panic!("not icmp")
        };
        assert_eq!(i.quoted.map(|q| q.dst_port), Some(Some(161)), "type {t}");
    }

    // ICMPv6 destination unreachable quoting TCP through a fragment header.
    let inner6 = ipv6(
        V6DST,
        V6SRC,
        44,
        3,
        &[
            &[6, 0, 0, 0, 0, 0, 0, 1][..],
            &tcp(1234, 80, 1, 0, Tcp::SYN, 9, &[])[..8],
        ]
        .concat(),
    );
    for t in 1u8..=4 {
        let frame = ipv6(V6SRC, V6DST, 58, 64, &icmp(t, 4, &inner6));
        let p = decode(LinkType::IPV6, 0, &frame).expect("icmpv6");
        let q = Quoted {
            src: Addr::V6(V6DST),
            dst: Addr::V6(V6SRC),
            protocol: 6,
            src_port: Some(1234),
            dst_port: Some(80),
        };
        assert_eq!(
            p.transport,
            Transport::Icmp(Icmp {
                v6: true,
                icmp_type: t,
                code: 4,
                quoted: Some(q)
            }),
            "type {t}"
        );
    }
    // ICMPv6 echo (128): no quote. ICMP (1) inside IPv6 is "other".
    let frame = ipv6(V6SRC, V6DST, 58, 64, &icmp(128, 0, &inner6));
    assert_eq!(
        decode(LinkType::IPV6, 0, &frame).expect("echo").transport,
        Transport::Icmp(Icmp {
            v6: true,
            icmp_type: 128,
            code: 0,
            quoted: None
        })
    );
    let frame = ipv6(V6SRC, V6DST, 1, 64, &icmp(3, 0, &[]));
    assert_eq!(
        decode(LinkType::IPV6, 0, &frame).expect("v6").transport,
        Transport::Other {
            protocol: 1,
            truncated: false
        }
    );
}
