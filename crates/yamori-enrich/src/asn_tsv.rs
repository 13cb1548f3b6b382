//! ASN tables in text form:
//! * iptoasn.com `ip2asn-v4.tsv` / `ip2asn-combined.tsv`: `start<TAB>end<TAB>asn<TAB>cc<TAB>description`
//!   (asn 0 means "not routed" and is skipped);
//! * CAIDA `pfx2as`: `prefix<TAB>length<TAB>asn`, where asn may be a multi-origin `a_b` or an
//!   AS set `a,b` (the first AS is taken).
//!
//! Ranges are kept sorted by start; a lookup binary-searches and then walks back over nested
//! ranges (pfx2as nests prefixes), so the most specific range wins.
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::EnrichError;

/// How far a lookup walks back over ranges that start before the address but end before it.
/// Nesting in real pfx2as data is shallow; this bounds the worst case on hostile input.
const MAX_NESTING_WALK: usize = 64;

struct Range {
    start: u128,
    end: u128,
    asn: u32,
    org: Option<u32>,
}

/// An in-memory ASN table.
pub struct AsnTable {
    v4: Vec<Range>,
    v6: Vec<Range>,
    orgs: Vec<String>,
}

fn key(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (true, u32::from(a) as u128),
        IpAddr::V6(a) => (false, u128::from(a)),
    }
}

impl AsnTable {
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        let text = std::fs::read_to_string(path).map_err(|source| EnrichError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, EnrichError> {
        let bad = |line: usize, what: String| EnrichError::BadLine {
            path: PathBuf::from(path),
            line,
            what,
        };
        let mut t = AsnTable {
            v4: Vec::new(),
            v6: Vec::new(),
            orgs: Vec::new(),
        };
        let mut org_index = std::collections::HashMap::<String, u32>::new();
        let mut seen_data = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 3 {
                if !seen_data {
                    return Err(EnrichError::UnknownFormat {
                        path: path.to_path_buf(),
                    });
                }
                return Err(bad(
                    n,
                    format!("expected 3 or more tab-separated fields, found {}", f.len()),
                ));
            }
            let start: IpAddr = f[0]
                .parse()
                .map_err(|_| bad(n, format!("bad address {:?}", f[0])))?;
            let (v4, s) = key(start);
            let (end, org) = if let Ok(end_ip) = f[1].parse::<IpAddr>() {
                let (v4e, e) = key(end_ip);
                if v4e != v4 || e < s {
                    return Err(bad(n, "range end before start or of another family".into()));
                }
                (e, f.get(4).map(|d| d.trim()).filter(|d| !d.is_empty()))
            } else if let Ok(len) = f[1].parse::<u32>() {
                let bits = if v4 { 32 } else { 128 };
                if len > bits {
                    return Err(bad(n, format!("prefix length {len} too long")));
                }
                let host_bits = bits - len;
                let span = if host_bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                (s | span, None)
            } else {
                if !seen_data {
                    return Err(EnrichError::UnknownFormat {
                        path: path.to_path_buf(),
                    });
                }
                return Err(bad(
                    n,
                    format!(
                        "second field {:?} is neither an address nor a prefix length",
                        f[1]
                    ),
                ));
            };
            seen_data = true;
            let asn_field = f[2].split(['_', ',']).next().unwrap_or("");
            let asn: u32 = asn_field
                .trim()
                .parse()
                .map_err(|_| bad(n, format!("bad AS number {:?}", f[2])))?;
            if asn == 0 {
                continue; // ip2asn: "Not routed"
            }
            let org = org.map(|o| {
                let next = t.orgs.len() as u32;
                *org_index.entry(o.to_string()).or_insert_with(|| {
                    t.orgs.push(o.to_string());
                    next
                })
            });
            let r = Range {
                start: s,
                end,
                asn,
                org,
            };
            if v4 {
                t.v4.push(r);
            } else {
                t.v6.push(r);
            }
        }
        if !seen_data {
            return Err(EnrichError::UnknownFormat {
                path: path.to_path_buf(),
            });
        }
        t.v4.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        t.v6.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        Ok(t)
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<(u32, Option<String>)> {
        let (v4, k) = key(ip);
        let ranges = if v4 { &self.v4 } else { &self.v6 };
        let upto = ranges.partition_point(|r| r.start <= k);
        ranges[..upto]
            .iter()
            .rev()
            .take(MAX_NESTING_WALK)
            .find(|r| r.end >= k)
            .map(|r| {
                (
                    r.asn,
                    r.org.and_then(|o| self.orgs.get(o as usize).cloned()),
                )
            })
    }

    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn ip2asn_ranges() {
        let t = AsnTable::parse(
            Path::new("ip2asn.tsv"),
            "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n\
             2001:db8::\t2001:db8::ffff\t64500\tJP\tEXAMPLE-V6\n",
        )
        .expect("parses");
        assert_eq!(
            t.lookup(ip("1.0.0.7")),
            Some((13335, Some("CLOUDFLARENET".into())))
        );
        assert_eq!(t.lookup(ip("1.0.2.1")), None, "asn 0 = not routed");
        assert_eq!(t.lookup(ip("2001:db8::12")).map(|x| x.0), Some(64500));
        assert_eq!(t.lookup(ip("9.9.9.9")), None);
    }

    #[test]
    fn pfx2as_nested_prefixes_pick_most_specific() {
        let t = AsnTable::parse(
            Path::new("pfx2as"),
            "198.51.0.0\t16\t64496\n198.51.100.0\t24\t64497_64498\n203.0.113.0\t24\t64499,64500\n",
        )
        .expect("parses");
        assert_eq!(t.lookup(ip("198.51.100.9")).map(|x| x.0), Some(64497));
        assert_eq!(t.lookup(ip("198.51.200.9")).map(|x| x.0), Some(64496));
        assert_eq!(t.lookup(ip("203.0.113.1")).map(|x| x.0), Some(64499));
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = AsnTable::parse(Path::new("x.tsv"), "1.0.0.0\t24\t13335\nfoo\tbar\tbaz\n")
            .err()
            .expect("line 2 is bad");
        assert!(e.to_string().contains("x.tsv: line 2"), "{e}");
        assert!(matches!(
            AsnTable::parse(Path::new("y"), "hello world\n"),
            Err(EnrichError::UnknownFormat { .. })
        ));
    }
}
