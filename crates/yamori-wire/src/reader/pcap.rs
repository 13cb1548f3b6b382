//! Classic pcap (libpcap) files: 24-byte global header, 16-byte record headers.
//! Layout: draft-ietf-opsawg-pcap ("PCAP Capture File Format"), sections 4 and 5.
use super::buffer::Buffer;
use super::{Located, Meta, ReadErrorKind, MAX_CAPLEN};
use crate::LinkType;

pub(super) const MAGIC_US: u32 = 0xa1b2_c3d4;
pub(super) const MAGIC_NS: u32 = 0xa1b2_3c4d;

pub(super) struct Pcap {
    big_endian: bool,
    nanos: bool,
    /// Largest caplen a record may have: the snap length, capped by [`MAX_CAPLEN`].
    limit: u32,
    link: LinkType,
}

impl Pcap {
    /// Parse the global header at the start of `buf` (the magic was already recognised).
    pub fn open(buf: &mut Buffer) -> Result<Self, Located> {
        if !buf.fill(24).map_err(|e| (0, e.into()))? {
            return Err((0, ReadErrorKind::Truncated));
        }
        let h = buf.avail();
        let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (big_endian, nanos) = match le {
            MAGIC_US => (false, false),
            MAGIC_NS => (false, true),
            _ if le.swap_bytes() == MAGIC_US => (true, false),
            _ if le.swap_bytes() == MAGIC_NS => (true, true),
            _ => return Err((0, ReadErrorKind::NotACapture(h[..4].to_vec()))),
        };
        let rd = |i: usize| read_u32(h, i, big_endian);
        let major = if big_endian {
            u16::from_be_bytes([h[4], h[5]])
        } else {
            u16::from_le_bytes([h[4], h[5]])
        };
        if major != 2 {
            return Err((
                4,
                ReadErrorKind::Malformed(format!("pcap version {major} (expected 2)")),
            ));
        }
        // thiszone (8) and sigfigs (12) are 0 in every file libpcap writes; timestamps are UTC.
        let snaplen = rd(16);
        // A snap length of 0 is written by some tools to mean "unlimited": only the hard limit applies.
        let limit = if snaplen == 0 {
            MAX_CAPLEN
        } else {
            snaplen.min(MAX_CAPLEN)
        };
        // The upper bits of the link-type field carry FCS information (draft §5, "LinkType and
        // additional information"): the link type proper is the low 16 bits.
        let link = LinkType(rd(20) & 0xffff);
        buf.consume(24);
        Ok(Self {
            big_endian,
            nanos,
            limit,
            link,
        })
    }

    /// Next record's metadata; the record (header and data) has been consumed from `buf`.
    #[inline]
    pub fn next(&mut self, buf: &mut Buffer) -> Result<Option<Meta>, Located> {
        let offset = buf.offset();
        let io = |e: std::io::Error| (offset, e.into());
        if !buf.fill(16).map_err(io)? {
            return if buf.avail().is_empty() {
                Ok(None)
            } else {
                Err((offset, ReadErrorKind::Truncated))
            };
        }
        let h = buf.avail();
        let secs = read_u32(h, 0, self.big_endian);
        let frac = read_u32(h, 4, self.big_endian);
        let caplen = read_u32(h, 8, self.big_endian);
        let orig_len = read_u32(h, 12, self.big_endian);
        if caplen > self.limit {
            return Err((
                offset,
                ReadErrorKind::RecordTooLong {
                    len: u64::from(caplen),
                    limit: u64::from(self.limit),
                },
            ));
        }
        let total = 16 + caplen as usize;
        if !buf.fill(total).map_err(io)? {
            return Err((offset, ReadErrorKind::Truncated));
        }
        let frac_ns = if self.nanos {
            u64::from(frac)
        } else {
            u64::from(frac) * 1_000
        };
        let pos = buf.pos() + 16;
        buf.consume(total);
        Ok(Some(Meta {
            ts_ns: u64::from(secs) * 1_000_000_000 + frac_ns,
            link: self.link,
            orig_len,
            offset,
            pos,
            len: caplen as usize,
        }))
    }
}

/// u32 at `i` in the file's byte order; callers have made `i + 4` bytes available.
#[inline(always)]
pub(super) fn read_u32(h: &[u8], i: usize, big_endian: bool) -> u32 {
    let b = match h.get(i..i + 4) {
        Some(&[a, b, c, d]) => [a, b, c, d],
        _ => [0; 4],
    };
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}
