//! Live darknet capture for `yamori sensor`: a packet ring on one named interface behind a
//! kernel filter for the darknet prefixes (`bpf`), read block by block (`sys`, `block`), cut
//! into minutes by packet time and analysed by the same telescope analyzer as `yamori analyze`
//! (`minute`). Each finished minute is handed to the caller with its report and its drop
//! counters; storing and printing are the binary's.
//!
//! One thread captures and analyses (a darknet's traffic is light next to what one core
//! analyses: docs/BENCHMARKS.md); spreading sources over threads as `analyze` does is the
//! next step when a darknet needs it.

pub mod block;
pub mod bpf;
pub mod minute;
pub mod raw;
pub mod strict;
mod sys;

use std::io;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use yamori_telescope::report::InputFile;
use yamori_telescope::{Config, Report};

pub use minute::Counters;
pub use sys::{Dropped, Geometry, RingStats};

/// The ring's default shape: 64 blocks of 1 MiB. 64 MiB hold about 40 000 full-size frames
/// or 500 000 SYN probes, half a second of a 1 Gbit/s flood of small packets: enough to ride
/// out the analyzer finishing a minute (tens of milliseconds) without drops.
pub const DEFAULT_GEOMETRY: Geometry = Geometry {
    block_size: 1 << 20,
    blocks: 64,
    retire_ms: RETIRE_MS,
};
/// A block with packets is handed over at the latest this long after its first packet.
pub const RETIRE_MS: u32 = 100;
/// How long one wait for packets lasts before the clock is looked at again.
const POLL_MS: i32 = 200;
/// How often the interface's existence is checked (a deleted interface does not always wake
/// the socket with an error).
const INTERFACE_CHECK: Duration = Duration::from_secs(1);

/// A flag that SIGINT or SIGTERM sets (once; a second signal ends the process), for
/// [`Sensor::run`]'s `stop`: the minute in progress is then written before the sensor returns.
pub fn stop_on_signals() -> Result<&'static AtomicBool, SensorError> {
    sys::stop_on_signals().map_err(SensorError::Signals)
}

