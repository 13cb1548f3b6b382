//! Rewriting an object before it is shared never panics, and with every address withheld
//! nothing it shares still names a host address (the oracle is the same finder that counts
//! the hosts for k-anonymity); with Crypto-PAn the rewrite is deterministic.
#![no_main]
use std::collections::{BTreeSet, HashMap, HashSet};

use libfuzzer_sys::fuzz_target;
use yamori_intel::anonymise::{Anonymiser, Rewritten};

fuzz_target!(|data: &[u8]| {
    let Ok(obj) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let keep = HashSet::new();
    let none = Anonymiser {
        keep: &keep,
        map: &|_| None,
        id_namespace: uuid::Uuid::nil(),
    };
    if let Rewritten::Shared(out) = none.rewrite(&obj, &HashMap::new()) {
        let mut hosts = BTreeSet::new();
        none.hosts_in(&out, &mut hosts);
        assert!(hosts.is_empty(), "{hosts:?} left in {out}");
    }
    let pan = yamori_trust::CryptoPan::new(&[7; 32]);
    let map = |n: ipnet::IpNet| ipnet::IpNet::new(pan.anonymize(n.addr()), n.prefix_len()).ok();
    let pseudonyms = Anonymiser {
        keep: &keep,
        map: &map,
        id_namespace: uuid::Uuid::nil(),
    };
    assert_eq!(
        pseudonyms.rewrite(&obj, &HashMap::new()),
        pseudonyms.rewrite(&obj, &HashMap::new())
    );
});
