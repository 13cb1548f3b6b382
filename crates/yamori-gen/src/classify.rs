//! The analysis rules of `yamori_telescope::config` and `report`, evaluated on what the
//! generator is about to write. Ground-truth counters are computed from these, per packet, so
//! they describe the file as written rather than what an actor meant to send.
use yamori_telescope::report::Category;

use crate::frame::{Frag, Ip, Spec, L4, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG};

/// Which tool fingerprints one IPv4 TCP SYN probe matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FpMatch {
    pub mirai: bool,
    pub zmap: bool,
    pub masscan: bool,
}

impl FpMatch {
    pub(crate) fn of(dst: u32, dport: u16, seq: u32, ip_id: u16) -> Self {
        Self {
            mirai: seq == dst,
            zmap: ip_id == ZMAP_IP_ID,
            masscan: ip_id == masscan_ip_id(dst, dport, seq),
        }
    }

    pub(crate) fn count(self) -> u32 {
        u32::from(self.mirai) + u32::from(self.zmap) + u32::from(self.masscan)
    }

    pub(crate) fn any(self) -> bool {
        self.count() > 0
    }
}

/// ZMap < 4.1 writes this IPv4 ID into every probe (`zmap/src/probe_modules/packet.c`).
pub(crate) const ZMAP_IP_ID: u16 = 54321;

/// masscan's IPv4 ID (`masscan/src/templ-pkt.c`): `(dst_ip ^ dst_port ^ seq) & 0xFFFF`.
pub(crate) fn masscan_ip_id(dst: u32, dport: u16, seq: u32) -> u16 {
    ((dst ^ u32::from(dport) ^ seq) & 0xffff) as u16
}

/// Reasons a darknet packet is flagged erratic/spoofed, in [`Erratic::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Erratic {
    Ttl,
    SourceAddress,
    SourceIsDestination,
    PortZero,
    Fragment,
    TcpFlags,
}

impl Erratic {
    pub(crate) const ALL: [Erratic; 6] = [
        Erratic::Ttl,
        Erratic::SourceAddress,
        Erratic::SourceIsDestination,
        Erratic::PortZero,
        Erratic::Fragment,
        Erratic::TcpFlags,
    ];
    pub(crate) fn name(self) -> &'static str {
        match self {
            Erratic::Ttl => "ttl",
            Erratic::SourceAddress => "source_address",
            Erratic::SourceIsDestination => "source_is_destination",
            Erratic::PortZero => "port_zero",
            Erratic::Fragment => "fragment",
            Erratic::TcpFlags => "tcp_flags",
        }
    }
}

/// What the rules say about one packet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    pub category: Category,
    /// All reasons that apply (the generator makes sure at most one does).
    pub erratic: [bool; 6],
    pub backscatter: bool,
    /// Set for IPv4 TCP SYN probes.
    pub fp: Option<FpMatch>,
}

impl Verdict {
    pub(crate) fn is_erratic(&self) -> bool {
        self.erratic.iter().any(|&e| e)
    }
}

pub(crate) fn tcp_category(flags: u8) -> Category {
    if flags & TCP_RST != 0 {
        Category::TcpRst
    } else if flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK {
        Category::TcpSynack
    } else if flags & TCP_SYN != 0 {
        Category::TcpSyn
    } else if flags & TCP_FIN != 0 {
        Category::TcpFin
    } else if flags & TCP_PSH != 0 {
        Category::TcpPush
    } else if flags & TCP_ACK != 0 {
        Category::TcpAck
    } else {
        Category::TcpOther
    }
}

/// Odd flag combinations after Corsaro: none, SYN+FIN, SYN+RST, FIN+PSH+URG.
fn odd_flags(flags: u8) -> bool {
    let f = flags & 0x3f;
    f == 0
        || f & (TCP_SYN | TCP_FIN) == TCP_SYN | TCP_FIN
        || f & (TCP_SYN | TCP_RST) == TCP_SYN | TCP_RST
        || f & (TCP_FIN | TCP_PSH | TCP_URG) == TCP_FIN | TCP_PSH | TCP_URG
}

