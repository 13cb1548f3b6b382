//! Analysis configuration and the documented rules behind every verdict.
//!
//! The traffic generator (`yamori-gen`) builds its ground truth from these same rules, so a
//! change here is a change to both. Defaults and their sources:
//!
//! * **Window**: per-source state is kept per time window of `window_secs` (default 3600),
//!   aligned to multiples of `window_secs` since the Unix epoch.
//! * **Probe**: a packet to the darknet that is a TCP SYN (SYN set, ACK/RST not set), a UDP
//!   datagram, or an ICMP/ICMPv6 echo request (type 8 / 128).
//! * **Scanner** (after Durumeric et al., "An Internet-Wide View of Internet-Wide Scanning",
//!   USENIX Security 2014, who count distinct darknet destinations per source): a source whose
//!   probes reach at least [`Config::scanner_min_destinations`] distinct darknet addresses in a
//!   window. Default: 100 for a darknet of a /16 or more; smaller darknets see proportionally fewer
//!   of a random scanner's probes, so the default scales with size, `ceil(100 × size / 65536)`,
//!   but never below 10 (a /24 → 10). Horizontal scan: ≤ 5 distinct destination ports;
//!   vertical scan: a source probing ≥ 100 distinct ports (`vertical_min_ports`) on fewer
//!   hosts than the threshold; both → "block".
//! * **Fingerprints** (per TCP SYN probe over IPv4):
//!   Mirai: sequence number == destination address (`mirai/bot/scanner.c`);
//!   ZMap < 4.1: IPv4 ID == 54321 (`zmap/src/probe_modules/packet.c`; random since v4.1.0);
//!   masscan: IPv4 ID == (dst_ip ^ dst_port ^ seq) & 0xFFFF (`masscan/src/templ-pkt.c`).
//!   A 16-bit test matches a random packet once in 65,536, so a *source* carries a tool label
//!   only when it sent ≥ `fingerprint_min_packets` (5) SYN probes and ≥ `fingerprint_min_share`
//!   (90 %) of them match. Otherwise its tool is "unknown"; we never guess.
//! * **Erratic / spoofed** (Corsaro's filters): TTL ≥ 200 without a tool fingerprint, IPv4 source
//!   ending in .0 or .255, source == destination, TCP/UDP port 0, IP fragments, odd TCP flag
//!   combinations (no flags, SYN+FIN, SYN+RST, FIN+PSH+URG). Such packets are counted in totals,
//!   categories and time series and per reason, but do not feed per-source verdicts.
//! * **Backscatter** (Moore et al., "Inferring Internet Denial-of-Service Activity", 2001/2006;
//!   Corsaro RS-DoS plugin): TCP SYN/ACK or RST, ICMPv4 types 0, 3, 4, 5, 11, 12, 14, 16, 18,
//!   ICMPv6 types 1, 2, 3, 4, 129; never UDP. The victim is the sender, except for ICMP errors,
//!   where it is the quoted inner destination (and the attacked port the quoted destination port).
//!   An attack is a run of a victim's backscatter with no silence longer than `attack_gap_secs`
//!   (300); it is reported when it has ≥ `attack_min_packets` (25) packets, lasts ≥
//!   `attack_min_duration_secs` (60) and has ≥ `attack_min_window_packets` (30) packets in some
//!   60 s window sliding by 10 s (Corsaro's defaults).

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Analysis settings. Serde names match the `[analyze]` table of `yamori.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Darknet prefixes (IPv4 and IPv6). Packets to other addresses are counted as `outside`.
    pub darknets: Vec<IpNet>,
    /// Length of a per-source window in seconds.
    pub window_secs: u64,
    /// Distinct darknet destinations that make a scanner; `None` = scaled default (see module docs).
    pub scanner_min_destinations: Option<u32>,
    /// Distinct destination ports that make a vertical scanner.
    pub vertical_min_ports: u32,
    /// Minimum SYN probes before a source can carry a tool label.
    pub fingerprint_min_packets: u32,
    /// Share of a source's SYN probes that must match a fingerprint (0..=1).
    pub fingerprint_min_share: f64,
    /// Silence that ends a DDoS attack, seconds.
    pub attack_gap_secs: u64,
    pub attack_min_packets: u64,
    pub attack_min_duration_secs: u64,
    /// Packets required within one 60 s window (sliding by 10 s).
    pub attack_min_window_packets: u64,
    /// How many entries the top-N lists of the report keep.
    pub top_n: usize,
    /// Upper bound, in bytes, for per-source and per-victim state. When it is reached, new
    /// sources are not tracked (their packets are still counted) and the report says how many.
    pub state_budget_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            darknets: Vec::new(),
            window_secs: 3600,
            scanner_min_destinations: None,
            vertical_min_ports: 100,
            fingerprint_min_packets: 5,
            fingerprint_min_share: 0.9,
            attack_gap_secs: 300,
            attack_min_packets: 25,
            attack_min_duration_secs: 60,
            attack_min_window_packets: 30,
            top_n: 20,
            state_budget_bytes: 1 << 30,
        }
    }
}

impl Config {
    /// Number of IPv4 addresses in the darknet (IPv6 prefixes not counted).
    pub fn darknet_v4_size(&self) -> u64 {
        self.darknets
            .iter()
            .filter_map(|n| match n {
                IpNet::V4(v4) => Some(1u64 << (32 - v4.prefix_len())),
                IpNet::V6(_) => None,
            })
            .sum()
    }

    /// Every address in the darknet (saturating). Distinct-destination counts are estimates
    /// above the scanner threshold; no count may exceed this.
    pub fn darknet_size(&self) -> u64 {
        self.darknets
            .iter()
            .map(|n| match n {
                IpNet::V4(v4) => 1u64 << (32 - v4.prefix_len()),
                IpNet::V6(v6) => 1u64
                    .checked_shl(128 - u32::from(v6.prefix_len()))
                    .unwrap_or(u64::MAX),
            })
            .fold(0, u64::saturating_add)
    }

    /// The scanner threshold in force: the configured value, or the scaled default.
    pub fn effective_scanner_min_destinations(&self) -> u32 {
        if let Some(v) = self.scanner_min_destinations {
            return v.max(1);
        }
        let size = self.darknet_v4_size();
        if size == 0 {
            // IPv6-only darknet: addresses are too many to scale by; use the /16 figure.
            return 100;
        }
        let scaled = (100 * size).div_ceil(65_536);
        scaled.clamp(10, 100) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(nets: &[&str]) -> Config {
        Config {
            darknets: nets
                .iter()
                .map(|n| n.parse().expect("test prefix"))
                .collect(),
            ..Config::default()
        }
    }

    #[test]
    fn scanner_threshold_scales_with_darknet_size() {
        assert_eq!(
            cfg(&["203.0.113.0/24"]).effective_scanner_min_destinations(),
            10
        );
        assert_eq!(
            cfg(&["10.0.0.0/18"]).effective_scanner_min_destinations(),
            25
        );
        assert_eq!(
            cfg(&["10.0.0.0/16"]).effective_scanner_min_destinations(),
            100
        );
        assert_eq!(
            cfg(&["10.0.0.0/8"]).effective_scanner_min_destinations(),
            100
        );
        assert_eq!(
            cfg(&["2001:db8::/64"]).effective_scanner_min_destinations(),
            100
        );
    }
}
