//! The machine's own directly attached private networks: the scope of `yamori check`, the
//! self-check for households and small offices that cannot write a scope file.
//!
//! Only what is certainly the user's own (or their household's) is surveyed: the RFC 1918
//! networks configured on this machine's interfaces, nothing routed beyond them, at most a /22
//! around this machine's address per interface unless widened explicitly. Everything else is
//! refused with the reason, so the user learns why: a public address's neighbours belong to
//! other customers of the ISP, as does the shared address space of carrier-grade NAT
//! (RFC 6598), and an IPv6 /64 cannot be swept address by address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};

use crate::scope::{Scope, ScopeError};

/// The largest network surveyed per interface without `--widen`: 1,022 addresses, a few
/// minutes at a gentle rate. A /16 home network is rare; its owner can widen on purpose.
pub const DEFAULT_MAX_PREFIX_LEN: u8 = 22;

/// The private IPv4 ranges of RFC 1918.
const RFC1918: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

/// One address configured on one of this machine's interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddr {
    pub interface: String,
    pub addr: IpAddr,
    pub prefix_len: u8,
}

/// A network `yamori check` will survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub interface: String,
    /// This machine's address on it.
    pub addr: IpAddr,
    /// What is surveyed.
    pub net: IpNet,
    /// The interface's whole network, when only the part around `addr` is surveyed.
    pub narrowed_from: Option<IpNet>,
}

/// An address whose network is not surveyed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub interface: String,
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub reason: Reason,
}

/// Why a network is not surveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A public address: its neighbours are other people's machines.
    Public,
    /// RFC 6598 shared address space (carrier-grade NAT): the ISP's other customers.
    SharedAddressSpace,
    /// IPv6: a /64 holds 2^64 addresses; devices there are found by their IPv4 side.
    Ipv6,
    /// Link-local (169.254/16): no configured network, only self-assigned addresses.
    LinkLocal,
    /// A host route (/31, /32): there is no network around this address.
    NoNetwork,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Public => {
                "a public address: the machines around it belong to others (only private \
                 home or office networks are checked)"
            }
            Reason::SharedAddressSpace => {
                "the ISP's shared address space (carrier-grade NAT, RFC 6598): the machines \
                 around it are other customers'"
            }
            Reason::Ipv6 => {
                "IPv6: a network holds 2^64 addresses and cannot be checked address by \
                 address; devices are found by their IPv4 address"
            }
            Reason::LinkLocal => "link-local: no configured network on this interface",
            Reason::NoNetwork => "a single-address route: no network around it",
        })
    }
}

/// What `yamori check` will and will not survey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub networks: Vec<Planned>,
    pub refused: Vec<Refused>,
}

/// Why the machine's interfaces could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("listing this machine's network interfaces: {0}")]
pub struct InterfacesError(#[from] std::io::Error);

/// The addresses of this machine's interfaces that are up, loopback left out.
pub fn interface_addrs() -> Result<Vec<InterfaceAddr>, InterfacesError> {
    use nix::net::if_::InterfaceFlags;
    let all = nix::ifaddrs::getifaddrs().map_err(std::io::Error::from)?;
    let mut out = Vec::new();
    for ifa in all {
        if !ifa.flags.contains(InterfaceFlags::IFF_UP)
            || ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK)
        {
            continue;
        }
        let (Some(addr), Some(mask)) = (ifa.address, ifa.netmask) else {
            continue;
        };
        let (addr, prefix_len) =
            if let (Some(a), Some(m)) = (addr.as_sockaddr_in(), mask.as_sockaddr_in()) {
                (IpAddr::V4(a.ip()), m.ip().to_bits().count_ones() as u8)
            } else if let (Some(a), Some(m)) = (addr.as_sockaddr_in6(), mask.as_sockaddr_in6()) {
                (IpAddr::V6(a.ip()), m.ip().to_bits().count_ones() as u8)
            } else {
                continue;
            };
        out.push(InterfaceAddr {
            interface: ifa.interface_name,
            addr,
            prefix_len,
        });
    }
    Ok(out)
}

fn is_rfc1918(a: Ipv4Addr) -> bool {
    RFC1918
        .iter()
        .any(|(net, len)| Ipv4Net::new(*net, *len).is_ok_and(|n| n.contains(&a)))
}

