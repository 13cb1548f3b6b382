//! The survey scope: which addresses may receive a packet.
//!
//! Safety rules: no scope, no scan; a scope file with any unparsable line is refused
//! as a whole (every bad line listed with its number); reversed ranges are refused; IANA
//! special-purpose ranges are removed from broad entries unless the file names a range inside
//! them explicitly (a lab's TEST-NET /24 or 127.0.0.1 is fine, `0.0.0.0/0` does not sweep
//! RFC 1918 space); a user blocklist is removed unconditionally.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

/// Largest number of targets one survey accepts (the whole IPv4 space). An IPv6 /64 would be
/// 2^64 probes: refusing beats silently running for centuries.
pub const MAX_TARGETS: u128 = 1 << 32;

/// IANA special-purpose ranges (RFC 6890 registries) kept out of broad scopes. 127/8 is listed
/// too: a lab may name it explicitly, a sweep of 0/0 must not hit the scanner's own loopback.
pub const SPECIAL_PURPOSE: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// Why a scope could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    #[error("reading scope file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: refusing to run, {} bad line(s):\n{}", .lines.len(), format_bad(.lines))]
    BadLines { path: String, lines: Vec<BadLine> },
    #[error("the scope is empty (after exclusions): nothing to survey")]
    Empty,
    #[error("the scope holds {count} addresses, more than the limit of {MAX_TARGETS}")]
    TooLarge { count: u128 },
}

/// One refused line of a scope file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

fn format_bad(lines: &[BadLine]) -> String {
    lines
        .iter()
        .map(|b| format!("  line {}: {:?}: {}", b.line, b.text, b.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Inclusive address interval inside one family (v4 values fit in the low 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    v6: bool,
    start: u128,
    end: u128,
}

impl Span {
    fn of_net(n: &IpNet) -> Span {
        match n {
            IpNet::V4(n) => Span {
                v6: false,
                start: u32::from(n.network()).into(),
                end: u32::from(n.broadcast()).into(),
            },
            IpNet::V6(n) => Span {
                v6: true,
                start: u128::from(n.network()),
                end: u128::from(n.broadcast()),
            },
        }
    }
    fn len(&self) -> u128 {
        (self.end - self.start).saturating_add(1)
    }
}

fn to_ip(v6: bool, x: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(x.into())
    } else {
        // v4 spans are built from u32 values only.
        IpAddr::V4(u32::try_from(x).unwrap_or(u32::MAX).into())
    }
}

fn key(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u32::from(a).into()),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// A resolved scope: sorted, merged, non-overlapping intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    spans: Vec<Span>,
}

/// Parses scope-file text into spans; every bad line is reported.
fn parse_spans(text: &str) -> Result<Vec<Span>, Vec<BadLine>> {
    let mut spans = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match parse_entry(line) {
            Ok(s) => spans.push(s),
            Err(reason) => bad.push(BadLine {
                line: i + 1,
                text: raw.trim().to_string(),
                reason,
            }),
        }
    }
    if bad.is_empty() {
        Ok(spans)
    } else {
        Err(bad)
    }
}

fn parse_entry(s: &str) -> Result<Span, String> {
    if let Some((a, b)) = s.split_once('-') {
        let a: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("bad range start {:?}", a.trim()))?;
        let b: IpAddr = b
            .trim()
            .parse()
            .map_err(|_| format!("bad range end {:?}", b.trim()))?;
        let ((fa, ka), (fb, kb)) = (key(a), key(b));
        if fa != fb {
            return Err("range mixes IPv4 and IPv6".into());
        }
        if ka > kb {
            return Err(format!("reversed range: {a} is after {b}"));
        }
        return Ok(Span {
            v6: fa,
            start: ka,
            end: kb,
        });
    }
    if s.contains('/') {
        let n: IpNet = s
            .parse()
            .map_err(|_| "not a CIDR, address or a-b range".to_string())?;
        return Ok(Span::of_net(&n.trunc()));
    }
    let ip: IpAddr = s
        .parse()
        .map_err(|_| "not a CIDR, address or a-b range".to_string())?;
    let (v6, k) = key(ip);
    Ok(Span {
        v6,
        start: k,
        end: k,
    })
}

