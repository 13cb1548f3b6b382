//! Bad inputs: cut at every offset, oversize records, garbage, empty files, malformed blocks.
//! Each must give the right error kind at the right offset after delivering every whole record.
use yamori_wire::{CaptureReader, LinkType, PcapWriter, ReadErrorKind};

use crate::util::*;

fn small_pcap() -> (Vec<u8>, Vec<u64>) {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535, false).expect("vec");
    let mut ends = Vec::new();
    let mut at = 24u64;
    for i in 0..4u8 {
        let f = syn_frame([192, 0, 2, i], [203, 0, 113, 1], 1000, 23, u32::from(i));
        w.write(u64::from(i) * 1_000_000, &f[..40 + usize::from(i)])
            .expect("vec");
        at += 16 + 40 + u64::from(i);
        ends.push(at);
    }
    (w.into_inner().expect("vec"), ends)
}

/// Start offsets of the blocks of a little-endian pcapng file (walked here from the lengths).
fn block_starts(ng: &[u8]) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut at = 0usize;
    while at + 8 <= ng.len() {
        starts.push(at as u64);
        at += u32::from_le_bytes(ng[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
    }
    starts
}

#[test]
fn pcap_cut_at_every_offset() {
    let (bytes, ends) = small_pcap();
    for cut in 0..=bytes.len() {
        let (recs, err) = read_all("cut.pcap", bytes[..cut].to_vec());
        let whole = ends.iter().filter(|&&e| e <= cut as u64).count();
        assert_eq!(
            recs.len(),
            whole,
            "cut {cut}: records before the cut are delivered"
        );
        let boundary = cut == 24 || ends.contains(&(cut as u64));
        match (cut, err) {
            (0, Some(e)) => assert!(
                matches!(e.kind, ReadErrorKind::Empty) && e.offset == 0,
                "{e}"
            ),
            (_, None) => assert!(boundary, "cut {cut} inside a record went unnoticed"),
            (_, Some(e)) => {
                assert!(!boundary, "cut {cut} at a boundary is a clean end, got {e}");
                assert!(matches!(e.kind, ReadErrorKind::Truncated), "cut {cut}: {e}");
                let want = if cut < 24 {
                    0
                } else if whole == 0 {
                    24
                } else {
                    ends[whole - 1]
                };
                assert_eq!(e.offset, want, "cut {cut}: offset of the cut record");
                assert_eq!(e.file, "cut.pcap");
            }
        }
    }
}

#[test]
fn pcapng_cut_at_every_offset() {
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, Some(9), None);
    let f = syn_frame([192, 0, 2, 1], [203, 0, 113, 1], 1000, 23, 1);
    ng.epb(0, 1, &f, f.len() as u32);
    ng.block(0x0bad, b"skip me");
    ng.spb(f.len() as u32, &f);
    ng.opb(0, 3, &f);
    let bytes = ng.out;
    let starts = block_starts(&bytes);
    let packet_blocks = [starts[2], starts[4], starts[5]];
    for cut in 0..=bytes.len() {
        let (recs, err) = read_all("cut.pcapng", bytes[..cut].to_vec());
        let ends_before: Vec<u64> = starts
            .iter()
            .skip(1)
            .copied()
            .chain([bytes.len() as u64])
            .collect();
        let delivered = packet_blocks
            .iter()
            .filter(|&&s| {
                let i = starts.iter().position(|&x| x == s).expect("block start");
                ends_before[i] <= cut as u64
            })
            .count();
        assert_eq!(recs.len(), delivered, "cut {cut}");
        let boundary = starts.contains(&(cut as u64)) && cut > 0 || cut == bytes.len();
        match (cut, err) {
            (0, Some(e)) => assert!(matches!(e.kind, ReadErrorKind::Empty)),
            (_, None) => assert!(boundary, "cut {cut} inside a block went unnoticed"),
            (_, Some(e)) => {
                assert!(!boundary, "cut {cut}: {e}");
                assert!(matches!(e.kind, ReadErrorKind::Truncated), "cut {cut}: {e}");
                let cut_block = *starts
                    .iter()
                    .rev()
                    .find(|&&s| s < cut as u64)
                    .expect("some block");
                assert_eq!(e.offset, cut_block, "cut {cut}: offset of the cut block");
            }
        }
    }
}

#[test]
fn gzip_cut_at_every_offset_delivers_a_prefix() {
    let (plain, _) = small_pcap();
    let (full, _) = read_all("plain", plain.clone());
    let gz = gzip(&plain);
    for cut in 1..gz.len() {
        let (recs, err) = read_all("cut.pcap.gz", gz[..cut].to_vec());
        assert!(
            recs.len() <= full.len() && recs[..] == full[..recs.len()],
            "cut {cut}"
        );
        let e = err.unwrap_or_else(|| panic!("cut {cut} of the gzip stream went unnoticed"));
        assert!(
            matches!(e.kind, ReadErrorKind::Truncated | ReadErrorKind::Io(_)),
            "cut {cut}: {e}"
        );
        // Located at the first record not delivered (or in the file header).
        let next: u64 = 24 + recs.iter().map(|r| 16 + r.data.len() as u64).sum::<u64>();
        assert!(
            e.offset == next || (recs.is_empty() && e.offset == 0),
            "cut {cut}: {e}"
        );
    }
}

