//! ACLs and their ACEs (RFC 8519 with the MUD augmentations of RFC 8520), in the final and
//! the draft spelling.

use ipnet::IpNet;
use serde_json::Value;

use super::node::{array, err, identity, string, uint, Obj};
use super::ports;
use super::{Ace, Action, Direction, Family, MudError, Warning, MAX_ACES};

/// One ACL as read, before the policies pick theirs.
pub(super) struct Acl {
    pub name: String,
    pub path: String,
    pub aces: Vec<Ace>,
    pub warnings: Vec<Warning>,
}

/// Why an ACE is left out (a warning, not an error: the file is still usable without it).
struct LeftOut(String, String);

fn left_out(path: &str, why: impl Into<String>) -> LeftOut {
    LeftOut(path.to_string(), why.into())
}

/// An ACE either read, left out with a reason, or the file is unusable.
enum Read<T> {
    Ok(T),
    Out(LeftOut),
}

macro_rules! take {
    ($e:expr) => {
        match $e? {
            Read::Ok(v) => v,
            Read::Out(o) => return Ok(Read::Out(o)),
        }
    };
}

pub(super) fn read_acls(
    v: &Value,
    path: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Acl>, MudError> {
    let mut acls = Obj::new(v, path)?;
    let (list_v, list_p) = acls.require(&["acl"])?;
    warnings.extend(acls.unknown().into_iter().map(unknown));
    let mut out = Vec::new();
    let mut total = 0usize;
    for (i, acl_v) in array(list_v, &list_p)?.iter().enumerate() {
        let acl_p = format!("{list_p}/{i}");
        out.push(read_acl(acl_v, &acl_p, &mut total)?);
    }
    Ok(out)
}

fn read_acl(v: &Value, path: &str, total: &mut usize) -> Result<Acl, MudError> {
    let mut acl = Obj::new(v, path)?;
    let mut warnings = Vec::new();
    let (name_v, name_p) = acl.require(&["name", "acl-name"])?;
    let name = string(name_v, &name_p)?.to_string();
    let family = match acl.any(&["type", "acl-type"]) {
        None => None,
        Some((_, t, tp)) => match identity(string(t, &tp)?) {
            "ipv4-acl-type" | "ipv4-acl" => Some(Family::V4),
            "ipv6-acl-type" | "ipv6-acl" => Some(Family::V6),
            other => {
                warnings.push(Warning {
                    path: tp,
                    message: format!("ACL type {other:?} is not enforced (IPv4 and IPv6 only); the ACL allows nothing"),
                });
                return Ok(Acl {
                    name,
                    path: path.to_string(),
                    aces: Vec::new(),
                    warnings,
                });
            }
        },
    };
    let mut aces = Vec::new();
    if let Some((_, entries_v, entries_p)) = acl.any(&["aces", "access-list-entries"]) {
        let mut entries = Obj::new(entries_v, &entries_p)?;
        let (list_v, list_p) = entries.require(&["ace"])?;
        warnings.extend(entries.unknown().into_iter().map(unknown));
        for (i, ace_v) in array(list_v, &list_p)?.iter().enumerate() {
            let ace_p = format!("{list_p}/{i}");
            *total += 1;
            if *total > MAX_ACES {
                return Err(err(
                    &ace_p,
                    format!("more than {MAX_ACES} ACEs in one MUD file"),
                ));
            }
            match read_ace(ace_v, &ace_p, &name, family, &mut warnings)? {
                Read::Ok(ace) => aces.push(ace),
                Read::Out(LeftOut(p, why)) => warnings.push(Warning {
                    path: p,
                    message: format!("{why}; the ACE is left out (it allows nothing)"),
                }),
            }
        }
    }
    warnings.extend(acl.unknown().into_iter().map(unknown));
    Ok(Acl {
        name,
        path: path.to_string(),
        aces,
        warnings,
    })
}

fn unknown(path: String) -> Warning {
    Warning {
        path,
        message: "unknown member, ignored".into(),
    }
}

fn read_ace(
    v: &Value,
    path: &str,
    acl: &str,
    acl_family: Option<Family>,
    warnings: &mut Vec<Warning>,
) -> Result<Read<Ace>, MudError> {
    let mut obj = Obj::new(v, path)?;
    let (name_v, name_p) = obj.require(&["name", "rule-name"])?;
    let (actions_v, actions_p) = obj.require(&["actions"])?;
    let matches = obj.get("matches");
    obj.get("statistics");
    warnings.extend(obj.unknown().into_iter().map(unknown));
    let mut ace = Ace {
        acl: acl.to_string(),
        name: string(name_v, &name_p)?.to_string(),
        family: Family::V4,
        protocol: None,
        src_dnsname: None,
        dst_dnsname: None,
        src_network: None,
        dst_network: None,
        src_port: None,
        dst_port: None,
        initiated: None,
        local_networks: false,
        action: take!(action(actions_v, &actions_p, warnings)),
    };
    let family = match matches {
        Some((m, mp)) => take!(read_matches(m, &mp, &mut ace)),
        None => None,
    };
    let open = ace.protocol.is_none()
        && ace.src_dnsname.is_none()
        && ace.dst_dnsname.is_none()
        && ace.src_network.is_none()
        && ace.dst_network.is_none()
        && !ace.local_networks;
    if open && ace.action == Action::Accept {
        // RFC 8519: an ACE without matches matches every packet. Enforced as written, and
        // said aloud: it opens the device to everything of its family.
        warnings.push(Warning {
            path: path.to_string(),
            message: "this ACE matches every packet of its family: the device is not restricted"
                .into(),
        });
    }
    ace.family = match (family, acl_family) {
        (Some(f), Some(a)) if f != a => {
            return Ok(Read::Out(left_out(
                path,
                "its IP matches are of the other family than the ACL's type",
            )))
        }
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) => {
            return Err(err(
                path,
                "neither the ACL's type nor the ACE's matches say IPv4 or IPv6",
            ))
        }
    };
    Ok(Read::Ok(ace))
}

