//! tshark, the reference peer: no checksum errors, and its per-category counts equal the truth.
use std::process::Command;

use crate::{gen, small};

#[path = "../../../../tests/support/peers.rs"]
mod peers;

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Category of one packet from tshark's fields: protocol stack, TCP flags.
fn category(protocols: &str, flags: &str) -> &'static str {
    let layers: Vec<&str> = protocols.split(':').collect();
    // The first transport layer after the first IP header decides (an ICMP error quotes TCP).
    let transport = layers
        .iter()
        .skip_while(|l| !matches!(**l, "ip" | "ipv6"))
        .nth(1)
        .copied()
        .unwrap_or("");
    match transport {
        "tcp" => {
            let f = u16::from_str_radix(flags.trim_start_matches("0x"), 16).expect("tcp.flags hex");
            if f & 0x04 != 0 {
                "tcp_rst"
            } else if f & 0x12 == 0x12 {
                "tcp_synack"
            } else if f & 0x02 != 0 {
                "tcp_syn"
            } else if f & 0x01 != 0 {
                "tcp_fin"
            } else if f & 0x08 != 0 {
                "tcp_push"
            } else if f & 0x10 != 0 {
                "tcp_ack"
            } else {
                "tcp_other"
            }
        }
        "udp" => "udp",
        "icmp" | "icmpv6" => "icmp",
        _ => "other",
    }
}

#[test]
fn tshark_agrees() {
    if !tshark_available() {
        peers::missing(
            "tshark's checksum and category comparison",
            "`tshark --version` does not run (apt-get install tshark, or scripts/setup)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("small.pcap");
    let (bytes, truth) = gen(&small(21));
    std::fs::write(&file, &bytes).expect("write capture");

    let bad = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&file)
        .args([
            "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-o", "ip.defragment:FALSE",
            "-Y", "ip.checksum.status==2 || tcp.checksum.status==2 || udp.checksum.status==2 || icmp.checksum.status==2 || icmpv6.checksum.status==2",
        ])
        .output()
        .expect("tshark runs");
    assert!(bad.status.success());
    assert_eq!(
        String::from_utf8_lossy(&bad.stdout),
        "",
        "packets with bad checksums"
    );

    // One pass: outer destination (first occurrence), protocol stack and TCP flags.
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&file)
        .args([
            "-o",
            "ip.defragment:FALSE",
            "-T",
            "fields",
            "-E",
            "occurrence=f",
            "-E",
            "separator=|",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "frame.protocols",
            "-e",
            "tcp.flags",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let darknet: ipnet::IpNet = "203.0.113.0/24".parse().expect("prefix");
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    let (mut outside, mut ipv6, mut total) = (0u64, 0u64, 0u64);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('|').collect();
        let [v4, v6, protocols, flags] = f[..] else {
            panic!("unexpected tshark line {line:?}");
        };
        total += 1;
        ipv6 += u64::from(!v6.is_empty());
        let dst: std::net::IpAddr = if v4.is_empty() { v6 } else { v4 }
            .parse()
            .expect("address");
        if !darknet.contains(&dst) {
            outside += 1;
            continue;
        }
        *counts
            .entry(category(protocols, flags).to_string())
            .or_default() += 1;
    }
    assert_eq!(total, truth.packets, "packets");
    assert_eq!(outside, truth.outside_packets, "outside");
    assert_eq!(ipv6, truth.ipv6_packets, "ipv6");
    let mut want = truth.by_category.clone();
    want.retain(|_, n| *n > 0);
    assert_eq!(counts, want, "categories by tshark");
}
