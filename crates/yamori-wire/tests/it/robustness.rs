//! The fuzz targets' invariants as seeded random loops, so every `cargo test` exercises them
//! (cargo-fuzz in `fuzz/` explores further with coverage guidance; see `fuzz/run.sh`).
use yamori_wire::{decode, CaptureReader, LinkType, PcapWriter, MAX_CAPLEN};

use crate::util::*;

const LINKS: [u32; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffff_ffff];

#[test]
fn decode_never_panics_on_random_bytes() {
    let mut rng = Rng(0xf022);
    for i in 0..300_000 {
        let len = rng.below(if i % 10 == 0 { 2000 } else { 120 }) as usize;
        let mut frame = rng.bytes(len);
        // Bias towards plausible headers so the deeper layers get reached.
        if len > 20 && rng.chance(2) {
            frame[0] = [0x45, 0x46, 0x4f, 0x60][rng.below(4) as usize];
        }
        let link = LinkType(LINKS[rng.below(LINKS.len() as u64) as usize]);
        if let Ok(p) = decode(link, 7, &frame) {
            assert_eq!(p.ts_ns, 7);
        }
    }
}

/// Drain a reader over `bytes` and decode every record, checking the reader's promises.
fn drain(bytes: Vec<u8>) -> usize {
    let Ok(mut r) = CaptureReader::from_read("fuzz", std::io::Cursor::new(bytes)) else {
        return 0;
    };
    let mut n = 0;
    let mut last_offset = None;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                assert!(rec.data.len() <= MAX_CAPLEN as usize);
                assert!(
                    last_offset.is_none_or(|o| rec.offset > o),
                    "offsets increase"
                );
                last_offset = Some(rec.offset);
                let _ = decode(rec.link, rec.ts_ns, rec.data);
                n += 1;
            }
            Ok(None) => return n,
            Err(e) => {
                assert!(
                    last_offset.is_none_or(|o| e.offset >= o),
                    "error at {} before last record {last_offset:?}",
                    e.offset
                );
                assert!(r.next_record().expect("fused").is_none());
                return n;
            }
        }
    }
}

fn seed_captures() -> Vec<Vec<u8>> {
    let f = syn_frame([192, 0, 2, 1], [203, 0, 113, 1], 1, 23, 5);
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 128, true).expect("vec");
    for i in 0..5 {
        w.write(i, &f).expect("vec");
    }
    let pcap = w.into_inner().expect("vec");
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, Some(9), None);
    ng.idb(101, 64, Some(0x80 | 10), Some(-5));
    ng.epb(0, 1, &f, 60);
    ng.spb(60, &f);
    ng.opb(1, 3, &f[14..]);
    ng.block(7, &[1, 2, 3]);
    let mut be = PcapNg::new(true);
    be.idb(113, 0, None, None);
    be.epb(0, 9, &f, 60);
    vec![gzip(&pcap), pcap, gzip(&ng.out), ng.out, be.out]
}

#[test]
fn reader_never_panics_on_mutated_captures() {
    let mut rng = Rng(0xf023);
    let seeds = seed_captures();
    let mut delivered = 0;
    for _ in 0..30_000 {
        let mut bytes = seeds[rng.below(seeds.len() as u64) as usize].clone();
        for _ in 0..=rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            match rng.below(3) {
                0 => bytes[i] ^= 1 << rng.below(8),
                1 => bytes[i] = [0, 0xff, 0x7f, 0x80][rng.below(4) as usize],
                _ => bytes.truncate(i),
            }
            if bytes.is_empty() {
                break;
            }
        }
        delivered += drain(bytes);
    }
    // Most mutations leave some records readable: the loop reaches record parsing.
    assert!(delivered > 15_000, "{delivered}");
}
