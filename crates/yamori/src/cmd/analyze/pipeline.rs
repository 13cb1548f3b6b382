//! Reading and analysing captures on one or more threads.
//!
//! * `threads == 1`: each file is read and analysed on the calling thread, record by record,
//!   without copying frames (the reader lends each record).
//! * `threads >= 2`, several files: each file is read and analysed inline by one of `threads`
//!   workers with an analyzer of its own; the analyzers are merged at the end. Each analyzer
//!   sees one file in time order, which is what makes merging exact (telescope's `merge`
//!   requires time-ordered slices), so the report equals the one-thread run.
//! * `threads >= 2`, one file: this thread reads and decodes, and hands each packet to one of
//!   `threads - 1` analyzer threads chosen by a hash of its *source address*, through bounded
//!   channels (full → the reader blocks: nothing is dropped); each analyzer sees its sources
//!   in file order, their sources are disjoint, so the merge is exact. With 2 threads (the
//!   default for one file on 2 or more cores) this is a two-stage pipeline, decode | analyse.
//!
//! SHA-256 digests (what makes storing idempotent) are computed only when asked for: for
//! regular files on a separate thread that reads the file again (from the page cache), so
//! they never slow the analysis threads down, and stdin as it is read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use yamori_telescope::report::InputFile;
use yamori_telescope::{Analyzer, Config};
use yamori_wire::{CaptureReader, LinkType, Packet};

/// A decoded frame on its way to the analyzer thread that owns its source.
enum Item {
    Packet(Packet, u32),
    Undecodable(u64, u32),
}

/// Packets per batch handed to an analyzer: large enough to amortise channel costs, small
/// enough that a batch (~128 KiB) stays in cache.
const BATCH_RECORDS: usize = 2048;
/// Batches in flight per worker before readers block.
const BATCHES_PER_WORKER: usize = 4;

pub struct Outcome {
    pub analyzer: Analyzer,
    pub inputs: Vec<InputFile>,
}

/// Counts (and for stdin, hashes) the raw bytes read from a file: feeds the progress bar.
struct TapReader<R> {
    inner: R,
    read: Arc<AtomicU64>,
    hasher: Option<Arc<Mutex<Sha256>>>,
}

impl<R: Read> Read for TapReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(h) = &self.hasher {
            h.lock()
                .unwrap_or_else(|p| p.into_inner())
                .update(&buf[..n]);
        }
        Ok(n)
    }
}

fn display_name(p: &Path) -> String {
    if p.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        p.display().to_string()
    }
}

/// An opened input: the capture reader plus how to get its digest when done.
struct Opened {
    reader: CaptureReader,
    digest: DigestSource,
}

enum DigestSource {
    /// Not asked for: the report's `sha256` stays empty.
    None,
    Stream(Arc<Mutex<Sha256>>),
    File(std::thread::JoinHandle<std::io::Result<String>>),
}

