//! Payloads of UDP probes: what DNS, NTP, SSDP and SIP scanners send.
use std::io::Write as _;

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UdpService {
    Dns,
    Ntp,
    Ssdp,
    Sip,
}

impl UdpService {
    pub(crate) const ALL: [UdpService; 4] = [Self::Dns, Self::Ntp, Self::Ssdp, Self::Sip];
    pub(crate) fn port(self) -> u16 {
        match self {
            Self::Dns => 53,
            Self::Ntp => 123,
            Self::Ssdp => 1900,
            Self::Sip => 5060,
        }
    }
}

const SSDP_MSEARCH: &[u8] = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";

/// The payload a scanner of `service` sends (written into `out`).
pub(crate) fn udp_payload(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    service: UdpService,
    src: u32,
    dst: u32,
    sport: u16,
) {
    match service {
        UdpService::Dns => {
            // A `version.bind` CH TXT query, the classic resolver-fingerprinting probe.
            out.extend_from_slice(&rng.u16().to_be_bytes());
            out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(b"\x07version\x04bind\x00");
            out.extend_from_slice(&[0, 16, 0, 3]);
        }
        UdpService::Ntp => {
            // NTPv4 client request (mode 3), 48 bytes, transmit timestamp set.
            out.extend_from_slice(&[0xe3, 0, 6, 0xec]);
            out.resize(40, 0);
            out.extend_from_slice(&rng.u64().to_be_bytes());
        }
        UdpService::Ssdp => out.extend_from_slice(SSDP_MSEARCH),
        UdpService::Sip => {
            let (s, d) = (std::net::Ipv4Addr::from(src), std::net::Ipv4Addr::from(dst));
            let (branch, tag, call) = (rng.u32(), rng.u32(), rng.u64());
            // Writing into a Vec cannot fail.
            let _ = write!(
                out,
                "OPTIONS sip:100@{d} SIP/2.0\r\nVia: SIP/2.0/UDP {s}:{sport};branch=z9hG4bK-{branch:08x};rport\r\n\
                 Max-Forwards: 70\r\nTo: \"100\" <sip:100@{d}>\r\nFrom: \"100\" <sip:100@{d}>;tag={tag:08x}\r\n\
                 User-Agent: friendly-scanner\r\nCall-ID: {call:016x}\r\nContact: <sip:100@{s}:{sport}>\r\n\
                 CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n"
            );
        }
    }
}
