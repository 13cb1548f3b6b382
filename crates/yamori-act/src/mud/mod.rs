//! Manufacturer Usage Description files (RFC 8520): what network access an IoT device needs,
//! read into the flows a gateway may allow.
//!
//! Two shapes are read, because both are in the field:
//! * the final RFC 8520 JSON: `ietf-mud:mud` and `ietf-access-control-list:acls`, whose
//!   `acl` entries hold `aces`/`ace` with `ipv4`/`ipv6`/`tcp`/`udp` matches (RFC 8519);
//! * the draft shape older tools (osMUD, MUDgee) still write: the ACLs under
//!   `ietf-access-control-list:access-lists`, `acl-name`/`acl-type`, `access-list-entries`,
//!   `rule-name`, `ipv4-acl`/`ipv6-acl` matches with `*-port-range-or-operator` inside them.
//!
//! Unknown members follow YANG's rule for augmentations: a reader ignores what it does not
//! know. Here each one is recorded as a [`Warning`] naming its JSON Pointer, so an operator
//! sees what was not enforced. One exception keeps the policy safe: an unknown member *inside
//! an ACE's matches* would be a condition left out, which widens what the ACE allows, so that
//! ACE is left out (and with it the traffic it would have allowed) with a warning. Missing
//! required members are errors naming the pointer of the object that lacks them.
//!
//! Why a walk over `serde_json::Value` instead of derived structs: every error and warning
//! names its JSON Pointer, members have several spellings across the two shapes, and unknown
//! members are collected, not rejected or silently dropped; derived structs give none of
//! these without extra crates. The tree is bounded by [`MAX_MUD_BYTES`] before it is built.

mod ace;
mod node;
mod ports;

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use node::{array, err, string, Obj};

/// Largest MUD file read. A MUD file lists the handful of services one device talks to; the
/// public ones (osMUD's examples, the MUDgee profiles of 31 consumer devices) are a few
/// kilobytes, the largest a few dozen. A megabyte is ample and bounds the JSON tree built in
/// memory (a few times the file's size) before anything else is checked.
pub const MAX_MUD_BYTES: usize = 1 << 20;

/// Most ACEs in one file. Each ACE becomes one nftables rule that every packet of the device
/// is tried against in order; real profiles have tens. A thousand keeps a device's chain
/// short enough to evaluate per packet and rejects a generated or hostile file early.
pub const MAX_ACES: usize = 1000;

/// A MUD file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MudError {
    #[error("the file has {bytes} bytes; a MUD file may have at most {MAX_MUD_BYTES}")]
    TooLarge { bytes: usize },
    #[error("not JSON: {0}")]
    Json(String),
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

/// Something read but not enforced, with the JSON Pointer of what it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

/// Which way a packet goes relative to the device, and which side opened a TCP connection
/// (`ietf-mud:direction-initiated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    FromDevice,
    ToDevice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// A port condition of RFC 8519 (`operator` + `port`, or `lower-port`/`upper-port`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMatch {
    Eq(u16),
    Neq(u16),
    Lte(u16),
    Gte(u16),
    Range(u16, u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Drop,
    Reject,
}

/// One ACE as a gateway enforces it: every `Some` is a condition, all must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// The ACL it belongs to and its own name (for comments in the ruleset).
    pub acl: String,
    pub name: String,
    pub family: Family,
    /// IP protocol number (6 TCP, 17 UDP, …).
    pub protocol: Option<u8>,
    pub src_dnsname: Option<String>,
    pub dst_dnsname: Option<String>,
    pub src_network: Option<IpNet>,
    pub dst_network: Option<IpNet>,
    pub src_port: Option<PortMatch>,
    pub dst_port: Option<PortMatch>,
    /// TCP only: which side must have opened the connection.
    pub initiated: Option<Direction>,
    /// `ietf-mud:mud` `local-networks`: the other end is in the site's own networks.
    pub local_networks: bool,
    pub action: Action,
}

/// A MUD file read for enforcement: the ACEs of its from-device and to-device policies, in
/// policy order, and what was not enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mud {
    pub url: String,
    pub systeminfo: Option<String>,
    pub from_device: Vec<Ace>,
    pub to_device: Vec<Ace>,
    pub warnings: Vec<Warning>,
}

impl Mud {
    /// Every DNS name an ACE of the file names.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.from_device
            .iter()
            .chain(&self.to_device)
            .flat_map(|a| [a.src_dnsname.as_deref(), a.dst_dnsname.as_deref()])
            .flatten()
    }
}

