//! Frames are read out of a TPACKET_V3 block as the kernel lays it out, and a corrupt block
//! ends the walk without reading outside it.

use yamori_sensor::block::{frames, Frame};

/// A block with `frames` (seconds, nanoseconds, wire length, bytes) laid out as the kernel
/// does: descriptor, then per packet a 48-byte-aligned header with the frame at `tp_mac`.
fn block(list: &[(u32, u32, u32, &[u8])]) -> Vec<u8> {
    const FIRST: usize = 48;
    const MAC: usize = 82; // what the kernel uses for V3 (header + sockaddr_ll, aligned)
    let mut b = vec![0u8; 4096];
    b[12..16].copy_from_slice(&(list.len() as u32).to_ne_bytes());
    b[16..20].copy_from_slice(&(FIRST as u32).to_ne_bytes());
    let mut at = FIRST;
    for (i, (sec, nsec, len, data)) in list.iter().enumerate() {
        let size = (MAC + data.len()).div_ceil(16) * 16;
        let next = if i + 1 == list.len() { 0 } else { size as u32 };
        b[at..at + 4].copy_from_slice(&next.to_ne_bytes());
        b[at + 4..at + 8].copy_from_slice(&sec.to_ne_bytes());
        b[at + 8..at + 12].copy_from_slice(&nsec.to_ne_bytes());
        b[at + 12..at + 16].copy_from_slice(&(data.len() as u32).to_ne_bytes());
        b[at + 16..at + 20].copy_from_slice(&len.to_ne_bytes());
        b[at + 24..at + 26].copy_from_slice(&(MAC as u16).to_ne_bytes());
        b[at + MAC..at + MAC + data.len()].copy_from_slice(data);
        at += size;
    }
    b
}

fn collect(b: &[u8]) -> (bool, Vec<(u64, u32, Vec<u8>)>) {
    let mut out = Vec::new();
    let ok = frames(b, |f: Frame<'_>| {
        out.push((f.ts_ns, f.wire_len, f.data.to_vec()))
    });
    (ok, out)
}

#[test]
fn reads_every_frame_with_its_time_and_length() {
    let b = block(&[
        (1_700_000_000, 5, 60, b"first frame"),
        (1_700_000_001, 999_999_999, 1514, b"second, cut short"),
        (1_700_000_002, 0, 3, b"abc"),
    ]);
    let (ok, got) = collect(&b);
    assert!(ok);
    assert_eq!(
        got,
        vec![
            (1_700_000_000_000_000_005, 60, b"first frame".to_vec()),
            (
                1_700_000_001_999_999_999,
                1514,
                b"second, cut short".to_vec()
            ),
            (1_700_000_002_000_000_000, 3, b"abc".to_vec()),
        ]
    );
}

#[test]
fn a_corrupt_block_stops_inside_its_bounds() {
    let mut b = block(&[(1, 0, 4, b"aaaa"), (2, 0, 4, b"bbbb")]);
    // The second header's snap length reaches past the block.
    let second = 48 + (82 + 4usize).div_ceil(16) * 16;
    b[second + 12..second + 16].copy_from_slice(&100_000u32.to_ne_bytes());
    let (ok, got) = collect(&b);
    assert!(!ok);
    assert_eq!(got.len(), 1, "the frame before the corrupt one is read");
    // A count larger than the frames there, with a zero next offset.
    let mut b = block(&[(1, 0, 4, b"aaaa")]);
    b[12..16].copy_from_slice(&5u32.to_ne_bytes());
    assert!(!collect(&b).0);
    // A first offset outside the block.
    let mut b = block(&[(1, 0, 4, b"aaaa")]);
    b[16..20].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert_eq!(collect(&b), (false, vec![]));
    assert_eq!(collect(&[0u8; 8]), (false, vec![]));
}
