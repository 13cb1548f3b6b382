//! Addresses written in free text ("DDoS backscatter from victim 203.0.113.9", "camera at
//! 198.51.100.7:80", "[2001:db8::1]:443", "192.0.2.0/24", tcpdump's "203.0.113.9.51234",
//! "203.000.113.009", a host name "ec2-203-0-113-9.compute.example"): found, and replaced.
//!
//! The finder errs on the side of the host: what it misses leaves in clear, what it wrongly
//! takes for an address is only rewritten. So any four dot-separated numbers of at most three
//! digits, each at most 255, are an IPv4 address, whatever surrounds them (a version "5.4.0.1"
//! in a sentence too, and the first four parts of an SNMP OID); four such numbers joined by
//! dashes are one written in a host name (the last four of a longer run, as reverse-DNS names
//! put them). IPv6 is what `std::net` parses, starting after no letter or digit, with a hex digit
//! in it, unless every group has two digits (a MAC or EUI-64 address). IPv4-mapped IPv6
//! (`::ffff:192.0.2.1`) is the IPv4 address.
//!
//! Written by hand rather than with a regex crate: the rules above (windows of four parts,
//! values up to 255, spans the IPv6 pass already took) would be code around a regex anyway.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use ipnet::IpNet;

/// One address (with its prefix length when the text gives one) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub span: Range<usize>,
    pub net: IpNet,
    /// Written with dashes (in a host name): its replacement is too.
    pub dashed: bool,
}

/// The length of a host prefix of `addr`'s family: 32 or 128.
pub fn full_len(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// `net` with an IPv4-mapped IPv6 address (and prefix) as IPv4.
pub fn canonical(net: IpNet) -> IpNet {
    match net.addr() {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => {
                IpNet::new(IpAddr::V4(v4), net.prefix_len().saturating_sub(96)).unwrap_or(net)
            }
            None => net,
        },
        IpAddr::V4(_) => net,
    }
}

/// An address or prefix as a value holds it ("192.0.2.1", "192.0.2.0/24", "2001:db8::/32",
/// "203.000.113.009"), canonical.
pub fn parse_net(text: &str) -> Option<IpNet> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let addr = addr
        .parse::<IpAddr>()
        .ok()
        .or_else(|| lenient_v4(addr).map(IpAddr::V4))?;
    let net = IpNet::new(addr, len.unwrap_or(full_len(addr))).ok()?;
    Some(canonical(net))
}

/// Four dot-separated numbers of 1–3 digits, each at most 255 (leading zeros allowed).
fn lenient_v4(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        *o = octet(p)?;
    }
    Some(Ipv4Addr::from(octets))
}

fn octet(p: &str) -> Option<u8> {
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().and_then(|v| u8::try_from(v).ok())
}

