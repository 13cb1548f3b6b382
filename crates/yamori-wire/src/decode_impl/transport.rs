//! TCP, UDP, ICMP and ICMPv6 headers, and the packet quoted inside ICMP errors.
use super::ip::{parse_v4, parse_v6, Upper};
use super::{be16, be32};
use crate::{Addr, Icmp, Quoted, Tcp, Transport, Udp};

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_ICMPV6: u8 = 58;

/// Read the transport header `protocol` from `d`. A header cut short by the capture is
/// `Other { truncated: true }`, never an error: the caller still has the IP addresses.
#[inline]
pub(super) fn transport(protocol: u8, d: &[u8], v6: bool) -> Transport {
    let cut = Transport::Other {
        protocol,
        truncated: true,
    };
    match protocol {
        IPPROTO_TCP => {
            if d.len() < 20 {
                return cut;
            }
            let data_offset = usize::from(d[12] >> 4) * 4;
            if data_offset < 20 {
                // Not a TCP header we can trust (etherparse rejects it too): count as other.
                return Transport::Other {
                    protocol,
                    truncated: false,
                };
            }
            if d.len() < data_offset {
                return cut;
            }
            Transport::Tcp(Tcp {
                src_port: be16(d, 0),
                dst_port: be16(d, 2),
                seq: be32(d, 4),
                ack: be32(d, 8),
                flags: d[13],
                window: be16(d, 14),
                has_options: data_offset > 20,
            })
        }
        IPPROTO_UDP => {
            if d.len() < 8 {
                return cut;
            }
            Transport::Udp(Udp {
                src_port: be16(d, 0),
                dst_port: be16(d, 2),
            })
        }
        IPPROTO_ICMP if !v6 => icmp(d, false).unwrap_or(cut),
        IPPROTO_ICMPV6 if v6 => icmp(d, true).unwrap_or(cut),
        _ => Transport::Other {
            protocol,
            truncated: false,
        },
    }
}

/// ICMP/ICMPv6: the 8-byte header (type, code, checksum, 4 type-specific bytes), then for
/// error types the quoted packet. `None` when the 8 bytes are not all there.
fn icmp(d: &[u8], v6: bool) -> Option<Transport> {
    let header = d.get(..8)?;
    let (icmp_type, code) = (header[0], header[1]);
    let is_error = if v6 {
        // RFC 4443: destination unreachable, packet too big, time exceeded, parameter problem.
        matches!(icmp_type, 1..=4)
    } else {
        // RFC 792: destination unreachable, source quench, redirect, time exceeded, parameter problem.
        matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
    };
    let quoted = if is_error {
        let inner = d.get(8..).unwrap_or_default();
        if v6 {
            quoted_v6(inner)
        } else {
            quoted_v4(inner)
        }
    } else {
        None
    };
    Some(Transport::Icmp(Icmp {
        v6,
        icmp_type,
        code,
        quoted,
    }))
}

/// Source and destination ports of a quoted TCP/UDP header, when its first 4 bytes are there.
fn quoted_ports(protocol: u8, d: &[u8]) -> (Option<u16>, Option<u16>) {
    if matches!(protocol, IPPROTO_TCP | IPPROTO_UDP) && d.len() >= 4 {
        (Some(be16(d, 0)), Some(be16(d, 2)))
    } else {
        (None, None)
    }
}

fn quoted_v4(d: &[u8]) -> Option<Quoted> {
    let h = parse_v4(d).ok()?;
    let (src_port, dst_port) = if h.later_fragment {
        (None, None)
    } else {
        quoted_ports(h.protocol, h.payload)
    };
    Some(Quoted {
        src: Addr::V4(h.src),
        dst: Addr::V4(h.dst),
        protocol: h.protocol,
        src_port,
        dst_port,
    })
}

fn quoted_v6(d: &[u8]) -> Option<Quoted> {
    let h = parse_v6(d).ok()?;
    let (protocol, (src_port, dst_port)) = match h.upper {
        Upper::Proto(p, bytes) => (p, quoted_ports(p, bytes)),
        Upper::LaterFragment(p) => (p, (None, None)),
        Upper::Truncated(p) => (p, (None, None)),
    };
    Some(Quoted {
        src: Addr::V6(h.src),
        dst: Addr::V6(h.dst),
        protocol,
        src_port,
        dst_port,
    })
}
