//! pcapng files: sections (SHB), interfaces (IDB) and packets (EPB, SPB, OPB); every other
//! block is skipped without being held in memory.
//! Layout: draft-ietf-opsawg-pcapng ("PCAP Now Generic"), sections 4 and 5, appendix A (OPB).
//!
//! Written by hand rather than with pcap-parser's `PcapNGReader`, whose errors carry no file
//! offset and which has no OPB; and because in pcap-parser 0.17 `build_ts_resolution`
//! rejects every power-of-two `if_tsresol` (it tests `> 63` before masking bit 7) and
//! `if_tsoffset` is read little-endian even in big-endian sections.
use super::buffer::{Buffer, BUF_LEN};
use super::pcap::read_u32;
use super::{Located, Meta, ReadErrorKind, MAX_CAPLEN};
use crate::LinkType;

pub(super) const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// Largest block the reader holds in memory at once (packet blocks and IDBs; other blocks are
/// skipped as a stream). A packet block is at most [`MAX_CAPLEN`] of data plus headers and
/// options; 1 MiB leaves ample room for options while keeping memory constant.
const MAX_BLOCK_LEN: u32 = BUF_LEN as u32;
/// Interfaces per section. Real captures have a handful; each costs 40 bytes, so the bound
/// only stops a file of millions of IDBs from growing memory.
const MAX_INTERFACES: usize = 65_536;

/// What a packet block needs to know about the interface it was captured on.
struct Interface {
    link: LinkType,
    /// Snap length, `0` = unlimited.
    snaplen: u32,
    /// Timestamp units per second (`if_tsresol`, default 10^6).
    units_per_sec: u64,
    /// Nanoseconds per unit when that is a whole number (10^0 … 10^9 units per second): then a
    /// timestamp converts with one multiplication instead of a 128-bit division per packet.
    ns_per_unit: Option<u64>,
    /// `if_tsoffset`: seconds added to every timestamp.
    offset_secs: i64,
}

pub(super) struct PcapNg {
    big_endian: bool,
    interfaces: Vec<Interface>,
    /// Timestamp of the previous packet: SPBs carry none and get this one.
    last_ts_ns: u64,
}

impl PcapNg {
    pub fn new() -> Self {
        Self {
            big_endian: false,
            interfaces: Vec::new(),
            last_ts_ns: 0,
        }
    }

    /// Next packet's metadata, reading (and skipping) blocks until one holds a packet.
    pub fn next(&mut self, buf: &mut Buffer) -> Result<Option<Meta>, Located> {
        loop {
            let offset = buf.offset();
            let io = |e: std::io::Error| (offset, ReadErrorKind::from(e));
            let trunc = (offset, ReadErrorKind::Truncated);
            if !buf.fill(8).map_err(io)? {
                return if buf.avail().is_empty() {
                    Ok(None)
                } else {
                    Err(trunc)
                };
            }
            let block_type = read_u32(buf.avail(), 0, self.big_endian);
            if block_type == SHB {
                // The byte-order magic decides how this and every later block of the section reads.
                if !buf.fill(16).map_err(io)? {
                    return Err(trunc);
                }
                let h = buf.avail();
                self.big_endian = match read_u32(h, 8, false) {
                    BYTE_ORDER_MAGIC => false,
                    m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                    m => {
                        return Err(malformed(
                            offset + 8,
                            format!("SHB byte-order magic {m:#010x}"),
                        ))
                    }
                };
                let major = read_u16(h, 12, self.big_endian);
                if major != 1 {
                    return Err(malformed(
                        offset + 12,
                        format!("pcapng version {major} (expected 1)"),
                    ));
                }
                self.interfaces.clear();
            }
            let block_len = read_u32(buf.avail(), 4, self.big_endian);
            if block_len < 12 || block_len & 3 != 0 {
                return Err(malformed(
                    offset + 4,
                    format!("block length {block_len} (must be ≥ 12 and a multiple of 4)"),
                ));
            }
            match block_type {
                EPB | OPB | SPB => return self.packet(buf, block_type, block_len).map(Some),
                IDB => self.interface(buf, block_len)?,
                _ => {
                    // Skip SHB bodies (options), statistics, name resolution, custom and unknown
                    // blocks as a stream, then check the trailing length copy.
                    if !buf.skip(u64::from(block_len) - 4).map_err(io)?
                        || !buf.fill(4).map_err(io)?
                    {
                        return Err(trunc);
                    }
                    let trailer = read_u32(buf.avail(), 0, self.big_endian);
                    if trailer != block_len {
                        return Err(bad_trailer(offset, block_len, trailer));
                    }
                    buf.consume(4);
                }
            }
        }
    }

