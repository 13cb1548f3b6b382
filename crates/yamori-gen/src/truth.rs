//! Ground truth: what an analyzer applying `yamori_telescope::Config` to the generated capture
//! must report. Scanners and victims are known by construction; every count is taken from the
//! packets as written (see `classify`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use yamori_telescope::report::{ScanKind, Tool};

/// Schema identifier of the ground-truth JSON.
pub const TRUTH_SCHEMA: &str = "yamori.gen.truth/1";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Always [`TRUTH_SCHEMA`].
    pub schema: String,
    pub seed: u64,
    pub darknets: Vec<String>,
    /// RFC 3339 start of the capture period and its length.
    pub start: String,
    pub minutes: u32,
    /// Link layer written ("ethernet", "raw", "sll").
    pub link: String,
    /// Thresholds the truth was built for.
    pub scanner_min_destinations: u32,
    pub vertical_min_ports: u32,
    pub window_secs: u64,
    /// Every record written.
    pub packets: u64,
    /// Sum of the frame lengths written (Ethernet frames include padding to 60 bytes).
    pub frame_bytes: u64,
    /// IP packets addressed to the darknet / elsewhere.
    pub darknet_packets: u64,
    pub outside_packets: u64,
    /// IPv4 / IPv6 packets among all records (darknet and outside).
    pub ipv4_packets: u64,
    pub ipv6_packets: u64,
    /// Darknet packets per category (`report::Category` names; all ten keys present).
    pub by_category: BTreeMap<String, u64>,
    /// Darknet packets per erratic reason. Each erratic packet has exactly one reason.
    pub erratic: BTreeMap<String, u64>,
    /// Darknet backscatter packets (TCP SYN/ACK or RST; ICMP error and echo-reply types).
    pub backscatter_packets: u64,
    /// Darknet IPv4 TCP SYN probes matching each fingerprint (no packet matches two).
    pub fingerprint_packets: BTreeMap<String, u64>,
    /// Distinct sources of darknet packets, of which some sent only erratic packets. Erratic
    /// packets feed no per-source state, so the analyzer's `totals.distinct_sources` is
    /// `sources - erratic_only_sources`.
    pub sources: u64,
    pub erratic_only_sources: u64,
    /// Sources that sent only to addresses outside the darknet.
    pub outside_sources: u64,
    /// Sources the analyzer must list as scanners (scanner rule met in a window, or tool label).
    pub scanners: Vec<TruthScanner>,
    /// Attacks the analyzer must report (one per victim).
    pub victims: Vec<TruthVictim>,
    /// Backscatter sources that stay under the attack thresholds: must NOT be reported.
    pub sub_threshold_backscatter: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthScanner {
    pub address: String,
    /// What generated it: mirai, zmap, zmap-4.1, masscan, udp-dns, …, vertical, masscan-block.
    pub profile: String,
    /// The label the fingerprint rule gives it.
    pub tool: Tool,
    pub scan: ScanKind,
    /// Destination ports probed, ascending (empty for ICMP).
    pub ports: Vec<u16>,
    pub packets: u64,
    /// Distinct darknet addresses probed (all within one window).
    pub destinations: u64,
    pub syn_probes: u64,
    pub fingerprint_matches: BTreeMap<String, u64>,
    /// RFC 3339 start of the window in which it scanned.
    pub window: String,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthVictim {
    pub address: String,
    /// First and last backscatter packet (RFC 3339, and nanoseconds since the epoch).
    pub start: String,
    pub end: String,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Attacked ports, ascending.
    pub ports: Vec<u16>,
    pub packets: u64,
    pub darknet_destinations: u64,
    /// Backscatter kinds: "tcp_synack", "tcp_rst", "icmp_3".
    pub kinds: Vec<String>,
}

/// RFC 3339 UTC text for a time in microseconds since the epoch.
pub(crate) fn rfc3339_us(us: u64) -> String {
    let ns = i128::from(us) * 1000;
    time::OffsetDateTime::from_unix_timestamp_nanos(ns)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{us}us"))
}

impl GroundTruth {
    /// A short human summary: totals, scanners by tool, victims.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} packets ({} to the darknet, {} outside) from {} sources, {} minutes from {}",
            self.packets,
            self.darknet_packets,
            self.outside_packets,
            self.sources,
            self.minutes,
            self.start
        );
        let mut by_tool: BTreeMap<String, u64> = BTreeMap::new();
        for sc in &self.scanners {
            *by_tool
                .entry(format!("{:?}", sc.tool).to_lowercase())
                .or_default() += 1;
        }
        let _ = writeln!(
            s,
            "scanners: {} ({})",
            self.scanners.len(),
            by_tool
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for sc in self.scanners.iter().take(10) {
            let _ = writeln!(
                s,
                "  {:<16} {:<16} {:<8} {:?} {} packets, {} destinations, ports {:?}",
                sc.address,
                sc.profile,
                format!("{:?}", sc.tool).to_lowercase(),
                sc.scan,
                sc.packets,
                sc.destinations,
                &sc.ports[..sc.ports.len().min(6)]
            );
        }
        if self.scanners.len() > 10 {
            let _ = writeln!(s, "  … {} more", self.scanners.len() - 10);
        }
        let _ = writeln!(s, "victims: {}", self.victims.len());
        for v in &self.victims {
            let _ = writeln!(
                s,
                "  {:<16} {} .. {}  {} packets, ports {:?}, {}",
                v.address,
                v.start,
                v.end,
                v.packets,
                v.ports,
                v.kinds.join("+")
            );
        }
        s
    }
}
