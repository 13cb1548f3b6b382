//! Rotating raw capture: the darknet's frames as the ring delivered them, in classic pcap files
//! of one hour each (by packet time, UTC), so that any minute can be analysed again with
//! `yamori analyze`. Bounded three ways: a file past its size cap is continued in the next one
//! of the hour, and the oldest files go when the directory passes its total cap or a file's
//! last packet is older than the age cap.
//!
//! Files are named `<sensor>-<YYYYMMDD>T<HH>Z-<NNN>.pcap`, so that names sort by time and only
//! files of this sensor (that prefix and suffix) are ever removed. A file is flushed whenever a
//! minute is handed over: every minute the store holds is on disk.
//!
//! A write that fails (a full disk) must not stop the analysis: the file is closed, the error
//! kept for the next minute to report, and the next packet tries a new file.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use yamori_wire::writer::PcapWriter;
use yamori_wire::LinkType;

use crate::block::Frame;

/// The snap length written in each file's header: the ring delivers whole frames up to this.
const SNAPLEN: u32 = 262_144;
/// Bytes of the pcap global header and of one record header.
const FILE_HEADER: u64 = 24;
const RECORD_HEADER: u64 = 16;

/// Where and how much to keep.
#[derive(Debug, Clone)]
pub struct RawConfig {
    pub dir: PathBuf,
    /// Names the files: the sensor id (`yamori_model::sensor::valid_sensor_id`).
    pub prefix: String,
    /// A file is continued in a new one past this many bytes.
    pub max_file_bytes: u64,
    /// The oldest files are removed so that all of this sensor's files together stay within
    /// it (checked as each file opens, with room kept for that file to reach its cap).
    pub max_total_bytes: u64,
    /// Files whose last write is older than this are removed.
    pub max_age: Duration,
}

/// Why the raw capture could not start.
#[derive(Debug, thiserror::Error)]
#[error("raw capture directory {dir}: {source}")]
pub struct RawError {
    pub dir: PathBuf,
    #[source]
    pub source: io::Error,
}

struct OpenFile {
    hour_s: u64,
    seq: u32,
    path: PathBuf,
    bytes: u64,
    out: PcapWriter<BufWriter<File>>,
}

/// The open hour's file and the error to report.
pub struct RawCapture {
    cfg: RawConfig,
    open: Option<OpenFile>,
    /// The first failure since the last [`RawCapture::take_error`].
    error: Option<String>,
    /// Frames not written because of a failure.
    lost: u64,
    /// Frames written to the open file since its last flush.
    unflushed: u64,
    /// Nothing is written until the next flush (a failure this minute).
    suspended: bool,
}

fn hour_of(ts_ns: u64) -> u64 {
    let s = ts_ns / 1_000_000_000;
    s - s % 3600
}