    /// Buffer a whole block of `block_len` bytes (bounded by [`MAX_BLOCK_LEN`]) and check its trailer.
    fn whole_block(&self, buf: &mut Buffer, block_len: u32) -> Result<(), Located> {
        let offset = buf.offset();
        if block_len > MAX_BLOCK_LEN {
            return Err((
                offset,
                ReadErrorKind::RecordTooLong {
                    len: u64::from(block_len),
                    limit: u64::from(MAX_BLOCK_LEN),
                },
            ));
        }
        if !buf
            .fill(block_len as usize)
            .map_err(|e| (offset, e.into()))?
        {
            return Err((offset, ReadErrorKind::Truncated));
        }
        let trailer = read_u32(buf.avail(), block_len as usize - 4, self.big_endian);
        if trailer != block_len {
            return Err(bad_trailer(offset, block_len, trailer));
        }
        Ok(())
    }

    fn interface(&mut self, buf: &mut Buffer, block_len: u32) -> Result<(), Located> {
        let offset = buf.offset();
        if block_len < 20 {
            return Err(malformed(
                offset,
                format!("IDB length {block_len} below 20"),
            ));
        }
        self.whole_block(buf, block_len)?;
        if self.interfaces.len() == MAX_INTERFACES {
            return Err(malformed(
                offset,
                format!("more than {MAX_INTERFACES} interfaces in one section"),
            ));
        }
        let be = self.big_endian;
        let b = &buf.avail()[..block_len as usize];
        let mut iface = Interface {
            link: LinkType(u32::from(read_u16(b, 8, be))),
            snaplen: read_u32(b, 12, be),
            units_per_sec: 1_000_000,
            ns_per_unit: Some(1_000),
            offset_secs: 0,
        };
        // Options: (code u16, length u16, value padded to 4 bytes)*, ending with code 0 or the block.
        let opts = &b[16..b.len() - 4];
        let mut at = 0;
        while at + 4 <= opts.len() {
            let code = read_u16(opts, at, be);
            let len = usize::from(read_u16(opts, at + 2, be));
            let Some(value) = opts.get(at + 4..at + 4 + len) else {
                return Err(malformed(
                    offset + 16 + at as u64,
                    "IDB option runs past the block".into(),
                ));
            };
            match (code, value) {
                (0, _) => break,
                (9, &[r, ..]) => {
                    iface.units_per_sec = ts_units(r).ok_or_else(|| {
                        malformed(
                            offset + 16 + at as u64,
                            format!("if_tsresol {r:#04x} out of range"),
                        )
                    })?;
                }
                (14, &[a, b0, c, d, e, f, g, h]) => {
                    let v = [a, b0, c, d, e, f, g, h];
                    iface.offset_secs = if be {
                        i64::from_be_bytes(v)
                    } else {
                        i64::from_le_bytes(v)
                    };
                }
                _ => {}
            }
            at += 4 + len.div_ceil(4) * 4;
        }
        iface.ns_per_unit =
            (NS_PER_SEC % iface.units_per_sec == 0).then(|| NS_PER_SEC / iface.units_per_sec);
        self.interfaces.push(iface);
        buf.consume(block_len as usize);
        Ok(())
    }

