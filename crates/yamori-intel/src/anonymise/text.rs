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

pub(crate) fn full_len(addr: IpAddr) -> u8 {
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

fn ipv6_pass(text: &str, found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let addr_char = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    for (start, end) in runs(bytes, addr_char) {
        // A run that starts inside a word ("Note::") is not an address.
        if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let run = &text[start..end];
        let candidate = [
            run,
            run.trim_end_matches('.'),
            run.trim_end_matches(['.', ':']),
        ]
        .into_iter()
        .find(|t| {
            t.matches(':').count() >= 2
                && t.bytes().any(|b| b.is_ascii_hexdigit())
                && !mac_like(t)
                && t.parse::<Ipv6Addr>().is_ok()
        });
        if let Some(t) = candidate {
            let addr = t.parse::<Ipv6Addr>().map(IpAddr::V6);
            if let Some(f) = addr
                .ok()
                .and_then(|a| with_prefix(bytes, a, start, start + t.len()))
            {
                found.push(f);
            }
        }
    }
}

fn overlaps(found: &[Found], span: &Range<usize>) -> bool {
    found
        .iter()
        .any(|f| f.span.start < span.end && span.start < f.span.end)
}

/// Windows of four valid parts in a run of `sep`-separated numbers: (start, end) of each,
/// non-overlapping, from the left (or only the last window, for `last_only`).
fn quads(run: &str, sep: char, last_only: bool) -> Vec<(usize, usize, Ipv4Addr)> {
    let mut parts: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for p in run.split(sep) {
        parts.push((at, p));
        at += p.len() + 1;
    }
    let valid = |i: usize| -> Option<(usize, usize, Ipv4Addr)> {
        let w = parts.get(i..i + 4)?;
        let mut octets = [0u8; 4];
        for (o, (_, p)) in octets.iter_mut().zip(w) {
            *o = octet(p)?;
        }
        let (s, _) = w[0];
        let (e, last) = w[3];
        Some((s, e + last.len(), Ipv4Addr::from(octets)))
    };
    if last_only {
        return (0..parts.len().saturating_sub(3))
            .rev()
            .find_map(valid)
            .into_iter()
            .collect();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= parts.len() {
        match valid(i) {
            Some(q) => {
                out.push(q);
                i += 4;
            }
            None => i += 1,
        }
    }
    out
}

fn ipv4_pass(text: &str, found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let mut new = Vec::new();
    for (start, end) in runs(bytes, |b| b.is_ascii_digit() || b == b'.') {
        for (s, e, a) in quads(&text[start..end], '.', false) {
            let span = start + s..start + e;
            if overlaps(found, &span) {
                continue;
            }
            new.extend(with_prefix(bytes, IpAddr::V4(a), span.start, span.end));
        }
    }
    found.extend(new);
}

fn dashed_pass(text: &str, found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let mut new = Vec::new();
    for (start, end) in runs(bytes, |b| b.is_ascii_digit() || b == b'-') {
        for (s, e, a) in quads(&text[start..end], '-', true) {
            let span = start + s..start + e;
            if overlaps(found, &span) {
                continue;
            }
            if let Ok(net) = IpNet::new(IpAddr::V4(a), 32) {
                new.push(Found {
                    span,
                    net,
                    dashed: true,
                });
            }
        }
    }
    found.extend(new);
}

/// Every address written in `text`, in order.
pub fn addresses(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    ipv6_pass(text, &mut found);
    ipv4_pass(text, &mut found);
    dashed_pass(text, &mut found);
    found.sort_by_key(|f| f.span.start);
    found
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
    }
}
