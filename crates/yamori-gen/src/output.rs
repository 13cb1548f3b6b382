//! Where a capture goes: a file or stdout (`-`), optionally gzip-compressed. `finish` must be
//! called so the gzip trailer is written and write errors are not lost in a `Drop`.
use std::io::{self, Write};
use std::path::Path;

use flate2::write::GzEncoder;

pub enum Output {
    Plain(Box<dyn Write>),
    Gzip(GzEncoder<Box<dyn Write>>),
}

impl Output {
    pub fn create(path: &Path, gzip: bool) -> io::Result<Self> {
        let raw: Box<dyn Write> = if path.as_os_str() == "-" {
            Box::new(io::stdout().lock())
        } else {
            Box::new(std::fs::File::create(path)?)
        };
        Ok(if gzip {
            Output::Gzip(GzEncoder::new(raw, flate2::Compression::fast()))
        } else {
            Output::Plain(raw)
        })
    }

    /// Flush everything (and end the gzip stream).
    pub fn finish(self) -> io::Result<()> {
        match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gzip(e) => e.finish()?.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(e) => e.flush(),
        }
    }
}
