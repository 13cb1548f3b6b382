//! Streaming capture reader: pcap (both byte orders, µs and ns), pcapng (SHB/IDB/EPB/SPB/OPB,
//! several interfaces and sections), transparently gzip-compressed, from a file or stdin.
//!
//! Why hand-framed: telescope captures are tens of GB, so the reader streams through one fixed
//! 1 MiB buffer (constant memory whatever the file size) and every error must say where in the
//! file it happened so an operator can cut or repair the capture. Each record borrows the
//! buffer until the next call, so no packet is copied. See `pcapng.rs` for why pcap-parser's
//! streaming readers are not used.
//!
//! ```no_run
//! # use yamori_wire::CaptureReader;
//! let mut r = CaptureReader::open(std::path::Path::new("x.pcap.gz"))?; // `-` reads stdin
//! while let Some(rec) = r.next_record()? {
//!     let pkt = yamori_wire::decode(rec.link, rec.ts_ns, rec.data);
//! }
//! # Ok::<(), yamori_wire::ReadError>(())
//! ```
mod buffer;
mod pcap;
mod pcapng;

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use buffer::{Buffer, Counting};

use crate::LinkType;

/// Hard limit on a record's captured length, whatever the file's snap length says: 256 KiB is
/// libpcap's largest default snap length (`MAXIMUM_SNAPLEN`, 262144), so no honest capture
/// exceeds it, and a corrupt length cannot make the reader buffer gigabytes.
pub const MAX_CAPLEN: u32 = 256 * 1024;

/// One captured frame, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Capture time, nanoseconds since the Unix epoch (pcapng: `if_tsresol` and `if_tsoffset`
    /// applied; a Simple Packet Block carries no time and gets the previous packet's).
    pub ts_ns: u64,
    /// Link type of the interface the frame was captured on (may be one `decode` does not know).
    pub link: LinkType,
    /// Captured bytes (may be shorter than `orig_len` when a snap length applied).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// Byte offset of this record's header in the (decompressed) capture stream.
    pub offset: u64,
}

/// What went wrong while reading a capture. Always names the file and the byte offset
/// (in the decompressed stream) where reading stopped; records before it were delivered.
#[derive(Debug, thiserror::Error)]
#[error("{file}: at byte offset {offset}: {kind}")]
pub struct ReadError {
    /// The name the reader was opened with (path, or `-` for stdin).
    pub file: String,
    /// Offset of the record or block (or header field) that could not be read.
    pub offset: u64,
    /// What was wrong there.
    pub kind: ReadErrorKind,
}

impl ReadError {
    fn new(file: &str, (offset, kind): Located) -> Self {
        let kind = match kind {
            // A gzip stream cut short surfaces as an I/O error: it is a truncated capture.
            ReadErrorKind::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                ReadErrorKind::Truncated
            }
            k => k,
        };
        Self {
            file: file.to_string(),
            offset,
            kind,
        }
    }
}

/// The kinds of [`ReadError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The file (or the decompressed stream) has no bytes at all.
    #[error("empty file: no capture header")]
    Empty,
    /// The first bytes are no pcap, pcapng or gzip magic.
    #[error("not a pcap, pcapng or gzip file (first bytes {0:02x?})")]
    NotACapture(Vec<u8>),
    /// The stream ends inside a header, record or block.
    #[error("file ends inside a record or block (truncated capture)")]
    Truncated,
    /// A record's captured length exceeds the snap length or [`MAX_CAPLEN`], or a block
    /// the reader must hold exceeds its 1 MiB buffer.
    #[error("record length {len} exceeds {limit} (the snap length or the reader's limit)")]
    RecordTooLong {
        /// Length found in the file.
        len: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// A header field that no valid file can hold.
    #[error("malformed {0}")]
    Malformed(String),
    /// Reading (or decompressing) failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// An error located at a stream offset, before the file name is attached.
type Located = (u64, ReadErrorKind);

/// Where a record is in the buffer, and what the file says about it.
struct Meta {
    ts_ns: u64,
    link: LinkType,
    orig_len: u32,
    offset: u64,
    /// Index of the record's data in the buffer, valid until the next fill.
    pos: usize,
    len: usize,
}

/// Which container format the (decompressed) stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap format.
    Pcap,
    /// pcapng.
    PcapNg,
}

enum Format {
    Pcap(pcap::Pcap),
    PcapNg(pcapng::PcapNg),
}

/// Streaming reader over one capture (see module docs).
pub struct CaptureReader {
    name: String,
    buf: Buffer,
    format: Format,
    compressed: bool,
    /// Bytes read from the underlying source so far (compressed bytes for gzip).
    source_bytes: Arc<AtomicU64>,
    /// Set after an error: the reader is fused and yields `Ok(None)` from then on.
    failed: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("format", &self.format())
            .field("compressed", &self.compressed)
            .field("offset", &self.buf.offset())
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Open `path` (`-` means stdin), detecting gzip, pcap and pcapng from the first bytes.
    pub fn open(path: &std::path::Path) -> Result<Self, ReadError> {
        let name = path.display().to_string();
        if path.as_os_str() == "-" {
            return Self::from_read("-", io::stdin());
        }
        match std::fs::File::open(path) {
            Ok(f) => Self::from_read(&name, f),
            Err(e) => Err(ReadError {
                file: name,
                offset: 0,
                kind: e.into(),
            }),
        }
    }

