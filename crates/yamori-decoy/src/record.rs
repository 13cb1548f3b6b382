//! Where records go: JSON lines to a writer (the events file), each line written and
//! flushed whole before the next, so a reader never sees half a record and a crash loses at
//! most the record being written; optionally a copy of each record into a bounded queue (the
//! binary stores them in the database from it); and the counters of the run's summary.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use serde::Serialize;

use crate::events::{Detail, Event};

/// Counters of one run, for the summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub sessions: AtomicU64,
    pub refused_busy: AtomicU64,
    pub refused_per_source: AtomicU64,
    pub closed_by_limit: AtomicU64,
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub commands: AtomicU64,
    pub download_urls: AtomicU64,
    pub files_written: AtomicU64,
    pub events: AtomicU64,
    pub write_errors: AtomicU64,
    pub tap_dropped: AtomicU64,
}

/// The summary a run ends with (`yamori decoy --json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Sessions accepted.
    pub sessions: u64,
    /// Connections refused because [`crate::Limits::max_sessions`] were open.
    pub refused_busy: u64,
    /// Connections refused because their source had its share open.
    pub refused_per_source: u64,
    /// Sessions closed by a limit (line length, bytes, duration, idle time).
    pub closed_by_limit: u64,
    pub logins_succeeded: u64,
    pub logins_failed: u64,
    pub commands: u64,
    pub download_urls: u64,
    pub files_written: u64,
    /// Records written.
    pub events: u64,
    /// Records that could not be written (the events file's errors).
    pub write_errors: u64,
    /// Records left out of the queue to the database because it was full (they are in the
    /// events file).
    pub tap_dropped: u64,
}

impl Stats {
    pub fn summary(&self) -> Summary {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Summary {
            sessions: g(&self.sessions),
            refused_busy: g(&self.refused_busy),
            refused_per_source: g(&self.refused_per_source),
            closed_by_limit: g(&self.closed_by_limit),
            logins_succeeded: g(&self.logins_succeeded),
            logins_failed: g(&self.logins_failed),
            commands: g(&self.commands),
            download_urls: g(&self.download_urls),
            files_written: g(&self.files_written),
            events: g(&self.events),
            write_errors: g(&self.write_errors),
            tap_dropped: g(&self.tap_dropped),
        }
    }
}

pub fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// The record sink of one decoy.
pub struct Recorder {
    out: Mutex<Box<dyn Write + Send>>,
    tap: Option<SyncSender<Event>>,
    pub stats: Stats,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Recorder {
            out: Mutex::new(out),
            tap: None,
            stats: Stats::default(),
        }
    }

    /// Also hand every record to a queue of `capacity` records. When the queue is full the
    /// record is left out of it and counted (`tap_dropped`): a slow database never holds a
    /// session back, and the events file still has every record. The queue ends when the
    /// recorder is dropped.
    pub fn with_tap(mut self, capacity: usize) -> (Self, Receiver<Event>) {
        let (tx, rx) = sync_channel(capacity);
        self.tap = Some(tx);
        (self, rx)
    }

    /// Records appended to the file at `path` (created with its directory if missing).
    pub fn append_to(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Recorder::new(Box::new(f)))
    }

    /// Write one record and count it.
    pub fn record(&self, e: &Event) {
        let s = &self.stats;
        match &e.detail {
            Detail::LoginSuccess { .. } => bump(&s.logins_succeeded),
            Detail::LoginFailed { .. } => bump(&s.logins_failed),
            Detail::CommandInput { .. } => bump(&s.commands),
            Detail::FileDownload { url: Some(_), .. } => bump(&s.download_urls),
            Detail::FileDownload { .. } => bump(&s.files_written),
            _ => {}
        }
        let line = e.to_json_line();
        // A poisoned lock means a writer panicked mid-line; the writer itself is still
        // usable, and losing the decoy's records over it would be worse.
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        match out.write_all(&line).and_then(|()| out.flush()) {
            Ok(()) => bump(&s.events),
            Err(_) => bump(&s.write_errors),
        }
        drop(out);
        if let Some(tap) = &self.tap {
            if tap.try_send(e.clone()).is_err() {
                bump(&s.tap_dropped);
            }
        }
    }

    pub fn flush(&self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}
