//! Packet descriptions ([`Spec`]) and the frames built from them.
//!
//! Frames are written by hand into one reused buffer: this is the generator's hot loop
//! (≥ 5 M frames/s) and every header here is a fixed layout (RFC 791, 793, 768, 792, 8200,
//! 4443), so a builder crate would only add allocation and copies.

/// Link layer of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II (LINKTYPE_ETHERNET = 1); frames shorter than 60 bytes are zero-padded as a
    /// receiving NIC delivers them.
    Ethernet,
    /// Raw IP (LINKTYPE_RAW = 101).
    Raw,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL = 113).
    Sll,
}

impl Link {
    pub fn link_type(self) -> yamori_wire::LinkType {
        match self {
            Link::Ethernet => yamori_wire::LinkType::ETHERNET,
            Link::Raw => yamori_wire::LinkType::RAW,
            Link::Sll => yamori_wire::LinkType::LINUX_SLL,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frag {
    None,
    /// First fragment: MF set, offset 0 (transport header present).
    First,
    /// A later fragment at `offset` (in 8-byte units): no transport header.
    Later {
        offset: u16,
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Ip {
    V4 {
        src: u32,
        dst: u32,
        ttl: u8,
        id: u16,
        df: bool,
        frag: Frag,
    },
    V6 {
        src: u128,
        dst: u128,
        hlim: u8,
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum L4<'a> {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        options: &'a [u8],
        payload: &'a [u8],
    },
    /// For a first fragment, `extra` bytes of the datagram follow in later fragments (counted in
    /// the UDP length, absent here) and the checksum is 0 ("none", allowed over IPv4).
    Udp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
        extra: u16,
    },
    /// ICMP (v4) or ICMPv6 (over an IPv6 header): type, code, the 4 bytes after the checksum.
    Icmp {
        ty: u8,
        code: u8,
        rest: [u8; 4],
        payload: &'a [u8],
    },
    /// Bytes of a later fragment of a datagram of `protocol`.
    Raw { protocol: u8, payload: &'a [u8] },
}

/// One packet to write at `ts_us` (microseconds since the Unix epoch).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec<'a> {
    pub ts_us: u64,
    pub ip: Ip,
    pub l4: L4<'a>,
}

pub(crate) const TCP_FIN: u8 = 0x01;
pub(crate) const TCP_SYN: u8 = 0x02;
pub(crate) const TCP_RST: u8 = 0x04;
pub(crate) const TCP_PSH: u8 = 0x08;
pub(crate) const TCP_ACK: u8 = 0x10;
pub(crate) const TCP_URG: u8 = 0x20;

const ETH_DST: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]; // the capture host
const ETH_SRC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe]; // the upstream router
const ETH_MIN_FRAME: usize = 60;

pub(crate) struct FrameBuf {
    link: Link,
    buf: Vec<u8>,
}

impl FrameBuf {
    pub(crate) fn new(link: Link) -> Self {
        Self {
            link,
            buf: Vec::with_capacity(2048),
        }
    }

    /// Build the frame for `spec` and return it.
    pub(crate) fn build(&mut self, spec: &Spec<'_>) -> &[u8] {
        let b = &mut self.buf;
        b.clear();
        let ethertype: u16 = match spec.ip {
            Ip::V4 { .. } => 0x0800,
            Ip::V6 { .. } => 0x86dd,
        };
        match self.link {
            Link::Ethernet => {
                b.extend_from_slice(&ETH_DST);
                b.extend_from_slice(&ETH_SRC);
                b.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::Sll => {
                b.extend_from_slice(&0u16.to_be_bytes()); // packet type: to us
                b.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
                b.extend_from_slice(&6u16.to_be_bytes()); // address length
                b.extend_from_slice(&ETH_SRC);
                b.extend_from_slice(&[0, 0]);
                b.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::Raw => {}
        }
        let ip_start = b.len();
        let ip_hdr_len = match spec.ip {
            Ip::V4 { .. } => 20,
            Ip::V6 { .. } => 40,
        };
        b.resize(ip_start + ip_hdr_len, 0);
        let l4_start = b.len();
        let protocol = write_l4(b, &spec.l4, matches!(spec.ip, Ip::V6 { .. }));
        let l4_len = b.len() - l4_start;
        match spec.ip {
            Ip::V4 {
                src,
                dst,
                ttl,
                id,
                df,
                frag,
            } => {
                let flags_off: u16 = match frag {
                    Frag::None => u16::from(df) << 14,
                    Frag::First => 0x2000,
                    Frag::Later { offset } => offset & 0x1fff,
                };
                let h = &mut b[ip_start..l4_start];
                h[0] = 0x45;
                h[2..4].copy_from_slice(&((20 + l4_len) as u16).to_be_bytes());
                h[4..6].copy_from_slice(&id.to_be_bytes());
                h[6..8].copy_from_slice(&flags_off.to_be_bytes());
                h[8] = ttl;
                h[9] = protocol;
                h[12..16].copy_from_slice(&src.to_be_bytes());
                h[16..20].copy_from_slice(&dst.to_be_bytes());
                let c = fold(sum(0, h));
                h[10..12].copy_from_slice(&c.to_be_bytes());
                let pseudo = sum(sum(0, &src.to_be_bytes()), &dst.to_be_bytes())
                    + u64::from(protocol)
                    + l4_len as u64;
                fill_l4_checksum(&mut b[l4_start..], &spec.l4, pseudo, false);
            }
            Ip::V6 { src, dst, hlim } => {
                let h = &mut b[ip_start..l4_start];
                h[0] = 0x60;
                h[4..6].copy_from_slice(&(l4_len as u16).to_be_bytes());
                h[6] = protocol;
                h[7] = hlim;
                h[8..24].copy_from_slice(&src.to_be_bytes());
                h[24..40].copy_from_slice(&dst.to_be_bytes());
                let pseudo = sum(sum(0, &src.to_be_bytes()), &dst.to_be_bytes())
                    + u64::from(protocol)
                    + l4_len as u64;
                fill_l4_checksum(&mut b[l4_start..], &spec.l4, pseudo, true);
            }
        }
        if self.link == Link::Ethernet && b.len() < ETH_MIN_FRAME {
            b.resize(ETH_MIN_FRAME, 0);
        }
        &self.buf
    }
}

/// Append the transport header and payload (checksum 0); return the IP protocol number.
fn write_l4(b: &mut Vec<u8>, l4: &L4<'_>, v6: bool) -> u8 {
    match *l4 {
        L4::Tcp {
            sport,
            dport,
            seq,
            ack,
            flags,
            window,
            options,
            payload,
        } => {
            debug_assert!(options.len() % 4 == 0 && options.len() <= 40);
            b.extend_from_slice(&sport.to_be_bytes());
            b.extend_from_slice(&dport.to_be_bytes());
            b.extend_from_slice(&seq.to_be_bytes());
            b.extend_from_slice(&ack.to_be_bytes());
            b.push(((5 + options.len() / 4) as u8) << 4);
            b.push(flags);
            b.extend_from_slice(&window.to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
            b.extend_from_slice(options);
            b.extend_from_slice(payload);
            6
        }
        L4::Udp {
            sport,
            dport,
            payload,
            extra,
        } => {
            b.extend_from_slice(&sport.to_be_bytes());
            b.extend_from_slice(&dport.to_be_bytes());
            b.extend_from_slice(&((8 + payload.len()) as u16 + extra).to_be_bytes());
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(payload);
            17
        }
        L4::Icmp {
            ty,
            code,
            rest,
            payload,
        } => {
            b.extend_from_slice(&[ty, code, 0, 0]);
            b.extend_from_slice(&rest);
            b.extend_from_slice(payload);
            if v6 {
                58
            } else {
                1
            }
        }
        L4::Raw { protocol, payload } => {
            b.extend_from_slice(payload);
            protocol
        }
    }
}

fn fill_l4_checksum(seg: &mut [u8], l4: &L4<'_>, pseudo: u64, v6: bool) {
    let at = match l4 {
        L4::Tcp { .. } => 16,
        L4::Udp { extra: 0, .. } => 6,
        // A first fragment's checksum would cover bytes not in this packet: send none.
        L4::Udp { .. } | L4::Raw { .. } => return,
        L4::Icmp { .. } => 2,
    };
    let mut c = if matches!(l4, L4::Icmp { .. }) && !v6 {
        fold(sum(0, seg))
    } else {
        fold(sum(pseudo, seg))
    };
    if c == 0 && matches!(l4, L4::Udp { .. }) {
        c = 0xffff; // RFC 768: a computed 0 is sent as all ones
    }
    seg[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// One's-complement sum of big-endian 16-bit words (RFC 1071), not yet folded.
pub(crate) fn sum(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

pub(crate) fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The first 28 bytes of an IPv4/TCP packet, as an ICMP error quotes it (RFC 792: IP header
/// plus 64 bits of data).
pub(crate) struct Quote {
    pub src: u32,
    pub dst: u32,
    pub ttl: u8,
    pub id: u16,
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
}

pub(crate) fn quoted_v4_tcp(out: &mut Vec<u8>, q: &Quote) {
    let start = out.len();
    out.extend_from_slice(&[0x45, 0, 0, 40]); // total length of the original SYN: 40
    out.extend_from_slice(&q.id.to_be_bytes());
    out.extend_from_slice(&[0x40, 0, q.ttl, 6, 0, 0]);
    out.extend_from_slice(&q.src.to_be_bytes());
    out.extend_from_slice(&q.dst.to_be_bytes());
    let c = fold(sum(0, &out[start..start + 20]));
    out[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
    out.extend_from_slice(&q.sport.to_be_bytes());
    out.extend_from_slice(&q.dport.to_be_bytes());
    out.extend_from_slice(&q.seq.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let mut fb = FrameBuf::new(Link::Raw);
        let spec = Spec {
            ts_us: 0,
            ip: Ip::V4 {
                src: 0x0102_0304,
                dst: 0xcb00_7105,
                ttl: 50,
                id: 7,
                df: false,
                frag: Frag::None,
            },
            l4: L4::Tcp {
                sport: 40000,
                dport: 23,
                seq: 0xcb00_7105,
                ack: 0,
                flags: TCP_SYN,
                window: 1234,
                options: &[],
                payload: &[],
            },
        };
        let f = fb.build(&spec).to_vec();
        assert_eq!(f.len(), 40);
        assert_eq!(fold(sum(0, &f[..20])), 0, "IPv4 header checksum");
        let pseudo = sum(sum(0, &f[12..16]), &f[16..20]) + 6 + 20;
        assert_eq!(fold(sum(pseudo, &f[20..])), 0, "TCP checksum");
        assert_eq!(&f[24..28], &0xcb00_7105u32.to_be_bytes());
    }

    #[test]
    fn ethernet_frames_are_padded_to_60_bytes() {
        let mut fb = FrameBuf::new(Link::Ethernet);
        let spec = Spec {
            ts_us: 0,
            ip: Ip::V4 {
                src: 1,
                dst: 2,
                ttl: 1,
                id: 0,
                df: true,
                frag: Frag::None,
            },
            l4: L4::Icmp {
                ty: 8,
                code: 0,
                rest: [0, 1, 0, 1],
                payload: &[],
            },
        };
        let f = fb.build(&spec);
        assert_eq!(f.len(), 60);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(fold(sum(0, &f[14 + 20..14 + 28])), 0, "ICMP checksum");
    }
}
