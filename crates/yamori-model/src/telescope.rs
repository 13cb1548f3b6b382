//! The analysis report: what `yamori analyze --json` prints (schema `schemas/telescope-report.v1.json`),
//! what the store keeps and what the hub turns into STIX.
//!
//! Addresses are strings (dotted / RFC 5952) and times are RFC 3339 UTC strings with
//! nanosecond precision where the capture had it, so that the JSON is readable by anyone.
//! Field changes that break readers bump [`SCHEMA`].

use serde::{Deserialize, Serialize};

/// Schema identifier written into every report.
pub const SCHEMA: &str = "yamori.telescope.report/1";

/// NICTER's packet categories, in report order. Classification precedence for TCP (first
/// match wins): RST set → `tcp_rst`; SYN+ACK → `tcp_synack`; SYN → `tcp_syn`; FIN → `tcp_fin`;
/// PSH → `tcp_push`; ACK → `tcp_ack`; otherwise `tcp_other`. ICMPv6 counts as `icmp`.
/// A non-first fragment, or a packet of another protocol, is `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    TcpSyn,
    TcpSynack,
    TcpAck,
    TcpFin,
    TcpRst,
    TcpPush,
    TcpOther,
    Udp,
    Icmp,
    Other,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::TcpSyn,
        Category::TcpSynack,
        Category::TcpAck,
        Category::TcpFin,
        Category::TcpRst,
        Category::TcpPush,
        Category::TcpOther,
        Category::Udp,
        Category::Icmp,
        Category::Other,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn name(self) -> &'static str {
        match self {
            Category::TcpSyn => "tcp_syn",
            Category::TcpSynack => "tcp_synack",
            Category::TcpAck => "tcp_ack",
            Category::TcpFin => "tcp_fin",
            Category::TcpRst => "tcp_rst",
            Category::TcpPush => "tcp_push",
            Category::TcpOther => "tcp_other",
            Category::Udp => "udp",
            Category::Icmp => "icmp",
            Category::Other => "other",
        }
    }
}

/// Tool labels a source can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Mirai,
    Zmap,
    Masscan,
    Unknown,
}

impl Tool {
    /// Every label, in report order.
    pub const ALL: [Tool; 4] = [Tool::Mirai, Tool::Zmap, Tool::Masscan, Tool::Unknown];

    /// The label as the report, the store and the API write it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Mirai => "mirai",
            Tool::Zmap => "zmap",
            Tool::Masscan => "masscan",
            Tool::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    Horizontal,
    Vertical,
    Block,
}

/// The complete report of one analysis run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Darknet prefixes analysed.
    pub darknets: Vec<String>,
    /// Input files with their SHA-256 (filled by the caller, not the analyzer).
    pub inputs: Vec<InputFile>,
    /// Thresholds in force (so a reader can interpret verdicts).
    pub thresholds: Thresholds,
    pub totals: Totals,
    /// RFC 3339 time of the first and last packet seen (any destination).
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    /// Per-minute counts by category (darknet packets only), ascending by minute.
    pub timeseries: Vec<MinuteCounts>,
    pub top_tcp_ports: Vec<PortCount>,
    pub top_udp_ports: Vec<PortCount>,
    /// Top sources by darknet packets over the whole run.
    pub top_sources: Vec<SourceSummary>,
    /// Every source that met the scanner rule in at least one window, or carries a tool label.
    pub scanners: Vec<SourceSummary>,
    /// Reported DDoS attacks (one victim may have several).
    pub attacks: Vec<Attack>,
    /// Counts by country / ASN when enrichment databases were given; empty otherwise.
    pub top_countries: Vec<KeyCount>,
    pub top_asns: Vec<KeyCount>,
    /// Non-fatal problems: read errors that cut a file short, state budget reached, …
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFile {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub packets: u64,
    /// Set when reading stopped early: the error, naming the byte offset.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Thresholds {
    pub window_secs: u64,
    pub scanner_min_destinations: u32,
    pub vertical_min_ports: u32,
    pub fingerprint_min_packets: u32,
    pub fingerprint_min_share: f64,
    pub attack_gap_secs: u64,
    pub attack_min_packets: u64,
    pub attack_min_duration_secs: u64,
    pub attack_min_window_packets: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// Every record read.
    pub packets: u64,
    pub bytes: u64,
    /// Records that decoded to IP and were addressed to the darknet.
    pub darknet_packets: u64,
    /// IP packets addressed elsewhere.
    pub outside: u64,
    /// Records that carried no IP packet or could not be decoded.
    pub undecodable: u64,
    /// Darknet packets per category, keyed by [`Category::name`].
    pub by_category: std::collections::BTreeMap<String, u64>,
    /// Darknet packets flagged erratic/spoofed, per reason (each packet under the first reason
    /// that applies, in the order of the config docs, so the values add up): `ttl` (≥ 200
    /// without a fingerprint), `source_address` (IPv4 .0/.255), `source_is_destination`,
    /// `port_zero`, `fragment`, `tcp_flags` (odd combinations).
    pub erratic: std::collections::BTreeMap<String, u64>,
    /// Decoded IP packets by version (darknet and outside).
    pub ipv4: u64,
    pub ipv6: u64,
    /// Distinct sources of non-erratic darknet packets (tracked + untracked); sources that
    /// sent only erratic (possibly spoofed) packets are not counted.
    pub distinct_sources: u64,
    /// Sources not tracked because the state budget was reached (exact up to 4096, then
    /// estimated).
    pub untracked_sources: u64,
    /// Packets that carried a tool fingerprint, per tool (packet-level, over all darknet SYN
    /// probes including erratic ones; see `scanners` for verdicts).
    pub fingerprint_packets: std::collections::BTreeMap<String, u64>,
    /// Non-erratic backscatter packets (all victims, including ICMP errors whose quote was too
    /// short to name one).
    pub backscatter_packets: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MinuteCounts {
    /// RFC 3339 start of the minute.
    pub minute: String,
    /// Counts in [`Category::ALL`] order.
    pub counts: [u64; 10],
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortCount {
    pub port: u16,
    pub packets: u64,
}

/// `key` is an ISO country code, or an AS number in decimal (`"64496"`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyCount {
    pub key: String,
    pub packets: u64,
    pub sources: u64,
}

/// One source over the run (aggregated across its windows). Erratic packets are not counted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceSummary {
    pub address: String,
    pub packets: u64,
    /// Sum of captured frame lengths.
    pub bytes: u64,
    /// RFC 3339, to the second.
    pub first_seen: String,
    pub last_seen: String,
    /// Distinct darknet destinations of its probes (exact up to the scanner threshold,
    /// estimated above it).
    pub destinations: u64,
    /// Distinct destination ports of its probes (exact up to `vertical_min_ports`).
    pub destination_ports: u64,
    /// Up to 5 probed ports, most packets first; empty when the source used more than
    /// `vertical_min_ports` ports (counts are then not kept, rather than kept for an
    /// input-order-dependent subset).
    pub top_ports: Vec<PortCount>,
    pub ttl_min: u8,
    pub ttl_max: u8,
    /// SYN probes and how many matched each fingerprint.
    pub syn_probes: u64,
    pub fingerprint_matches: std::collections::BTreeMap<String, u64>,
    pub tool: Tool,
    /// `Some` when the source met the scanner rule in some window.
    pub scan: Option<ScanKind>,
    /// Windows (RFC 3339 start) in which it was a scanner.
    pub scanner_windows: Vec<String>,
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    /// Where the geolocation database places the address; absent without one (or when it
    /// has no position for it). Optional, so reports written before it existed still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
}

