//! Streaming capture reader: pcap (both byte orders, µs and ns), pcapng (SHB/IDB/EPB/SPB/OPB,
//! several interfaces), transparently gzip-compressed, from a file or stdin.
//!
//! Interface (implementation being written by the wire task):
//! ```ignore
//! let mut r = CaptureReader::open(Path::new("x.pcap.gz"))?;   // or CaptureReader::from_read("-", stdin)
//! while let Some(rec) = r.next_record()? {                      // rec borrows r's buffer
//!     let pkt = yamori_wire::decode(rec.link, rec.ts_ns, rec.data);
//! }
//! ```
use crate::LinkType;

/// One captured frame, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub ts_ns: u64,
    pub link: LinkType,
    /// Captured bytes (may be shorter than `orig_len` when a snap length applied).
    pub data: &'a [u8],
    pub orig_len: u32,
    /// Byte offset of this record's header in the (decompressed) capture stream.
    pub offset: u64,
}

/// What went wrong while reading a capture. Always names the file and the byte offset
/// (in the decompressed stream) where reading stopped; records before it were delivered.
#[derive(Debug, thiserror::Error)]
#[error("{file}: at byte offset {offset}: {kind}")]
pub struct ReadError {
    pub file: String,
    pub offset: u64,
    pub kind: ReadErrorKind,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    #[error("empty file: no capture header")]
    Empty,
    #[error("not a pcap, pcapng or gzip file (first bytes {0:02x?})")]
    NotACapture(Vec<u8>),
    #[error("file ends inside a record or block (truncated capture)")]
    Truncated,
    #[error("record length {len} exceeds {limit}")]
    RecordTooLong { len: u64, limit: u64 },
    #[error("malformed {0}")]
    Malformed(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Streaming reader over one capture (see module docs).
pub struct CaptureReader {
    _private: (),
}

impl CaptureReader {
    /// Open `path` (`-` means stdin), detecting gzip, pcap and pcapng from the first bytes.
    pub fn open(path: &std::path::Path) -> Result<Self, ReadError> {
        Err(ReadError {
            file: path.display().to_string(),
            offset: 0,
            kind: ReadErrorKind::Malformed("reader not yet implemented".into()),
        })
    }

    /// Next record, `Ok(None)` at a clean end of file.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        Ok(None)
    }
}
