//! Every capture variant the reader accepts, built in memory or in temp files, with every
//! record's timestamp, link type, bytes and offset checked.
use std::io::Read;

use yamori_wire::{
    decode, Addr, CaptureFormat, CaptureReader, DecodeError, LinkType, PcapWriter, Transport,
};

use crate::util::*;

fn frames() -> Vec<Vec<u8>> {
    vec![
        syn_frame([192, 0, 2, 1], [203, 0, 113, 5], 40000, 23, 0xcb00_7105),
        ether(0x86dd, &ipv6(1, 2, 17, 64, &udp(53, 5353, b"q"))),
        ether(0x0806, &[0; 28]),
    ]
}

fn pcap_bytes(nanos: bool, ts: &[u64], frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535, nanos).expect("vec");
    for (t, f) in ts.iter().zip(frames) {
        w.write(*t, f).expect("vec");
    }
    w.into_inner().expect("vec")
}

const TS: [u64; 3] = [
    1_700_000_000_123_456_789,
    1_700_000_001_000_000_001,
    1_700_000_002_999_999_999,
];

#[test]
fn pcap_microsecond_and_nanosecond_from_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for nanos in [false, true] {
        let path = dir.path().join(format!("t{nanos}.pcap"));
        std::fs::write(&path, pcap_bytes(nanos, &TS, &frames())).expect("write");
        let mut r = CaptureReader::open(&path).expect("open");
        assert_eq!(
            (r.format(), r.is_compressed()),
            (CaptureFormat::Pcap, false)
        );
        let mut offset = 24;
        for (i, f) in frames().iter().enumerate() {
            let rec = r.next_record().expect("read").expect("record");
            let want_ts = if nanos { TS[i] } else { TS[i] / 1000 * 1000 };
            assert_eq!(
                (
                    rec.ts_ns,
                    rec.link,
                    rec.data,
                    rec.orig_len as usize,
                    rec.offset
                ),
                (want_ts, LinkType::ETHERNET, &f[..], f.len(), offset)
            );
            offset += 16 + f.len() as u64;
        }
        assert!(r.next_record().expect("clean end").is_none());
        assert_eq!(r.source_bytes_read(), offset);
    }
}

#[test]
fn decoded_fields_of_read_records() {
    let (recs, err) = read_all("mem", pcap_bytes(true, &TS, &frames()));
    assert!(err.is_none());
    let p = decode(LinkType(recs[0].link), recs[0].ts_ns, &recs[0].data).expect("syn");
    assert_eq!(
        (p.ts_ns, p.src, p.dst),
        (TS[0], Addr::V4(0xc000_0201), Addr::V4(0xcb00_7105))
    );
    assert!(
        matches!(p.transport, Transport::Tcp(t) if t.flags == 0x02 && t.seq == 0xcb00_7105 && t.dst_port == 23)
    );
    let p = decode(LinkType(recs[1].link), recs[1].ts_ns, &recs[1].data).expect("v6");
    assert_eq!((p.src, p.dst), (Addr::V6(1), Addr::V6(2)));
    assert_eq!(
        decode(LinkType(recs[2].link), 0, &recs[2].data),
        Err(DecodeError::NotIp(0x0806))
    );
}

/// A big-endian pcap written by hand (as on SPARC/PowerPC), raw IP link type with FCS bits set
/// in the link-type field's upper bits.
fn be_pcap(nanos: bool) -> Vec<u8> {
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut v = magic.to_be_bytes().to_vec();
    v.extend_from_slice(&2u16.to_be_bytes());
    v.extend_from_slice(&4u16.to_be_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&1500u32.to_be_bytes());
    v.extend_from_slice(&(101u32 | 1 << 28 | 1 << 26).to_be_bytes());
    for (i, ip) in [ipv4(
        [192, 0, 2, 9],
        [198, 51, 100, 1],
        17,
        9,
        9,
        0,
        &[],
        &udp(1, 2, b"abc"),
    )]
    .iter()
    .enumerate()
    {
        v.extend_from_slice(&(1_000 + i as u32).to_be_bytes());
        v.extend_from_slice(&(if nanos { 999_999_999u32 } else { 999_999 }).to_be_bytes());
        v.extend_from_slice(&(ip.len() as u32).to_be_bytes());
        v.extend_from_slice(&(ip.len() as u32 + 10).to_be_bytes());
        v.extend_from_slice(ip);
    }
    v
}

#[test]
fn big_endian_pcap_both_resolutions() {
    for nanos in [false, true] {
        let (recs, err) = read_all("be", be_pcap(nanos));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(recs.len(), 1);
        let want = 1_000_000_000_000 + if nanos { 999_999_999 } else { 999_999_000 };
        assert_eq!(
            (
                recs[0].ts_ns,
                recs[0].link,
                recs[0].orig_len,
                recs[0].offset
            ),
            (want, 101, 41, 24)
        );
        let p = decode(LinkType(recs[0].link), recs[0].ts_ns, &recs[0].data).expect("raw ip");
        assert_eq!(p.src, Addr::V4(0xc000_0209));
    }
}

