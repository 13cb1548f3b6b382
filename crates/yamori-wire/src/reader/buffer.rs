//! A fixed-size read buffer over any `Read`, tracking the stream offset of every byte.
//!
//! Memory stays constant: the buffer never grows past [`BUF_LEN`]; callers check every
//! attacker-controlled length against their limits (all ≤ `BUF_LEN`) before asking for it.
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Largest size of the read buffer, and so the largest block the reader can hold at once
/// (see `MAX_BLOCK_LEN` in the pcapng module). 1 MiB also makes reads large enough that
/// syscalls and gzip calls cost little per record.
pub(super) const BUF_LEN: usize = 1 << 20;
/// The buffer starts this small and grows to [`BUF_LEN`] once the stream proves longer (or a
/// block larger), so tiny captures (tests, fuzzing, many small files) do not pay for 1 MiB.
const INITIAL_BUF_LEN: usize = 64 << 10;

/// Counts the bytes read from the underlying source (before decompression).
pub(super) struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub(super) struct Buffer {
    src: Box<dyn Read + Send>,
    data: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `data[start]`.
    base: u64,
    eof: bool,
}

impl Buffer {
    pub fn new(src: Box<dyn Read + Send>) -> Self {
        Self {
            src,
            data: vec![0; INITIAL_BUF_LEN],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Hand back the unread bytes and the source (to put a decompressor in front of them).
    pub fn into_parts(self) -> (Vec<u8>, Box<dyn Read + Send>) {
        (self.data[self.start..self.end].to_vec(), self.src)
    }

    /// Stream offset of the first unread byte.
    pub fn offset(&self) -> u64 {
        self.base
    }

    /// The unread bytes currently buffered.
    pub fn avail(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Make at least `n` bytes (`n <= BUF_LEN`) available; `Ok(false)` when the stream
    /// ends first (then `avail()` holds what there was).
    #[inline]
    pub fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.fill_slow(n)
    }

    #[cold]
    fn fill_slow(&mut self, n: usize) -> io::Result<bool> {
        debug_assert!(n <= BUF_LEN, "callers bound lengths by BUF_LEN");
        if self.start + n > self.data.len() {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.data.len() < BUF_LEN {
                // The stream outgrew the initial buffer (or a block is larger): grow once.
                self.data.resize(BUF_LEN, 0);
            }
        }
        while self.end - self.start < n && !self.eof {
            match self.src.read(&mut self.data[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start >= n)
    }

    /// Mark `n` buffered bytes as read (`n <= avail().len()`). The bytes stay valid in the
    /// buffer until the next `fill`, which is what lets a record borrow them.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.base += n as u64;
    }

    /// `len` bytes at buffer index `at` (taken from [`Self::pos`] before they were consumed);
    /// valid until the next `fill`. Out-of-range requests yield an empty slice, never a panic.
    #[inline]
    pub fn bytes_at(&self, at: usize, len: usize) -> &[u8] {
        self.data.get(at..at + len).unwrap_or_default()
    }

    /// Index in the buffer of the first unread byte (pairs with [`Self::bytes_at`]).
    #[inline]
    pub fn pos(&self) -> usize {
        self.start
    }

    /// Discard `n` bytes without holding them; `Ok(false)` if the stream ends first.
    pub fn skip(&mut self, mut n: u64) -> io::Result<bool> {
        loop {
            let have = (self.end - self.start) as u64;
            let take = have.min(n);
            self.consume(take as usize);
            n -= take;
            if n == 0 {
                return Ok(true);
            }
            self.start = 0;
            self.end = 0;
            if !self.fill(1)? {
                return Ok(false);
            }
        }
    }
}
