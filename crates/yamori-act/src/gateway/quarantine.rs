//! Which addresses the gateway cuts off: devices of the site's own networks that Yamori found
//! misbehaving or exposed, plus the addresses an operator names.
//!
//! Findings come from the store through the binary (survey services with weak credentials or
//! a CISA KEV vulnerability, darknet scanners); only those inside the site's networks are
//! kept, because a gateway quarantines its own devices. An address scanning the darknet from
//! elsewhere on the internet belongs in the blocklist (`yamori export`), not here.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

/// One reason to quarantine one address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub address: IpAddr,
    /// `weak-credentials`, `known-exploited-vulnerability`, `darknet-scanner`, …
    pub reason: String,
}

/// The quarantine list and why each address is on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Quarantine {
    /// What goes into the quarantine sets: the findings inside the site, as host prefixes,
    /// and the operator's own entries.
    pub nets: Vec<IpNet>,
    /// Each quarantined finding's address with its reasons (`manual` for the operator's).
    pub reasons: BTreeMap<IpAddr, BTreeSet<String>>,
    /// Findings left out because their address is outside the site's networks.
    pub outside_site: usize,
}

/// Keeps the findings whose address is in `site`, adds `manual` as given.
pub fn quarantine(findings: &[Finding], site: &[IpNet], manual: &[IpNet]) -> Quarantine {
    let mut q = Quarantine::default();
    let mut outside = BTreeSet::new();
    for f in findings {
        if site.iter().any(|n| n.contains(&f.address)) {
            q.reasons
                .entry(f.address)
                .or_default()
                .insert(f.reason.clone());
        } else {
            outside.insert(f.address);
        }
    }
    q.outside_site = outside.len();
    q.nets = q.reasons.keys().map(|a| IpNet::from(*a)).collect();
    for n in manual {
        q.nets.push(n.trunc());
        if n.prefix_len() == n.max_prefix_len() {
            q.reasons
                .entry(n.addr())
                .or_default()
                .insert("manual".into());
        }
    }
    q.nets.sort();
    q.nets.dedup();
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(a: &str, reason: &str) -> Finding {
        Finding {
            address: a.parse().expect("address"),
            reason: reason.into(),
        }
    }

    #[test]
    fn only_findings_inside_the_site_are_quarantined() {
        let site: Vec<IpNet> = vec!["192.0.2.0/24".parse().expect("net")];
        let manual: Vec<IpNet> = vec!["198.51.100.0/28".parse().expect("net")];
        let q = quarantine(
            &[
                f("192.0.2.30", "weak-credentials"),
                f("192.0.2.30", "darknet-scanner"),
                f("203.0.113.5", "darknet-scanner"),
                f("192.0.2.31", "known-exploited-vulnerability"),
            ],
            &site,
            &manual,
        );
        let nets: Vec<String> = q.nets.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["192.0.2.30/32", "192.0.2.31/32", "198.51.100.0/28"]);
        assert_eq!(q.outside_site, 1);
        let ip: IpAddr = "192.0.2.30".parse().expect("ip");
        assert_eq!(
            q.reasons[&ip].iter().collect::<Vec<_>>(),
            ["darknet-scanner", "weak-credentials"]
        );
    }
}
