//! [`Packet`]: what analysis needs to know about one captured frame.
//!
//! Decoding reads the headers in place (`&[u8]`) and copies out only a few scalar fields,
//! so a `Packet` is small and `Copy` and the frame's payload is never copied.

/// An IP address in the compact form the analysis tables hash on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    /// IPv4 address as a host-order integer (`u32::from(Ipv4Addr)`).
    V4(u32),
    /// IPv6 address as a host-order integer (`u128::from(Ipv6Addr)`).
    V6(u128),
}

impl From<Addr> for std::net::IpAddr {
    fn from(a: Addr) -> Self {
        match a {
            Addr::V4(v) => std::net::IpAddr::V4(v.into()),
            Addr::V6(v) => std::net::IpAddr::V6(v.into()),
        }
    }
}

impl From<std::net::IpAddr> for Addr {
    fn from(a: std::net::IpAddr) -> Self {
        match a {
            std::net::IpAddr::V4(v) => Addr::V4(v.into()),
            std::net::IpAddr::V6(v) => Addr::V6(v.into()),
        }
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::net::IpAddr::from(*self).fmt(f)
    }
}

/// TCP header fields used for classification and tool fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number (Mirai sets it to the destination address).
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// The 8 classic flag bits: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
    pub flags: u8,
    /// Receive window (unscaled).
    pub window: u16,
    /// Data offset > 5, i.e. the header carries options.
    pub has_options: bool,
}

impl Tcp {
    /// FIN flag bit.
    pub const FIN: u8 = 0x01;
    /// SYN flag bit.
    pub const SYN: u8 = 0x02;
    /// RST flag bit.
    pub const RST: u8 = 0x04;
    /// PSH flag bit.
    pub const PSH: u8 = 0x08;
    /// ACK flag bit.
    pub const ACK: u8 = 0x10;
    /// URG flag bit.
    pub const URG: u8 = 0x20;
}

/// UDP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
}

/// The header quoted inside an ICMP/ICMPv6 error message: the packet that provoked the error.
/// For backscatter this names the attacked address (`dst`) and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// Source of the quoted packet (usually the address the ICMP error is sent to).
    pub src: Addr,
    /// Destination of the quoted packet.
    pub dst: Addr,
    /// IP protocol number of the quoted packet (6 TCP, 17 UDP, ...).
    pub protocol: u8,
    /// Quoted source/destination ports when the quote is long enough to hold them (TCP/UDP).
    pub src_port: Option<u16>,
    /// Quoted destination port (see `src_port`).
    pub dst_port: Option<u16>,
}

/// ICMP or ICMPv6 header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    /// `true` for ICMPv6 (types then follow RFC 4443 numbering).
    pub v6: bool,
    /// Message type.
    pub icmp_type: u8,
    /// Message code.
    pub code: u8,
    /// For error types (v4: 3, 4, 5, 11, 12; v6: 1, 2, 3, 4) the quoted header, when it parses.
    pub quoted: Option<Quoted>,
}

/// The transport layer of a packet, as far as it could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A complete TCP header (options included) was captured.
    Tcp(Tcp),
    /// A UDP header.
    Udp(Udp),
    /// An ICMP (over IPv4) or ICMPv6 (over IPv6) header.
    Icmp(Icmp),
    /// A non-first IP fragment: the transport header is in another fragment.
    Fragment {
        /// IP protocol number of the fragmented packet.
        protocol: u8,
    },
    /// Any other IP protocol, or a TCP/UDP/ICMP header that was cut short (`truncated`).
    /// For IPv6, the last next-header value reached (an extension header when that was cut).
    Other {
        /// IP protocol number.
        protocol: u8,
        /// The header of a known protocol was cut short by the capture (or IPv6 extension headers were).
        truncated: bool,
    },
}

/// One decoded frame. Always IP: frames that carry no IP packet are reported by [`decode`] as
/// [`DecodeError::NotIp`], so the caller can count them as "other".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Capture timestamp, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Length of the IP packet (IPv4 total length / IPv6 payload length + 40), as stated in the header.
    pub ip_len: u32,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification field; `None` for IPv6.
    pub ip_id: Option<u16>,
    /// IPv4 MF flag or non-zero fragment offset; IPv6 fragment extension header present.
    pub fragment: bool,
    /// The transport header, as far as it could be read.
    pub transport: Transport,
}

/// Why a frame could not be decoded into a [`Packet`]. Not fatal: the caller counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// [`crate::LinkType::is_supported`] is false for the record's link type.
    #[error("link type {0} is not supported")]
    UnsupportedLinkType(u32),
    /// The frame holds something else than IP (ARP, LLDP, ...): the ethertype or address family.
    #[error("frame carries no IP packet (ethertype/family {0:#06x})")]
    NotIp(u32),
    /// A link or IP header was cut short by the capture.
    #[error("{layer} header truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Which header (`ethernet`, `ipv4`, ...).
        layer: &'static str,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes captured.
        have: usize,
    },
    /// A header field no valid packet holds (wrong version, IHL below 5, too many extension headers).
    #[error("malformed {layer} header: {what}")]
    Malformed {
        /// Which header.
        layer: &'static str,
        /// What is wrong with it.
        what: &'static str,
    },
}

/// Decode one link-layer frame captured at `ts_ns`.
///
/// Never panics on any input; see the fuzz target `decode`.
#[inline]
pub fn decode(link: crate::LinkType, ts_ns: u64, frame: &[u8]) -> Result<Packet, DecodeError> {
    crate::decode_impl::decode(link, ts_ns, frame)
}