/// Little- or big-endian pcapng: three interfaces (Ethernet µs; raw IP ns; Linux SLL with a
/// power-of-two resolution and a time offset), EPB and OPB records, and blocks to skip.
/// Expected records: (ts_ns, link type, data, offset).
type Expected = Vec<(u64, u32, Vec<u8>, u64)>;

fn pcapng_file(be: bool) -> (Vec<u8>, Expected) {
    let mut ng = PcapNg::new(be);
    let eth = syn_frame([192, 0, 2, 1], [203, 0, 113, 5], 1, 23, 7);
    let raw = ipv4(
        [192, 0, 2, 2],
        [203, 0, 113, 6],
        17,
        1,
        1,
        0,
        &[],
        &udp(9, 10, &[]),
    );
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&raw);
    ng.idb(1, 0, None, None);
    ng.idb(101, 65535, Some(9), None);
    ng.idb(113, 262_144, Some(0x80 | 20), Some(1_000));
    let mut want = Vec::new();
    let at = ng.epb(0, 1_700_000_000_654_321, &eth, eth.len() as u32);
    want.push((1_700_000_000_654_321_000, 1, eth.clone(), at));
    ng.block(5, &[0; 12]); // interface statistics: skipped
    ng.block(0x0bad_cafe, b"unknown block, skipped"); // unknown
    let at = ng.epb(1, 1_700_000_000_000_000_007, &raw, 100);
    want.push((1_700_000_000_000_000_007, 101, raw.clone(), at));
    // 2^-20 s units: 3.5 s + 1000 s offset.
    let at = ng.epb(2, 3 * (1 << 20) + (1 << 19), &sll, sll.len() as u32);
    want.push((1_003_500_000_000, 113, sll.clone(), at));
    ng.block(4, &[0; 4]); // name resolution: skipped
    let at = ng.opb(1, 5, &raw);
    want.push((5, 101, raw, at));
    (ng.out, want)
}

#[test]
fn pcapng_interfaces_resolutions_epb_opb_both_byte_orders() {
    for be in [false, true] {
        let (bytes, want) = pcapng_file(be);
        let (recs, err) = read_all("ng", bytes);
        assert!(err.is_none(), "{err:?}");
        let got: Vec<_> = recs
            .iter()
            .map(|r| (r.ts_ns, r.link, r.data.clone(), r.offset))
            .collect();
        assert_eq!(got, want, "be={be}");
        for r in &recs {
            let p = decode(LinkType(r.link), r.ts_ns, &r.data).expect("decodes");
            assert!(matches!(p.src, Addr::V4(a) if a >> 8 == 0xc00002));
        }
    }
}

#[test]
fn pcapng_simple_packet_blocks_use_interface_zero_and_its_snaplen() {
    let mut ng = PcapNg::new(false);
    ng.idb(1, 64, Some(3), None);
    let long = ether(
        0x0800,
        &ipv4(
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            17,
            1,
            1,
            0,
            &[],
            &udp(1, 2, &[7; 80]),
        ),
    );
    ng.epb(0, 42_123, &long[..64], long.len() as u32);
    let at = ng.spb(long.len() as u32, &long[..64]);
    let short = syn_frame([192, 0, 2, 3], [192, 0, 2, 4], 1, 2, 3);
    let at2 = ng.spb(short.len() as u32, &short);
    let (recs, err) = read_all("spb", ng.out);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(recs.len(), 3);
    assert_eq!(
        (
            recs[1].ts_ns,
            recs[1].link,
            &recs[1].data[..],
            recs[1].orig_len,
            recs[1].offset
        ),
        (42_123_000_000, 1, &long[..64], long.len() as u32, at)
    );
    // The block is padded to 4 bytes: only the original length's worth is data.
    assert_eq!((recs[2].data.len(), recs[2].offset), (short.len(), at2));
}

#[test]
fn pcapng_several_sections_reset_interfaces() {
    let mut ng = PcapNg::new(false);
    ng.idb(1, 0, None, None);
    let f = syn_frame([192, 0, 2, 1], [192, 0, 2, 2], 1, 2, 3);
    ng.epb(0, 1, &f, f.len() as u32);
    let mut second = PcapNg::new(true);
    second.idb(101, 0, Some(9), None);
    let ip = &f[14..];
    second.epb(0, 2, ip, ip.len() as u32);
    let base = ng.out.len() as u64;
    ng.out.extend_from_slice(&second.out);
    let (recs, err) = read_all("sections", ng.out);
    assert!(err.is_none(), "{err:?}");
    let got: Vec<_> = recs.iter().map(|r| (r.ts_ns, r.link)).collect();
    assert_eq!(got, vec![(1_000, 1), (2, 101)]);
    assert!(recs[1].offset > base);
}