/// Reads a MUD file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Mud, MudError> {
    if bytes.len() > MAX_MUD_BYTES {
        return Err(MudError::TooLarge { bytes: bytes.len() });
    }
    let root: Value = serde_json::from_slice(bytes).map_err(|e| MudError::Json(e.to_string()))?;
    let mut warnings = Vec::new();
    let mut top = Obj::new(&root, "")?;
    let (mud_v, mud_path) = top.require(&["ietf-mud:mud"])?;
    let mut mud = Obj::new(mud_v, &mud_path)?;
    let (url_v, url_path) = mud.require(&["mud-url"])?;
    let url = string(url_v, &url_path)?.to_string();
    let systeminfo = match mud.get("systeminfo") {
        Some((v, p)) => Some(string(v, &p)?.to_string()),
        None => None,
    };
    if let Some((v, p)) = mud.get("mud-version") {
        if node::uint(v, &p, u64::from(u8::MAX))? != 1 {
            warnings.push(warn(
                &p,
                "this reader knows MUD version 1; read as version 1",
            ));
        }
    }
    // Read and not needed for enforcement: known, so not reported as unknown.
    for known in [
        "last-update",
        "cache-validity",
        "is-supported",
        "mfg-name",
        "model-name",
        "firmware-rev",
        "software-rev",
        "documentation",
        "extensions",
        "mud-signature",
    ] {
        mud.get(known);
    }
    let from_refs = policy_refs(&mut mud, "from-device-policy", &mut warnings)?;
    let to_refs = policy_refs(&mut mud, "to-device-policy", &mut warnings)?;
    warnings.extend(mud.unknown().into_iter().map(unknown));

    let acls = match top.any(&[
        "ietf-access-control-list:acls",
        "ietf-access-control-list:access-lists",
    ]) {
        Some((_, v, p)) => ace::read_acls(v, &p, &mut warnings)?,
        None if from_refs.is_empty() && to_refs.is_empty() => Vec::new(),
        None => {
            return Err(err(
                "",
                "missing member \"ietf-access-control-list:acls\" (the policies name ACLs)",
            ))
        }
    };
    warnings.extend(top.unknown().into_iter().map(unknown));

    let pick = |refs: &[(String, String)]| -> Result<Vec<Ace>, MudError> {
        let mut out = Vec::new();
        for (name, path) in refs {
            let acl = acls
                .iter()
                .find(|a| &a.name == name)
                .ok_or_else(|| err(path, format!("names ACL {name:?}, which the file lacks")))?;
            out.extend(acl.aces.iter().cloned());
        }
        Ok(out)
    };
    let from_device = pick(&from_refs)?;
    let to_device = pick(&to_refs)?;
    for acl in &acls {
        let used = from_refs
            .iter()
            .chain(&to_refs)
            .any(|(n, _)| n == &acl.name);
        if !used {
            warnings.push(warn(
                &acl.path,
                "no policy names this ACL; it is not enforced",
            ));
        }
        warnings.extend(acl.warnings.iter().cloned());
    }
    Ok(Mud {
        url,
        systeminfo,
        from_device,
        to_device,
        warnings,
    })
}

/// The ACL names of `from-device-policy` or `to-device-policy`, with their pointers.
fn policy_refs(
    mud: &mut Obj<'_>,
    member: &'static str,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(String, String)>, MudError> {
    let Some((v, p)) = mud.get(member) else {
        return Ok(Vec::new());
    };
    let mut policy = Obj::new(v, &p)?;
    let lists = policy.get("access-lists");
    warnings.extend(policy.unknown().into_iter().map(unknown));
    let Some((lists_v, lists_p)) = lists else {
        return Ok(Vec::new());
    };
    let mut lists = Obj::new(lists_v, &lists_p)?;
    let (list_v, list_p) = lists.require(&["access-list"])?;
    warnings.extend(lists.unknown().into_iter().map(unknown));
    let mut out = Vec::new();
    for (i, entry) in array(list_v, &list_p)?.iter().enumerate() {
        let entry_p = format!("{list_p}/{i}");
        let mut e = Obj::new(entry, &entry_p)?;
        let (name_v, name_p) = e.require(&["name", "acl-name"])?;
        e.any(&["acl-type"]);
        warnings.extend(e.unknown().into_iter().map(unknown));
        out.push((string(name_v, &name_p)?.to_string(), name_p));
    }
    Ok(out)
}

fn warn(path: &str, message: &str) -> Warning {
    Warning {
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn unknown(path: String) -> Warning {
    Warning {
        path,
        message: "unknown member, ignored".into(),
    }
}

/// A device address's family.
pub fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}
