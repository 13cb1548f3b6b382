//! Whether an object may go to a peer, by its TLP marking (FIRST TLP 2.0, as STIX marking
//! definitions: [`crate::markings`]).
//!
//! Rules (docs/TRUST.md):
//! * TLP:RED is never shared (not pushed, not served in a feed);
//! * TLP:AMBER and TLP:AMBER+STRICT only to the peers the policy lists for each;
//! * TLP:CLEAR and TLP:GREEN as the policy says (by default both are shared);
//! * an object carrying several TLP markings is as restricted as its most restrictive one;
//!   granular markings count (part of the object is the object, for sharing it whole);
//! * TLP 1.0 markings count as their TLP 2.0 counterparts (WHITE as CLEAR);
//! * an object without a TLP marking is treated as the policy's `unmarked` level (default
//!   TLP:AMBER: nothing leaves without someone having decided it may), except a
//!   `marking-definition`, which says how to handle other objects and carries no data of its
//!   own: unmarked definitions are always shareable, so shared bundles stay complete.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::markings::{Tlp2, TLP1};

/// A peer's sharing policy as far as TLP goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlpPolicy {
    /// Share TLP:CLEAR objects (default true).
    #[serde(default = "yes")]
    pub share_clear: bool,
    /// Share TLP:GREEN objects (default true).
    #[serde(default = "yes")]
    pub share_green: bool,
    /// Peers that may receive TLP:AMBER.
    #[serde(default)]
    pub amber_peers: BTreeSet<String>,
    /// Peers that may receive TLP:AMBER+STRICT (listing a peer here does not imply AMBER, and
    /// the other way round).
    #[serde(default)]
    pub amber_strict_peers: BTreeSet<String>,
    /// The level an object without a TLP marking is treated as (default AMBER).
    #[serde(default = "amber", with = "tlp_name")]
    pub unmarked: Tlp2,
}

fn yes() -> bool {
    true
}

fn amber() -> Tlp2 {
    Tlp2::Amber
}

impl Default for TlpPolicy {
    fn default() -> Self {
        TlpPolicy {
            share_clear: true,
            share_green: true,
            amber_peers: BTreeSet::new(),
            amber_strict_peers: BTreeSet::new(),
            unmarked: Tlp2::Amber,
        }
    }
}

