//! Link → IP → transport decoding behind [`crate::decode`].
//!
//! Written by hand rather than on top of etherparse's `LaxSlicedPacket`: a darknet sees tens of
//! millions of frames per second at replay speed and we need only a dozen scalar fields, so the
//! decoder reads exactly those with explicit bounds checks and builds nothing else. Measured
//! with `examples/bench_read.rs` on darknet-like Ethernet/IPv4 frames (mostly 54-byte SYNs), per
//! CPU-second because wall time on a shared machine is noisy: ~70–85 M frames against ~31–37 M
//! for `LaxSlicedPacket::from_ethernet` reading the same fields. etherparse stays the reference:
//! the integration tests compare both on generated, cut and bit-flipped frames
//! (`tests/it/oracle.rs`).
//!
//! Every slice access goes through `get`/length checks; nothing here can panic on any input
//! (fuzz target `decode`).
mod ip;
mod link;
mod transport;

use crate::{DecodeError, LinkType, Packet};

#[inline]
pub(crate) fn decode(link: LinkType, ts_ns: u64, frame: &[u8]) -> Result<Packet, DecodeError> {
    // The version nibble wins over the ethertype / address family that announced it (as in
    // etherparse's lax slicing): a packet behind a wrong label still has its addresses read.
    match link::strip(link, frame)? {
        link::Net::V4(ip) | link::Net::V6(ip) if ip.first().is_some_and(|b| b >> 4 == 4) => {
            ip::ipv4(ts_ns, ip)
        }
        link::Net::V4(ip) | link::Net::V6(ip) if ip.first().is_some_and(|b| b >> 4 == 6) => {
            ip::ipv6(ts_ns, ip)
        }
        link::Net::V4(ip) => ip::ipv4(ts_ns, ip),
        link::Net::V6(ip) => ip::ipv6(ts_ns, ip),
    }
}

/// Big-endian u16 at `i`; callers have checked `d.len() >= i + 2`, `get` keeps it panic-free anyway.
#[inline(always)]
fn be16(d: &[u8], i: usize) -> u16 {
    match d.get(i..i + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Big-endian u32 at `i` (same contract as [`be16`]).
#[inline(always)]
fn be32(d: &[u8], i: usize) -> u32 {
    match d.get(i..i + 4) {
        Some(&[a, b, c, e]) => u32::from_be_bytes([a, b, c, e]),
        _ => 0,
    }
}

/// `DecodeError::Truncated` when `d` is shorter than `needed`.
#[inline(always)]
fn need(d: &[u8], needed: usize, layer: &'static str) -> Result<(), DecodeError> {
    if d.len() < needed {
        Err(DecodeError::Truncated {
            layer,
            needed,
            have: d.len(),
        })
    } else {
        Ok(())
    }
}