impl RawCapture {
    /// Creates the directory if needed and applies the caps to what an earlier run left.
    pub fn open(cfg: RawConfig) -> Result<RawCapture, RawError> {
        if !yamori_model::sensor::valid_sensor_id(&cfg.prefix) {
            return Err(RawError {
                dir: cfg.dir.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "files cannot be named after sensor id {:?}: use 1 to {} letters, \
                         digits, '-', '_' or '.'",
                        cfg.prefix,
                        yamori_model::sensor::MAX_SENSOR_ID_LEN
                    ),
                ),
            });
        }
        fs::create_dir_all(&cfg.dir).map_err(|source| RawError {
            dir: cfg.dir.clone(),
            source,
        })?;
        // A directory that cannot be listed fails here, before any capture (writing is checked
        // after privileges are given up: `check_writable`).
        fs::read_dir(&cfg.dir).map_err(|source| RawError {
            dir: cfg.dir.clone(),
            source,
        })?;
        let mut raw = RawCapture {
            cfg,
            open: None,
            error: None,
            lost: 0,
            unflushed: 0,
            suspended: false,
        };
        raw.prune();
        Ok(raw)
    }

    /// The file name for an hour and a sequence number within it.
    pub fn file_name(prefix: &str, hour_s: u64, seq: u32) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(hour_s as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{prefix}-{:04}{:02}{:02}T{:02}Z-{seq:03}.pcap",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour()
        )
    }

    /// Appends one frame, opening or rotating files as its time and size ask. A frame of an
    /// earlier hour than the open file's (late in the ring) goes into the open file: files
    /// only move forward.
    pub fn write(&mut self, f: &Frame<'_>) {
        if self.suspended {
            self.lost += 1;
            return;
        }
        let hour_s = hour_of(f.ts_ns);
        let record = RECORD_HEADER + f.data.len() as u64;
        let next = match &self.open {
            None => Some((hour_s, self.next_seq(hour_s))),
            Some(o) if hour_s > o.hour_s => Some((hour_s, self.next_seq(hour_s))),
            Some(o) if o.bytes + record > self.cfg.max_file_bytes && o.bytes > FILE_HEADER => {
                Some((o.hour_s, o.seq + 1))
            }
            Some(_) => None,
        };
        if let Some((hour_s, seq)) = next {
            self.close_file();
            if let Err(e) = self.open_file(hour_s, seq) {
                let dir = self.cfg.dir.display().to_string();
                self.suspend(format!("opening a raw capture file in {dir}: {e}"), 1);
                return;
            }
            self.prune();
        }
        let Some(o) = self.open.as_mut() else {
            self.lost += 1;
            return;
        };
        match o.out.write_cut(f.ts_ns, f.data, f.wire_len) {
            Ok(()) => {
                o.bytes += record;
                self.unflushed += 1;
            }
            Err(e) => {
                let path = o.path.display().to_string();
                self.open = None;
                self.suspend(format!("writing {path}: {e}"), 1);
            }
        }
    }

    /// Pushes what was written to the file (at each minute handed over), and after a failure
    /// lets the next frame try again: one attempt per minute, not one per frame.
    pub fn flush(&mut self) {
        if self.suspended {
            self.suspended = false;
            return;
        }
        if let Some(o) = self.open.as_mut() {
            match io::Write::flush(o.out.get_mut()) {
                Ok(()) => self.unflushed = 0,
                Err(e) => {
                    let path = o.path.display().to_string();
                    self.open = None;
                    self.suspend(format!("writing {path}: {e}"), 0);
                }
            }
        }
    }

    /// After a failure: keeps the first error, counts the frames of the file that may not
    /// have reached the disk (those written since its last flush) and `more`, and writes
    /// nothing until the next minute's flush.
    fn suspend(&mut self, e: String, more: u64) {
        self.fail(e);
        self.lost += std::mem::take(&mut self.unflushed) + more;
        self.suspended = true;
    }

    /// The first failure since the last call, with the frames lost since then.
    pub fn take_error(&mut self) -> Option<String> {
        let lost = std::mem::take(&mut self.lost);
        match self.error.take() {
            Some(e) => Some(format!("{e} ({lost} frames not written)")),
            None if lost > 0 => Some(format!(
                "{lost} more frames not written while the raw capture waited to try again"
            )),
            None => None,
        }
    }

    /// Flushes and closes the open file.
    pub fn close(mut self) -> Option<String> {
        self.close_file();
        self.take_error()
    }

    fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn close_file(&mut self) {
        if let Some(o) = self.open.take() {
            let path = o.path.display().to_string();
            match o.out.into_inner() {
                Ok(_) => self.unflushed = 0,
                Err(e) => {
                    self.fail(format!("writing {path}: {e}"));
                    self.lost += std::mem::take(&mut self.unflushed);
                }
            }
        }
    }

    fn open_file(&mut self, hour_s: u64, seq: u32) -> io::Result<()> {
        let path = self
            .cfg
            .dir
            .join(Self::file_name(&self.cfg.prefix, hour_s, seq));
        // A file of this name from an earlier run of the same hour is kept: new ones follow it.
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let out = PcapWriter::new(BufWriter::new(file), LinkType::ETHERNET, SNAPLEN, true)?;
        self.open = Some(OpenFile {
            hour_s,
            seq,
            path,
            bytes: FILE_HEADER,
            out,
        });
        Ok(())
    }

    /// The number after the highest of an hour's files already there (a restart within the
    /// hour continues after the earlier run's files, even when the caps removed its first).
    fn next_seq(&self, hour_s: u64) -> u32 {
        let hour = Self::file_name(&self.cfg.prefix, hour_s, 0);
        let hour = &hour[..hour.len() - "000.pcap".len()];
        self.files()
            .iter()
            .filter_map(|f| {
                let name = f.0.file_name()?.to_str()?;
                let seq = name.strip_prefix(hour)?.strip_suffix(".pcap")?;
                seq.parse::<u32>().ok()
            })
            .max()
            .map_or(0, |m| m.saturating_add(1))
    }

    /// This sensor's files, oldest first: (path, size, last write).
    fn files(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(entries) = fs::read_dir(&self.cfg.dir) else {
            return Vec::new();
        };
        let head = format!("{}-", self.cfg.prefix);
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with(&head) && n.ends_with(".pcap") && is_ours(&n[head.len()..])
            })
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                m.is_file().then(|| {
                    (
                        e.path(),
                        m.len(),
                        m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    )
                })
            })
            .collect();
        // By hour, then by number (which may grow past three digits).
        files.sort_by_cached_key(|f| {
            let name = f.0.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let rest = &name[head.len().min(name.len())..];
            let hour = rest.get(..11).unwrap_or("").to_string();
            let seq: u64 = rest
                .get(13..rest.len().saturating_sub(5))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (hour, seq)
        });
        files
    }

    /// Removes files past the age cap, then the oldest while the others exceed the total cap
    /// less one whole file (room for the file being written, which is never removed): so the
    /// directory stays within the total cap as that file grows.
    fn prune(&mut self) {
        let open = self.open.as_ref().map(|o| o.path.clone());
        let files: Vec<_> = self
            .files()
            .into_iter()
            .filter(|f| Some(&f.0) != open.as_ref())
            .collect();
        let budget = self
            .cfg
            .max_total_bytes
            .saturating_sub(self.cfg.max_file_bytes);
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        let now = SystemTime::now();
        for (path, size, modified) in files {
            let too_old = now
                .duration_since(modified)
                .is_ok_and(|age| age > self.cfg.max_age);
            if too_old || total > budget {
                match fs::remove_file(&path) {
                    Ok(()) => total -= size,
                    Err(e) => self.fail(format!("removing {}: {e}", path.display())),
                }
            }
        }
    }

    /// Checks that a file can be made in the directory now (call after giving up privileges:
    /// root without `CAP_DAC_OVERRIDE` may no longer write another user's directory).
    pub fn check_writable(&self) -> Result<(), RawError> {
        let probe = self.cfg.dir.join(format!(".{}-probe", self.cfg.prefix));
        let made = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe)
            .map(drop);
        let _ = fs::remove_file(&probe);
        made.map_err(|source| RawError {
            dir: self.cfg.dir.clone(),
            source,
        })
    }

    /// The file being written, if any.
    pub fn current(&self) -> Option<&Path> {
        self.open.as_ref().map(|o| o.path.as_path())
    }
}

