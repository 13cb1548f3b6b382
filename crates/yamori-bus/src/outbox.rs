//! The sensor's outbox: every minute is written to a file here before it is published, and the
//! file is removed only when JetStream has acknowledged it. NATS being unreachable, a restart
//! or a `kill -9` therefore lose nothing that was written; a minute published but not yet
//! removed is published again with the same message id, which JetStream drops as a duplicate
//! (and which the hub's store would replace rather than add, past the duplicate window).
//!
//! Files are `<sequence>.msg`, sequence numbers increasing, so minutes are replayed in the
//! order they were written. Each holds the subject, the message id and the payload. The outbox
//! is bounded by bytes: when full, the new minute is refused (counted and reported by the
//! caller) so that what is already in it stays whole.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One spooled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spooled {
    pub seq: u64,
    pub subject: String,
    pub msg_id: String,
    pub payload: Vec<u8>,
}

/// Why the outbox could not take or give a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    #[error("outbox {dir} is full ({held} of {limit} bytes held; NATS unreachable for long?): this minute of {bytes} bytes is not kept")]
    Full {
        dir: PathBuf,
        held: u64,
        limit: u64,
        bytes: u64,
    },
    #[error("outbox {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

struct State {
    next_seq: u64,
    held_bytes: u64,
}

/// A directory of messages waiting for JetStream's acknowledgement.
pub struct Outbox {
    dir: PathBuf,
    limit_bytes: u64,
    state: Mutex<State>,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn seq_of(name: &str) -> Option<u64> {
    name.strip_suffix(".msg")?.parse().ok()
}

impl Outbox {
    /// Open (creating) the outbox in `dir`. A `.tmp` file is a write that a crash interrupted
    /// before it was complete: it was never acknowledged to anyone, and is removed.
    pub fn open(dir: &Path, limit_bytes: u64) -> Result<Outbox, OutboxError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut next_seq = 1;
        let mut held_bytes = 0;
        for entry in fs::read_dir(dir).map_err(io_err(dir))? {
            let entry = entry.map_err(io_err(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            if let Some(seq) = seq_of(&name) {
                next_seq = next_seq.max(seq + 1);
                held_bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
        Ok(Outbox {
            dir: dir.to_path_buf(),
            limit_bytes,
            state: Mutex::new(State {
                next_seq,
                held_bytes,
            }),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves only counters behind; they stay usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes held and the number of the next message.
    pub fn held_bytes(&self) -> u64 {
        self.lock().held_bytes
    }

    /// Write a message durably (written, synced, then renamed into place). Returns its sequence.
    pub fn put(&self, subject: &str, msg_id: &str, payload: &[u8]) -> Result<u64, OutboxError> {
        let mut body = Vec::with_capacity(subject.len() + msg_id.len() + 2 + payload.len());
        body.extend_from_slice(subject.as_bytes());
        body.push(b'\n');
        body.extend_from_slice(msg_id.as_bytes());
        body.push(b'\n');
        body.extend_from_slice(payload);
        let bytes = body.len() as u64;
        let mut st = self.lock();
        if st.held_bytes + bytes > self.limit_bytes {
            return Err(OutboxError::Full {
                dir: self.dir.clone(),
                held: st.held_bytes,
                limit: self.limit_bytes,
                bytes,
            });
        }
        let seq = st.next_seq;
        let tmp = self.dir.join(format!("{seq:020}.tmp"));
        let path = self.dir.join(format!("{seq:020}.msg"));
        let written = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_data()?;
            fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            // A full disk: the partial file must not be mistaken for a minute.
            let _ = fs::remove_file(&tmp);
            return Err(OutboxError::Io { path, source: e });
        }
        st.next_seq += 1;
        st.held_bytes += bytes;
        Ok(seq)
    }

    /// The sequences waiting, oldest first.
    pub fn pending(&self) -> Result<Vec<u64>, OutboxError> {
        let mut seqs = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            if let Some(seq) = seq_of(&entry.file_name().to_string_lossy()) {
                seqs.push(seq);
            }
        }
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Read one message. A file that does not hold a subject, an id and a payload (damaged on
    /// disk) is renamed to `.bad`, kept for inspection and never retried: `Ok(None)`.
    pub fn read(&self, seq: u64) -> Result<Option<Spooled>, OutboxError> {
        let path = self.dir.join(format!("{seq:020}.msg"));
        let body = fs::read(&path).map_err(io_err(&path))?;
        let mut parts = body.splitn(3, |&b| b == b'\n');
        let parsed = match (parts.next(), parts.next(), parts.next()) {
            (Some(s), Some(id), Some(p)) if !s.is_empty() && !id.is_empty() && !p.is_empty() => {
                match (std::str::from_utf8(s), std::str::from_utf8(id)) {
                    (Ok(s), Ok(id)) => Some((s.to_string(), id.to_string(), p.to_vec())),
                    _ => None,
                }
            }
            _ => None,
        };
        match parsed {
            Some((subject, msg_id, payload)) => Ok(Some(Spooled {
                seq,
                subject,
                msg_id,
                payload,
            })),
            None => {
                let bad = path.with_extension("bad");
                tracing::warn!(
                    file = %path.display(),
                    "outbox file is damaged (no subject, id and payload); kept as {}",
                    bad.display()
                );
                fs::rename(&path, &bad).map_err(io_err(&path))?;
                self.forget(body.len() as u64);
                Ok(None)
            }
        }
    }

    /// Rename a message that can never be sent to `<seq>.<ext>`, kept for inspection.
    pub fn set_aside(&self, seq: u64, ext: &str) -> Result<(), OutboxError> {
        let path = self.dir.join(format!("{seq:020}.msg"));
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        fs::rename(&path, path.with_extension(ext)).map_err(io_err(&path))?;
        self.forget(len);
        Ok(())
    }

    /// Remove an acknowledged message.
    pub fn remove(&self, seq: u64) -> Result<(), OutboxError> {
        let path = self.dir.join(format!("{seq:020}.msg"));
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        match fs::remove_file(&path) {
            Ok(()) => {
                self.forget(len);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(OutboxError::Io { path, source: e }),
        }
    }

    fn forget(&self, bytes: u64) {
        let mut st = self.lock();
        st.held_bytes = st.held_bytes.saturating_sub(bytes);
    }
}
