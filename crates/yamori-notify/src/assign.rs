//! Who is told about an address: the owner of the owners file's longest prefix holding it,
//! else a fallback owner (e.g. the operator of its autonomous system), else nobody (the
//! unassigned report). One rule for every kind of notice: survey findings and alerts alike.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::owners::Owners;
use super::Lang;

/// An owner found another way than the owners file (e.g. the address's autonomous system),
/// for hosts the owners file does not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackOwner {
    /// Groups hosts into one notice and names its files (e.g. `as64500`).
    pub key: String,
    pub organisation: String,
    pub contact: String,
    /// What the notice shows where an owners-file prefix would be (e.g. `AS64500`).
    pub scope: String,
}

/// The recipient of one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    /// File stem: `NN-slug` for owners-file owners, the slug of the fallback key, `unassigned`.
    pub key: String,
    /// Empty for the unassigned report, like `contact` and `scope`.
    pub organisation: String,
    pub contact: String,
    /// The owners-file prefix or the fallback's scope.
    pub scope: String,
    pub languages: Vec<Lang>,
    pub unassigned: bool,
}

/// Group `items` by recipient: the owners file's owners (in file order), then fallback owners
/// (in key order), then the unassigned report; recipients without items are left out.
pub(crate) fn assign<T>(
    items: impl IntoIterator<Item = (IpAddr, T)>,
    owners: &Owners,
    fallback: &dyn Fn(IpAddr) -> Option<FallbackOwner>,
) -> Vec<(Recipient, Vec<T>)> {
    let mut per_owner: Vec<Vec<T>> = owners.entries.iter().map(|_| Vec::new()).collect();
    let mut per_fallback: BTreeMap<String, (FallbackOwner, Vec<T>)> = BTreeMap::new();
    let mut unassigned: Vec<T> = Vec::new();
    for (address, item) in items {
        let owner = owners
            .owner_of(address)
            .and_then(|o| owners.entries.iter().position(|e| std::ptr::eq(e, o)));
        if let Some(i) = owner {
            per_owner[i].push(item);
        } else if let Some(f) = fallback(address) {
            per_fallback
                .entry(f.key.clone())
                .or_insert_with(|| (f, Vec::new()))
                .1
                .push(item);
        } else {
            unassigned.push(item);
        }
    }
    let mut out = Vec::new();
    for (i, items) in per_owner.into_iter().enumerate() {
        if items.is_empty() {
            continue;
        }
        let o = &owners.entries[i];
        let who = Recipient {
            key: format!("{:02}-{}", i + 1, slug(&o.organisation)),
            organisation: o.organisation.clone(),
            contact: o.contact.clone(),
            scope: o.prefix.to_string(),
            languages: o.languages.clone(),
            unassigned: false,
        };
        out.push((who, items));
    }
    for (key, (f, items)) in per_fallback {
        let who = Recipient {
            key: slug(&key),
            organisation: f.organisation,
            contact: f.contact,
            scope: f.scope,
            languages: both(),
            unassigned: false,
        };
        out.push((who, items));
    }
    if !unassigned.is_empty() {
        let who = Recipient {
            key: "unassigned".into(),
            organisation: String::new(),
            contact: String::new(),
            scope: String::new(),
            languages: both(),
            unassigned: true,
        };
        out.push((who, unassigned));
    }
    out
}

/// Japanese and English: for owners whose language nobody wrote down.
fn both() -> Vec<Lang> {
    vec![Lang::Ja, Lang::En]
}

/// A file-name-safe stem: lower-case ASCII letters and digits, runs of anything else as one
/// `-`, at most about 40 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "owner".into()
    } else {
        out
    }
}
