//! Frame and capture-file builders for the tests, written from the RFC layouts (independent of
//! the decoder under test), plus a small seeded PRNG so random tests are reproducible.

/// SplitMix64: tiny, seeded, good enough to generate test inputs reproducibly.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
    /// Random bytes, fewer than `max`.
    pub fn bytes_below(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max) as usize;
        self.bytes(n)
    }
    /// Random 4-byte words, fewer than `max_words` of them.
    pub fn words_below(&mut self, max_words: u64) -> Vec<u8> {
        let n = 4 * self.below(max_words) as usize;
        self.bytes(n)
    }
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// IPv4 header (zero checksum) + payload; one argument per header field under test.
#[allow(clippy::too_many_arguments)]
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    ttl: u8,
    id: u16,
    frag: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert!(
        opts.len() & 3 == 0 && opts.len() <= 40,
        "IPv4 options are padded words, at most 40 bytes"
    );
    let ihl = 20 + opts.len();
    let total = (ihl + payload.len()) as u16;
    let mut v = vec![0x40 | (ihl / 4) as u8, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&frag.to_be_bytes());
    v.extend_from_slice(&[ttl, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(opts);
    v.extend_from_slice(payload);
    v
}

pub fn ipv6(src: u128, dst: u128, next: u8, hop: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[next, hop]);
    v.extend_from_slice(&src.to_be_bytes());
    v.extend_from_slice(&dst.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn tcp(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    opts: &[u8],
) -> Vec<u8> {
    assert!(opts.len() & 3 == 0, "TCP options are padded words");
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ack.to_be_bytes());
    v.push((((20 + opts.len()) / 4) as u8) << 4);
    v.push(flags);
    v.extend_from_slice(&window.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(opts);
    v
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// ICMP/ICMPv6 header (type, code, zero checksum, zero rest-of-header) followed by `body`.
pub fn icmp(icmp_type: u8, code: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(body);
    v
}

pub fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Ethernet with VLAN tags (`(tpid, vid)` outermost first).
pub fn ether_tagged(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    for (i, (tpid, vid)) in tags.iter().enumerate() {
        if i == 0 {
            v.extend_from_slice(&tpid.to_be_bytes());
        }
        v.extend_from_slice(&vid.to_be_bytes());
        let next = tags.get(i + 1).map_or(ethertype, |t| t.0);
        v.extend_from_slice(&next.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// A typical darknet probe: Ethernet / IPv4 / TCP SYN, 54 bytes.
pub fn syn_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    ether(
        0x0800,
        &ipv4(
            src,
            dst,
            6,
            64,
            0x1234,
            0,
            &[],
            &tcp(sport, dport, seq, 0, 0x02, 1024, &[]),
        ),
    )
}

/// Builds pcapng files block by block, in either byte order.
pub struct PcapNg {
    pub be: bool,
    pub out: Vec<u8>,
}

impl PcapNg {
    pub fn new(be: bool) -> Self {
        let mut s = Self {
            be,
            out: Vec::new(),
        };
        s.shb();
        s
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    /// Append a block of `block_type` with `body` (padded to 4 bytes); returns its offset.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> u64 {
        let at = self.out.len() as u64;
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        let (t, l) = (self.u32(block_type), self.u32(len));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        self.out.extend_from_slice(&l);
        at
    }
    /// A new section (byte order magic, version 1.0, unknown section length, one comment option).
    pub fn shb(&mut self) -> u64 {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(0x1a2b_3c4d));
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        self.opt(&mut b, 1, b"yamori test");
        self.opt(&mut b, 0, b"");
        self.block(0x0a0d_0d0a, &b)
    }
    fn opt(&self, b: &mut Vec<u8>, code: u16, value: &[u8]) {
        b.extend_from_slice(&self.u16(code));
        b.extend_from_slice(&self.u16(value.len() as u16));
        b.extend_from_slice(value);
        b.resize(b.len().div_ceil(4) * 4, 0);
    }
    /// Interface with optional `if_tsresol` and `if_tsoffset`.
    pub fn idb(
        &mut self,
        link: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> u64 {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(link));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u32(snaplen));
        self.opt(&mut b, 2, b"eth-test"); // if_name, to be skipped
        if let Some(r) = tsresol {
            self.opt(&mut b, 9, &[r]);
        }
        if let Some(o) = tsoffset {
            let v = if self.be {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            self.opt(&mut b, 14, &v);
        }
        self.opt(&mut b, 0, b"");
        self.block(1, &b)
    }
    /// Enhanced Packet Block with a raw timestamp in interface units.
    pub fn epb(&mut self, iface: u32, ts_units: u64, data: &[u8], orig_len: u32) -> u64 {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(iface));
        b.extend_from_slice(&self.u32((ts_units >> 32) as u32));
        b.extend_from_slice(&self.u32(ts_units as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(orig_len));
        b.extend_from_slice(data);
        b.resize(b.len().div_ceil(4) * 4, 0);
        self.opt(&mut b, 1, b"epb comment");
        self.opt(&mut b, 0, b"");
        self.block(6, &b)
    }
    /// Obsolete Packet Block (16-bit interface id and drop count).
    pub fn opb(&mut self, iface: u16, ts_units: u64, data: &[u8]) -> u64 {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(iface));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u32((ts_units >> 32) as u32));
        b.extend_from_slice(&self.u32(ts_units as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(2, &b)
    }
    /// Simple Packet Block: original length then (snaplen-cut) data.
    pub fn spb(&mut self, orig_len: u32, data: &[u8]) -> u64 {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(orig_len));
        b.extend_from_slice(data);
        self.block(3, &b)
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Every record of a capture held in memory, or the error that stopped reading.
pub fn read_all(name: &str, bytes: Vec<u8>) -> (Vec<Owned>, Option<yamori_wire::ReadError>) {
    let mut out = Vec::new();
    let mut r = match yamori_wire::CaptureReader::from_read(name, std::io::Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (out, Some(e)),
    };
    loop {
        match r.next_record() {
            Ok(Some(rec)) => out.push(Owned {
                ts_ns: rec.ts_ns,
                link: rec.link.0,
                data: rec.data.to_vec(),
                orig_len: rec.orig_len,
                offset: rec.offset,
            }),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// An owned copy of a [`yamori_wire::Record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub ts_ns: u64,
    pub link: u32,
    pub data: Vec<u8>,
    pub orig_len: u32,
    pub offset: u64,
}