pub(crate) fn judge(spec: &Spec<'_>) -> Verdict {
    let (v6, ttl, frag) = match spec.ip {
        Ip::V4 { ttl, frag, .. } => (false, ttl, frag),
        Ip::V6 { hlim, .. } => (true, hlim, Frag::None),
    };
    let mut erratic = [false; 6];
    let mut fp = None;
    let (category, backscatter) = match spec.l4 {
        L4::Raw { .. } => (Category::Other, false),
        L4::Tcp {
            sport,
            dport,
            seq,
            flags,
            ..
        } => {
            let syn_probe = flags & (TCP_SYN | TCP_ACK | TCP_RST) == TCP_SYN;
            if let (true, Ip::V4 { dst, id, .. }) = (syn_probe, spec.ip) {
                fp = Some(FpMatch::of(dst, dport, seq, id));
            }
            erratic[Erratic::PortZero as usize] = sport == 0 || dport == 0;
            erratic[Erratic::TcpFlags as usize] = odd_flags(flags);
            let bs = flags & TCP_RST != 0 || flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK;
            (tcp_category(flags), bs)
        }
        L4::Udp { sport, dport, .. } => {
            erratic[Erratic::PortZero as usize] = sport == 0 || dport == 0;
            (Category::Udp, false)
        }
        L4::Icmp { ty, .. } => {
            let bs = if v6 {
                matches!(ty, 1..=4 | 129)
            } else {
                matches!(ty, 0 | 3 | 4 | 5 | 11 | 12 | 14 | 16 | 18)
            };
            (Category::Icmp, bs)
        }
    };
    erratic[Erratic::Ttl as usize] = ttl >= 200 && !fp.is_some_and(FpMatch::any);
    erratic[Erratic::Fragment as usize] = frag != Frag::None;
    match spec.ip {
        Ip::V4 { src, dst, .. } => {
            erratic[Erratic::SourceAddress as usize] = matches!(src & 0xff, 0 | 255);
            erratic[Erratic::SourceIsDestination as usize] = src == dst;
        }
        Ip::V6 { src, dst, .. } => {
            erratic[Erratic::SourceIsDestination as usize] = src == dst;
        }
    }
    Verdict {
        category,
        erratic,
        backscatter,
        fp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_precedence_follows_the_report_contract() {
        assert_eq!(tcp_category(TCP_RST | TCP_SYN | TCP_ACK), Category::TcpRst);
        assert_eq!(tcp_category(TCP_SYN | TCP_ACK), Category::TcpSynack);
        assert_eq!(tcp_category(TCP_SYN | TCP_FIN), Category::TcpSyn);
        assert_eq!(tcp_category(TCP_FIN | TCP_ACK), Category::TcpFin);
        assert_eq!(tcp_category(TCP_PSH | TCP_ACK), Category::TcpPush);
        assert_eq!(tcp_category(TCP_ACK), Category::TcpAck);
        assert_eq!(tcp_category(TCP_URG), Category::TcpOther);
        assert_eq!(tcp_category(0), Category::TcpOther);
    }

    #[test]
    fn odd_flag_combinations() {
        assert!(odd_flags(0));
        assert!(odd_flags(TCP_SYN | TCP_FIN));
        assert!(odd_flags(TCP_SYN | TCP_RST | TCP_ACK));
        assert!(odd_flags(TCP_FIN | TCP_PSH | TCP_URG));
        assert!(!odd_flags(TCP_SYN));
        assert!(!odd_flags(TCP_FIN | TCP_ACK));
        assert!(!odd_flags(TCP_RST | TCP_ACK));
    }

    #[test]
    fn fingerprints_match_their_tools() {
        let dst = 0xcb00_7142;
        assert!(FpMatch::of(dst, 23, dst, 1).mirai);
        assert!(FpMatch::of(dst, 80, 5, ZMAP_IP_ID).zmap);
        let seq = 0x1234_5678;
        assert!(FpMatch::of(dst, 443, seq, masscan_ip_id(dst, 443, seq)).masscan);
    }
}