impl SourceSummary {
    /// What the source is, for colouring the map (the OpenAPI `Kind`): its tool when
    /// fingerprinted, `scanner` for an unfingerprinted scanner, `tcp_syn` when at least half
    /// of its packets are SYN probes, else `other`. (`backscatter` is decided by the reader,
    /// who knows the report's attack victims.)
    pub fn kind(&self) -> &'static str {
        match (self.tool, self.scan.is_some()) {
            (Tool::Unknown, true) => "scanner",
            (Tool::Unknown, false) if self.syn_probes.saturating_mul(2) >= self.packets => {
                "tcp_syn"
            }
            (Tool::Unknown, false) => "other",
            (t, _) => t.name(),
        }
    }
}

/// A WGS 84 position in degrees.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// A DDoS attack inferred from backscatter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attack {
    pub victim: String,
    pub start: String,
    pub end: String,
    pub packets: u64,
    /// Highest count in a 60 s window (sliding by 10 s), divided by 60.
    pub peak_pps: f64,
    /// packets / duration.
    pub mean_pps: f64,
    /// Attacked ports (victim-side), up to 5, most packets first; for ICMP echo replies none.
    /// Ports, destinations and kinds are the victim's over the whole run (shared by all of
    /// its attacks); start, end and packet counts are the attack's own.
    pub ports: Vec<PortCount>,
    /// Distinct darknet addresses the backscatter reached (exact up to 1024).
    pub darknet_destinations: u64,
    /// Backscatter kinds seen, e.g. "tcp_synack", "tcp_rst", "icmp_3".
    pub kinds: Vec<String>,
    pub country: Option<String>,
    pub asn: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(packets: u64, syn: u64, tool: Tool, scan: bool) -> SourceSummary {
        SourceSummary {
            address: "192.0.2.1".into(),
            packets,
            bytes: 0,
            first_seen: String::new(),
            last_seen: String::new(),
            destinations: 0,
            destination_ports: 0,
            top_ports: vec![],
            ttl_min: 0,
            ttl_max: 0,
            syn_probes: syn,
            fingerprint_matches: Default::default(),
            tool,
            scan: scan.then_some(ScanKind::Horizontal),
            scanner_windows: vec![],
            country: None,
            asn: None,
            as_org: None,
            location: None,
        }
    }

    #[test]
    fn kinds_follow_tool_scanner_and_syn_share() {
        assert_eq!(src(10, 10, Tool::Mirai, false).kind(), "mirai");
        assert_eq!(src(10, 10, Tool::Unknown, true).kind(), "scanner");
        assert_eq!(src(10, 5, Tool::Unknown, false).kind(), "tcp_syn");
        assert_eq!(src(10, 4, Tool::Unknown, false).kind(), "other");
    }
}
