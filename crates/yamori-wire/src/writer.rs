//! A classic pcap writer (microsecond or nanosecond timestamps, little-endian).
//!
//! Written by hand because it is 24 + 16 bytes of header layout; the crates that write pcap
//! (pcap-file) would add a second parser beside pcap-parser for no gain.
use std::io::{self, Write};

use crate::LinkType;

/// Writes a little-endian classic pcap file, one record per [`PcapWriter::write`] call.
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Write the global header. `nanos` selects the nanosecond magic (0xa1b23c4d).
    pub fn new(mut out: W, link: LinkType, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        out.write_all(&magic.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?; // version major
        out.write_all(&4u16.to_le_bytes())?; // version minor
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&snaplen.to_le_bytes())?;
        out.write_all(&link.0.to_le_bytes())?;
        Ok(Self {
            out,
            nanos,
            snaplen,
        })
    }

    /// Append one record; `frame` longer than the snap length is cut (orig_len keeps the truth).
    pub fn write(&mut self, ts_ns: u64, frame: &[u8]) -> io::Result<()> {
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        self.write_cut(ts_ns, frame, orig_len)
    }

    /// Append a frame that was already cut by its capture: `orig_len` is its length on the
    /// wire (at least `frame.len()`).
    pub fn write_cut(&mut self, ts_ns: u64, frame: &[u8], orig_len: u32) -> io::Result<()> {
        let secs = (ts_ns / 1_000_000_000) as u32;
        let frac = if self.nanos {
            (ts_ns % 1_000_000_000) as u32
        } else {
            ((ts_ns % 1_000_000_000) / 1_000) as u32
        };
        let caplen = frame.len().min(self.snaplen as usize);
        let orig_len = orig_len.max(u32::try_from(frame.len()).unwrap_or(u32::MAX));
        let mut hdr = [0u8; 16];
        hdr[0..4].copy_from_slice(&secs.to_le_bytes());
        hdr[4..8].copy_from_slice(&frac.to_le_bytes());
        hdr[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        hdr[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&hdr)?;
        self.out.write_all(&frame[..caplen])
    }

    /// The underlying writer (to flush it without closing).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Flush and return the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
