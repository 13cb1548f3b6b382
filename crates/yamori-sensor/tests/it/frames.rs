//! Hand-made Ethernet frames for the tests.

use std::net::IpAddr;

/// A TCP SYN from `src` to `dst` port `port` in an Ethernet frame.
pub fn tcp_syn(src: IpAddr, dst: IpAddr, port: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    let mut tcp = vec![0u8; 20];
    tcp[0..2].copy_from_slice(&40_000u16.to_be_bytes());
    tcp[2..4].copy_from_slice(&port.to_be_bytes());
    tcp[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = 0x02; // SYN
    tcp[14..16].copy_from_slice(&1024u16.to_be_bytes());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            f.extend([0x08, 0x00]);
            let mut ip = vec![0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0];
            ip.extend(s.octets());
            ip.extend(d.octets());
            f.extend(ip);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            f.extend([0x86, 0xdd]);
            f.extend([0x60, 0, 0, 0, 0, 20, 6, 64]);
            f.extend(s.octets());
            f.extend(d.octets());
        }
        _ => panic!("test frames use one address family"),
    }
    f.extend(tcp);
    f
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}
