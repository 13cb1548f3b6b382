//! Addresses written in free text ("DDoS backscatter from victim 203.0.113.9", "camera at
//! 198.51.100.7:80", "[2001:db8::1]:443", "192.0.2.0/24"): found, and replaced.
//!
//! Written by hand rather than with a regex crate: the rules that keep false matches out are
//! about boundaries (a word character before or after is not an address: "note::" is not the
//! IPv6 address `e::`), a port or a prefix length after, and a sentence's full stop, which a
//! regex would need look-around for; the address itself is parsed by `std::net`.

use std::net::IpAddr;
use std::ops::Range;

use ipnet::IpNet;

/// One address (with its prefix length when the text gives one) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub span: Range<usize>,
    pub net: IpNet,
}

fn is_addr_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'.' || b == b':'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The address at the start of `run` (a run of hex digits, dots and colons), and how many bytes
/// of `run` it takes: the whole run, the run less a trailing full stop or colon, or an IPv4
/// address followed by `:port`.
fn address_in_run(run: &str) -> Option<(IpAddr, usize)> {
    // "2001:db8::" ends in colons that belong to it; a sentence's full stop does not.
    let whole = [
        run,
        run.trim_end_matches('.'),
        run.trim_end_matches(['.', ':']),
    ]
    .into_iter()
    .find_map(|t| Some((t.parse::<IpAddr>().ok()?, t)));
    if let Some((a, trimmed)) = whole {
        let plausible = match a {
            IpAddr::V4(_) => true,
            // An IPv6 token needs two colons and a digit: "::" alone, or "a:b", is not one.
            IpAddr::V6(_) => {
                trimmed.matches(':').count() >= 2 && trimmed.bytes().any(|b| b.is_ascii_digit())
            }
        };
        return plausible.then_some((a, trimmed.len()));
    }
    // "198.51.100.7:80": an IPv4 address and a port.
    let (host, port) = run.trim_end_matches('.').split_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let a = host.parse::<std::net::Ipv4Addr>().ok()?;
    Some((IpAddr::V4(a), host.len()))
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
    if text.get(at + 1 + digits).is_some_and(|b| is_word(*b)) {
        return None;
    }
    let len: u8 = std::str::from_utf8(&text[at + 1..at + 1 + digits])
        .ok()?
        .parse()
        .ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((len, 1 + digits))
}

/// Every address written in `text`, in order.
pub fn addresses(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_addr_char(bytes[i]) || (i > 0 && is_word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let end = i + bytes[i..].iter().take_while(|b| is_addr_char(**b)).count();
        let run = &text[i..end];
        match address_in_run(run) {
            Some((addr, used)) => {
                let after = i + used;
                let boundary_ok = !bytes.get(after).is_some_and(|b| is_word(*b));
                if boundary_ok {
                    let (net, stop) = match prefix_after(bytes, after, addr) {
                        Some((len, taken)) => (IpNet::new(addr, len).ok(), after + taken),
                        None => (IpNet::new(addr, full_len(addr)).ok(), after),
                    };
                    if let Some(net) = net {
                        found.push(Found { span: i..stop, net });
                    }
                    i = stop.max(i + 1);
                    continue;
                }
                i = end;
            }
            None => i = end,
        }
    }
    found
}

pub(crate) fn full_len(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// How a network is written: a host as its address, a prefix as `network/len`.
pub fn display(net: IpNet) -> String {
    if net.prefix_len() == full_len(net.addr()) {
        net.addr().to_string()
    } else {
        net.trunc().to_string()
    }
}

/// `text` with each address replaced by what `replace` returns for it (`None`: left as is).
pub fn replace(text: &str, mut replace: impl FnMut(IpNet) -> Option<String>) -> Option<String> {
    let found = addresses(text);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut changed = false;
    for f in found {
        if let Some(new) = replace(f.net) {
            out.push_str(&text[last..f.span.start]);
            out.push_str(&new);
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
    fn finds_addresses_with_ports_prefixes_and_full_stops() {
        assert_eq!(
            nets("DDoS backscatter from victim 203.0.113.9."),
            ["203.0.113.9"]
        );
        assert_eq!(
            nets("camera at 198.51.100.7:80 and 192.0.2.0/24"),
            ["198.51.100.7", "192.0.2.0/24"]
        );
        assert_eq!(nets("router at [2001:db8::1]:443"), ["2001:db8::1"]);
        assert_eq!(nets("2001:db8:1::/48 announced"), ["2001:db8:1::/48"]);
    }

    #[test]
    fn leaves_words_versions_and_bare_colons_alone() {
        assert!(nets("Note:: see firmware v5.5.0.1 and ::").is_empty());
        assert!(nets("build 1.2.3 deadbeef a:b cafe::").is_empty());
        assert!(nets("id x192.0.2.1 or 192.0.2.1x").is_empty());
        assert!(nets("300.1.1.1").is_empty());
    }

    #[test]
    fn replaces_only_what_the_closure_maps() {
        let out = replace("from 192.0.2.1 to 192.0.2.2:80.", |n| {
            (display(n) == "192.0.2.2").then(|| "10.9.9.9".to_string())
        });
        assert_eq!(out.as_deref(), Some("from 192.0.2.1 to 10.9.9.9:80."));
        assert_eq!(replace("no address", |_| Some("x".into())), None);
    }
}
