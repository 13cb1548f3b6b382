//! Anonymisation for `yamori sync push`: the peer policy's `[anonymise]` table turned into a
//! rewriting of every object sent (`yamori_intel::anonymise`), with the group's key, the
//! organisation's indicator addresses kept as they are, and the k-anonymity of the host records
//! measured before anything is sent (docs/TRUST.md §5).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;
use ipnet::IpNet;
use serde_json::Value;
use sha2::{Digest, Sha256};
use yamori_enrich::AsnDb;
use yamori_intel::anonymise::{address_value, indicator_addresses, Anonymiser, Rewritten};
use yamori_intel::sharing::{AddressScheme, BelowK, PeerAnonymise};
use yamori_store::taxii::{ObjectQuery, VersionFilter};
use yamori_store::Store;
use yamori_trust::kanon::{Anonymity, ClassKey, Generalisation, HostRecord};

/// Ids asked of the store per query when resolving referenced address SCOs.
const RESOLVE_CHUNK: usize = 500;

type AddressMap = Box<dyn Fn(IpNet) -> Option<IpNet>>;

/// What one push does to the objects it sends.
pub struct PushAnonymiser {
    keep: HashSet<IpNet>,
    map: AddressMap,
    id_namespace: uuid::Uuid,
    /// Address SCO id → its value, for the references objects make (None: not in the store).
    sco_values: HashMap<String, IpNet>,
    unresolved: HashSet<String>,
    collection_id: String,
}

/// The k-anonymity of one push's host records (docs/TRUST.md §4).
pub struct AnonymityReport {
    pub hosts: usize,
    pub k: Option<usize>,
    pub min_k: usize,
    pub generalisation: Generalisation,
    /// Classes below the minimum and their sizes.
    pub below: Vec<(ClassKey, usize)>,
    /// Hosts withheld because their class is below the minimum (`below_k = "suppress"`).
    pub suppressed: usize,
}

impl std::fmt::Display for AnonymityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = &self.generalisation;
        write!(
            f,
            "anonymity: {} host records grouped by /{} (IPv6 /{}){}: k = {} (minimum {})",
            self.hosts,
            g.v4_prefix,
            g.v6_prefix,
            if g.keep_asn { " and AS" } else { "" },
            self.k
                .map_or("none (no records)".to_string(), |k| k.to_string()),
            self.min_k
        )?;
        if self.suppressed > 0 {
            write!(
                f,
                "; {} hosts in {} classes below the minimum withheld",
                self.suppressed,
                self.below.len()
            )?;
        }
        Ok(())
    }
}

/// The namespace of the group's re-keyed ids: SHA-256 of a label and the key, cut to a UUID.
fn id_namespace(key: &[u8; 32]) -> uuid::Uuid {
    let digest = Sha256::new()
        .chain_update(b"yamori sharing ids\0")
        .chain_update(key)
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes)
}

fn scheme_map(p: &PeerAnonymise, key: &[u8; 32]) -> anyhow::Result<AddressMap> {
    let with_len = |addr: IpAddr, len: u8| IpNet::new(addr, len).ok().map(|n| n.trunc());
    Ok(match p.scheme {
        AddressScheme::Cryptopan => {
            let pan = yamori_trust::CryptoPan::new(key);
            Box::new(move |n| with_len(pan.anonymize(n.addr()), n.prefix_len()))
        }
        AddressScheme::IpcryptPfx => {
            let pfx = yamori_trust::ipcrypt::IpcryptPfx::new(key)
                .with_context(|| format!("the key of sharing group {:?}", p.group))?;
            Box::new(move |n| with_len(pfx.anonymize(n.addr()), n.prefix_len()))
        }
        AddressScheme::Generalise => {
            let (v4, v6) = (p.prefix_v4.min(32), p.prefix_v6.min(128));
            Box::new(move |n| {
                let cut = if n.addr().is_ipv4() { v4 } else { v6 };
                with_len(n.addr(), n.prefix_len().min(cut))
            })
        }
        AddressScheme::Remove => Box::new(|_| None),
    })
}

