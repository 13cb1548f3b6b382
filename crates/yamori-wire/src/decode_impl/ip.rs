//! IPv4 and IPv6 headers, including the IPv6 extension-header chain.
use super::{be16, be32, need, transport};
use crate::{Addr, DecodeError, Packet, Transport};

/// At most this many IPv6 extension headers are walked. RFC 8200 §4.1 lists six kinds and allows
/// each once (destination options twice), so a legitimate chain has at most seven; the bound
/// stops a packet made of thousands of tiny headers from costing time per header.
pub(super) const MAX_IPV6_EXT_HEADERS: usize = 8;

const IPPROTO_HOPOPTS: u8 = 0;
const IPPROTO_ROUTING: u8 = 43;
const IPPROTO_FRAGMENT: u8 = 44;
const IPPROTO_AH: u8 = 51;
const IPPROTO_DSTOPTS: u8 = 60;

/// The fields of an IPv4 header that decoding needs, plus its payload.
pub(super) struct V4<'a> {
    pub total_len: u16,
    pub id: u16,
    pub fragment: bool,
    /// Fragment offset (in 8-byte units) is non-zero: the transport header is elsewhere.
    pub later_fragment: bool,
    pub ttl: u8,
    pub protocol: u8,
    pub src: u32,
    pub dst: u32,
    /// Bytes after the header, cut at the total length when the frame is longer (Ethernet
    /// padding); shorter when the capture was cut by a snap length.
    pub payload: &'a [u8],
}

pub(super) fn parse_v4(d: &[u8]) -> Result<V4<'_>, DecodeError> {
    need(d, 20, "ipv4")?;
    if d[0] >> 4 != 4 {
        return Err(DecodeError::Malformed {
            layer: "ipv4",
            what: "version is not 4",
        });
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(DecodeError::Malformed {
            layer: "ipv4",
            what: "header length (IHL) below 5",
        });
    }
    need(d, ihl, "ipv4")?;
    let total_len = be16(d, 2);
    // Lax like etherparse's `LaxIpv4Slice`: a total length shorter than the header is ignored
    // (the captured bytes are used), a longer one means the capture was cut.
    let end = if usize::from(total_len) >= ihl {
        d.len().min(usize::from(total_len))
    } else {
        d.len()
    };
    let frag = be16(d, 6);
    let offset = frag & 0x1fff;
    let more_fragments = frag & 0x2000 != 0;
    Ok(V4 {
        total_len,
        id: be16(d, 4),
        fragment: more_fragments || offset != 0,
        later_fragment: offset != 0,
        ttl: d[8],
        protocol: d[9],
        src: be32(d, 12),
        dst: be32(d, 16),
        payload: d.get(ihl..end).unwrap_or_default(),
    })
}

#[inline]
pub(super) fn ipv4(ts_ns: u64, d: &[u8]) -> Result<Packet, DecodeError> {
    let h = parse_v4(d)?;
    let transport = if h.later_fragment {
        Transport::Fragment {
            protocol: h.protocol,
        }
    } else if h.protocol == IPPROTO_AH {
        // IPsec AH (RFC 4302) sits between IPv4 and the transport header; skip it once.
        match h.payload.get(..2) {
            Some(&[next, l]) if l > 0 => match h.payload.get((usize::from(l) + 2) * 4..) {
                Some(rest) => transport::transport(next, rest, false),
                None => Transport::Other {
                    protocol: IPPROTO_AH,
                    truncated: true,
                },
            },
            Some(_) => Transport::Other {
                protocol: IPPROTO_AH,
                truncated: false,
            },
            None => Transport::Other {
                protocol: IPPROTO_AH,
                truncated: true,
            },
        }
    } else {
        transport::transport(h.protocol, h.payload, false)
    };
    Ok(Packet {
        ts_ns,
        ip_len: u32::from(h.total_len),
        src: Addr::V4(h.src),
        dst: Addr::V4(h.dst),
        ttl: h.ttl,
        ip_id: Some(h.id),
        fragment: h.fragment,
        transport,
    })
}