    fn packet(
        &mut self,
        buf: &mut Buffer,
        block_type: u32,
        block_len: u32,
    ) -> Result<Meta, Located> {
        let offset = buf.offset();
        let be = self.big_endian;
        // SPB: type, len, original length, data. EPB/OPB: type, len, interface id (u32; OPB:
        // u16 + drop count), timestamp high, low, captured length, original length, data.
        let header = if block_type == SPB { 12 } else { 28 };
        let min_len = header as u32 + 4;
        if block_len < min_len {
            return Err(malformed(
                offset,
                format!("packet block length {block_len} below {min_len}"),
            ));
        }
        if !buf.fill(header).map_err(|e| (offset, e.into()))? {
            return Err((offset, ReadErrorKind::Truncated));
        }
        let h = buf.avail();
        let room = block_len - min_len;
        let (if_id, caplen, orig_len, ts) = if block_type == SPB {
            let orig = read_u32(h, 8, be);
            let snap = self.interfaces.first().map_or(0, |i| i.snaplen);
            // The captured length is implied: the original length cut to the snap length.
            let cap = if snap == 0 { orig } else { orig.min(snap) };
            (0, cap.min(room), orig, None)
        } else {
            let id = if block_type == OPB {
                u32::from(read_u16(h, 8, be))
            } else {
                read_u32(h, 8, be)
            };
            let ts = (u64::from(read_u32(h, 12, be)) << 32) | u64::from(read_u32(h, 16, be));
            (id, read_u32(h, 20, be), read_u32(h, 24, be), Some(ts))
        };
        let Some(iface) = self.interfaces.get(if_id as usize) else {
            let n = self.interfaces.len();
            return Err(malformed(
                offset + 8,
                format!("packet refers to interface {if_id}, section declares {n}"),
            ));
        };
        let limit = if iface.snaplen == 0 {
            MAX_CAPLEN
        } else {
            iface.snaplen.min(MAX_CAPLEN)
        };
        if caplen > limit {
            let (len, limit) = (u64::from(caplen), u64::from(limit));
            return Err((offset, ReadErrorKind::RecordTooLong { len, limit }));
        }
        if caplen > room {
            return Err(malformed(
                offset + 20,
                format!("captured length {caplen} exceeds block length {block_len}"),
            ));
        }
        let link = iface.link;
        let ts_ns = match ts {
            Some(t) => match (iface.ns_per_unit, iface.offset_secs) {
                (Some(mul), 0) => t.saturating_mul(mul),
                _ => to_ns(t, iface.units_per_sec, iface.offset_secs),
            },
            None => self.last_ts_ns,
        };
        self.whole_block(buf, block_len)?;
        self.last_ts_ns = ts_ns;
        let pos = buf.pos() + header;
        buf.consume(block_len as usize);
        Ok(Meta {
            ts_ns,
            link,
            orig_len,
            offset,
            pos,
            len: caplen as usize,
        })
    }
}

/// `if_tsresol`: bit 7 clear → 10^value units per second, set → 2^(value & 0x7f).
/// `None` when the unit does not fit in a u64.
fn ts_units(r: u8) -> Option<u64> {
    if r & 0x80 == 0 {
        10u64.checked_pow(u32::from(r))
    } else {
        1u64.checked_shl(u32::from(r & 0x7f))
            .filter(|_| r & 0x7f < 64)
    }
}

const NS_PER_SEC: u64 = 1_000_000_000;

/// Timestamp in interface units → ns since the epoch, saturating at the u64 range.
fn to_ns(ts: u64, units_per_sec: u64, offset_secs: i64) -> u64 {
    let units = u128::from(units_per_sec.max(1));
    let t = u128::from(ts);
    let ns = (t / units) * 1_000_000_000 + (t % units) * 1_000_000_000 / units;
    let with_offset = ns as i128 + i128::from(offset_secs) * i128::from(NS_PER_SEC);
    with_offset.clamp(0, i128::from(u64::MAX)) as u64
}

fn read_u16(h: &[u8], i: usize, big_endian: bool) -> u16 {
    let b = match h.get(i..i + 2) {
        Some(&[a, b]) => [a, b],
        _ => [0; 2],
    };
    if big_endian {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

fn malformed(offset: u64, what: String) -> Located {
    (offset, ReadErrorKind::Malformed(what))
}

fn bad_trailer(offset: u64, block_len: u32, trailer: u32) -> Located {
    malformed(
        offset,
        format!("block length {block_len} but trailing copy says {trailer}"),
    )
}
