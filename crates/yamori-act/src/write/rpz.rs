//! DNS Response Policy Zone (RPZ): a zone file that BIND, Unbound, Knot Resolver and
//! PowerDNS Recursor load as a policy.
//!
//! Listed domains and URL hosts get `CNAME .` (answer NXDOMAIN) for the name and, through a
//! wildcard, every name below it. Listed addresses and prefixes become `rpz-ip` triggers
//! (rewrite answers containing them): `<prefix length>.<address reversed>.rpz-ip`, IPv4 by
//! octets, IPv6 by 16-bit groups with `zz` for the longest run of zero groups. Owner names
//! are relative, so the file loads under whatever zone name the resolver gives it.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::observable::{Observable, UrlHost, MAX_DNS_NAME};
use crate::select::{Entry, Skips};

use super::{distinct, export_tlp, Error, Options, Written};

/// TTL of the policy records: short, so a removed entry stops applying soon after a reload.
const TTL: u32 = 60;

pub(super) fn write(
    entries: &[Entry],
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    let mut skips = Skips::default();
    let mut names = BTreeSet::new();
    let mut triggers = BTreeSet::new();
    // Room for `*.` + name + `.` + zone within DNS's 253 characters.
    let room = MAX_DNS_NAME.saturating_sub(opts.rpz_zone.trim_end_matches('.').len() + 3);
    for e in distinct(entries) {
        let name = match &e.observable {
            Observable::Domain(d) => d.clone(),
            Observable::Url {
                host: UrlHost::Domain(d),
                ..
            } => d.clone(),
            Observable::Url {
                host: UrlHost::Ip(a),
                ..
            } => {
                // The address of a URL is not looked up through DNS; it is listed as a
                // trigger, like an ipv4-addr indicator.
                triggers.insert(IpNet::from(*a));
                continue;
            }
            Observable::Net(n) => {
                if n.prefix_len() == 0 {
                    skips.push(
                        &e.indicator_id,
                        "format",
                        format!("{n}: an rpz-ip trigger needs a prefix length of at least 1"),
                    );
                } else {
                    triggers.insert(*n);
                }
                continue;
            }
        };
        // A name whose last label is an RPZ keyword (`rpz-ip`, `rpz-nsdname`, …) would be
        // read as a trigger of that kind, not as the name.
        if name
            .rsplit('.')
            .next()
            .is_some_and(|l| l.starts_with("rpz-"))
        {
            skips.push(
                &e.indicator_id,
                "format",
                format!("{name}: a name ending in an rpz- label would be read as a trigger"),
            );
            continue;
        }
        if name.len() > room {
            skips.push(
                &e.indicator_id,
                "format",
                format!(
                    "{name}: too long for a policy record in zone {}",
                    opts.rpz_zone
                ),
            );
            continue;
        }
        names.insert(name);
    }
    let serial = opts.rpz_serial.unwrap_or_else(|| {
        let latest = entries.iter().map(|e| e.modified).max().unwrap_or(1);
        u32::try_from(latest).unwrap_or(u32::MAX).max(1)
    });
    writeln!(
        out,
        "; Yamori response policy from collection {:?}; marking {}.",
        opts.collection.replace(['\n', '\r'], " "),
        export_tlp(entries).name()
    )?;
    writeln!(out, "$TTL {TTL}")?;
    writeln!(
        out,
        "@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 {TTL}"
    )?;
    writeln!(out, "@ IN NS localhost.")?;
    for n in &names {
        writeln!(out, "{n} CNAME .")?;
        writeln!(out, "*.{n} CNAME .")?;
    }
    for t in &triggers {
        writeln!(out, "{} CNAME .", rpz_ip(t))?;
    }
    let mut written = Written {
        skips,
        ..Written::default()
    };
    written.counts.insert("names", names.len() as u64);
    written.counts.insert("ip_triggers", triggers.len() as u64);
    written.counts.insert("serial", u64::from(serial));
    Ok(written)
}

/// The `rpz-ip` owner name of a prefix (without the zone).
pub(super) fn rpz_ip(net: &IpNet) -> String {
    match net.network() {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!(
                "{}.{}.{}.{}.{}.rpz-ip",
                net.prefix_len(),
                o[3],
                o[2],
                o[1],
                o[0]
            )
        }
        IpAddr::V6(a) => {
            let groups = a.segments();
            // The longest run of at least two zero groups (the first of equal runs) is `zz`,
            // like `::` in RFC 5952.
            let (mut best, mut cur) = ((0usize, 0usize), (0usize, 0usize));
            for (i, g) in groups.iter().enumerate() {
                if *g == 0 {
                    if cur.1 == 0 {
                        cur.0 = i;
                    }
                    cur.1 += 1;
                    if cur.1 > best.1 {
                        best = cur;
                    }
                } else {
                    cur.1 = 0;
                }
            }
            let mut labels: Vec<String> = Vec::new();
            let mut i = 0;
            while i < 8 {
                if best.1 >= 2 && i == best.0 {
                    labels.push("zz".into());
                    i += best.1;
                } else {
                    labels.push(format!("{:x}", groups[i]));
                    i += 1;
                }
            }
            labels.reverse();
            format!("{}.{}.rpz-ip", net.prefix_len(), labels.join("."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpz_ip_owner_names() {
        let t = |s: &str| rpz_ip(&s.parse().expect("net"));
        assert_eq!(t("198.51.100.7/32"), "32.7.100.51.198.rpz-ip");
        assert_eq!(t("203.0.113.0/24"), "24.0.113.0.203.rpz-ip");
        assert_eq!(t("2001:db8::1/128"), "128.1.zz.db8.2001.rpz-ip");
        assert_eq!(t("2001:db8::/32"), "32.zz.db8.2001.rpz-ip");
        assert_eq!(t("2001:db8:0:1::5/128"), "128.5.zz.1.0.db8.2001.rpz-ip");
    }

    #[test]
    fn names_that_would_read_as_triggers_are_skipped() {
        let entry = |d: &str| Entry {
            observable: Observable::Domain(d.into()),
            indicator_id: format!("indicator--{d}"),
            name: None,
            score: None,
            expires: None,
            tlp: crate::tlp::Tlp::Clear,
            modified: 0,
        };
        let opts = Options {
            list_name: "block".into(),
            collection: "c".into(),
            now: time::OffsetDateTime::UNIX_EPOCH,
            rpz_zone: "rpz.yamori".into(),
            rpz_serial: Some(7),
            org_name: "o".into(),
        };
        let mut out = Vec::new();
        let written = write(&[entry("a.test"), entry("x.rpz-ip")], &opts, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("\na.test CNAME .\n"), "{text}");
        assert!(!text.contains("x.rpz-ip"), "{text}");
        assert_eq!(written.skips.by_kind["format"], 1);
        assert!(text.contains(" 7 3600 600 86400 60"), "{text}");
    }
}
