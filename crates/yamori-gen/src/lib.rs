//! Deterministic synthetic darknet traffic with ground truth.
//!
//! [`generate`] writes a classic pcap of what a darknet sees — Mirai, ZMap (< 4.1 and 4.1+)
//! and masscan scanners, UDP service scanners, ICMP echo sweeps, a vertical and a block
//! scanner, backscatter from DDoS victims (TCP and ICMP-error), a sub-threshold backscatter
//! source, 1–3-packet noise including erratic/spoofed packets, IPv6 probes and packets to
//! addresses outside the darknet — and returns the [`GroundTruth`] an analyzer following
//! `yamori_telescope::Config` must report for it.
//!
//! The same [`GenConfig`] always gives the same bytes: randomness is ChaCha8 from the seed
//! and generation uses no floating-point functions whose result may vary by platform.
//!
//! Memory stays bounded at any scale: sources are created lazily over the run and only the
//! sources active at the current time are held (a heap merges them into time order).
//!
//! How the truth is kept exact, by construction and with margins:
//! * every simulated host has its own address (a keyed bijection of a counter), so per-source
//!   rules see exactly one actor;
//! * scanners walk the darknet by a permutation: `k` probes reach `min(k, size)` distinct
//!   addresses, ≥ 2× the scanner threshold (3× where the darknet is big enough), all inside
//!   one analysis window;
//! * fingerprinted tools match on every SYN; no packet matches two fingerprints; erratic packets
//!   match none and carry exactly one erratic reason; noise sources send 1–3 packets;
//! * attacks run at ≥ 1 packet/s for ≥ 180 s (≥ 59 packets per 60 s window against 30);
//!   the sub-threshold source sends 12 packets against 25;
//! * counters (categories, erratic reasons, backscatter, fingerprints) are computed from each
//!   packet as written, by the rules in `classify`.
//!
//! ZMap 4.1 probes are sent with TTL 64 − hops (as with `--probe-ttl 64`): at ZMap's default
//! TTL 255 an unfingerprinted probe is erratic under the TTL ≥ 200 rule and no scanner would
//! be reported at all.

mod backscatter;
mod classify;
mod darknet;
mod engine;
mod frame;
mod noise;
mod output;
mod payloads;
mod plan;
mod rng;
mod scanners;
mod stats;
mod truth;

use std::io::Write;

use ipnet::IpNet;

pub use frame::Link;
pub use output::Output;
pub use truth::{GroundTruth, TruthScanner, TruthVictim, TRUTH_SCHEMA};
pub use yamori_telescope::report::{ScanKind, Tool};

/// 2026-11-01T00:00:00Z: the default start, aligned to an hour so a 60-minute run is one window.
pub const DEFAULT_START_UNIX_SECS: u64 = 1_793_491_200;
/// Longest run: a week. Timestamps stay far from the 2106 limit of classic pcap, and a week
/// is longer than any analysis window anyone configures.
pub const MAX_MINUTES: u32 = 7 * 24 * 60;
/// Shortest run: attacks must last ≥ 60 s with margin (they last ≥ 180 s).
pub const MIN_MINUTES: u32 = 5;
/// Largest Bench run (packets): about 60 GB of pcap, bigger than any test needs.
pub const MAX_BENCH_PACKETS: u64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// About 1,200 packets per darknet address per hour, capped at 4.5 M packets.
    Realistic,
    /// Exactly `packets` packets from about `sources` distinct sources, same mix.
    Bench { packets: u64, sources: u64 },
}

#[derive(Debug, Clone)]
pub struct GenConfig {
    /// Darknet prefixes; at least one IPv4 prefix of ≥ 64 addresses.
    pub darknets: Vec<IpNet>,
    pub start_unix_secs: u64,
    pub minutes: u32,
    pub seed: u64,
    pub scale: Scale,
    pub link: Link,
    /// Nanosecond pcap timestamps (times are whole microseconds either way).
    pub nanos: bool,
    /// The analysis rules the ground truth is built for; its `darknets` field is ignored.
    pub rules: yamori_telescope::Config,
}

