//! What a live sensor counts in each minute beside the analysis: written by `yamori-sensor`,
//! stored by `yamori-store` (table `sensor_minutes`), printed by `yamori sensor --json`.

use serde::{Deserialize, Serialize};

/// Longest sensor id accepted: ids name sensors in tables, message ids and file names.
pub const MAX_SENSOR_ID_LEN: usize = 64;

/// True for the sensor ids the store accepts: 1 to [`MAX_SENSOR_ID_LEN`] letters, digits, `-`,
/// `_` or `.` (no `/`, so an id is also safe as the start of a file name).
pub fn valid_sensor_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SENSOR_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

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
