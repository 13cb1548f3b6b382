//! `decode` on hand-built frames: every link type, VLAN stacks, IPv4 options and fragments,
//! truncation and non-IP frames (IPv6 extension headers and ICMP quotes: `decode_ipv6_icmp.rs`).
use yamori_wire::{decode, Addr, DecodeError, LinkType, Tcp, Transport, Udp};

use crate::util::*;

const SRC: [u8; 4] = [198, 51, 100, 7];
const DST: [u8; 4] = [203, 0, 113, 9];
const V6SRC: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
const V6DST: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0002;

fn v4(a: [u8; 4]) -> Addr {
    Addr::V4(u32::from_be_bytes(a))
}

fn syn_ip() -> Vec<u8> {
    ipv4(
        SRC,
        DST,
        6,
        64,
        0xbeef,
        0,
        &[],
        &tcp(40000, 23, 0xcb00_7109, 0, Tcp::SYN, 14600, &[]),
    )
}

fn expect_syn(link: LinkType, frame: &[u8]) {
    let p = decode(link, 42, frame).unwrap_or_else(|e| panic!("{link}: {e}"));
    assert_eq!(p.ts_ns, 42);
    assert_eq!(p.src, v4(SRC), "{link}");
    assert_eq!(p.dst, v4(DST), "{link}");
    assert_eq!(p.ttl, 64);
    assert_eq!(p.ip_id, Some(0xbeef));
    assert_eq!(p.ip_len, 40);
    assert!(!p.fragment);
    let want = Tcp {
        src_port: 40000,
        dst_port: 23,
        seq: 0xcb00_7109,
        ack: 0,
        flags: Tcp::SYN,
        window: 14600,
        has_options: false,
    };
    assert_eq!(p.transport, Transport::Tcp(want), "{link}");
}

#[test]
fn every_link_type_reaches_the_ipv4_header() {
    let ip = syn_ip();
    expect_syn(LinkType::ETHERNET, &ether(0x0800, &ip));
    // Ethernet padding after the IP packet is ignored (total length cuts it).
    let mut padded = ether(0x0800, &ip);
    padded.extend_from_slice(&[0xee; 6]);
    expect_syn(LinkType::ETHERNET, &padded);
    expect_syn(
        LinkType::ETHERNET,
        &ether_tagged(&[(0x8100, 7)], 0x0800, &ip),
    );
    expect_syn(
        LinkType::ETHERNET,
        &ether_tagged(&[(0x88a8, 100), (0x8100, 7)], 0x0800, &ip),
    );
    expect_syn(
        LinkType::ETHERNET,
        &ether_tagged(&[(0x9100, 100), (0x8100, 7)], 0x0800, &ip),
    );
    for raw in [
        LinkType::RAW,
        LinkType::RAW_BSD12,
        LinkType::RAW_BSD14,
        LinkType::IPV4,
    ] {
        expect_syn(raw, &ip);
    }
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    expect_syn(LinkType::LINUX_SLL, &sll);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    expect_syn(LinkType::LINUX_SLL2, &sll2);
    for af in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        expect_syn(LinkType::NULL, &[&af[..], &ip].concat());
    }
    expect_syn(LinkType::LOOP, &[&2u32.to_be_bytes()[..], &ip].concat());
}

#[test]
fn ipv6_over_every_link_type_and_bsd_families() {
    let ip = ipv6(V6SRC, V6DST, 17, 255, &udp(5353, 5353, b"x"));
    let check = |link: LinkType, f: &[u8]| {
        let p = decode(link, 0, f).unwrap_or_else(|e| panic!("{link}: {e}"));
        assert_eq!(
            (p.src, p.dst, p.ttl, p.ip_id, p.ip_len),
            (Addr::V6(V6SRC), Addr::V6(V6DST), 255, None, 49)
        );
        assert_eq!(
            p.transport,
            Transport::Udp(Udp {
                src_port: 5353,
                dst_port: 5353
            }),
            "{link}"
        );
    };
    check(LinkType::ETHERNET, &ether(0x86dd, &ip));
    check(LinkType::RAW, &ip);
    check(LinkType::IPV6, &ip);
    for af in [24u32, 28, 30] {
        check(LinkType::NULL, &[&af.to_le_bytes()[..], &ip].concat());
        check(LinkType::NULL, &[&af.to_be_bytes()[..], &ip].concat());
        check(LinkType::LOOP, &[&af.to_be_bytes()[..], &ip].concat());
    }
}