#[test]
fn record_longer_than_snaplen_or_hard_limit() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 100, false).expect("vec");
    w.write(1, &[0; 60]).expect("vec");
    let mut bytes = w.into_inner().expect("vec");
    let second = bytes.len() as u64;
    // A record header claiming 101 captured bytes in a file with snap length 100.
    for v in [1u32, 0, 101, 101] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&[0; 101]);
    let (recs, err) = read_all("long.pcap", bytes);
    let e = err.expect("error");
    assert_eq!(recs.len(), 1);
    assert!(
        matches!(
            e.kind,
            ReadErrorKind::RecordTooLong {
                len: 101,
                limit: 100
            }
        ),
        "{e}"
    );
    assert_eq!(e.offset, second);

    // Snap length 0 ("unlimited") still has the 256 KiB hard limit, and nothing is buffered.
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0, false).expect("vec");
    w.write(1, &[0; 10]).expect("vec");
    let mut bytes = w.into_inner().expect("vec");
    bytes[32..36].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let (_, err) = read_all("huge.pcap", bytes);
    let e = err.expect("error");
    assert!(
        matches!(
            e.kind,
            ReadErrorKind::RecordTooLong {
                len: 0x4000_0000,
                limit: 262_144
            }
        ),
        "{e}"
    );
    assert_eq!((e.offset, yamori_wire::MAX_CAPLEN), (24, 262_144));

    // pcapng: EPB longer than its interface's snap length.
    let mut ng = PcapNg::new(false);
    ng.idb(1, 50, None, None);
    let at = ng.epb(0, 1, &[0; 51], 51);
    let e = read_all("long.pcapng", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::RecordTooLong { len: 51, limit: 50 }),
        "{e}"
    );
    assert_eq!(e.offset, at);
}

#[test]
fn garbage_empty_and_odd_starts() {
    let e = read_all("empty", Vec::new()).1.expect("error");
    assert!(matches!(e.kind, ReadErrorKind::Empty) && e.offset == 0);
    let e = read_all("empty.gz", gzip(&[])).1.expect("error");
    assert!(matches!(e.kind, ReadErrorKind::Empty), "{e}");
    let e = read_all("text", b"hello, this is not a capture".to_vec())
        .1
        .expect("error");
    match &e.kind {
        ReadErrorKind::NotACapture(first) => assert_eq!(&first[..], b"hello, this is n"),
        k => panic!("{k}"),
    }
    let e = read_all("gz-in-gz", gzip(&gzip(b"x"))).1.expect("error");
    assert!(matches!(e.kind, ReadErrorKind::NotACapture(_)), "{e}");
    let e = read_all("short", vec![0x12]).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::NotACapture(ref b) if b == &[0x12]),
        "{e}"
    );
    let e = read_all("magic-prefix", vec![0x0a, 0x0d]).1.expect("error");
    assert!(matches!(e.kind, ReadErrorKind::Truncated), "{e}");
    // Kuznetzov's modified pcap (0xa1b2cd34) is not supported.
    let e = read_all("kuznetzov", 0xa1b2_cd34u32.to_le_bytes().repeat(6))
        .1
        .expect("error");
    assert!(matches!(e.kind, ReadErrorKind::NotACapture(_)), "{e}");
    let mut bad_version = small_pcap().0;
    bad_version[4] = 3;
    let e = read_all("v3", bad_version).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(_)) && e.offset == 4,
        "{e}"
    );
}

#[test]
fn malformed_pcapng_blocks() {
    // Block length not a multiple of 4.
    let mut ng = PcapNg::new(false);
    let at = ng.block(0x0bad, &[0; 4]) as usize;
    ng.out[at + 4] = 17;
    let e = read_all("len", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(_)) && e.offset == at as u64 + 4,
        "{e}"
    );
    // Trailing length differs.
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, None, None);
    let f = [0u8; 20];
    let at = ng.epb(0, 1, &f, 20) as usize;
    let end = ng.out.len();
    ng.out[end - 4] ^= 4;
    let e = read_all("trailer", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(_)) && e.offset == at as u64,
        "{e}"
    );
    // Packet before any interface, and a packet naming a missing interface.
    let mut ng = PcapNg::new(false);
    let at = ng.spb(20, &f);
    let e = read_all("no-idb", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(ref m) if m.contains("interface 0"))
            && e.offset == at + 8,
        "{e}"
    );
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, None, None);
    ng.epb(5, 1, &f, 20);
    let e = read_all("bad-if", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(ref m) if m.contains("interface 5")),
        "{e}"
    );
    // Bad byte-order magic.
    let mut ng = PcapNg::new(false);
    ng.out[8] = 0;
    let e = read_all("bom", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(_)) && e.offset == 8,
        "{e}"
    );
    // An out-of-range if_tsresol (10^20 does not fit in 64 bits).
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, Some(20), None);
    let e = read_all("tsresol", ng.out).1.expect("error");
    assert!(
        matches!(e.kind, ReadErrorKind::Malformed(ref m) if m.contains("if_tsresol")),
        "{e}"
    );
}

#[test]
fn reader_is_fused_after_an_error() {
    let (bytes, _) = small_pcap();
    let mut r = CaptureReader::from_read("fused", std::io::Cursor::new(bytes[..100].to_vec()))
        .expect("header");
    assert!(r.next_record().expect("first whole").is_some());
    assert!(r.next_record().is_err());
    assert!(r.next_record().expect("fused").is_none());
}