fn action(v: &Value, path: &str, warnings: &mut Vec<Warning>) -> Result<Read<Action>, MudError> {
    let mut obj = Obj::new(v, path)?;
    obj.get("logging");
    let found = match obj.any(&["forwarding", "permit", "deny"]) {
        Some(("forwarding", f, fp)) => match identity(string(f, &fp)?) {
            "accept" => Action::Accept,
            "drop" => Action::Drop,
            "reject" => Action::Reject,
            other => {
                return Ok(Read::Out(left_out(
                    &fp,
                    format!("forwarding action {other:?} is not accept, drop or reject"),
                )))
            }
        },
        // Early drafts: `"permit": [null]` / `"deny": [null]` (YANG `empty` leaves).
        Some(("permit", _, _)) => Action::Accept,
        Some(_) => Action::Drop,
        None => return Err(err(path, "missing member \"forwarding\"")),
    };
    warnings.extend(obj.unknown().into_iter().map(unknown));
    Ok(Read::Ok(found))
}

/// Reads `matches` into `ace`; returns the family its IP match names, if any.
fn read_matches(v: &Value, path: &str, ace: &mut Ace) -> Result<Read<Option<Family>>, MudError> {
    let mut m = Obj::new(v, path)?;
    let v4 = m.any(&["ipv4", "ipv4-acl"]);
    let v6 = m.any(&["ipv6", "ipv6-acl"]);
    let family = match (v4, v6) {
        (Some(_), Some(_)) => {
            return Ok(Read::Out(left_out(path, "it matches both IPv4 and IPv6")))
        }
        (Some((_, l3, p)), None) => {
            take!(read_l3(l3, &p, Family::V4, ace));
            Some(Family::V4)
        }
        (None, Some((_, l3, p))) => {
            take!(read_l3(l3, &p, Family::V6, ace));
            Some(Family::V6)
        }
        (None, None) => None,
    };
    for (member, proto) in [("tcp", 6u8), ("udp", 17u8)] {
        if let Some((l4, p)) = m.get(member) {
            if ace.protocol.is_some_and(|n| n != proto) {
                return Ok(Read::Out(left_out(
                    &p,
                    format!("{member} matches with IP protocol {:?}", ace.protocol),
                )));
            }
            ace.protocol = Some(proto);
            take!(read_l4(l4, &p, member == "tcp", ace));
        }
    }
    if let Some((mud, p)) = m.get("ietf-mud:mud") {
        take!(read_mud_matches(mud, &p, ace));
    }
    if let Some(p) = m.unknown().into_iter().next() {
        return Ok(Read::Out(left_out(
            &p,
            "a match this gateway cannot enforce",
        )));
    }
    Ok(Read::Ok(family))
}

