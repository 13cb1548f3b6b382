//! A real peer: Wireshark's `editcap` rewrites our captures into other containers and link
//! types, and `tshark` decodes frames we also decode. When the tools are not installed
//! (`apt-get install tshark`; scripts/setup installs it) the suite fails and other runs report
//! the skip (`peers::missing`).
use std::path::Path;
use std::process::Command;

#[path = "../../../../tests/support/peers.rs"]
mod peers;

use yamori_wire::{decode, Addr, LinkType, PcapWriter, Transport};

use crate::util::*;

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        peers::missing(
            &format!("the comparison with `{tool}`"),
            &format!("`{tool} -v` does not run (apt-get install tshark, or scripts/setup)"),
        );
    }
    ok
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Unfragmented, untruncated IP packets of every kind the analysis cares about.
fn ip_packets(rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let s = (rng.next_u64() as u32).to_be_bytes();
            let d = [203, 0, 113, rng.next_u64() as u8];
            let (sp, dp) = (
                1024 + rng.below(60000) as u16,
                [23u16, 2323, 80, 445, 7547][rng.below(5) as usize],
            );
            let tcp_hdr = tcp(
                sp,
                dp,
                rng.next_u64() as u32,
                rng.next_u64() as u32,
                [0x02, 0x12, 0x04, 0x14, 0x10][rng.below(5) as usize],
                rng.next_u64() as u16,
                if rng.chance(3) { &[2, 4, 5, 0xb4] } else { &[] },
            );
            let ttl = rng.next_u64() as u8 | 1;
            match i % 6 {
                0 | 1 => ipv4(s, d, 6, ttl, rng.next_u64() as u16, 0x4000, &[], &tcp_hdr),
                2 => ipv4(
                    s,
                    d,
                    17,
                    ttl,
                    rng.next_u64() as u16,
                    0,
                    &[],
                    &udp(sp, 1900 + dp, b"M-SEARCH"),
                ),
                3 => {
                    let inner = ipv4(d, s, 17, 50, 1, 0, &[], &udp(sp, 161, b"public"));
                    ipv4(
                        s,
                        d,
                        1,
                        ttl,
                        rng.next_u64() as u16,
                        0,
                        &[],
                        &icmp(3, 3, &inner[..28]),
                    )
                }
                4 => ipv6(
                    u128::from(rng.next_u64()) << 64 | 0x2001_0db8 << 96,
                    0x2001_0db8 << 96 | u128::from(rng.next_u64()),
                    6,
                    ttl,
                    &tcp_hdr,
                ),
                _ => ipv4(
                    s,
                    d,
                    1,
                    ttl,
                    rng.next_u64() as u16,
                    0,
                    &[],
                    &icmp(8, 0, b"ping"),
                ),
            }
        })
        .collect()
}

fn wrap(link: LinkType, ip: &[u8], i: usize) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let et: u16 = if v6 { 0x86dd } else { 0x0800 };
    match link {
        LinkType::ETHERNET if i % 3 == 0 => ether_tagged(&[(0x88a8, 10), (0x8100, 20)], et, ip),
        LinkType::ETHERNET => ether(et, ip),
        LinkType::LINUX_SLL => [
            &[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0][..],
            &et.to_be_bytes(),
            ip,
        ]
        .concat(),
        LinkType::LINUX_SLL2 => [
            &et.to_be_bytes()[..],
            &[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0],
            ip,
        ]
        .concat(),
        LinkType::NULL => [&(if v6 { 30u32 } else { 2 }).to_le_bytes()[..], ip].concat(),
        LinkType::LOOP => [&(if v6 { 24u32 } else { 2 }).to_be_bytes()[..], ip].concat(),
        _ => ip.to_vec(),
    }
}

fn write_pcap(path: &Path, link: LinkType, frames: &[Vec<u8>]) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = PcapWriter::new(std::io::BufWriter::new(file), link, 65535, false).expect("header");
    for (i, f) in frames.iter().enumerate() {
        w.write(1_700_000_000_000_000_000 + i as u64 * 1_001_000, f)
            .expect("write");
    }
    w.into_inner().expect("flush");
}

fn read_path(path: &Path) -> Vec<Owned> {
    let (recs, err) = read_all(
        &path.display().to_string(),
        std::fs::read(path).expect("read"),
    );
    assert!(err.is_none(), "{err:?}");
    recs
}