    /// Read a capture from any byte stream; `name` is used in errors.
    pub fn from_read(name: &str, r: impl Read + Send + 'static) -> Result<Self, ReadError> {
        let source_bytes = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: r,
            count: Arc::clone(&source_bytes),
        };
        let err = |located: Located| ReadError::new(name, located);
        let mut buf = Buffer::new(Box::new(counting));
        let mut compressed = false;
        let format = loop {
            match detect(&mut buf).map_err(err)? {
                Magic::Gzip if !compressed => {
                    compressed = true;
                    let (head, src) = buf.into_parts();
                    let gz = flate2::read::MultiGzDecoder::new(io::Cursor::new(head).chain(src));
                    buf = Buffer::new(Box::new(gz));
                }
                Magic::Gzip => {
                    let first = buf.avail()[..2].to_vec();
                    return Err(err((0, ReadErrorKind::NotACapture(first))));
                }
                Magic::Pcap => break Format::Pcap(pcap::Pcap::open(&mut buf).map_err(err)?),
                Magic::PcapNg => break Format::PcapNg(pcapng::PcapNg::new()),
            }
        };
        Ok(Self {
            name: name.to_string(),
            buf,
            format,
            compressed,
            source_bytes,
            failed: false,
        })
    }

    /// Next record, `Ok(None)` at a clean end of file. After an error the reader is fused:
    /// every later call returns `Ok(None)`.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        if self.failed {
            return Ok(None);
        }
        let next = match &mut self.format {
            Format::Pcap(p) => p.next(&mut self.buf),
            Format::PcapNg(p) => p.next(&mut self.buf),
        };
        match next {
            Ok(Some(m)) => Ok(Some(Record {
                ts_ns: m.ts_ns,
                link: m.link,
                data: self.buf.bytes_at(m.pos, m.len),
                orig_len: m.orig_len,
                offset: m.offset,
            })),
            Ok(None) => Ok(None),
            Err(located) => {
                self.failed = true;
                Err(ReadError::new(&self.name, located))
            }
        }
    }

    /// Bytes consumed from the underlying file or stdin so far: *compressed* bytes for a gzip
    /// file, so it can be compared with the file size for a progress bar. It runs ahead of the
    /// records delivered by at most the 1 MiB read buffer (plus the decompressor's input buffer).
    pub fn source_bytes_read(&self) -> u64 {
        self.source_bytes.load(Ordering::Relaxed)
    }

    /// Offset in the decompressed stream just past the last record delivered.
    pub fn stream_offset(&self) -> u64 {
        self.buf.offset()
    }

    /// Whether the file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        match self.format {
            Format::Pcap(_) => CaptureFormat::Pcap,
            Format::PcapNg(_) => CaptureFormat::PcapNg,
        }
    }

    /// The name used in errors (the path, or `-`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

enum Magic {
    Gzip,
    Pcap,
    PcapNg,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn detect(buf: &mut Buffer) -> Result<Magic, Located> {
    let full = buf.fill(4).map_err(|e| (0, e.into()))?;
    let head = buf.avail();
    if head.is_empty() {
        return Err((0, ReadErrorKind::Empty));
    }
    if head.len() >= 2 && head[..2] == GZIP_MAGIC {
        return Ok(Magic::Gzip);
    }
    let magics: [[u8; 4]; 5] = [
        pcap::MAGIC_US.to_le_bytes(),
        pcap::MAGIC_US.to_be_bytes(),
        pcap::MAGIC_NS.to_le_bytes(),
        pcap::MAGIC_NS.to_be_bytes(),
        pcapng::SHB.to_le_bytes(),
    ];
    if !full {
        // Fewer than 4 bytes: a cut-off capture if they start a known magic.
        return Err(
            if magics.iter().any(|m| m.starts_with(head)) || GZIP_MAGIC.starts_with(head) {
                (0, ReadErrorKind::Truncated)
            } else {
                (0, ReadErrorKind::NotACapture(head.to_vec()))
            },
        );
    }
    let first: [u8; 4] = [head[0], head[1], head[2], head[3]];
    if first == magics[4] {
        Ok(Magic::PcapNg)
    } else if magics[..4].contains(&first) {
        Ok(Magic::Pcap)
    } else {
        // Best effort, for the message only: show up to 16 bytes.
        let _ = buf.fill(16);
        let head = buf.avail();
        Err((
            0,
            ReadErrorKind::NotACapture(head[..head.len().min(16)].to_vec()),
        ))
    }
}