fn read_l3(v: &Value, path: &str, family: Family, ace: &mut Ace) -> Result<Read<()>, MudError> {
    let mut l3 = Obj::new(v, path)?;
    if let Some((p, pp)) = l3.get("protocol") {
        ace.protocol = Some(uint(p, &pp, u64::from(u8::MAX))? as u8);
    }
    for (member, slot) in [
        ("ietf-acldns:src-dnsname", &mut ace.src_dnsname),
        ("ietf-acldns:dst-dnsname", &mut ace.dst_dnsname),
    ] {
        if let Some((n, np)) = l3.get(member) {
            let name = crate::observable::dns_name(string(n, &np)?)
                .map_err(|e| err(&np, format!("not a DNS name: {e}")))?;
            *slot = Some(name);
        }
    }
    let (src, dst) = match family {
        Family::V4 => ("source-ipv4-network", "destination-ipv4-network"),
        Family::V6 => ("source-ipv6-network", "destination-ipv6-network"),
    };
    for (member, slot) in [(src, &mut ace.src_network), (dst, &mut ace.dst_network)] {
        if let Some((n, np)) = l3.get(member) {
            *slot = Some(network(string(n, &np)?, &np, family)?);
        }
    }
    // The draft put the port conditions beside the addresses.
    ports::read(
        &mut l3,
        &["source-port-range-or-operator", "source-port-range"],
        &mut ace.src_port,
    )?;
    ports::read(
        &mut l3,
        &[
            "destination-port-range-or-operator",
            "destination-port-range",
        ],
        &mut ace.dst_port,
    )?;
    if let Some(p) = l3.unknown().into_iter().next() {
        return Ok(Read::Out(left_out(
            &p,
            "a match this gateway cannot enforce",
        )));
    }
    Ok(Read::Ok(()))
}

fn network(text: &str, path: &str, family: Family) -> Result<IpNet, MudError> {
    let net: IpNet = text
        .parse()
        .map_err(|_| err(path, format!("{text:?} is not an IP prefix")))?;
    let ok = matches!(
        (family, net),
        (Family::V4, IpNet::V4(_)) | (Family::V6, IpNet::V6(_))
    );
    if !ok {
        return Err(err(path, format!("{text:?} is not of the ACE's family")));
    }
    Ok(net.trunc())
}

fn read_l4(v: &Value, path: &str, tcp: bool, ace: &mut Ace) -> Result<Read<()>, MudError> {
    let mut l4 = Obj::new(v, path)?;
    ports::read(
        &mut l4,
        &["source-port", "source-port-range-or-operator"],
        &mut ace.src_port,
    )?;
    ports::read(
        &mut l4,
        &["destination-port", "destination-port-range-or-operator"],
        &mut ace.dst_port,
    )?;
    if tcp {
        if let Some((d, dp)) = l4.get("ietf-mud:direction-initiated") {
            ace.initiated = Some(match identity(string(d, &dp)?) {
                "from-device" => Direction::FromDevice,
                "to-device" => Direction::ToDevice,
                other => {
                    return Err(err(
                        &dp,
                        format!("{other:?}: expected from-device or to-device"),
                    ))
                }
            });
        }
    }
    if let Some(p) = l4.unknown().into_iter().next() {
        return Ok(Read::Out(left_out(
            &p,
            "a match this gateway cannot enforce",
        )));
    }
    Ok(Read::Ok(()))
}

fn read_mud_matches(v: &Value, path: &str, ace: &mut Ace) -> Result<Read<()>, MudError> {
    let mut mud = Obj::new(v, path)?;
    if mud.get("local-networks").is_some() {
        ace.local_networks = true;
    }
    // The other abstractions name devices by their MUD URLs or controllers: enforcing them
    // needs the other devices' MUD data, which one file does not carry.
    if let Some(p) = mud.unknown().into_iter().next() {
        return Ok(Read::Out(left_out(
            &p,
            "needs other devices' MUD data (only local-networks is enforced)",
        )));
    }
    Ok(Read::Ok(()))
}