#[test]
fn gzip_single_and_multi_member_and_source_bytes() {
    let plain = pcap_bytes(false, &TS, &frames());
    let gz = gzip(&plain);
    let mut r =
        CaptureReader::from_read("x.pcap.gz", std::io::Cursor::new(gz.clone())).expect("gzip");
    assert!(r.is_compressed());
    let mut n = 0;
    while r.next_record().expect("read").is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert_eq!(
        r.source_bytes_read(),
        gz.len() as u64,
        "counts compressed bytes"
    );
    assert_eq!(
        r.stream_offset(),
        plain.len() as u64,
        "offsets are in the decompressed stream"
    );

    // Two gzip members split inside a record (as `cat a.gz b.gz` makes).
    let mut multi = gzip(&plain[..50]);
    multi.extend_from_slice(&gzip(&plain[50..]));
    let (recs, err) = read_all("multi.gz", multi);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(recs, read_all("plain", plain).0);

    let (bytes, want) = pcapng_file(false);
    let (recs, err) = read_all("ng.gz", gzip(&bytes));
    assert!(err.is_none());
    assert_eq!(
        recs.iter().map(|r| r.offset).collect::<Vec<_>>(),
        want.iter().map(|w| w.3).collect::<Vec<_>>()
    );
}

#[test]
fn headers_without_records_are_fine() {
    let (recs, err) = read_all("empty.pcap", pcap_bytes(false, &[], &[]));
    assert!(recs.is_empty() && err.is_none(), "{err:?}");
    let (recs, err) = read_all("empty.pcapng", PcapNg::new(false).out);
    assert!(recs.is_empty() && err.is_none(), "{err:?}");
    let mut ng = PcapNg::new(true);
    ng.idb(1, 0, None, None);
    let (recs, err) = read_all("idb-only.pcapng", gzip(&ng.out));
    assert!(recs.is_empty() && err.is_none(), "{err:?}");
}

#[test]
fn unknown_link_types_are_delivered_and_decode_reports_them() {
    let mut w = PcapWriter::new(Vec::new(), LinkType(147), 0, false).expect("vec");
    w.write(5_000, b"user-defined link layer").expect("vec");
    let (recs, err) = read_all("u", w.into_inner().expect("vec"));
    assert!(err.is_none());
    assert_eq!((recs[0].link, recs[0].ts_ns), (147, 5_000));
    assert_eq!(
        decode(LinkType(recs[0].link), 0, &recs[0].data),
        Err(DecodeError::UnsupportedLinkType(147))
    );
}

/// A `Read` that hands out at most `step` bytes per call (pipes and sockets do this).
struct Trickle<R> {
    inner: R,
    step: usize,
}

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step);
        self.inner.read(&mut buf[..n])
    }
}

#[test]
fn many_records_across_buffer_refills_and_short_reads() {
    let mut rng = Rng(7);
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 262_144, true).expect("vec");
    let mut want = Vec::new();
    for i in 0..20_000u64 {
        let len = if i == 0 || i == 777 {
            262_144
        } else {
            rng.below(1600) as usize
        };
        let f = rng.bytes(len);
        w.write(i * 1_000 + 1, &f).expect("vec");
        want.push(f);
    }
    let bytes = w.into_inner().expect("vec");
    assert!(bytes.len() > 3 << 20, "spans several 1 MiB buffers");
    for step in [usize::MAX, 4093, 7] {
        let mut r = CaptureReader::from_read(
            "big",
            Trickle {
                inner: std::io::Cursor::new(bytes.clone()),
                step,
            },
        )
        .expect("open");
        let mut offset = 24u64;
        for (i, f) in want.iter().enumerate() {
            let rec = r.next_record().expect("read").expect("record");
            assert_eq!(
                (rec.data, rec.ts_ns, rec.offset),
                (&f[..], i as u64 * 1_000 + 1, offset),
                "record {i}, step {step}"
            );
            offset += 16 + f.len() as u64;
        }
        assert!(r.next_record().expect("end").is_none());
    }
}

#[test]
fn open_names_missing_files() {
    let e =
        CaptureReader::open(std::path::Path::new("/nonexistent/yamori.pcap")).expect_err("missing");
    assert_eq!((e.file.as_str(), e.offset), ("/nonexistent/yamori.pcap", 0));
    assert!(e.to_string().contains("/nonexistent/yamori.pcap"));
}

/// `-` reads standard input. The test re-runs its own binary as the child whose stdin is a
/// gzip-compressed capture (the child branch runs only with the marker variable set).
#[test]
fn dash_reads_standard_input() {
    if std::env::var_os("YAMORI_WIRE_STDIN_CHILD").is_some() {
        let mut r = CaptureReader::open(std::path::Path::new("-")).expect("stdin");
        let (mut n, mut last) = (0, 0);
        while let Some(rec) = r.next_record().expect("read stdin") {
            n += 1;
            last = rec.ts_ns;
        }
        println!("STDIN-RESULT {n} {last} {} {}", r.name(), r.is_compressed());
        return;
    }
    use std::io::Write;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "reader_formats::dash_reads_standard_input",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("YAMORI_WIRE_STDIN_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let input = gzip(&pcap_bytes(true, &TS, &frames()));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(&input)
        .expect("feed stdin");
    let out = child.wait_with_output().expect("child runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("STDIN-RESULT 3 {} - true", TS[2])),
        "{stdout}"
    );
}