/// The fields of an IPv6 header and the end of its extension-header chain.
pub(super) struct V6<'a> {
    pub payload_len: u16,
    pub hop_limit: u8,
    pub src: u128,
    pub dst: u128,
    /// A fragment extension header is present.
    pub fragment: bool,
    /// What follows the extension headers (see [`Upper`]).
    pub upper: Upper<'a>,
}

/// Where the IPv6 extension-header walk ended.
pub(super) enum Upper<'a> {
    /// The upper-layer protocol and its bytes.
    Proto(u8, &'a [u8]),
    /// A fragment header with non-zero offset: the upper-layer header is in another fragment.
    LaterFragment(u8),
    /// An extension header (number given) was cut short by the capture.
    Truncated(u8),
}

pub(super) fn parse_v6(d: &[u8]) -> Result<V6<'_>, DecodeError> {
    need(d, 40, "ipv6")?;
    if d[0] >> 4 != 6 {
        return Err(DecodeError::Malformed {
            layer: "ipv6",
            what: "version is not 6",
        });
    }
    let payload_len = be16(d, 4);
    // Payload length 0 is what a jumbogram carries (RFC 2675: the real length is in a
    // hop-by-hop option): use the captured bytes, as etherparse's lax slicing does.
    let end = if payload_len == 0 {
        d.len()
    } else {
        d.len().min(40 + usize::from(payload_len))
    };
    let mut rest = d.get(40..end).unwrap_or_default();
    let mut next = d[6];
    let mut fragment = false;
    let mut walked = 0;
    let upper = loop {
        let len = match next {
            IPPROTO_HOPOPTS | IPPROTO_ROUTING | IPPROTO_DSTOPTS => match rest.get(1) {
                Some(&l) => (usize::from(l) + 1) * 8,
                None => break Upper::Truncated(next),
            },
            IPPROTO_AH => match rest.get(1) {
                // RFC 4302 §2.2: at least 12 bytes (length field ≥ 1); 0 cannot be walked.
                Some(0) => break Upper::Proto(next, rest),
                Some(&l) => (usize::from(l) + 2) * 4,
                None => break Upper::Truncated(next),
            },
            IPPROTO_FRAGMENT => {
                fragment = true;
                if rest.len() < 8 {
                    break Upper::Truncated(next);
                }
                if be16(rest, 2) >> 3 != 0 {
                    break Upper::LaterFragment(rest[0]);
                }
                8
            }
            _ => break Upper::Proto(next, rest),
        };
        if walked == MAX_IPV6_EXT_HEADERS {
            return Err(DecodeError::Malformed {
                layer: "ipv6",
                what: "more than 8 extension headers",
            });
        }
        let Some(after) = rest.get(len..) else {
            break Upper::Truncated(next);
        };
        next = rest[0];
        rest = after;
        walked += 1;
    };
    Ok(V6 {
        payload_len,
        hop_limit: d[7],
        src: u128::from_be_bytes(d[8..24].try_into().unwrap_or_default()),
        dst: u128::from_be_bytes(d[24..40].try_into().unwrap_or_default()),
        fragment,
        upper,
    })
}

pub(super) fn ipv6(ts_ns: u64, d: &[u8]) -> Result<Packet, DecodeError> {
    let h = parse_v6(d)?;
    let transport = match h.upper {
        Upper::Proto(p, bytes) => transport::transport(p, bytes, true),
        Upper::LaterFragment(p) => Transport::Fragment { protocol: p },
        Upper::Truncated(p) => Transport::Other {
            protocol: p,
            truncated: true,
        },
    };
    Ok(Packet {
        ts_ns,
        ip_len: u32::from(h.payload_len) + 40,
        src: Addr::V6(h.src),
        dst: Addr::V6(h.dst),
        ttl: h.hop_limit,
        ip_id: None,
        fragment: h.fragment,
        transport,
    })
}