/// Sorts and merges overlapping or adjacent spans.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(l) if l.v6 == s.v6 && s.start <= l.end.saturating_add(1) => {
                l.end = l.end.max(s.end);
            }
            _ => out.push(s),
        }
    }
    out
}

/// `spans` minus `cut` (both merged).
fn subtract(spans: &[Span], cut: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for s in spans {
        let mut pieces = vec![*s];
        for c in cut.iter().filter(|c| c.v6 == s.v6) {
            let mut next = Vec::new();
            for p in pieces {
                if c.end < p.start || c.start > p.end {
                    next.push(p);
                    continue;
                }
                if c.start > p.start {
                    next.push(Span {
                        end: c.start - 1,
                        ..p
                    });
                }
                if c.end < p.end {
                    next.push(Span {
                        start: c.end + 1,
                        ..p
                    });
                }
            }
            pieces = next;
        }
        out.extend(pieces);
    }
    merge(out)
}

fn special_spans() -> Vec<Span> {
    SPECIAL_PURPOSE
        .iter()
        .filter_map(|s| s.parse::<IpNet>().ok())
        .map(|n| Span::of_net(&n))
        .collect()
}

impl Scope {
    /// Builds a scope from scope-file text and optional blocklist text.
    pub fn parse(
        path: &str,
        text: &str,
        exclude: Option<(&str, &str)>,
    ) -> Result<Scope, ScopeError> {
        let entries = parse_spans(text).map_err(|lines| ScopeError::BadLines {
            path: path.to_string(),
            lines,
        })?;
        // A special range is cut from an entry only when the entry is not wholly inside it:
        // naming 198.51.100.0/24 (inside TEST-NET-2) is explicit, 198.0.0.0/8 is not.
        let specials = merge(special_spans());
        let mut kept = Vec::new();
        for e in &entries {
            let own: Vec<Span> = specials
                .iter()
                .filter(|s| s.v6 == e.v6 && !(s.start <= e.start && e.end <= s.end))
                .copied()
                .collect();
            kept.extend(subtract(&[*e], &own));
        }
        let mut spans = merge(kept);
        if let Some((xpath, xtext)) = exclude {
            let cut = parse_spans(xtext).map_err(|lines| ScopeError::BadLines {
                path: xpath.to_string(),
                lines,
            })?;
            spans = subtract(&spans, &merge(cut));
        }
        let scope = Scope { spans };
        let count = scope.count();
        if count == 0 {
            return Err(ScopeError::Empty);
        }
        if count > MAX_TARGETS {
            return Err(ScopeError::TooLarge { count });
        }
        Ok(scope)
    }

    /// Reads a scope file and an optional blocklist file.
    pub fn load(path: &Path, exclude: Option<&Path>) -> Result<Scope, ScopeError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| ScopeError::Io {
                path: p.display().to_string(),
                source,
            })
        };
        let text = read(path)?;
        let x = exclude
            .map(|p| read(p).map(|t| (p.display().to_string(), t)))
            .transpose()?;
        Scope::parse(
            &path.display().to_string(),
            &text,
            x.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        )
    }

    /// Number of addresses in scope.
    pub fn count(&self) -> u128 {
        self.spans.iter().map(Span::len).sum()
    }

    /// True when `ip` may receive a packet. IPv4-mapped IPv6 addresses are judged as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(a) => a.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let (v6, k) = key(ip);
        let i = self.spans.partition_point(|s| (s.v6, s.end) < (v6, k));
        self.spans
            .get(i)
            .is_some_and(|s| s.v6 == v6 && s.start <= k && k <= s.end)
    }

    /// The scope as CIDR strings (for the result file).
    pub fn cidrs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.spans {
            if s.v6 {
                out.extend(
                    Ipv6Subnets::new(s.start.into(), s.end.into(), 0).map(|n| n.to_string()),
                );
            } else {
                let (a, b) = (
                    u32::try_from(s.start).unwrap_or(0),
                    u32::try_from(s.end).unwrap_or(0),
                );
                out.extend(Ipv4Subnets::new(a.into(), b.into(), 0).map(|n| n.to_string()));
            }
        }
        out
    }

    /// Every address in scope, in order.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.spans
            .iter()
            .flat_map(|s| (s.start..=s.end).map(move |x| to_ip(s.v6, x)))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cidrs().join(", "))
    }
}

#[cfg(test)]
#[path = "scope_tests.rs"]
mod tests;