impl Default for GenConfig {
    fn default() -> Self {
        Self {
            darknets: Vec::new(),
            start_unix_secs: DEFAULT_START_UNIX_SECS,
            minutes: 60,
            seed: 1,
            scale: Scale::Realistic,
            link: Link::Ethernet,
            nanos: false,
            rules: yamori_telescope::Config::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    #[error("no IPv4 darknet prefix given: scanners and backscatter are generated over IPv4")]
    NoIpv4Darknet,
    #[error("darknet has {size} IPv4 addresses; at least {needed} are needed for scanners to reach twice the scanner threshold")]
    DarknetTooSmall { size: u64, needed: u64 },
    #[error("darknet prefixes {0} and {1} overlap")]
    OverlappingPrefixes(String, String),
    #[error("--minutes {minutes} is outside {MIN_MINUTES}..={MAX_MINUTES}")]
    Minutes { minutes: u32 },
    #[error("{packets} packets are too few for the bench mix (every kind needs its share); use more packets or fewer sources")]
    BenchTooSmall { packets: u64 },
    #[error("{packets} packets exceed the bench limit of {MAX_BENCH_PACKETS}")]
    BenchTooLarge { packets: u64 },
    #[error("start {0} is not a valid RFC 3339 time at or after 1970")]
    Start(String),
    #[error("writing the capture: {0}")]
    Io(#[source] std::io::Error),
    #[error("generator invariant broken: {0}")]
    Internal(String),
}

/// Write the capture for `cfg` to `out` and return its ground truth.
pub fn generate<W: Write>(cfg: &GenConfig, out: W) -> Result<GroundTruth, GenError> {
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&cfg.minutes) {
        return Err(GenError::Minutes {
            minutes: cfg.minutes,
        });
    }
    let dn = darknet::Darknet::new(&cfg.darknets)?;
    if dn.v4_size() == 0 {
        return Err(GenError::NoIpv4Darknet);
    }
    let mut rules = cfg.rules.clone();
    rules.darknets = cfg.darknets.clone();
    let threshold = u64::from(rules.effective_scanner_min_destinations());
    // Scanners reach 2× the threshold; the block scanner needs those hosts too.
    let needed = (2 * threshold).max(64);
    if dn.v4_size() < needed {
        return Err(GenError::DarknetTooSmall {
            size: dn.v4_size(),
            needed,
        });
    }
    let sizes = plan::Sizes {
        v4_size: dn.v4_size(),
        minutes: cfg.minutes,
        threshold,
        vertical_min_ports: u64::from(rules.vertical_min_ports.max(1)),
    };
    let plan = match cfg.scale {
        Scale::Realistic => plan::realistic(&sizes),
        Scale::Bench { packets, .. } if packets > MAX_BENCH_PACKETS => {
            return Err(GenError::BenchTooLarge { packets })
        }
        Scale::Bench { packets, sources } => plan::bench(&sizes, packets, sources)?,
    };
    let start_us = cfg.start_unix_secs * 1_000_000;
    let run = engine::Run {
        start_us,
        end_us: start_us + u64::from(cfg.minutes) * 60 * 1_000_000,
        window_us: rules.window_secs.max(1) * 1_000_000,
        scan_secs: match cfg.scale {
            Scale::Realistic => (120, 50 * 60),
            Scale::Bench { .. } => (60, 10 * 60),
        },
    };
    let truth = GroundTruth {
        schema: TRUTH_SCHEMA.to_string(),
        seed: cfg.seed,
        darknets: cfg.darknets.iter().map(ToString::to_string).collect(),
        start: truth::rfc3339_us(start_us),
        minutes: cfg.minutes,
        link: format!("{:?}", cfg.link).to_lowercase(),
        scanner_min_destinations: threshold as u32,
        vertical_min_ports: rules.vertical_min_ports,
        window_secs: rules.window_secs,
        ..GroundTruth::default()
    };
    let stats = stats::Stats::new(rules, truth);
    let out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut writer = yamori_wire::PcapWriter::new(out, cfg.link.link_type(), 65_535, cfg.nanos)
        .map_err(GenError::Io)?;
    let mut frames = frame::FrameBuf::new(cfg.link);
    let mut engine = engine::Engine::new(cfg.seed, &dn, run, stats);
    engine.load(&plan);
    engine.run(&mut writer, &mut frames)?;
    writer.into_inner().map_err(GenError::Io)?;
    engine.stats.finish()
}

/// Parse an RFC 3339 time into Unix seconds (fractions are dropped).
pub fn parse_start(text: &str) -> Result<u64, GenError> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| GenError::Start(text.to_string()))?;
    u64::try_from(t.unix_timestamp()).map_err(|_| GenError::Start(text.to_string()))
}