/// Reads a collection's pages (all versions, after `added_after`) and calls `f` on each body.
fn each_object(store: &Store, mut q: ObjectQuery, mut f: impl FnMut(&Value)) -> anyhow::Result<()> {
    loop {
        let page = store.taxii_query(&q)?;
        for body in page.objects.iter().filter_map(|o| o.body.as_deref()) {
            if let Ok(v) = serde_json::from_str::<Value>(body) {
                f(&v);
            }
        }
        match page.objects.last() {
            Some(last) if page.more => q.after = Some(last.cursor()),
            _ => return Ok(()),
        }
    }
}

impl PushAnonymiser {
    /// Prepares a push of the objects `pending` selects (the push's own query) that pass
    /// `shareable`: loads the group key, collects the collection's indicator addresses, and
    /// measures the host records' k. Refuses (an error, nothing sent) when k is below the
    /// policy's minimum and the policy says refuse.
    pub fn prepare(
        store: &Store,
        data_dir: &Path,
        policy: &PeerAnonymise,
        pending: &ObjectQuery,
        asn: Option<&AsnDb>,
        shareable: &dyn Fn(&Value) -> bool,
    ) -> anyhow::Result<(PushAnonymiser, AnonymityReport)> {
        let key = super::sharing::load_key(data_dir, &policy.group)?;
        if policy.keep_asn && asn.is_none() {
            anyhow::bail!(
                "the sharing policy groups hosts by AS (keep_asn = true): give an ASN database \
                 with --asn FILE"
            );
        }
        let mut keep = HashSet::new();
        let mut indicators = ObjectQuery::new(&pending.collection_id, 1000);
        indicators.types = vec!["indicator".into()];
        indicators.versions = VersionFilter::all();
        each_object(store, indicators, |o| keep.extend(indicator_addresses(o)))?;

        let measuring = Anonymiser {
            keep: &keep,
            map: &|n| Some(n),
            id_namespace: uuid::Uuid::nil(),
        };
        let mut hosts: BTreeSet<IpAddr> = BTreeSet::new();
        each_object(store, pending.clone(), |o| {
            if shareable(o) {
                measuring.hosts_in(o, &mut hosts);
            }
        })?;
        let generalisation = Generalisation {
            v4_prefix: policy.prefix_v4.min(32),
            v6_prefix: policy.prefix_v6.min(128),
            keep_asn: policy.keep_asn,
        };
        let records: Vec<HostRecord> = hosts
            .iter()
            .map(|&addr| HostRecord {
                addr,
                asn: asn.and_then(|db| db.lookup(addr)).map(|(n, _)| n),
            })
            .collect();
        let measured = Anonymity::measure(&records, &generalisation);
        let below = measured.below(policy.min_k);
        let mut report = AnonymityReport {
            hosts: records.len(),
            k: measured.k,
            min_k: policy.min_k,
            generalisation,
            below: below.clone(),
            suppressed: 0,
        };
        let mut suppressed: Vec<IpAddr> = Vec::new();
        if !below.is_empty() {
            if policy.below_k == BelowK::Refuse {
                let classes: Vec<String> = below
                    .iter()
                    .take(5)
                    .map(|(c, n)| match c.asn {
                        Some(a) => format!("{} AS{a} ({n})", c.prefix),
                        None => format!("{} ({n})", c.prefix),
                    })
                    .collect();
                anyhow::bail!(
                    "{report}: {} classes have fewer than {} hosts, e.g. {}; nothing was sent \
                     (set below_k = \"suppress\" in the policy to withhold those hosts instead, \
                     or share coarser prefixes)",
                    below.len(),
                    policy.min_k,
                    classes.join(", ")
                );
            }
            let small: HashSet<ClassKey> = below.iter().map(|(c, _)| *c).collect();
            suppressed = records
                .iter()
                .filter(|r| small.contains(&generalisation.class_of(r)))
                .map(|r| r.addr)
                .collect();
            report.suppressed = suppressed.len();
        }
        let scheme = scheme_map(policy, &key)?;
        let map: AddressMap = if suppressed.is_empty() {
            scheme
        } else {
            // A prefix that holds a withheld host is withheld too: it would name the class.
            Box::new(move |n: IpNet| {
                if suppressed.iter().any(|h| n.contains(h)) {
                    None
                } else {
                    scheme(n)
                }
            })
        };
        Ok((
            PushAnonymiser {
                keep,
                map,
                id_namespace: id_namespace(&key),
                sco_values: HashMap::new(),
                unresolved: HashSet::new(),
                collection_id: pending.collection_id.clone(),
            },
            report,
        ))
    }

