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
use yamori_intel::anonymise::text::full_len;
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
    /// Address SCO id → its value, for the references objects make.
    sco_values: HashMap<String, IpNet>,
    /// Referenced ids found nowhere (or not shareable with this peer): re-keyed.
    unresolved: HashSet<String>,
    collection_id: String,
    /// The last object (store sequence) measured: later ones were not, and wait for the
    /// next push.
    pub through_seq: Option<i64>,
}

/// The k-anonymity of one push's host records (docs/TRUST.md §4).
pub struct AnonymityReport {
    pub hosts: usize,
    pub k: Option<usize>,
    pub min_k: usize,
    pub generalisation: Generalisation,
    /// Hosts withheld because their class was below the minimum (`below_k = "suppress"`), and
    /// the number of those classes.
    pub suppressed: usize,
    pub suppressed_classes: usize,
    /// k before any host was withheld.
    pub k_before: Option<usize>,
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
                "; {} hosts in {} classes below the minimum withheld (k was {})",
                self.suppressed,
                self.suppressed_classes,
                self.k_before.map_or("none".to_string(), |k| k.to_string())
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

/// Refuses prefix lengths a family does not have, and a `generalise` that would share hosts.
fn check_policy(p: &PeerAnonymise) -> anyhow::Result<()> {
    if p.prefix_v4 > 32 || p.prefix_v6 > 128 {
        anyhow::bail!(
            "sharing policy: prefix_v4 = {} / prefix_v6 = {}: IPv4 prefixes are 0–32 bits, IPv6 0–128",
            p.prefix_v4,
            p.prefix_v6
        );
    }
    if p.scheme == AddressScheme::Generalise && (p.prefix_v4 == 32 || p.prefix_v6 == 128) {
        anyhow::bail!(
            "sharing policy: scheme = \"generalise\" with a full-length prefix would share hosts \
             as they are; use a shorter prefix (e.g. prefix_v4 = 24)"
        );
    }
    Ok(())
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
            let (v4, v6) = (p.prefix_v4, p.prefix_v6);
            Box::new(move |n| {
                let cut = if n.addr().is_ipv4() { v4 } else { v6 };
                with_len(n.addr(), n.prefix_len().min(cut))
            })
        }
        AddressScheme::Remove => Box::new(|_| None),
    })
}