#[test]
fn non_ip_and_unsupported_frames_are_errors_not_packets() {
    let arp = ether(0x0806, &[0; 28]);
    assert_eq!(
        decode(LinkType::ETHERNET, 0, &arp),
        Err(DecodeError::NotIp(0x0806))
    );
    assert_eq!(
        decode(
            LinkType::ETHERNET,
            0,
            &ether_tagged(&[(0x8100, 1)], 0x88cc, &[0; 20])
        ),
        Err(DecodeError::NotIp(0x88cc))
    );
    assert_eq!(
        decode(LinkType::NULL, 0, &[7, 0, 0, 0, 0x45]),
        Err(DecodeError::NotIp(7))
    );
    assert_eq!(
        decode(LinkType(147), 0, &syn_ip()),
        Err(DecodeError::UnsupportedLinkType(147))
    );
    assert!(matches!(
        decode(LinkType::ETHERNET, 0, &[0; 13]),
        Err(DecodeError::Truncated {
            layer: "ethernet",
            needed: 14,
            have: 13
        })
    ));
    assert!(matches!(
        decode(LinkType::RAW, 0, &[0x55; 30]),
        Err(DecodeError::Malformed { layer: "ip", .. })
    ));
    assert!(matches!(
        decode(LinkType::IPV4, 0, &syn_ip()[..19]),
        Err(DecodeError::Truncated {
            layer: "ipv4",
            needed: 20,
            have: 19
        })
    ));
    let five_tags = ether_tagged(&[(0x8100, 1); 5], 0x0800, &syn_ip());
    assert!(matches!(
        decode(LinkType::ETHERNET, 0, &five_tags),
        Err(DecodeError::Malformed { layer: "vlan", .. })
    ));
}

#[test]
fn ipv4_options_fragments_and_bad_ihl() {
    // Record-route option (7), padded to 8 bytes: IHL 7.
    let opts = [7, 7, 4, 0, 0, 0, 0, 1];
    let ip = ipv4(SRC, DST, 17, 9, 1, 0, &opts, &udp(1, 2, &[]));
    let p = decode(LinkType::RAW, 0, &ip).expect("IPv4 with options");
    assert_eq!(
        p.transport,
        Transport::Udp(Udp {
            src_port: 1,
            dst_port: 2
        })
    );
    assert_eq!(p.ip_len, 36);

    // First fragment (MF set, offset 0): transport readable, fragment flagged.
    let first = ipv4(
        SRC,
        DST,
        6,
        9,
        1,
        0x2000,
        &[],
        &tcp(1, 2, 3, 4, Tcp::SYN, 5, &[]),
    );
    let p = decode(LinkType::RAW, 0, &first).expect("first fragment");
    assert!(p.fragment);
    assert!(matches!(
        p.transport,
        Transport::Tcp(Tcp {
            src_port: 1,
            dst_port: 2,
            ..
        })
    ));
    // Later fragment (offset 185 × 8): no transport header.
    let later = ipv4(SRC, DST, 6, 9, 1, 185, &[], &[0xab; 24]);
    let p = decode(LinkType::RAW, 0, &later).expect("later fragment");
    assert!(p.fragment);
    assert_eq!(p.transport, Transport::Fragment { protocol: 6 });

    let mut bad = syn_ip();
    bad[0] = 0x44; // IHL 4
    assert!(matches!(
        decode(LinkType::RAW, 0, &bad),
        Err(DecodeError::Malformed { layer: "ipv4", .. })
    ));
    let mut long = syn_ip();
    long[0] = 0x4f; // IHL 15 = 60 bytes, only 40 present
    assert!(matches!(
        decode(LinkType::RAW, 0, &long),
        Err(DecodeError::Truncated {
            layer: "ipv4",
            needed: 60,
            have: 40
        })
    ));
}

#[test]
fn truncated_transport_headers_are_counted_not_failed() {
    let ip = syn_ip();
    for cut in 20..40 {
        let p = decode(LinkType::RAW, 0, &ip[..cut]).expect("IP header is whole");
        assert_eq!(
            p.transport,
            Transport::Other {
                protocol: 6,
                truncated: true
            },
            "cut at {cut}"
        );
        assert_eq!(p.src, v4(SRC));
    }
    // TCP with options cut short by the snap length is truncated too.
    let with_opts = ipv4(
        SRC,
        DST,
        6,
        64,
        0,
        0,
        &[],
        &tcp(1, 2, 3, 0, Tcp::SYN, 5, &[2, 4, 5, 0xb4]),
    );
    let p = decode(LinkType::RAW, 0, &with_opts).expect("whole");
    assert!(matches!(
        p.transport,
        Transport::Tcp(Tcp {
            has_options: true,
            ..
        })
    ));
    let p = decode(LinkType::RAW, 0, &with_opts[..42]).expect("cut options");
    assert_eq!(
        p.transport,
        Transport::Other {
            protocol: 6,
            truncated: true
        }
    );
    let u = ipv4(SRC, DST, 17, 64, 0, 0, &[], &udp(1, 2, &[]));
    assert_eq!(
        decode(LinkType::RAW, 0, &u[..27]).expect("ip").transport,
        Transport::Other {
            protocol: 17,
            truncated: true
        }
    );
    let i = ipv4(SRC, DST, 1, 64, 0, 0, &[], &icmp(8, 0, &[]));
    assert_eq!(
        decode(LinkType::RAW, 0, &i[..27]).expect("ip").transport,
        Transport::Other {
            protocol: 1,
            truncated: true
        }
    );
    // Unknown protocols are "other", not truncated.
    let gre = ipv4(SRC, DST, 47, 64, 0, 0, &[], &[0; 4]);
    assert_eq!(
        decode(LinkType::RAW, 0, &gre).expect("ip").transport,
        Transport::Other {
            protocol: 47,
            truncated: false
        }
    );
}
