//! tshark, the reference peer: no checksum errors, and its per-category counts equal the truth.
use std::process::Command;

use crate::{gen, small};

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Number of packets of `file` matching `filter`.
fn count(file: &std::path::Path, filter: &str) -> u64 {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args([
            "-o",
            "ip.defragment:FALSE",
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count() as u64
}

#[test]
fn tshark_agrees() {
    if !tshark_available() {
        eprintln!("SKIPPED: tshark is not installed (apt-get install tshark); checksum and category comparison not run");
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

    // The first IP header's destination decides darknet membership (`ip.dst#1` would be the
    // strict form; no generated packet quotes a darknet address as an inner destination).
    let dn = "(ip.dst == 203.0.113.0/24)";
    let tcp = format!("{dn} && tcp && !icmp");
    let filters = [
        ("tcp_rst", format!("{tcp} && tcp.flags.reset==1")),
        ("tcp_synack", format!("{tcp} && tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==1")),
        ("tcp_syn", format!("{tcp} && tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==0")),
        ("tcp_fin", format!("{tcp} && tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==1")),
        ("tcp_push", format!("{tcp} && tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==1")),
        ("tcp_ack", format!("{tcp} && tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==0 && tcp.flags.ack==1")),
        ("tcp_other", format!("{tcp} && !(tcp.flags & 0x1f)")),
        ("udp", format!("{dn} && udp && !icmp")),
        ("icmp", format!("{dn} && icmp")),
        ("other", format!("{dn} && !tcp && !udp && !icmp")),
    ];
    for (cat, filter) in &filters {
        assert_eq!(
            count(&file, filter),
            truth.by_category[*cat],
            "category {cat}: {filter}"
        );
    }
    assert_eq!(
        count(&file, &format!("!{dn}")),
        truth.outside_packets,
        "outside"
    );
    assert_eq!(count(&file, "ipv6"), truth.ipv6_packets, "ipv6");
}
