//! What a live sensor counts in each minute beside the analysis: written by `yamori-sensor`,
//! stored by `yamori-store` (table `sensor_minutes`), printed by `yamori sensor --json`.

use serde::{Deserialize, Serialize};

/// One minute's capture counters. Drops are counted where they happen (the kernel's ring, the
/// interface), so a minute says how much of the darknet's traffic it missed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorCounts {
    /// Frames taken from the capture ring (after the kernel filter).
    pub captured: u64,
    pub captured_bytes: u64,
    /// Frames that are not IPv4/IPv6 packets the decoder can read (analysed as undecodable).
    pub undecodable: u64,
    /// Frames that arrived after their minute was written (not analysed).
    pub late: u64,
    /// The kernel's count of frames the filter passed (PACKET_STATISTICS tp_packets).
    pub kernel_packets: u64,
    /// Frames the kernel dropped because the ring was full (tp_drops).
    pub kernel_drops: u64,
    /// Times the ring was full and frozen (tp_freeze_q_cnt).
    pub kernel_freezes: u64,
    /// Growth of the interface's rx_dropped (/sys/class/net/IF/statistics) in the minute.
    pub interface_drops: u64,
}