/// Calls `f` with each page's objects (parsed, with their store sequence) of `q`, all pages,
/// up to `through_seq` when given.
fn each_page(
    store: &Store,
    mut q: ObjectQuery,
    through_seq: Option<i64>,
    mut f: impl FnMut(Vec<(i64, Value)>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    loop {
        let page = store.taxii_query(&q)?;
        let objects: Vec<(i64, Value)> = page
            .objects
            .iter()
            .filter(|o| through_seq.is_none_or(|t| o.seq <= t))
            .filter_map(|o| Some((o.seq, serde_json::from_str(o.body.as_deref()?).ok()?)))
            .collect();
        let beyond = through_seq.is_some_and(|t| page.objects.iter().any(|o| o.seq > t));
        f(objects)?;
        match page.objects.last() {
            Some(last) if page.more && !beyond => q.after = Some(last.cursor()),
            _ => return Ok(()),
        }
    }
}

/// The most rounds of suppression before a push gives up (each round withholds at least one
/// host, and what it withholds can shrink other classes).
const MAX_ROUNDS: usize = 16;

impl PushAnonymiser {
    /// Prepares a push of the objects `pending` selects (the push's own query) that pass
    /// `shareable`: loads the group key, collects the addresses the collection's shareable
    /// indicators name, and measures the k of the hosts the rewritten objects share — the
    /// objects as they will be sent. Below the policy's minimum it refuses (an error, nothing
    /// sent) or withholds the hosts of the small classes and measures again until none is
    /// left.
    pub fn prepare(
        store: &Store,
        data_dir: &Path,
        policy: &PeerAnonymise,
        pending: &ObjectQuery,
        asn: Option<&AsnDb>,
        shareable: &dyn Fn(&Value) -> bool,
    ) -> anyhow::Result<(PushAnonymiser, AnonymityReport)> {
        check_policy(policy)?;
        let key = super::sharing::load_key(data_dir, &policy.group)?;
        if policy.keep_asn && asn.is_none() {
            anyhow::bail!(
                "the sharing policy groups hosts by AS (keep_asn = true): give an ASN database \
                 with --asn FILE"
            );
        }
        // The last object measured: what arrives later waits for the next push (read without
        // the bodies).
        let mut through_seq: Option<i64> = None;
        let mut seqs = pending.clone();
        seqs.with_body = false;
        loop {
            let page = store.taxii_query(&seqs)?;
            through_seq = page.objects.iter().map(|o| o.seq).chain(through_seq).max();
            match page.objects.last() {
                Some(last) if page.more => seqs.after = Some(last.cursor()),
                _ => break,
            }
        }
        // Every version of every indicator this peer receives (sent now or before; revoked
        // ones too: their patterns go as they are), up to the same point: an address shared
        // in clear in a pattern is never also pseudonymised, which would hand the peer the
        // pair.
        let mut keep = HashSet::new();
        let mut indicators = ObjectQuery::new(&pending.collection_id, 1000);
        indicators.types = vec!["indicator".into()];
        indicators.versions = VersionFilter::all();
        each_page(
            store,
            indicators,
            Some(through_seq.unwrap_or(i64::MIN)),
            |page| {
                for (_, o) in page {
                    if shareable(&o) {
                        keep.extend(indicator_addresses(&o));
                    }
                }
                Ok(())
            },
        )?;
        let generalisation = Generalisation {
            v4_prefix: policy.prefix_v4,
            v6_prefix: policy.prefix_v6,
            keep_asn: policy.keep_asn,
        };
        let record = |addr: IpAddr| HostRecord {
            addr,
            asn: asn.and_then(|db| db.lookup(addr)).map(|(n, _)| n),
        };
        let id_namespace = id_namespace(&key);
        let mut suppressed: HashSet<IpAddr> = HashSet::new();
        let mut suppressed_classes: HashSet<ClassKey> = HashSet::new();
        let mut k_before = None;
        for round in 0..MAX_ROUNDS {
            let scheme = scheme_map(policy, &key)?;
            let withheld = suppressed.clone();
            let map: AddressMap = if withheld.is_empty() {
                scheme
            } else {
                // A prefix that holds a withheld host is withheld too: it would name the class.
                Box::new(move |n: IpNet| {
                    let held = if n.prefix_len() == full_len(n.addr()) {
                        withheld.contains(&n.addr())
                    } else {
                        withheld.iter().any(|h| n.contains(h))
                    };
                    if held {
                        None
                    } else {
                        scheme(n)
                    }
                })
            };
            let mut anon = PushAnonymiser {
                keep: keep.clone(),
                map,
                id_namespace,
                sco_values: HashMap::new(),
                unresolved: HashSet::new(),
                collection_id: pending.collection_id.clone(),
                through_seq,
            };
            let mut hosts: BTreeSet<IpAddr> = BTreeSet::new();
            // Nothing pending: nothing to measure (and nothing that arrives now is sent).
            let bound = Some(through_seq.unwrap_or(i64::MIN));
            each_page(store, pending.clone(), bound, |page| {
                let objects: Vec<Value> = page
                    .into_iter()
                    .map(|(_, o)| o)
                    .filter(|o| shareable(o))
                    .collect();
                anon.resolve(store, &objects, shareable)?;
                for o in &objects {
                    if let Rewritten::Shared(s) = anon.rewrite(o) {
                        hosts.extend(s.hosts);
                    }
                }
                Ok(())
            })?;
            let records: Vec<HostRecord> = hosts.iter().map(|&a| record(a)).collect();
            let measured = Anonymity::measure(&records, &generalisation);
            let below = measured.below(policy.min_k);
            if round == 0 {
                k_before = measured.k;
            }
            let report = AnonymityReport {
                hosts: records.len(),
                k: measured.k,
                min_k: policy.min_k,
                generalisation,
                suppressed: suppressed.len(),
                suppressed_classes: suppressed_classes.len(),
                k_before,
            };
            if below.is_empty() {
                return Ok((anon, report));
            }
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
            for r in &records {
                let class = generalisation.class_of(r);
                if small.contains(&class) {
                    suppressed.insert(r.addr);
                    suppressed_classes.insert(class);
                }
            }
        }
        anyhow::bail!(
            "withholding the hosts of small classes did not reach k = {} in {MAX_ROUNDS} rounds; \
             nothing was sent (share coarser prefixes)",
            policy.min_k
        )
    }

    /// Looks up the values of the address SCOs `objects` refer to that are not among them
    /// (in this collection of the store, and shareable with this peer); what is found nowhere
    /// gets a re-keyed reference.
    pub fn resolve(
        &mut self,
        store: &Store,
        objects: &[Value],
        shareable: &dyn Fn(&Value) -> bool,
    ) -> anyhow::Result<()> {
        for o in objects {
            self.note_sco(o);
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
                if shareable(&v) {
                    self.note_sco(&v);
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

    /// Remembers the value of `o` when it is an address SCO.
    fn note_sco(&mut self, o: &Value) {
        if let (Some(id), Some(net)) = (o.get("id").and_then(Value::as_str), address_value(o)) {
            self.sco_values.insert(id.to_string(), net);
        }
    }

    /// One object as it is sent.
    pub fn rewrite(&self, object: &Value) -> Rewritten {
        Anonymiser::new(&self.keep, &*self.map, self.id_namespace).rewrite(object, &self.sco_values)
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
    fn policies_that_would_share_hosts_or_name_impossible_prefixes_are_refused() {
        let p = |t: &str| -> PeerAnonymise { toml::from_str(t).expect("a valid policy") };
        assert!(check_policy(&p("scheme = \"cryptopan\"\ngroup = \"g\"")).is_ok());
        assert!(check_policy(&p("scheme = \"cryptopan\"\ngroup = \"g\"\nprefix_v4 = 33")).is_err());
        assert!(
            check_policy(&p("scheme = \"cryptopan\"\ngroup = \"g\"\nprefix_v6 = 200")).is_err()
        );
        assert!(
            check_policy(&p("scheme = \"generalise\"\ngroup = \"g\"\nprefix_v4 = 32")).is_err()
        );
        assert!(check_policy(&p("scheme = \"generalise\"\ngroup = \"g\"\nprefix_v4 = 16")).is_ok());
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