/// Why the sensor cannot start or had to stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SensorError {
    #[error("no network interface named {0:?} (see `ip link`)")]
    NoSuchInterface(String),
    #[error(
        "not permitted to capture on {interface} ({source}): run as root, or give the binary \
         CAP_NET_RAW (`setcap cap_net_raw+ep $(command -v yamori)`)"
    )]
    Permission {
        interface: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot capture on {interface}: {step} failed: {source}")]
    Open {
        interface: String,
        step: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Filter(#[from] bpf::FilterError),
    #[error("interface {0} disappeared; the minutes before it are written")]
    InterfaceGone(String),
    #[error("capture on {interface} failed: {source}")]
    Capture {
        interface: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot give up privileges: {0}")]
    Privileges(#[source] io::Error),
    #[error("cannot handle SIGINT/SIGTERM: {0}")]
    Signals(#[source] io::Error),
    #[error(transparent)]
    Raw(#[from] raw::RawError),
    #[error(
        "--strict: {interface} carries traffic for addresses outside the darknet ({packets} \
         packets in {seconds} s, the first {example}); capture on an interface that receives \
         only the darknet's traffic, or leave out --strict to analyse the darknet's part of it"
    )]
    NotDarknetOnly {
        interface: String,
        packets: u64,
        seconds: u64,
        example: String,
    },
}

/// The sensor's error for a ring that could not be opened on `interface`.
fn open_error(interface: &str, e: sys::OpenError) -> SensorError {
    match e.source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => SensorError::Permission {
            interface: interface.to_string(),
            source: e.source,
        },
        Some(libc::ENODEV) | Some(libc::ENXIO) => {
            SensorError::NoSuchInterface(interface.to_string())
        }
        _ => SensorError::Open {
            interface: interface.to_string(),
            step: e.step,
            source: e.source,
        },
    }
}

/// What to capture.
#[derive(Debug, Clone)]
pub struct SensorConfig {
    pub interface: String,
    /// The analysis rules; `darknets` also makes the kernel filter.
    pub analysis: Config,
    pub geometry: Geometry,
    /// Keep the darknet's frames in rotating pcap files too (`raw`).
    pub raw: Option<raw::RawConfig>,
    /// Watch this long for traffic to other addresses first and refuse to go on if any
    /// goes by (`strict`).
    pub strict: Option<Duration>,
}

/// One finished minute.
#[derive(Debug)]
pub struct Minute {
    /// Unix seconds of the minute's start.
    pub start_s: u64,
    /// The telescope report of the minute's packets; `inputs` names the interface.
    pub report: Report,
    pub counters: Counters,
    /// The minute ended early (the sensor stopped or lost its interface).
    pub partial: bool,
    /// The raw capture's first failure since the previous minute (the analysis goes on).
    pub raw_error: Option<String>,
}

/// An open sensor: the ring is bound and filtering; nothing is analysed until [`Sensor::run`].
pub struct Sensor {
    interface: String,
    ifindex: u32,
    ring: sys::Ring,
    windows: minute::Windows,
    /// rx_dropped of the interface at the last snapshot (None: unreadable).
    rx_dropped: Option<u64>,
    /// The minute (by the clock) whose kernel and interface counters are accumulating.
    counting_s: u64,
    /// Counters of minutes that have ended by the clock, waiting for their minute's result.
    snapshots: Vec<Snapshot>,
    raw: Option<raw::RawCapture>,
    /// Minutes that closed during the `--strict` check, handed over first by `run`.
    pending: Vec<minute::Closed>,
}

/// The kernel's and the interface's counters over one minute by the clock.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    minute_s: u64,
    ring: RingStats,
    interface_drops: u64,
}

/// Snapshots kept for minutes without a result yet: more than the minutes a gap can write one
/// by one (`minute::MAX_GAP_MINUTES`); older ones are added to the next minute written.
const MAX_SNAPSHOTS: usize = 16;

fn now_s() -> u64 {
    now_ms() / 1000
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The interface's receive drops, from sysfs (of the network namespace the process sees).
fn rx_dropped(interface: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/sys/class/net/{interface}/statistics/rx_dropped"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl Sensor {
    /// Open the ring on `cfg.interface` with the darknet filter attached.
    pub fn open(cfg: SensorConfig) -> Result<Sensor, SensorError> {
        let filter = bpf::darknet_filter(&cfg.analysis.darknets)?;
        // Before the ring: a directory that cannot be written stops the sensor at once.
        let raw = cfg.raw.clone().map(raw::RawCapture::open).transpose()?;
        let ifindex = sys::interface_index(&cfg.interface)
            .ok_or_else(|| SensorError::NoSuchInterface(cfg.interface.clone()))?;
        let ring = sys::Ring::open(ifindex, &filter, cfg.geometry)
            .map_err(|e| open_error(&cfg.interface, e))?;
        // Counters from before the sensor started are not its minutes' drops.
        let _ = ring.stats();
        let now = now_s();
        let darknets = cfg.analysis.darknets.clone();
        let mut sensor = Sensor {
            rx_dropped: rx_dropped(&cfg.interface),
            counting_s: now - now % 60,
            snapshots: Vec::new(),
            raw,
            windows: minute::Windows::new(cfg.analysis, now),
            interface: cfg.interface,
            ifindex,
            ring,
            pending: Vec::new(),
        };
        if let Some(how_long) = cfg.strict {
            sensor.strict_check(&darknets, how_long)?;
        }
        Ok(sensor)
    }

    /// `--strict`: watch for traffic to other addresses for `how_long`, meanwhile capturing
    /// the darknet as [`Sensor::run`] does (its minutes are handed over when `run` starts).
    fn strict_check(
        &mut self,
        darknets: &[ipnet::IpNet],
        how_long: Duration,
    ) -> Result<(), SensorError> {
        let interface = self.interface.clone();
        let mut pending = std::mem::take(&mut self.pending);
        let found = strict::watch(&interface, self.ifindex, darknets, how_long, || {
            while self.read_block(&mut pending) {}
            self.snapshot(false);
            self.windows.tick(now_s(), &mut pending);
        })?;
        self.pending = pending;
        match found {
            None => Ok(()),
            Some(f) => Err(SensorError::NotDarknetOnly {
                interface,
                packets: f.packets,
                seconds: how_long.as_secs(),
                example: f.example,
            }),
        }
    }

    /// Give up every capability now that the socket is open (see `sys::drop_capabilities`),
    /// then check that the raw capture's directory can still be written.
    pub fn drop_privileges(&self) -> Result<Dropped, SensorError> {
        let dropped = sys::drop_capabilities().map_err(SensorError::Privileges)?;
        if let Some(raw) = &self.raw {
            raw.check_writable()?;
        }
        Ok(dropped)
    }

    /// Unix seconds of the first minute the sensor will report (it started during it).
    pub fn first_minute_s(&self) -> u64 {
        self.windows.start_s()
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Capture until `on_minute` breaks, `stop` is set, or the interface fails. Every minute
    /// (including empty ones, and the partial one at a stop or failure) goes to `on_minute`.
    /// If the interface disappears, the minute in progress is handed over (partial) and
    /// [`SensorError::InterfaceGone`] returned.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        mut on_minute: impl FnMut(Minute) -> ControlFlow<()>,
    ) -> Result<(), SensorError> {
        let mut closed = std::mem::take(&mut self.pending);
        if self.deliver(&mut closed, &mut on_minute).is_break() {
            return Ok(());
        }
        let mut checked = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                let _ = self.finish_partial(&mut on_minute);
                return Ok(());
            }
            while self.read_block(&mut closed) {
                if self.deliver(&mut closed, &mut on_minute).is_break() {
                    return Ok(());
                }
            }
            // Wake at the next minute's start at the latest, so that the counters are read
            // close to the boundary.
            let to_boundary = 60_000 - (now_ms() % 60_000);
            let wait_ms = i32::try_from(to_boundary).map_or(POLL_MS, |b| b.clamp(1, POLL_MS));
            match self.ring.wait(wait_ms) {
                sys::Readiness::Ready | sys::Readiness::TimedOut => {}
                sys::Readiness::Error(e) => match e.raw_os_error() {
                    // The kernel says ENETDOWN both when the interface goes down (frames
                    // resume when it comes up) and when it is removed: the interface check
                    // below tells the two apart.
                    Some(libc::ENETDOWN) => {}
                    Some(libc::ENODEV) | Some(libc::ENXIO) => return self.gone(&mut on_minute),
                    _ => {
                        let interface = self.interface.clone();
                        let _ = self.finish_partial(&mut on_minute);
                        return Err(SensorError::Capture {
                            interface,
                            source: e,
                        });
                    }
                },
            }
            if checked.elapsed() >= INTERFACE_CHECK {
                checked = Instant::now();
                if sys::interface_index(&self.interface) != Some(self.ifindex) {
                    return self.gone(&mut on_minute);
                }
            }
            self.snapshot(false);
            self.windows.tick(now_s(), &mut closed);
            if self.deliver(&mut closed, &mut on_minute).is_break() {
                return Ok(());
            }
        }
    }

    fn gone(
        self,
        on_minute: &mut impl FnMut(Minute) -> ControlFlow<()>,
    ) -> Result<(), SensorError> {
        let interface = self.interface.clone();
        let _ = self.finish_partial(on_minute);
        Err(SensorError::InterfaceGone(interface))
    }

    fn finish_partial(
        mut self,
        on_minute: &mut impl FnMut(Minute) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let mut closed = Vec::new();
        // Frames already in the ring belong to the minute.
        while self.read_block(&mut closed) {}
        if self.deliver(&mut closed, on_minute).is_break() {
            return ControlFlow::Break(());
        }
        self.snapshot(true);
        if let Some(r) = self.raw.as_mut() {
            r.flush();
        }
        let last = std::mem::replace(
            &mut self.windows,
            minute::Windows::new(Config::default(), 0),
        )
        .close();
        on_minute(self.finish(last, true))
    }

    /// Read the kernel's and the interface's counters when the clock has left the minute they
    /// were accumulating for (or always, with `force`: a stop), and keep them for that
    /// minute's result.
    fn snapshot(&mut self, force: bool) {
        let now = now_s();
        let minute = now - now % 60;
        if minute > self.counting_s || force {
            let ring = self.ring.stats().unwrap_or_default();
            let interface_drops = self.interface_drops();
            if self.snapshots.len() == MAX_SNAPSHOTS {
                let oldest = self.snapshots.remove(0);
                let next = &mut self.snapshots[0];
                next.ring.packets += oldest.ring.packets;
                next.ring.drops += oldest.ring.drops;
                next.ring.freezes += oldest.ring.freezes;
                next.interface_drops += oldest.interface_drops;
            }
            self.snapshots.push(Snapshot {
                minute_s: self.counting_s,
                ring,
                interface_drops,
            });
            self.counting_s = minute;
        }
    }

    /// Analyse the frames of the next ready block and hand it back; false if none is ready.
    fn read_block(&mut self, closed: &mut Vec<minute::Closed>) -> bool {
        let Some(block) = self.ring.next_block() else {
            return false;
        };
        let windows = &mut self.windows;
        let raw = &mut self.raw;
        block::frames(block.data, |f| {
            if let Some(r) = raw.as_mut() {
                r.write(&f);
            }
            windows.observe(&f, closed)
        });
        true
    }

    /// rx_dropped growth since the last call.
    fn interface_drops(&mut self) -> u64 {
        let now = rx_dropped(&self.interface);
        let d = match (self.rx_dropped, now) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        if now.is_some() {
            self.rx_dropped = now;
        }
        d
    }

    /// Finish the closed minutes and hand them over, each with the kernel's and the
    /// interface's counters of its minute by the clock.
    fn deliver(
        &mut self,
        closed: &mut Vec<minute::Closed>,
        on_minute: &mut impl FnMut(Minute) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if closed.is_empty() {
            return ControlFlow::Continue(());
        }
        self.snapshot(false);
        // The minutes' frames are on disk before the minutes are handed over.
        if let Some(r) = self.raw.as_mut() {
            r.flush();
        }
        for c in closed.drain(..) {
            let m = self.finish(c, false);
            on_minute(m)?;
        }
        ControlFlow::Continue(())
    }

    /// The minute's result, with the counters of every snapshot up to its minute.
    fn finish(&mut self, c: minute::Closed, partial: bool) -> Minute {
        let mut counters = c.counters;
        let (mine, later): (Vec<Snapshot>, Vec<Snapshot>) = std::mem::take(&mut self.snapshots)
            .into_iter()
            .partition(|s| s.minute_s <= c.start_s || partial);
        self.snapshots = later;
        for s in mine {
            counters.kernel_packets += s.ring.packets;
            counters.kernel_drops += s.ring.drops;
            counters.kernel_freezes += s.ring.freezes;
            counters.interface_drops += s.interface_drops;
        }
        let mut report = c.analyzer.finish(None);
        report.inputs = vec![InputFile {
            name: format!("{}@{}", self.interface, c.start_s),
            bytes: counters.captured_bytes,
            packets: counters.captured,
            ..InputFile::default()
        }];
        Minute {
            start_s: c.start_s,
            report,
            counters,
            partial,
            raw_error: self.raw.as_mut().and_then(raw::RawCapture::take_error),
        }
    }
}