#[test]
fn editcap_conversions_yield_the_same_packets() {
    if !have("editcap") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(11);
    let frames: Vec<_> = ip_packets(&mut rng, 300)
        .iter()
        .enumerate()
        .map(|(i, p)| wrap(LinkType::ETHERNET, p, i))
        .collect();
    let src = dir.path().join("in.pcap");
    write_pcap(&src, LinkType::ETHERNET, &frames);
    let original = read_path(&src);
    assert_eq!(original.len(), 300);
    for (args, link) in [
        (&["-F", "pcapng"][..], 1),
        (&["-F", "nsecpcap"], 1),
        (&["-T", "linux-sll"], 113),
        (&["-T", "linux-sll2"], 276),
        (&["-F", "pcapng", "-T", "rawip"], 101),
    ] {
        let out = dir.path().join("out");
        run(Command::new("editcap").args(args).arg(&src).arg(&out));
        let got = read_path(&out);
        let name = args.join(" ");
        assert_eq!(got.len(), original.len(), "editcap {name}");
        for (g, o) in got.iter().zip(&original) {
            // editcap relabels the encapsulation, it does not rewrite frames.
            assert_eq!(
                (g.ts_ns, g.link, &g.data, g.orig_len),
                (o.ts_ns, link, &o.data, o.orig_len),
                "editcap {name}"
            );
        }
        // The same file through gzip (the system's, not ours).
        run(Command::new("gzip").arg("-kf").arg(&out));
        let gz = read_path(&dir.path().join("out.gz"));
        assert_eq!(gz, got, "gzip of editcap {name}");
    }
}

/// What tshark says about one frame, from `-T fields`.
#[derive(Debug, Default)]
struct Fields(Vec<String>);

impl Fields {
    fn first(&self, i: usize) -> Option<&str> {
        self.0
            .get(i)
            .and_then(|v| v.split(',').next())
            .filter(|v| !v.is_empty())
    }
    fn nth(&self, i: usize, n: usize) -> Option<&str> {
        self.0.get(i).and_then(|v| v.split(',').nth(n))
    }
    fn num(&self, i: usize) -> Option<u64> {
        self.first(i).map(|v| match v.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).expect("hex"),
            None => v.parse().expect("number"),
        })
    }
}

const FIELDS: [&str; 16] = [
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "ip.ttl",
    "ipv6.hlim",
    "ip.id",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.flags",
    "udp.srcport",
    "udp.dstport",
    "icmp.type",
    "icmp.code",
    "tcp.window_size_value",
];

fn addr(s: &str) -> Addr {
    s.parse::<std::net::IpAddr>()
        .expect("tshark prints addresses")
        .into()
}

#[test]
fn tshark_decodes_the_same_fields_on_every_link_type() {
    if !have("tshark") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(12);
    let packets = ip_packets(&mut rng, 120);
    for link in [
        LinkType::ETHERNET,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType::NULL,
        LinkType::LOOP,
        LinkType::RAW,
    ] {
        let frames: Vec<_> = packets
            .iter()
            .enumerate()
            .map(|(i, p)| wrap(link, p, i))
            .collect();
        let path = dir.path().join(format!("l{}.pcap", link.0));
        write_pcap(&path, link, &frames);
        let mut cmd = Command::new("tshark");
        cmd.args(["-n", "-r"]).arg(&path).args([
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
        ]);
        for f in FIELDS {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().expect("tshark runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Fields> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| Fields(l.split('\t').map(str::to_string).collect()))
            .collect();
        assert_eq!(lines.len(), frames.len(), "{link}");
        for (i, (f, t)) in frames.iter().zip(&lines).enumerate() {
            let p = decode(link, 0, f).unwrap_or_else(|e| panic!("{link} frame {i}: {e}"));
            let ctx = format!("{link} frame {i}: tshark {t:?}, ours {p:?}");
            let (s, d, ttl) = match p.src {
                Addr::V4(_) => (t.first(0), t.first(1), t.num(4)),
                Addr::V6(_) => (t.first(2), t.first(3), t.num(5)),
            };
            assert_eq!(
                (Some(p.src), Some(p.dst), Some(u64::from(p.ttl))),
                (s.map(addr), d.map(addr), ttl),
                "{ctx}"
            );
            assert_eq!(p.ip_id.map(u64::from), t.num(6), "{ctx}");
            match p.transport {
                Transport::Tcp(o) => {
                    let want: [u64; 5] = [
                        o.src_port.into(),
                        o.dst_port.into(),
                        o.seq.into(),
                        o.flags.into(),
                        o.window.into(),
                    ];
                    let got = [
                        t.num(7),
                        t.num(8),
                        t.num(9),
                        t.num(10).map(|f| f & 0xff),
                        t.num(15),
                    ];
                    assert_eq!(got.map(|v| v.expect("tcp field")), want, "{ctx}");
                }
                Transport::Udp(o) => assert_eq!(
                    (t.num(11), t.num(12)),
                    (Some(o.src_port.into()), Some(o.dst_port.into())),
                    "{ctx}"
                ),
                Transport::Icmp(o) => {
                    assert_eq!(
                        (t.num(13), t.num(14)),
                        (Some(o.icmp_type.into()), Some(o.code.into())),
                        "{ctx}"
                    );
                    if let Some(q) = o.quoted {
                        // The quoted header is tshark's second IP layer, its UDP header the first.
                        assert_eq!(
                            (t.nth(0, 1).map(addr), t.nth(1, 1).map(addr)),
                            (Some(q.src), Some(q.dst)),
                            "{ctx}"
                        );
                        assert_eq!(
                            (t.num(11), t.num(12)),
                            (q.src_port.map(u64::from), q.dst_port.map(u64::from)),
                            "{ctx}"
                        );
                    }
                }
                other => panic!("generated frames are whole TCP/UDP/ICMP, got {other:?} ({ctx})"),
            }
        }
    }
}