/// A prefix length written right after an address ("/24"), and the bytes it takes.
fn prefix_after(text: &[u8], at: usize, addr: IpAddr) -> Option<(u8, usize)> {
    if text.get(at) != Some(&b'/') {
        return None;
    }
    let digits = text[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 3 {
        return None;
    }
    // "8.8.8.8/8.8.4.4" is two addresses, not a /8.
    if text
        .get(at + 1 + digits)
        .is_some_and(|b| *b == b'.' || *b == b':' || b.is_ascii_alphanumeric())
    {
        return None;
    }
    let len: u8 = std::str::from_utf8(&text[at + 1..at + 1 + digits])
        .ok()?
        .parse()
        .ok()?;
    (len <= full_len(addr)).then_some((len, 1 + digits))
}

fn with_prefix(text: &[u8], addr: IpAddr, start: usize, end: usize) -> Option<Found> {
    let (net, stop) = match prefix_after(text, end, addr) {
        Some((len, taken)) => (IpNet::new(addr, len).ok()?, end + taken),
        None => (IpNet::new(addr, full_len(addr)).ok()?, end),
    };
    Some(Found {
        span: start..stop,
        net: canonical(net),
        dashed: false,
    })
}

/// Maximal runs of bytes `keep` accepts: (start, end).
fn runs(bytes: &[u8], keep: impl Fn(u8) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if keep(bytes[i]) {
            let start = i;
            while i < bytes.len() && keep(bytes[i]) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Whether every colon-separated group has exactly two hex digits: a MAC or EUI-64 address.
fn mac_like(s: &str) -> bool {
    let groups: Vec<&str> = s.split(':').collect();
    (groups.len() == 6 || groups.len() == 8) && groups.iter().all(|g| g.len() == 2)
}

/// An IPv6 address at the start of `t` ("2001:db8::1", "2001:db8::1.443" with tcpdump's port,
/// a trailing full stop or colon), and its length.
fn ipv6_at(t: &str) -> Option<(Ipv6Addr, usize)> {
    let without_port = t
        .trim_end_matches(['.', ':'])
        .rsplit_once('.')
        .filter(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .map(|(a, _)| a);
    [
        Some(t),
        Some(t.trim_end_matches('.')),
        Some(t.trim_end_matches(['.', ':'])),
        without_port,
    ]
    .into_iter()
    .flatten()
    .find_map(|c| {
        let plausible =
            c.matches(':').count() >= 2 && c.bytes().any(|b| b.is_ascii_digit()) && !mac_like(c);
        plausible
            .then(|| c.parse::<Ipv6Addr>().ok())
            .flatten()
            .map(|a| (a, c.len()))
    })
}

fn ipv6_pass(text: &str, found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let addr_char = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    for (start, end) in runs(bytes, addr_char) {
        let run = &text[start..end];
        // The run itself, else what follows one of its colons ("addr:2001:db8::5").
        let starts = std::iter::once(0).chain(
            run.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b':')
                .map(|(i, _)| i + 1),
        );
        for at in starts {
            // No address is longer than 45 characters (51 with tcpdump's port): a long run of
            // colons costs linear time, not quadratic.
            let window = &run[at..run.len().min(at + 64)];
            if let Some((a, len)) = ipv6_at(window) {
                found.extend(with_prefix(
                    bytes,
                    IpAddr::V6(a),
                    start + at,
                    start + at + len,
                ));
                break;
            }
        }
    }
}

/// The address in a run of `sep`-separated numbers, and whether it is the whole run. Four valid
/// parts are an address. A longer run is taken whole, so that no part of any address in it is
/// left: five dotted parts as tcpdump's address and port (the first four, else the last four),
/// other runs (an SNMP index, a host name holding two addresses) as their last valid four.
fn quads(run: &str, sep: char) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = run.split(sep).collect();
    let valid = |w: &[&str]| -> Option<Ipv4Addr> {
        let mut octets = [0u8; 4];
        for (o, p) in octets.iter_mut().zip(w) {
            *o = octet(p)?;
        }
        Some(Ipv4Addr::from(octets))
    };
    match parts.len() {
        0..=3 => None,
        4 => valid(&parts),
        5 if sep == '.' => valid(&parts[..4]).or_else(|| valid(&parts[1..])),
        n => (0..=n - 4).rev().find_map(|i| valid(&parts[i..i + 4])),
    }
}

fn quad_pass(text: &str, sep: u8, found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    for (start, end) in runs(bytes, |b| b.is_ascii_digit() || b == sep) {
        // Leading and trailing separators ("...1.2.3.4.", "-1-2-3-4") are not parts.
        let mut start = start;
        // In a host name the number glued to a word is the word's ("ec2-203-0-113-9").
        if sep == b'-' && start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            match text[start..end].find('-') {
                Some(dash) => start += dash,
                None => continue,
            }
        }
        let run = &text[start..end];
        let lead = run.len() - run.trim_start_matches(sep as char).len();
        let inner = run.trim_matches(sep as char);
        let Some(a) = quads(inner, sep as char) else {
            continue;
        };
        let (s, e) = (start + lead, start + lead + inner.len());
        if sep == b'.' {
            found.extend(with_prefix(bytes, IpAddr::V4(a), s, e));
        } else if let Ok(net) = IpNet::new(IpAddr::V4(a), 32) {
            found.push(Found {
                span: s..e,
                net,
                dashed: true,
            });
        }
    }
}

/// Every address written in `text`, in order, none overlapping another (the earlier and
/// longer is kept: an IPv6 address with a dotted IPv4 tail is one address).
pub fn addresses(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    ipv6_pass(text, &mut found);
    quad_pass(text, b'.', &mut found);
    quad_pass(text, b'-', &mut found);
    found.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|k| f.span.start >= k.span.end) {
            kept.push(f);
        }
    }
    kept
}

/// How a network is written: a host as its address, a prefix as `network/len`.
pub fn display(net: IpNet) -> String {
    if net.prefix_len() == full_len(net.addr()) {
        net.addr().to_string()
    } else {
        net.trunc().to_string()
    }
}