impl DigestSource {
    fn finish(self) -> Result<String, String> {
        match self {
            DigestSource::None => Ok(String::new()),
            DigestSource::Stream(h) => {
                let h = std::mem::take(&mut *h.lock().unwrap_or_else(|p| p.into_inner()));
                Ok(hex::encode(h.finalize()))
            }
            DigestSource::File(t) => match t.join() {
                Ok(Ok(d)) => Ok(d),
                Ok(Err(e)) => Err(format!("cannot read for digest: {e}")),
                Err(_) => Err("digest thread failed".into()),
            },
        }
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn open_input(path: &Path, read: Arc<AtomicU64>, digest: bool) -> Result<Opened, String> {
    let name = display_name(path);
    if path.as_os_str() == "-" {
        let hasher = digest.then(|| Arc::new(Mutex::new(Sha256::new())));
        let tap = TapReader {
            inner: std::io::stdin(),
            read,
            hasher: hasher.clone(),
        };
        let reader = CaptureReader::from_read(&name, tap).map_err(|e| e.to_string())?;
        return Ok(Opened {
            reader,
            digest: hasher.map_or(DigestSource::None, DigestSource::Stream),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: cannot open: {e}"))?;
    let tap = TapReader {
        inner: file,
        read,
        hasher: None,
    };
    let reader = CaptureReader::from_read(&name, tap).map_err(|e| e.to_string())?;
    let digest = if digest {
        let p = path.to_path_buf();
        DigestSource::File(std::thread::spawn(move || sha256_file(&p)))
    } else {
        DigestSource::None
    };
    Ok(Opened { reader, digest })
}

fn observe_frame(an: &mut Analyzer, link: LinkType, ts_ns: u64, frame: &[u8], orig_len: u32) {
    // Matched by reference: binding the 192-byte packet by value costs a memcpy per frame.
    match &yamori_wire::decode(link, ts_ns, frame) {
        Ok(p) => an.observe(p, orig_len),
        Err(_) => an.observe_undecodable(ts_ns, orig_len),
    }
}

/// Read one input to the end (or its first error), calling `sink` for each record.
/// Returns the file's entry for the report.
fn read_input(
    path: &Path,
    read: Arc<AtomicU64>,
    digest: bool,
    mut sink: impl FnMut(LinkType, u64, &[u8], u32),
) -> InputFile {
    let name = display_name(path);
    let mut input = InputFile {
        name: name.clone(),
        ..InputFile::default()
    };
    let mut opened = match open_input(path, read.clone(), digest) {
        Ok(o) => o,
        Err(e) => {
            input.error = Some(e);
            return input;
        }
    };
    loop {
        match opened.reader.next_record() {
            Ok(Some(r)) => {
                input.packets += 1;
                sink(r.link, r.ts_ns, r.data, r.orig_len);
            }
            Ok(None) => break,
            Err(e) => {
                input.error = Some(e.to_string());
                break;
            }
        }
    }
    drop(opened.reader);
    input.bytes = read.load(Ordering::Relaxed);
    match opened.digest.finish() {
        Ok(d) => input.sha256 = d,
        Err(e) => {
            input.error.get_or_insert(format!("{name}: {e}"));
        }
    }
    input
}

/// What [`analyze_files`] does besides analysing.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub threads: usize,
    pub progress: bool,
    /// Compute each input's SHA-256.
    pub digest: bool,
}

pub fn analyze_files(cfg: &Config, files: &[PathBuf], opts: Options) -> anyhow::Result<Outcome> {
    let Options {
        threads,
        progress,
        digest,
    } = opts;
    let total: u64 = files
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .filter_map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();
    let bar = if progress {
        progress_bar(total, files.iter().any(|p| p.as_os_str() == "-"))
    } else {
        indicatif::ProgressBar::hidden()
    };
    let counters: Vec<Arc<AtomicU64>> = files.iter().map(|_| Arc::default()).collect();
    let done = AtomicBool::new(false);

    let result = std::thread::scope(|s| {
        let ticker = s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.set_position(counters.iter().map(|c| c.load(Ordering::Relaxed)).sum());
                // Parked, not slept: the end of the analysis unparks it at once instead of
                // waiting out the tick (up to 100 ms of wall time on every run).
                std::thread::park_timeout(Duration::from_millis(100));
            }
        });
        let r = if threads <= 1 {
            Ok(run_inline(cfg, files, &counters, digest))
        } else {
            run_parallel(cfg, files, threads, &counters, digest)
        };
        done.store(true, Ordering::Relaxed);
        ticker.thread().unpark();
        let _ = ticker.join();
        r
    });
    bar.finish_and_clear();
    result
}

fn progress_bar(total: u64, has_stdin: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = if has_stdin || total == 0 {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::new(total)
    };
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} reading {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn run_inline(
    cfg: &Config,
    files: &[PathBuf],
    counters: &[Arc<AtomicU64>],
    digest: bool,
) -> Outcome {
    let mut an = Analyzer::new(cfg.clone());
    let inputs = files
        .iter()
        .zip(counters)
        .map(|(p, c)| {
            read_input(p, c.clone(), digest, |link, ts, frame, orig| {
                observe_frame(&mut an, link, ts, frame, orig)
            })
        })
        .collect();
    Outcome {
        analyzer: an,
        inputs,
    }
}

fn run_parallel(
    cfg: &Config,
    files: &[PathBuf],
    threads: usize,
    counters: &[Arc<AtomicU64>],
    digest: bool,
) -> anyhow::Result<Outcome> {
    if files.len() == 1 {
        let (analyzer, input) = run_sharded(cfg, &files[0], threads, counters[0].clone(), digest)?;
        return Ok(Outcome {
            analyzer,
            inputs: vec![input],
        });
    }
    // Several files: each is read and analysed inline (no copies) by one of `threads` workers,
    // with an analyzer of its own, so every analyzer sees one file in time order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Analyzer, InputFile)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(files.len()))
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let mut an = Analyzer::new(cfg.clone());
                    let input = read_input(
                        path,
                        counters[i].clone(),
                        digest,
                        |link, ts, frame, orig| observe_frame(&mut an, link, ts, frame, orig),
                    );
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, an, input));
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("an analysis thread failed"))?;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _, _)| *i);
    let mut total: Option<Analyzer> = None;
    let mut inputs = Vec::with_capacity(done.len());
    for (_, an, input) in done {
        inputs.push(input);
        match total.as_mut() {
            Some(t) => t.merge(an),
            None => total = Some(an),
        }
    }
    Ok(Outcome {
        analyzer: total.unwrap_or_else(|| Analyzer::new(cfg.clone())),
        inputs,
    })
}

