//! Reading the packets of one TPACKET_V3 block (safe code over the bytes the ring lends).
//!
//! Layout (linux/if_packet.h): the block descriptor holds `num_pkts` at byte 12 and
//! `offset_to_first_pkt` at byte 16; each packet starts with a `tpacket3_hdr`: `tp_next_offset`
//! (0), `tp_sec` (4), `tp_nsec` (8), `tp_snaplen` (12), `tp_len` (16), `tp_status` (20),
//! `tp_mac` (24, u16: where the frame starts, from the packet header). The kernel writes these;
//! every offset is still checked against the block, so a corrupt block ends the walk instead
//! of reading out of bounds.

/// One captured frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Kernel receive time, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Length on the wire (may exceed `data.len()` if the frame was cut).
    pub wire_len: u32,
    pub data: &'a [u8],
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes([s[0], s[1]]))
}

/// The frames of a block, in order. Stops early (and says so with `false`) if a header
/// points outside the block.
pub fn frames(block: &[u8], mut each: impl FnMut(Frame<'_>)) -> bool {
    let (Some(count), Some(first)) = (u32_at(block, 12), u32_at(block, 16)) else {
        return false;
    };
    let mut at = first as usize;
    for i in 0..count {
        let Some(frame) = frame_at(block, at) else {
            return false;
        };
        each(frame.0);
        if i + 1 == count {
            break;
        }
        if frame.1 == 0 {
            return false;
        }
        at = match at.checked_add(frame.1 as usize) {
            Some(n) => n,
            None => return false,
        };
    }
    true
}

/// The frame whose header starts at `at`, and the offset of the next header from it.
fn frame_at(block: &[u8], at: usize) -> Option<(Frame<'_>, u32)> {
    let next = u32_at(block, at)?;
    let sec = u32_at(block, at + 4)?;
    let nsec = u32_at(block, at + 8)?;
    let snaplen = u32_at(block, at + 12)?;
    let len = u32_at(block, at + 16)?;
    let mac = u16_at(block, at + 24)?;
    let start = at.checked_add(usize::from(mac))?;
    let data = block.get(start..start.checked_add(snaplen as usize)?)?;
    Some((
        Frame {
            ts_ns: u64::from(sec) * 1_000_000_000 + u64::from(nsec),
            wire_len: len,
            data,
        },
        next,
    ))
}
