//! One MUD ACE as one nftables rule in a device's chain.
//!
//! The chain `…_from` sees packets whose source is the device, `…_to` those whose destination
//! is; "the other end" is the destination in the first and the source in the second. An ACE
//! that accepts becomes `return`, not `accept`: the packet goes back to the forward chain, so
//! a packet between two MUD devices must be allowed by the sender's from-device policy *and*
//! the receiver's to-device policy before the chain's policy accepts it.

use std::collections::BTreeMap;
use std::fmt::Write;

use ipnet::IpNet;

use crate::mud::{Ace, Action, Direction, Family, PortMatch};

/// What a rule may refer to besides the ACE.
pub(super) struct Context<'a> {
    /// DNS name → index of its sets (`yamori_dns_<i>_v4`/`_v6`).
    pub dns_sets: &'a BTreeMap<String, usize>,
    /// The site's networks (`ietf-mud:mud` `local-networks`).
    pub site: &'a [IpNet],
}

/// The rule text for `ace` in the chain of packets going `dir`, or why it cannot be written.
pub(super) fn rule(ace: &Ace, dir: Direction, cx: &Context<'_>) -> Result<String, String> {
    let ip = match ace.family {
        Family::V4 => "ip",
        Family::V6 => "ip6",
    };
    let suffix = match ace.family {
        Family::V4 => "v4",
        Family::V6 => "v6",
    };
    let mut r = String::new();
    let mut add = |s: &str| {
        if !r.is_empty() {
            r.push(' ');
        }
        r.push_str(s);
    };
    for (name, field) in [(&ace.src_dnsname, "saddr"), (&ace.dst_dnsname, "daddr")] {
        if let Some(name) = name {
            let i = cx
                .dns_sets
                .get(name)
                .ok_or_else(|| format!("no set for DNS name {name}"))?;
            add(&format!("{ip} {field} @yamori_dns_{i}_{suffix}"));
        }
    }
    for (net, field) in [(&ace.src_network, "saddr"), (&ace.dst_network, "daddr")] {
        if let Some(net) = net {
            add(&format!("{ip} {field} {net}"));
        }
    }
    if ace.local_networks {
        let nets: Vec<String> = cx
            .site
            .iter()
            .filter(|n| {
                matches!(
                    (ace.family, n),
                    (Family::V4, IpNet::V4(_)) | (Family::V6, IpNet::V6(_))
                )
            })
            .map(ToString::to_string)
            .collect();
        if nets.is_empty() {
            return Err(format!(
                "local-networks needs the site's {} networks (--site)",
                if ace.family == Family::V4 {
                    "IPv4"
                } else {
                    "IPv6"
                }
            ));
        }
        let remote = match dir {
            Direction::FromDevice => "daddr",
            Direction::ToDevice => "saddr",
        };
        add(&format!("{ip} {remote} {{ {} }}", nets.join(", ")));
    }
    let l4 = match ace.protocol {
        Some(6) => Some("tcp"),
        Some(17) => Some("udp"),
        _ => None,
    };
    match (l4, ace.protocol) {
        (Some(l4), _) => {
            let mut any_port = false;
            for (port, field) in [(ace.src_port, "sport"), (ace.dst_port, "dport")] {
                if let Some(p) = port {
                    add(&format!("{l4} {field} {}", port_text(p)));
                    any_port = true;
                }
            }
            if !any_port {
                add(&format!("meta l4proto {l4}"));
            }
        }
        (None, Some(n)) => {
            if ace.src_port.is_some() || ace.dst_port.is_some() {
                return Err(format!("port conditions with IP protocol {n}"));
            }
            add(&format!("meta l4proto {n}"));
        }
        (None, None) => {
            if ace.src_port.is_some() || ace.dst_port.is_some() {
                return Err("port conditions without a protocol".into());
            }
        }
    }
    if let Some(initiated) = ace.initiated {
        // The side that opened the connection sends in conntrack's original direction.
        add(if initiated == dir {
            "ct direction original"
        } else {
            "ct direction reply"
        });
    }
    add(match ace.action {
        Action::Accept => "return",
        Action::Drop => "drop",
        Action::Reject => "reject",
    });
    Ok(r)
}

fn port_text(p: PortMatch) -> String {
    let mut s = String::new();
    let _ = match p {
        PortMatch::Eq(n) => write!(s, "{n}"),
        PortMatch::Neq(n) => write!(s, "!= {n}"),
        PortMatch::Lte(n) => write!(s, "<= {n}"),
        PortMatch::Gte(n) => write!(s, ">= {n}"),
        PortMatch::Range(a, b) if a == b => write!(s, "{a}"),
        PortMatch::Range(a, b) => write!(s, "{a}-{b}"),
    };
    s
}

/// Text from a MUD file made safe for an nft comment: one line, printable, bounded.
pub(super) fn comment_text(s: &str) -> String {
    s.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