    /// Looks up the values of the address SCOs `objects` refer to that are not among them
    /// (in this collection of the store); what is found nowhere gets a re-keyed reference.
    pub fn resolve(&mut self, store: &Store, objects: &[Value]) -> anyhow::Result<()> {
        for o in objects {
            if let (Some(id), Some(net)) = (o.get("id").and_then(Value::as_str), address_value(o)) {
                self.sco_values.insert(id.to_string(), net);
            }
        }
        let missing: BTreeSet<String> = objects
            .iter()
            .flat_map(Anonymiser::address_refs)
            .filter(|id| !self.sco_values.contains_key(id) && !self.unresolved.contains(id))
            .collect();
        let missing: Vec<String> = missing.into_iter().collect();
        for chunk in missing.chunks(RESOLVE_CHUNK) {
            let mut q = ObjectQuery::new(&self.collection_id, chunk.len() as u32);
            q.ids = chunk.to_vec();
            q.types = vec!["ipv4-addr".into(), "ipv6-addr".into()];
            let page = store.taxii_query(&q)?;
            for body in page.objects.iter().filter_map(|o| o.body.as_deref()) {
                let Ok(v) = serde_json::from_str::<Value>(body) else {
                    continue;
                };
                if let (Some(id), Some(net)) =
                    (v.get("id").and_then(Value::as_str), address_value(&v))
                {
                    self.sco_values.insert(id.to_string(), net);
                }
            }
            for id in chunk {
                if !self.sco_values.contains_key(id) {
                    self.unresolved.insert(id.clone());
                }
            }
        }
        Ok(())
    }

    /// One object as it is sent.
    pub fn rewrite(&self, object: &Value) -> Rewritten {
        Anonymiser {
            keep: &self.keep,
            map: &*self.map,
            id_namespace: self.id_namespace,
        }
        .rewrite(object, &self.sco_values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_namespaces_differ_per_key_and_are_stable() {
        assert_eq!(id_namespace(&[1; 32]), id_namespace(&[1; 32]));
        assert_ne!(id_namespace(&[1; 32]), id_namespace(&[2; 32]));
    }

    #[test]
    fn generalise_cuts_to_the_policy_prefix_and_never_widens_a_prefix() {
        let p: PeerAnonymise =
            toml::from_str("scheme = \"generalise\"\ngroup = \"g\"\nprefix_v4 = 24")
                .expect("a valid policy");
        let map = scheme_map(&p, &[3; 32]).expect("a map");
        let host: IpNet = "203.0.113.9/32".parse().expect("a prefix");
        assert_eq!(map(host).expect("mapped").to_string(), "203.0.113.0/24");
        let wide: IpNet = "203.0.0.0/16".parse().expect("a prefix");
        assert_eq!(map(wide).expect("mapped").to_string(), "203.0.0.0/16");
    }

    #[test]
    fn cryptopan_keeps_prefixes_shared() {
        let p: PeerAnonymise =
            toml::from_str("scheme = \"cryptopan\"\ngroup = \"g\"").expect("a valid policy");
        let map = scheme_map(&p, &[9; 32]).expect("a map");
        let a = map("203.0.113.9/32".parse().expect("a prefix")).expect("mapped");
        let b = map("203.0.113.200/32".parse().expect("a prefix")).expect("mapped");
        let net = map("203.0.113.0/24".parse().expect("a prefix")).expect("mapped");
        assert!(
            net.contains(&a.addr()) && net.contains(&b.addr()),
            "{a} {b} {net}"
        );
        assert_ne!(a.addr().to_string(), "203.0.113.9");
    }
}
