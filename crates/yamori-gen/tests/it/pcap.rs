//! A minimal classic-pcap reader and header decoder, written independently of the generator so
//! the tests check the bytes on disk rather than the generator's own view of them.

pub struct Rec {
    pub ts_ns: u64,
    pub data: Vec<u8>,
}

pub struct Capture {
    pub link: u32,
    pub records: Vec<Rec>,
}

pub fn read(bytes: &[u8]) -> Capture {
    assert!(bytes.len() >= 24, "pcap header");
    let magic = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes"));
    let nanos = match magic {
        0xa1b2_c3d4 => false,
        0xa1b2_3c4d => true,
        m => panic!("unexpected magic {m:#x}"),
    };
    let link = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    let mut at = 24;
    let mut records = Vec::new();
    while at < bytes.len() {
        let h = &bytes[at..at + 16];
        let word = |i: usize| u64::from(u32::from_le_bytes(h[i..i + 4].try_into().expect("4")));
        let frac = if nanos { word(4) } else { word(4) * 1000 };
        let caplen = word(8) as usize;
        assert_eq!(word(8), word(12), "generator never truncates");
        records.push(Rec {
            ts_ns: word(0) * 1_000_000_000 + frac,
            data: bytes[at + 16..at + 16 + caplen].to_vec(),
        });
        at += 16 + caplen;
    }
    assert_eq!(at, bytes.len(), "file ends on a record boundary");
    Capture { link, records }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    V4(u32),
    V6(u128),
}

#[derive(Debug, Clone, Copy)]
pub enum L4 {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        flags: u8,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
    Icmp {
        ty: u8,
        /// For errors: quoted destination address and port.
        quoted_dst: Option<(u32, u16)>,
    },
    Fragment,
}

#[derive(Debug, Clone, Copy)]
pub struct Pkt {
    pub ts_ns: u64,
    pub src: Addr,
    pub dst: Addr,
    pub ttl: u8,
    pub id: u16,
    pub frag: bool,
    pub l4: L4,
}

fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}

pub fn decode(link: u32, rec: &Rec) -> Pkt {
    let ip = match link {
        1 => &rec.data[14..],
        101 => &rec.data[..],
        113 => &rec.data[16..],
        l => panic!("link {l}"),
    };
    if ip[0] >> 4 == 6 {
        let next = ip[6];
        let p = &ip[40..];
        let l4 = match next {
            6 => L4::Tcp {
                sport: be16(p, 0),
                dport: be16(p, 2),
                seq: be32(p, 4),
                flags: p[13],
            },
            58 => L4::Icmp {
                ty: p[0],
                quoted_dst: None,
            },
            n => panic!("IPv6 next header {n}"),
        };
        return Pkt {
            ts_ns: rec.ts_ns,
            src: Addr::V6(u128::from_be_bytes(ip[8..24].try_into().expect("16"))),
            dst: Addr::V6(u128::from_be_bytes(ip[24..40].try_into().expect("16"))),
            ttl: ip[7],
            id: 0,
            frag: false,
            l4,
        };
    }
    assert_eq!(ip[0], 0x45);
    let total = usize::from(be16(ip, 2));
    let ip = &ip[..total];
    let off = be16(ip, 6);
    let frag = off & 0x3fff != 0;
    let p = &ip[20..];
    let l4 = if off & 0x1fff != 0 {
        L4::Fragment
    } else {
        match ip[9] {
            6 => L4::Tcp {
                sport: be16(p, 0),
                dport: be16(p, 2),
                seq: be32(p, 4),
                flags: p[13],
            },
            17 => L4::Udp {
                sport: be16(p, 0),
                dport: be16(p, 2),
            },
            1 => L4::Icmp {
                ty: p[0],
                quoted_dst: (p[0] == 3).then(|| (be32(p, 8 + 16), be16(p, 8 + 22))),
            },
            n => panic!("protocol {n}"),
        }
    };
    Pkt {
        ts_ns: rec.ts_ns,
        src: Addr::V4(be32(ip, 12)),
        dst: Addr::V4(be32(ip, 16)),
        ttl: ip[8],
        id: be16(ip, 4),
        frag,
        l4,
    }
}