/// Why an object is withheld from a peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Withheld {
    #[error("TLP:RED is never shared")]
    Red,
    #[error("{tlp} is shared only with the peers the policy lists; {peer:?} is not among them")]
    NotAllowedPeer { tlp: &'static str, peer: String },
    #[error("the policy does not share {0}")]
    LevelOff(&'static str),
}

/// Restrictiveness order: CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
fn rank(t: Tlp2) -> u8 {
    match t {
        Tlp2::Clear => 0,
        Tlp2::Green => 1,
        Tlp2::Amber => 2,
        Tlp2::AmberStrict => 3,
        Tlp2::Red => 4,
    }
}

/// The TLP level a marking-definition id stands for (TLP 2.0 or 1.0), if it is one.
pub fn tlp_of_marking(id: &str) -> Option<Tlp2> {
    if let Some(t) = Tlp2::ALL.into_iter().find(|t| t.id() == id) {
        return Some(t);
    }
    TLP1.iter()
        .find(|t| t.id == id)
        .and_then(|t| match t.level {
            "white" => Some(Tlp2::Clear),
            other => Tlp2::parse(other),
        })
}

/// The most restrictive TLP level among an object's `object_marking_refs` and the
/// `marking_ref`s of its `granular_markings`; `None` when it has no TLP marking.
pub fn object_tlp(object: &Value) -> Option<Tlp2> {
    let object_refs = object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let granular_refs = object
        .get("granular_markings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("marking_ref"));
    object_refs
        .chain(granular_refs)
        .filter_map(Value::as_str)
        .filter_map(tlp_of_marking)
        .max_by_key(|t| rank(*t))
}

impl TlpPolicy {
    /// Whether `object` may be shared with `peer` (an identity the policy's peer sets name).
    pub fn check(&self, object: &Value, peer: &str) -> Result<(), Withheld> {
        let level = match object_tlp(object) {
            Some(level) => level,
            None if object.get("type").and_then(Value::as_str) == Some("marking-definition") => {
                return Ok(())
            }
            None => self.unmarked,
        };
        self.check_level(level, peer)
    }

    /// Whether an object at TLP `level` may be shared with `peer`.
    pub fn check_level(&self, level: Tlp2, peer: &str) -> Result<(), Withheld> {
        let allowed = |peers: &BTreeSet<String>| {
            if peers.contains(peer) {
                Ok(())
            } else {
                Err(Withheld::NotAllowedPeer {
                    tlp: level.name(),
                    peer: peer.to_string(),
                })
            }
        };
        match level {
            Tlp2::Red => Err(Withheld::Red),
            Tlp2::AmberStrict => allowed(&self.amber_strict_peers),
            Tlp2::Amber => allowed(&self.amber_peers),
            Tlp2::Green if !self.share_green => Err(Withheld::LevelOff(level.name())),
            Tlp2::Clear if !self.share_clear => Err(Withheld::LevelOff(level.name())),
            Tlp2::Green | Tlp2::Clear => Ok(()),
        }
    }
}

/// The clearance of a hub account that has none set: TLP:CLEAR and TLP:GREEN (docs/TRUST.md
/// §5). Unmarked objects count as TLP:AMBER, so they too need an account cleared for AMBER.
pub const DEFAULT_CLEARANCE: Tlp2 = Tlp2::Green;

/// A hub account's clearance from its name (`clear`, `green`, `amber`, `amber+strict`, `TLP:`
/// prefix optional; TLP 1.0's `white` as `clear`): the highest level it may read. RED is nobody's clearance: the hub never
/// serves it.
pub fn parse_clearance(text: &str) -> Result<Tlp2, String> {
    let text = text.trim();
    let white = text.eq_ignore_ascii_case("white") || text.eq_ignore_ascii_case("tlp:white");
    match Tlp2::parse(text).or(white.then_some(Tlp2::Clear)) {
        Some(Tlp2::Red) => Err(
            "TLP:RED is never served, so it is no clearance; the highest \
                                is amber+strict"
                .into(),
        ),
        Some(t) => Ok(t),
        None => Err(format!(
            "{text:?} is not a TLP level; use clear, green, amber or amber+strict"
        )),
    }
}

/// Whether a hub account cleared up to `clearance` may read `object` (TAXII, feeds, the API):
/// the object's most restrictive TLP marking ([`object_tlp`]), or TLP:AMBER when it has none,
/// must not be above the clearance, and TLP:RED is read by nobody. A clearance of AMBER+STRICT
/// includes AMBER (an account is one reader, where a push policy lists its peers per level).
/// Marking definitions are always readable, as they are always shareable.
pub fn readable_at(object: &Value, clearance: Tlp2) -> bool {
    let level = match object_tlp(object) {
        Some(level) => level,
        None if object.get("type").and_then(Value::as_str) == Some("marking-definition") => {
            return true
        }
        None => Tlp2::Amber,
    };
    admits(clearance, level)
}

/// Whether a clearance admits data at `level`: not RED, and not above the clearance.
pub fn admits(clearance: Tlp2, level: Tlp2) -> bool {
    level != Tlp2::Red && rank(level) <= rank(clearance)
}

/// What may go to one peer: the `[peers.<name>]` table of the sharing policy file
/// (`sharing.toml` in the data directory; docs/TRUST.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerPolicy {
    /// The peer's API root URL, as `yamori sync push` is given it.
    pub url: String,
    /// The local collections (aliases or ids) that may be pushed to it; absent: any.
    #[serde(default)]
    pub collections: Option<Vec<String>>,
    #[serde(default)]
    pub tlp: PeerTlp,
    /// How victims' and surveyed hosts' addresses leave (absent: as they are).
    #[serde(default)]
    pub anonymise: Option<PeerAnonymise>,
}

/// The `[peers.<name>.anonymise]` table: what becomes of the addresses a push would share
/// that the organisation's indicators do not name ([`crate::anonymise`]), and the least
/// k-anonymity those host records must have (docs/TRUST.md §3–§5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerAnonymise {
    pub scheme: AddressScheme,
    /// The sharing group whose key pseudonymises the addresses and re-keys the ids
    /// (`<data-dir>/keys/<group>.key`); every peer of a group sees the same pseudonyms.
    pub group: String,
    /// The least k the shared host records must have at the generalisation below (default
    /// 1: measured and reported, never refused).
    #[serde(default = "one")]
    pub min_k: usize,
    /// The prefix length IPv4 hosts are grouped by when k is measured, and what `generalise`
    /// shares (default 24).
    #[serde(default = "v4_prefix")]
    pub prefix_v4: u8,
    /// The same for IPv6 (default 48).
    #[serde(default = "v6_prefix")]
    pub prefix_v6: u8,
    /// Whether a host's autonomous system is part of its class (needs an ASN database).
    #[serde(default)]
    pub keep_asn: bool,
    /// What a push does when k is below `min_k` (default: refuse).
    #[serde(default)]
    pub below_k: BelowK,
}

