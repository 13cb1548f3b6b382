//! The darknet filter accepts exactly the frames addressed into its prefixes.

use yamori_sensor::bpf::{
    darknet_filter, outside_filter, run, FilterError, ACCEPT_BYTES, HEADER_BYTES, MAX_PREFIXES,
};

use crate::frames::{ip, tcp_syn};

fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
    list.iter()
        .map(|s| s.parse().expect("test prefix"))
        .collect()
}

#[test]
fn accepts_only_frames_to_the_darknet() {
    let prog = darknet_filter(&nets(&[
        "198.51.100.0/24",
        "203.0.113.128/25",
        "2001:db8:1::/48",
    ]))
    .expect("filter");
    let src4 = ip("192.0.2.7");
    let src6 = ip("2001:db8:ffff::7");
    let cases = [
        (tcp_syn(src4, ip("198.51.100.0"), 23), true),
        (tcp_syn(src4, ip("198.51.100.255"), 23), true),
        (tcp_syn(src4, ip("198.51.101.0"), 23), false),
        (tcp_syn(src4, ip("198.51.99.255"), 23), false),
        (tcp_syn(src4, ip("203.0.113.128"), 80), true),
        (tcp_syn(src4, ip("203.0.113.127"), 80), false),
        // The source in the darknet does not make it darknet traffic.
        (tcp_syn(ip("198.51.100.9"), ip("192.0.2.1"), 80), false),
        (tcp_syn(src6, ip("2001:db8:1::1"), 22), true),
        (
            tcp_syn(src6, ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff"), 22),
            true,
        ),
        (tcp_syn(src6, ip("2001:db8:2::1"), 22), false),
        (tcp_syn(src6, ip("2001:db9:1::1"), 22), false),
    ];
    for (frame, want) in &cases {
        let got = run(&prog, frame);
        assert_eq!(
            got,
            if *want { ACCEPT_BYTES } else { 0 },
            "frame to {:02x?}",
            &frame[12..]
        );
    }
}

#[test]
fn the_strict_filter_passes_unicast_ip_for_other_addresses_only() {
    let darknets = nets(&["198.51.100.0/24", "2001:db8:1::/48"]);
    let prog = outside_filter(&darknets).expect("filter");
    let src4 = ip("192.0.2.7");
    let src6 = ip("2001:db8:ffff::7");
    let cases = [
        (tcp_syn(src4, ip("198.51.100.9"), 23), false),
        (tcp_syn(src4, ip("203.0.113.5"), 23), true),
        (tcp_syn(ip("198.51.100.9"), ip("192.0.2.1"), 80), true),
        (tcp_syn(src4, ip("255.255.255.255"), 67), false),
        (tcp_syn(src4, ip("224.0.0.251"), 5353), false),
        (tcp_syn(src4, ip("239.255.255.250"), 1900), false),
        (tcp_syn(src4, ip("169.254.1.1"), 80), false),
        (tcp_syn(src6, ip("2001:db8:1::1"), 22), false),
        (tcp_syn(src6, ip("2001:db8:2::1"), 22), true),
        (tcp_syn(src6, ip("ff02::1"), 22), false),
        (tcp_syn(src6, ip("fe80::1"), 22), false),
    ];
    for (frame, want) in &cases {
        assert_eq!(
            run(&prog, frame),
            if *want { HEADER_BYTES } else { 0 },
            "frame to {:02x?}",
            &frame[12..]
        );
    }
    let mut arp = tcp_syn(src4, ip("203.0.113.5"), 23);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(run(&prog, &arp), 0, "ARP is link chatter too");
    assert_eq!(outside_filter(&[]), Err(FilterError::NoPrefix));
    // The most prefixes, each of the longest program (/97: three whole words and a masked
    // one), still fit the kernel's limit beside the link chatter.
    let many: Vec<ipnet::IpNet> = (0..MAX_PREFIXES)
        .map(|i| format!("2001:db8:{i:x}::/97").parse().expect("prefix"))
        .collect();
    let prog = outside_filter(&many).expect("filter");
    assert!(
        prog.len() <= yamori_sensor::bpf::MAX_INSNS,
        "{}",
        prog.len()
    );
}

#[test]
fn refuses_other_ethertypes_and_short_frames() {
    let prog = darknet_filter(&nets(&["198.51.100.0/24"])).expect("filter");
    let mut arp = tcp_syn(ip("192.0.2.7"), ip("198.51.100.1"), 23);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(run(&prog, &arp), 0, "ARP is not darknet traffic");
    let whole = tcp_syn(ip("192.0.2.7"), ip("198.51.100.1"), 23);
    assert_eq!(run(&prog, &whole[..33]), 0, "cut before the destination");
    assert_eq!(
        run(&prog, &whole[..34]),
        ACCEPT_BYTES,
        "destination complete"
    );
    assert_eq!(run(&prog, &[]), 0);
}

#[test]
fn prefix_lengths_from_0_to_full() {
    // An IPv4-only filter refuses IPv6 and the other way round; /0 takes its whole family.
    let any4 = darknet_filter(&nets(&["0.0.0.0/0"])).expect("filter");
    assert_eq!(
        run(&any4, &tcp_syn(ip("192.0.2.7"), ip("8.8.8.8"), 1)),
        ACCEPT_BYTES
    );
    assert_eq!(
        run(&any4, &tcp_syn(ip("2001:db8::1"), ip("2001:db8::2"), 1)),
        0
    );
    let host = darknet_filter(&nets(&["198.51.100.77/32", "2001:db8::5/128"])).expect("filter");
    assert_eq!(
        run(&host, &tcp_syn(ip("192.0.2.7"), ip("198.51.100.77"), 1)),
        ACCEPT_BYTES
    );
    assert_eq!(
        run(&host, &tcp_syn(ip("192.0.2.7"), ip("198.51.100.78"), 1)),
        0
    );
    assert_eq!(
        run(&host, &tcp_syn(ip("2001:db8::1"), ip("2001:db8::5"), 1)),
        ACCEPT_BYTES
    );
    assert_eq!(
        run(&host, &tcp_syn(ip("2001:db8::1"), ip("2001:db8::4"), 1)),
        0
    );
    // A prefix ending inside an IPv6 word (/52) masks that word.
    let mid = darknet_filter(&nets(&["2001:db8:0:1000::/52"])).expect("filter");
    assert_eq!(
        run(
            &mid,
            &tcp_syn(ip("2001:db8::1"), ip("2001:db8:0:1fff::1"), 1)
        ),
        ACCEPT_BYTES
    );
    assert_eq!(
        run(
            &mid,
            &tcp_syn(ip("2001:db8::1"), ip("2001:db8:0:2000::1"), 1)
        ),
        0
    );
}

#[test]
fn many_prefixes_and_limits() {
    // 200 /32s: the jump over the IPv4 section is far longer than an 8-bit offset.
    let list: Vec<String> = (0..200).map(|i| format!("198.51.100.{i}/32")).collect();
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    let mut all = nets(&list);
    all.push("2001:db8::/32".parse().expect("prefix"));
    let prog = darknet_filter(&all).expect("filter");
    assert!(
        prog.len() > 255 && prog.len() <= 4096,
        "{} instructions",
        prog.len()
    );
    assert_eq!(
        run(&prog, &tcp_syn(ip("192.0.2.1"), ip("198.51.100.199"), 1)),
        ACCEPT_BYTES
    );
    assert_eq!(
        run(&prog, &tcp_syn(ip("192.0.2.1"), ip("198.51.100.200"), 1)),
        0
    );
    assert_eq!(
        run(&prog, &tcp_syn(ip("2001:db9::1"), ip("2001:db8:7::1"), 1)),
        ACCEPT_BYTES
    );
    assert_eq!(darknet_filter(&[]), Err(FilterError::NoPrefix));
    let too_many = vec![all[0]; MAX_PREFIXES + 1];
    assert_eq!(
        darknet_filter(&too_many),
        Err(FilterError::TooManyPrefixes(MAX_PREFIXES + 1))
    );
}
