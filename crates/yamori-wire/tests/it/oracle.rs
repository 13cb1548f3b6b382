//! etherparse 0.21 as the reference decoder: on thousands of generated frames (random fields,
//! VLAN tags, IPv4 options and fragments, IPv6 extension chains, TCP/UDP/ICMP, random cuts
//! and byte flips) our `decode` must agree with `LaxSlicedPacket::from_ethernet` on every field
//! both report. Known, intended differences are spelled out where they are skipped.
use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};
use yamori_wire::{decode, Addr, LinkType, Transport};

use crate::util::*;

/// A random Ethernet frame carrying IPv4 or IPv6.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    let v6 = rng.chance(3);
    let proto = [6u8, 17, if v6 { 58 } else { 1 }, 47][rng.below(4) as usize];
    let transport = match proto {
        6 => {
            let opts = rng.words_below(4);
            let mut t = tcp(
                rng.next_u64() as u16,
                rng.next_u64() as u16,
                rng.next_u64() as u32,
                rng.next_u64() as u32,
                rng.next_u64() as u8,
                rng.next_u64() as u16,
                &opts,
            );
            t.extend(rng.bytes_below(8));
            t
        }
        17 => udp(
            rng.next_u64() as u16,
            rng.next_u64() as u16,
            &rng.bytes_below(8),
        ),
        1 | 58 => icmp(
            rng.below(20) as u8,
            rng.below(5) as u8,
            &rng.bytes_below(48),
        ),
        _ => rng.bytes_below(16),
    };
    let ip = if v6 {
        // Optional extension headers before the transport.
        let mut next = proto;
        let mut exts: Vec<u8> = Vec::new();
        let n = rng.below(3);
        for i in 0..n {
            // Headers are prepended, so only the last one made may be hop-by-hop (RFC 8200 §4.3).
            let kind = match [0u8, 43, 60, 44, 51][rng.below(5) as usize] {
                0 if i + 1 != n => 60,
                k => k,
            };
            let mut h = match kind {
                44 => vec![next, 0, 0, if rng.chance(4) { 1 } else { 0 }, 0, 0, 0, 9],
                51 => {
                    let mut a = vec![next, 2, 0, 0];
                    a.extend(rng.bytes(12));
                    a
                }
                _ => {
                    let mut a = vec![next, 0];
                    a.extend(rng.bytes(6));
                    a
                }
            };
            next = kind;
            h.extend(exts);
            exts = h;
        }
        exts.extend(transport);
        ipv6(
            u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64()),
            u128::from(rng.next_u64()),
            next,
            rng.next_u64() as u8,
            &exts,
        )
    } else {
        let frag = match rng.below(6) {
            0 => 0x2000,
            1 => 1 + rng.below(0x1fff) as u16,
            2 => 0x4000, // DF
            _ => 0,
        };
        let opts = rng.words_below(3);
        let src = (rng.next_u64() as u32).to_be_bytes();
        let dst = (rng.next_u64() as u32).to_be_bytes();
        ipv4(
            src,
            dst,
            proto,
            rng.next_u64() as u8,
            rng.next_u64() as u16,
            frag,
            &opts,
            &transport,
        )
    };
    let ethertype = if v6 { 0x86dd } else { 0x0800 };
    match rng.below(4) {
        0 => ether_tagged(&[(0x8100, rng.below(4095) as u16)], ethertype, &ip),
        1 => ether_tagged(&[(0x88a8, 5), (0x8100, 6)], ethertype, &ip),
        _ => ether(ethertype, &ip),
    }
}

fn tcp_flags(t: &etherparse::TcpSlice<'_>) -> u8 {
    [
        t.fin(),
        t.syn(),
        t.rst(),
        t.psh(),
        t.ack(),
        t.urg(),
        t.ece(),
        t.cwr(),
    ]
    .iter()
    .enumerate()
    .map(|(i, &b)| u8::from(b) << i)
    .sum()
}