fn one() -> usize {
    1
}

fn v4_prefix() -> u8 {
    24
}

fn v6_prefix() -> u8 {
    48
}

/// What an address leaves as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressScheme {
    /// Crypto-PAn pseudonym (prefix-preserving).
    Cryptopan,
    /// ipcrypt-pfx pseudonym (prefix-preserving).
    IpcryptPfx,
    /// The real prefix at the policy's generalisation (`203.0.113.0/24`).
    Generalise,
    /// Not at all.
    Remove,
}

/// What a push does when the host records' k is below the policy's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BelowK {
    /// Send nothing and say which classes are too small.
    #[default]
    Refuse,
    /// Withhold the hosts of the classes below the minimum (suppression), send the rest.
    Suppress,
}

/// The TLP levels one peer receives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerTlp {
    #[serde(default = "yes")]
    pub share_clear: bool,
    #[serde(default = "yes")]
    pub share_green: bool,
    /// The peer may receive TLP:AMBER.
    #[serde(default)]
    pub amber: bool,
    /// The peer may receive TLP:AMBER+STRICT (separate from `amber`).
    #[serde(default)]
    pub amber_strict: bool,
    /// The level an object without a TLP marking counts as (default AMBER).
    #[serde(default = "amber", with = "tlp_name")]
    pub unmarked: Tlp2,
}

impl Default for PeerTlp {
    fn default() -> Self {
        PeerTlp {
            share_clear: true,
            share_green: true,
            amber: false,
            amber_strict: false,
            unmarked: Tlp2::Amber,
        }
    }
}

impl PeerTlp {
    /// The rules for the peer named `peer`.
    pub fn policy(&self, peer: &str) -> TlpPolicy {
        let only = |yes: bool| {
            if yes {
                BTreeSet::from([peer.to_string()])
            } else {
                BTreeSet::new()
            }
        };
        TlpPolicy {
            share_clear: self.share_clear,
            share_green: self.share_green,
            amber_peers: only(self.amber),
            amber_strict_peers: only(self.amber_strict),
            unmarked: self.unmarked,
        }
    }
}

/// `unmarked` in configuration: `"amber"`, `"TLP:GREEN"`, `"amber+strict"`, …
mod tlp_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::markings::Tlp2;

    pub fn serialize<S: Serializer>(t: &Tlp2, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.level())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tlp2, D::Error> {
        let text = String::deserialize(d)?;
        Tlp2::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown TLP level {text:?} (expected clear, green, amber, amber+strict or red)"
            ))
        })
    }
}