/// `text` with each address replaced by what `replace` returns for it (`None`: left as is);
/// a replacement for an address written with dashes is written with dashes.
pub fn replace(text: &str, mut replace: impl FnMut(IpNet) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut changed = false;
    for f in addresses(text) {
        if f.span.start < last {
            continue;
        }
        if let Some(new) = replace(f.net) {
            out.push_str(&text[last..f.span.start]);
            if f.dashed {
                out.push_str(&new.replace(['.', ':'], "-"));
            } else {
                out.push_str(&new);
            }
            last = f.span.end;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(text: &str) -> Vec<String> {
        addresses(text)
            .into_iter()
            .map(|f| display(f.net))
            .collect()
    }

    #[test]
    fn finds_addresses_however_they_are_written() {
        let cases: &[(&str, &[&str])] = &[
            (
                "DDoS backscatter from victim 203.0.113.9.",
                &["203.0.113.9"],
            ),
            (
                "camera at 198.51.100.7:80 and 192.0.2.0/24",
                &["198.51.100.7", "192.0.2.0/24"],
            ),
            ("router at [2001:db8::1]:443", &["2001:db8::1"]),
            ("2001:db8:1::/48 announced", &["2001:db8:1::/48"]),
            (
                "dial tcp 203.0.113.9:80: connect: refused",
                &["203.0.113.9"],
            ),
            ("203.0.113.9:80:443", &["203.0.113.9"]),
            (
                "IP 198.51.100.7.443 > 203.0.113.9.51234: Flags [S.]",
                &["198.51.100.7", "203.0.113.9"],
            ),
            (
                "range 203.0.113.1-203.0.113.50",
                &["203.0.113.1", "203.0.113.50"],
            ),
            (
                "cam-203.0.113.9 host_203.0.113.9 203.0.113.9-cam",
                &["203.0.113.9"; 3],
            ),
            ("203.000.113.009", &["203.0.113.9"]),
            ("ab:203.0.113.9", &["203.0.113.9"]),
            ("203-0-113-9.isp.example", &["203.0.113.9"]),
            ("ec2-203-0-113-9.compute.example", &["203.0.113.9"]),
            ("mapped ::ffff:192.0.2.1 here", &["192.0.2.1"]),
            ("firmware 5.4.0.1", &["5.4.0.1"]),
            (
                "DNS 8.8.8.8/8.8.4.4 and 10.0.0.1/10.0.0.2",
                &["8.8.8.8", "8.8.4.4", "10.0.0.1", "10.0.0.2"],
            ),
            ("1.2.3.4/24::1", &["1.2.3.4", "24::1"]),
            (
                "addr:2001:db8::5 g2001:db8::6",
                &["2001:db8::5", "2001:db8::6"],
            ),
            (
                "IP6 2001:db8::1.443 > 2001:db8::2.80:",
                &["2001:db8::1", "2001:db8::2"],
            ),
            ("oid 1.3.6.1.2.1.4.20.1.1.203.0.113.9", &["203.0.113.9"]),
            (
                "2.203.0.113.9 203-0-113-9-198-51-100-7",
                &["2.203.0.113", "198.51.100.7"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(nets(text), *want, "{text}");
        }
    }

    #[test]
    fn leaves_words_short_numbers_macs_and_bare_colons_alone() {
        assert_eq!(nets("Note:: see build 1.2.3 and ::"), Vec::<String>::new());
        assert_eq!(
            nets("deadbeef a:b 300.1.1.1 2026-11-01 80-443"),
            Vec::<String>::new()
        );
        assert_eq!(
            nets("mac 00:11:22:33:44:55 eui 00:11:22:ff:fe:33:44:55"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn replaces_only_what_the_closure_maps_dashes_as_dashes() {
        let out = replace("from 192.0.2.1 to 192.0.2.2:80.", |n| {
            (display(n) == "192.0.2.2").then(|| "10.9.9.9".to_string())
        });
        assert_eq!(out.as_deref(), Some("from 192.0.2.1 to 10.9.9.9:80."));
        let out = replace("ec2-203-0-113-9.compute.example", |_| {
            Some("10.1.2.3".into())
        });
        assert_eq!(out.as_deref(), Some("ec2-10-1-2-3.compute.example"));
        assert_eq!(replace("no address", |_| Some("x".into())), None);
        // A run holding more than one address is replaced whole: nothing of either is left.
        let out = replace("oid 1.3.6.1.2.1.4.20.1.1.203.0.113.9 end", |_| {
            Some("10.1.2.3".into())
        });
        assert_eq!(out.as_deref(), Some("oid 10.1.2.3 end"));
        let out = replace("2.203.0.113.9", |_| Some("10.1.2.3".into()));
        assert_eq!(out.as_deref(), Some("10.1.2.3"));
    }

    #[test]
    fn never_panics_and_never_overlaps() {
        for text in [
            "DNS 8.8.8.8/8.8.4.4",
            "1.1.1.1/1.0.0.1",
            "é1.2.3.4日::ffff:1.2.3.4/8.1",
            "1.2.3.4/32.5",
        ] {
            let found = addresses(text);
            for w in found.windows(2) {
                assert!(w[0].span.end <= w[1].span.start, "{text}: {found:?}");
            }
            let _ = replace(text, |_| Some("x".into()));
        }
    }
}