/// `YYYYMMDDTHHZ-NNN.pcap` after the prefix: the shape this module writes.
fn is_ours(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.len() >= 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..11].iter().all(u8::is_ascii_digit)
        && &b[11..13] == b"Z-"
        && b[13..b.len() - 5].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 1_765_000_800; // 2025-12-06T06:00:00Z, a whole hour

    fn cfg(dir: &Path) -> RawConfig {
        RawConfig {
            dir: dir.to_path_buf(),
            prefix: "lab".into(),
            max_file_bytes: 1 << 20,
            max_total_bytes: 1 << 30,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }

    fn frame(ts_s: u64, data: &[u8]) -> Frame<'_> {
        Frame {
            ts_ns: ts_s * 1_000_000_000 + 123,
            wire_len: data.len() as u32,
            data,
        }
    }

    /// (timestamp ns, bytes) of every record of a file, read by the project's reader.
    fn records(path: &Path) -> Vec<(u64, Vec<u8>)> {
        let mut r = yamori_wire::reader::CaptureReader::open(path).expect("readable pcap");
        let mut out = Vec::new();
        while let Some(p) = r.next_record().expect("record") {
            out.push((p.ts_ns, p.data.to_vec()));
        }
        out
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn one_file_per_hour_readable_as_written() {
        let dir = tempfile::tempdir().expect("dir");
        let mut raw = RawCapture::open(cfg(dir.path())).expect("open");
        raw.write(&frame(HOUR + 10, b"first"));
        raw.write(&frame(HOUR + 3599, b"second"));
        raw.write(&frame(HOUR + 3600, b"next hour"));
        assert_eq!(raw.close(), None);
        assert_eq!(
            names(dir.path()),
            ["lab-20251206T06Z-000.pcap", "lab-20251206T07Z-000.pcap"]
        );
        let first = records(&dir.path().join("lab-20251206T06Z-000.pcap"));
        assert_eq!(
            first,
            [
                ((HOUR + 10) * 1_000_000_000 + 123, b"first".to_vec()),
                ((HOUR + 3599) * 1_000_000_000 + 123, b"second".to_vec()),
            ]
        );
        assert_eq!(
            records(&dir.path().join("lab-20251206T07Z-000.pcap")).len(),
            1
        );
    }

    #[test]
    fn the_size_cap_continues_the_hour_in_a_new_file_and_a_restart_follows_on() {
        let dir = tempfile::tempdir().expect("dir");
        let mut c = cfg(dir.path());
        c.max_file_bytes = 24 + 2 * (16 + 100);
        let payload = [7u8; 100];
        let mut raw = RawCapture::open(c.clone()).expect("open");
        for i in 0..5 {
            raw.write(&frame(HOUR + i, &payload));
        }
        assert_eq!(raw.close(), None);
        // Restarted within the same hour: the earlier files stay, the new one follows them.
        let mut raw = RawCapture::open(c).expect("reopen");
        raw.write(&frame(HOUR + 20, &payload));
        raw.close();
        let n = names(dir.path());
        assert_eq!(
            n,
            [
                "lab-20251206T06Z-000.pcap",
                "lab-20251206T06Z-001.pcap",
                "lab-20251206T06Z-002.pcap",
                "lab-20251206T06Z-003.pcap",
            ]
        );
        let counts: Vec<usize> = n
            .iter()
            .map(|f| records(&dir.path().join(f)).len())
            .collect();
        assert_eq!(counts, [2, 2, 1, 1]);
    }

    #[test]
    fn caps_remove_the_oldest_files_of_this_sensor_only() {
        let dir = tempfile::tempdir().expect("dir");
        // Someone else's files, and one that only looks like ours, stay whatever the caps.
        fs::write(dir.path().join("notes.txt"), b"keep").expect("write");
        fs::write(dir.path().join("other-20251206T06Z-000.pcap"), [0u8; 4096]).expect("write");
        fs::write(dir.path().join("lab-keep.pcap"), [0u8; 4096]).expect("write");
        let mut c = cfg(dir.path());
        let payload = [1u8; 1000];
        // One record per file, room for three files.
        c.max_file_bytes = 24 + 16 + 1000;
        c.max_total_bytes = 3 * c.max_file_bytes;
        let mut raw = RawCapture::open(c.clone()).expect("open");
        for h in 0..5 {
            raw.write(&frame(HOUR + h * 3600, &payload));
        }
        raw.close();
        assert_eq!(
            names(dir.path()),
            [
                "lab-20251206T08Z-000.pcap",
                "lab-20251206T09Z-000.pcap",
                "lab-20251206T10Z-000.pcap",
                "lab-keep.pcap",
                "notes.txt",
                "other-20251206T06Z-000.pcap",
            ]
        );
        // Age: a file last written two days ago goes at the next start, a fresh one stays.
        let old = dir.path().join("lab-20251206T08Z-000.pcap");
        File::options()
            .write(true)
            .open(&old)
            .expect("open")
            .set_modified(SystemTime::now() - Duration::from_secs(2 * 24 * 3600))
            .expect("set mtime");
        c.max_age = Duration::from_secs(24 * 3600);
        RawCapture::open(c).expect("reopen").close();
        assert!(!old.exists());
        assert!(dir.path().join("lab-20251206T09Z-000.pcap").exists());
    }

    #[test]
    fn a_failed_write_is_reported_once_and_capture_goes_on() {
        let dir = tempfile::tempdir().expect("dir");
        let mut raw = RawCapture::open(cfg(dir.path())).expect("open");
        raw.write(&frame(HOUR, b"kept"));
        raw.flush();
        // The directory disappears (a disk unmounted): the next file cannot be opened.
        fs::remove_dir_all(dir.path()).expect("remove");
        raw.write(&frame(HOUR + 3600, b"lost"));
        raw.write(&frame(HOUR + 3601, b"lost too"));
        let e = raw.take_error().expect("an error");
        assert!(
            e.contains("opening a raw capture file") && e.contains("2 frames"),
            "{e}"
        );
        assert_eq!(raw.take_error(), None, "reported once");
        // Back, but nothing is tried again before the next minute: one attempt per minute.
        fs::create_dir_all(dir.path()).expect("recreate");
        raw.write(&frame(HOUR + 3602, b"still waiting"));
        assert!(names(dir.path()).is_empty());
        let e = raw.take_error().expect("the frames of the wait");
        assert!(e.contains("1 more frames"), "{e}");
        raw.flush();
        raw.write(&frame(HOUR + 3603, b"again"));
        assert_eq!(raw.close(), None);
        assert_eq!(names(dir.path()), ["lab-20251206T07Z-000.pcap"]);
    }

    #[test]
    fn a_late_frame_stays_in_the_open_file_and_numbers_continue_after_the_highest() {
        let dir = tempfile::tempdir().expect("dir");
        let mut raw = RawCapture::open(cfg(dir.path())).expect("open");
        raw.write(&frame(HOUR + 3599, b"06"));
        raw.write(&frame(HOUR + 3600, b"07"));
        raw.write(&frame(HOUR + 3599, b"late 06"));
        raw.write(&frame(HOUR + 3601, b"07 again"));
        raw.close();
        assert_eq!(
            names(dir.path()),
            ["lab-20251206T06Z-000.pcap", "lab-20251206T07Z-000.pcap"]
        );
        assert_eq!(
            records(&dir.path().join("lab-20251206T07Z-000.pcap")).len(),
            3
        );
        // The caps removed an hour's first file; a restart in that hour takes the number after
        // the highest, so names keep their order.
        fs::remove_file(dir.path().join("lab-20251206T07Z-000.pcap")).expect("remove");
        fs::write(dir.path().join("lab-20251206T07Z-004.pcap"), b"").expect("write");
        let mut raw = RawCapture::open(cfg(dir.path())).expect("reopen");
        raw.write(&frame(HOUR + 3700, b"07 restarted"));
        assert_eq!(
            raw.current().and_then(Path::file_name),
            Some(std::ffi::OsStr::new("lab-20251206T07Z-005.pcap"))
        );
        raw.close();
    }

    #[test]
    fn numbers_past_three_digits_sort_after_the_others() {
        let dir = tempfile::tempdir().expect("dir");
        for n in ["lab-20251206T06Z-999.pcap", "lab-20251206T06Z-1000.pcap"] {
            fs::write(dir.path().join(n), b"").expect("write");
        }
        let raw = RawCapture::open(cfg(dir.path())).expect("open");
        let order: Vec<String> = raw
            .files()
            .iter()
            .map(|f| {
                f.0.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            order,
            ["lab-20251206T06Z-999.pcap", "lab-20251206T06Z-1000.pcap"]
        );
        assert_eq!(raw.next_seq(HOUR), 1001);
    }

    #[test]
    fn a_directory_that_cannot_be_written_is_found_before_capture() {
        let dir = tempfile::tempdir().expect("dir");
        let raw = RawCapture::open(cfg(dir.path())).expect("open");
        assert!(raw.check_writable().is_ok());
        assert!(names(dir.path()).is_empty(), "the probe is removed");
        // Taken away after opening: the check sees it.
        fs::remove_dir_all(dir.path()).expect("remove");
        let e = raw.check_writable().expect_err("refused");
        assert!(e.to_string().contains("raw capture directory"), "{e}");
    }

    #[test]
    fn a_sensor_id_that_would_leave_the_directory_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        for prefix in ["../up", "a/b", ""] {
            let mut c = cfg(dir.path());
            c.prefix = prefix.into();
            let e = RawCapture::open(c).err().expect("refused");
            assert!(e.to_string().contains("sensor id"), "{e}");
        }
    }

    #[test]
    fn only_names_this_module_writes_count_as_ours() {
        assert!(is_ours("20251206T06Z-000.pcap"));
        assert!(is_ours("20251206T06Z-1234.pcap"));
        for n in [
            "keep.pcap",
            "20251206T06Z.pcap",
            "2025120xT06Z-000.pcap",
            "20251206T06Z-0a0.pcap",
        ] {
            assert!(!is_ours(n), "{n}");
        }
    }
}