/// Which analyzer owns a source: a multiplicative hash of the address, so every packet of a
/// source goes to the same analyzer and each analyzer sees its sources in file (time) order.
fn shard_of(src: yamori_wire::Addr, shards: usize) -> usize {
    let h = match src {
        yamori_wire::Addr::V4(a) => (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        yamori_wire::Addr::V6(a) => {
            ((a >> 64) as u64 ^ a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }
    };
    ((h >> 32) as usize) % shards
}

/// One file: this thread reads and decodes, `threads - 1` analyzers (at least one) each own a
/// share of the sources. The analyzers are merged (exact: disjoint sources, each in time
/// order). On 2 cores this is a two-stage pipeline (decode | analyse) with nothing to merge:
/// reading and decoding cost about as much CPU as the analysis of a typical capture, so the
/// reader analysing a share of its own measured slower (docs/BENCHMARKS.md).
fn run_sharded(
    cfg: &Config,
    path: &Path,
    threads: usize,
    counter: Arc<AtomicU64>,
    digest: bool,
) -> anyhow::Result<(Analyzer, InputFile)> {
    let shards = threads.saturating_sub(1).max(1);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..shards)
        .map(|_| crossbeam_channel::bounded::<Vec<Item>>(BATCHES_PER_WORKER))
        .unzip();
    // Emptied batches go back to the reader: a fresh 2048-packet vector per batch costs page
    // faults on every batch (measured: ~5 % of the CPU of a run).
    let (recycle_tx, recycle_rx) =
        crossbeam_channel::bounded::<Vec<Item>>(shards * 2 * BATCHES_PER_WORKER);
    std::thread::scope(|s| {
        let workers: Vec<_> = receivers
            .into_iter()
            .map(|rx| {
                let cfg = cfg.clone();
                let recycle = recycle_tx.clone();
                s.spawn(move || {
                    let mut an = Analyzer::new(cfg);
                    for mut batch in rx {
                        // By reference: moving each packet out of the batch copied it again.
                        for item in &batch {
                            match item {
                                Item::Packet(p, len) => an.observe(p, *len),
                                Item::Undecodable(ts, len) => an.observe_undecodable(*ts, *len),
                            }
                        }
                        batch.clear();
                        let _ = recycle.try_send(batch);
                    }
                    an
                })
            })
            .collect();
        let fresh = || {
            recycle_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH_RECORDS))
        };
        let mut batches: Vec<Vec<Item>> = (0..shards).map(|_| fresh()).collect();
        let input = read_input(path, counter, digest, |link, ts, frame, orig| {
            let (shard, item) = match yamori_wire::decode(link, ts, frame) {
                Ok(p) => (shard_of(p.src, shards), Item::Packet(p, orig)),
                Err(_) => (0, Item::Undecodable(ts, orig)),
            };
            batches[shard].push(item);
            if batches[shard].len() == BATCH_RECORDS {
                let full = std::mem::replace(&mut batches[shard], fresh());
                // A send fails only if the worker died; its panic is reported at join.
                let _ = senders[shard].send(full);
            }
        });
        for (batch, tx) in batches.into_iter().zip(&senders) {
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        }
        drop(senders);
        let mut merged: Option<Analyzer> = None;
        for w in workers {
            let an = w
                .join()
                .map_err(|_| anyhow::anyhow!("an analysis thread failed"))?;
            match merged.as_mut() {
                Some(m) => m.merge(an),
                None => merged = Some(an),
            }
        }
        Ok((merged.unwrap_or_else(|| Analyzer::new(cfg.clone())), input))
    })
}