/// Decides, for each address, whether its network is surveyed. `max_prefix_len` is the
/// smallest prefix length surveyed whole ([`DEFAULT_MAX_PREFIX_LEN`] unless widened); a larger
/// network is narrowed to that size around the machine's address. Networks are listed once
/// even when several addresses share them.
pub fn plan(addrs: &[InterfaceAddr], max_prefix_len: u8) -> Plan {
    let mut plan = Plan::default();
    for a in addrs {
        let refuse = |reason| Refused {
            interface: a.interface.clone(),
            addr: a.addr,
            prefix_len: a.prefix_len,
            reason,
        };
        let v4 = match a.addr {
            IpAddr::V6(_) => {
                plan.refused.push(refuse(Reason::Ipv6));
                continue;
            }
            IpAddr::V4(v4) => v4,
        };
        let reason = if v4.is_link_local() {
            Some(Reason::LinkLocal)
        } else if Ipv4Net::new(Ipv4Addr::new(100, 64, 0, 0), 10).is_ok_and(|n| n.contains(&v4)) {
            Some(Reason::SharedAddressSpace)
        } else if !is_rfc1918(v4) {
            Some(Reason::Public)
        } else if a.prefix_len >= 31 {
            Some(Reason::NoNetwork)
        } else {
            None
        };
        if let Some(r) = reason {
            plan.refused.push(refuse(r));
            continue;
        }
        // A mask wider than the RFC 1918 range itself (10.0.0.0/7) is cut to the range.
        let len = a.prefix_len.max(8);
        let Ok(whole) = Ipv4Net::new(v4, len).map(|n| n.trunc()) else {
            continue;
        };
        let whole = if is_rfc1918(whole.network()) && is_rfc1918(whole.broadcast()) {
            whole
        } else {
            RFC1918
                .iter()
                .filter_map(|(n, l)| Ipv4Net::new(*n, *l).ok())
                .find(|n| n.contains(&v4))
                .unwrap_or(whole)
        };
        let (net, narrowed_from) = if whole.prefix_len() < max_prefix_len {
            match Ipv4Net::new(v4, max_prefix_len.min(30)) {
                Ok(n) => (n.trunc(), Some(IpNet::V4(whole))),
                Err(_) => (whole, None),
            }
        } else {
            (whole, None)
        };
        let net = IpNet::V4(net);
        if plan.networks.iter().any(|p| p.net == net) {
            continue;
        }
        plan.networks.push(Planned {
            interface: a.interface.clone(),
            addr: a.addr,
            net,
            narrowed_from,
        });
    }
    plan
}

impl Plan {
    /// The survey scope: exactly the planned networks. `None` when there is nothing to check.
    pub fn scope(&self) -> Option<Result<Scope, ScopeError>> {
        if self.networks.is_empty() {
            return None;
        }
        let text: String = self
            .networks
            .iter()
            .map(|p| format!("{}\n", p.net))
            .collect();
        Some(Scope::parse("the machine's own networks", &text, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(interface: &str, s: &str) -> InterfaceAddr {
        let (a, l) = s.split_once('/').expect("addr/len");
        InterfaceAddr {
            interface: interface.into(),
            addr: a.parse().expect("address"),
            prefix_len: l.parse().expect("length"),
        }
    }

    #[test]
    fn private_networks_are_planned_and_others_refused_with_the_reason() {
        let p = plan(
            &[
                addr("eth0", "192.168.1.23/24"),
                addr("eth1", "203.0.113.5/24"),
                addr("wwan0", "100.70.1.2/10"),
                addr("eth0", "fd00::1/64"),
                addr("eth2", "169.254.3.4/16"),
                addr("tun0", "10.8.0.6/32"),
            ],
            DEFAULT_MAX_PREFIX_LEN,
        );
        let nets: Vec<String> = p.networks.iter().map(|n| n.net.to_string()).collect();
        assert_eq!(nets, ["192.168.1.0/24"]);
        let reasons: Vec<(String, Reason)> = p
            .refused
            .iter()
            .map(|r| (r.interface.clone(), r.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("eth1".into(), Reason::Public),
                ("wwan0".into(), Reason::SharedAddressSpace),
                ("eth0".into(), Reason::Ipv6),
                ("eth2".into(), Reason::LinkLocal),
                ("tun0".into(), Reason::NoNetwork),
            ]
        );
        let scope = p.scope().expect("a network").expect("scope");
        assert_eq!(scope.count(), 256);
    }

    #[test]
    fn large_networks_are_narrowed_around_the_address_unless_widened() {
        let p = plan(&[addr("eth0", "10.1.77.9/16")], DEFAULT_MAX_PREFIX_LEN);
        assert_eq!(p.networks[0].net.to_string(), "10.1.76.0/22");
        assert_eq!(
            p.networks[0].narrowed_from.map(|n| n.to_string()),
            Some("10.1.0.0/16".into())
        );
        let wide = plan(&[addr("eth0", "10.1.77.9/16")], 16);
        assert_eq!(wide.networks[0].net.to_string(), "10.1.0.0/16");
        assert_eq!(wide.networks[0].narrowed_from, None);
        // A mask reaching past the private range stops at the range.
        let odd = plan(&[addr("eth0", "172.20.0.1/8")], 8);
        assert_eq!(odd.networks[0].net.to_string(), "172.16.0.0/12");
    }

    #[test]
    fn nothing_private_means_no_scope() {
        let p = plan(&[addr("eth0", "198.51.100.1/24")], DEFAULT_MAX_PREFIX_LEN);
        assert!(p.networks.is_empty());
        assert!(p.scope().is_none());
        assert_eq!(p.refused[0].reason, Reason::Public);
    }

    #[test]
    fn the_interfaces_of_this_machine_can_be_listed() {
        // Every Linux machine has at least loopback, which is left out; the call itself
        // must work without privileges.
        let addrs = interface_addrs().expect("getifaddrs");
        assert!(addrs.iter().all(|a| !a.addr.is_loopback()));
    }
}