/// Compare one frame; returns whether the transport layer was compared too.
fn compare(frame: &[u8]) -> bool {
    let ours = decode(LinkType::ETHERNET, 0, frame);
    let Ok(theirs) = LaxSlicedPacket::from_ethernet(frame) else {
        assert!(
            ours.is_err(),
            "etherparse rejects the Ethernet header, we decoded {ours:?}"
        );
        return false;
    };
    let Some(net) = &theirs.net else {
        assert!(
            ours.is_err(),
            "etherparse found no IP header, we decoded {ours:?} from {frame:02x?}"
        );
        return false;
    };
    let p =
        ours.unwrap_or_else(|e| panic!("etherparse decoded IP, we failed: {e} on {frame:02x?}"));
    let fragmented = match net {
        LaxNetSlice::Ipv4(s) => {
            let h = s.header();
            assert_eq!(p.src, Addr::V4(u32::from_be_bytes(h.source())));
            assert_eq!(p.dst, Addr::V4(u32::from_be_bytes(h.destination())));
            assert_eq!(
                (p.ttl, p.ip_id, p.ip_len),
                (h.ttl(), Some(h.identification()), u32::from(h.total_len()))
            );
            assert_eq!(p.fragment, s.payload().fragmented, "IPv4 fragment flag");
            s.payload().fragmented
        }
        LaxNetSlice::Ipv6(s) => {
            let h = s.header();
            assert_eq!(p.src, Addr::V6(u128::from_be_bytes(h.source())));
            assert_eq!(p.dst, Addr::V6(u128::from_be_bytes(h.destination())));
            assert_eq!(
                (p.ttl, p.ip_id, p.ip_len),
                (h.hop_limit(), None, u32::from(h.payload_length()) + 40)
            );
            // We flag any fragment header; etherparse only a real (non-atomic) fragment.
            assert!(p.fragment || !s.payload().fragmented, "IPv6 fragment flag");
            s.payload().fragmented
        }
        LaxNetSlice::Arp(_) => panic!("generator makes no ARP"),
    };
    if let Some((
        etherparse::err::packet::SliceError::Ipv6Exts(
            etherparse::err::ipv6_exts::HeaderError::HopByHopNotAtStart,
        ),
        _,
    )) = theirs.stop_err
    {
        // We walk a misplaced hop-by-hop header like any other option header (lax); etherparse stops.
        return false;
    }
    if fragmented {
        // etherparse does not read the transport of any fragment, we do for the first one.
        return false;
    }
    match (&theirs.transport, p.transport) {
        (Some(TransportSlice::Tcp(t)), Transport::Tcp(o)) => {
            assert_eq!(
                (o.src_port, o.dst_port, o.seq, o.ack),
                (
                    t.source_port(),
                    t.destination_port(),
                    t.sequence_number(),
                    t.acknowledgment_number()
                )
            );
            assert_eq!(
                (o.flags, o.window, o.has_options),
                (tcp_flags(t), t.window_size(), t.data_offset() > 5)
            );
        }
        (Some(TransportSlice::Udp(u)), Transport::Udp(o)) => {
            assert_eq!(
                (o.src_port, o.dst_port),
                (u.source_port(), u.destination_port())
            );
        }
        (Some(TransportSlice::Icmpv4(i)), Transport::Icmp(o)) => {
            assert_eq!(
                (o.v6, o.icmp_type, o.code),
                (false, i.type_u8(), i.code_u8())
            );
        }
        (Some(TransportSlice::Icmpv6(i)), Transport::Icmp(o)) => {
            assert_eq!(
                (o.v6, o.icmp_type, o.code),
                (true, i.type_u8(), i.code_u8())
            );
        }
        // IGMP is not decoded (the analysis has no use for it): "other".
        (
            Some(TransportSlice::Igmp(_)),
            Transport::Other {
                protocol: 2,
                truncated: false,
            },
        ) => {}
        // ICMP (1) inside IPv6 and ICMPv6 (58) inside IPv4 are meaningless: we keep them as
        // "other", etherparse slices them anyway.
        (
            Some(TransportSlice::Icmpv4(_)),
            Transport::Other {
                protocol: 1,
                truncated: false,
            },
        ) if matches!(p.src, Addr::V6(_)) => {}
        (
            Some(TransportSlice::Icmpv6(_)),
            Transport::Other {
                protocol: 58,
                truncated: false,
            },
        ) if matches!(p.src, Addr::V4(_)) => {}
        // etherparse wants the 20-byte timestamp body of ICMP types 13/14; we read only the
        // 8-byte header, which is all the analysis uses.
        (None, Transport::Icmp(o)) if !o.v6 && matches!(o.icmp_type, 13 | 14) => {}
        // Both see no readable transport header.
        (None, Transport::Other { .. }) => {}
        (t, o) => panic!(
            "transport differs: etherparse {t:?} (stop {:?}), ours {o:?} on {frame:02x?}",
            theirs.stop_err
        ),
    }
    true
}

#[test]
fn decode_agrees_with_etherparse_on_generated_frames() {
    let mut rng = Rng(0x5eed_0001);
    let mut transport_compared = 0;
    const N: usize = 20_000;
    for _ in 0..N {
        let frame = random_frame(&mut rng);
        if compare(&frame) {
            transport_compared += 1;
        }
    }
    // Most generated frames are unfragmented IP: the comparison must not be vacuous.
    assert!(
        transport_compared > N / 2,
        "only {transport_compared} of {N} compared to the transport layer"
    );
}

#[test]
fn decode_agrees_with_etherparse_on_cut_frames() {
    let mut rng = Rng(0x5eed_0002);
    let mut cuts = 0;
    for _ in 0..2_000 {
        let frame = random_frame(&mut rng);
        for cut in 0..frame.len() {
            compare(&frame[..cut]);
            cuts += 1;
        }
    }
    assert!(cuts > 50_000, "{cuts}");
}

#[test]
fn decode_agrees_with_etherparse_on_flipped_bytes() {
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..20_000 {
        let mut frame = random_frame(&mut rng);
        for _ in 0..=rng.below(3) {
            let i = rng.below(frame.len() as u64) as usize;
            frame[i] ^= 1 << rng.below(8);
        }
        compare(&frame);
    }
}
