//! `yamori_trust::WarningList::from_json` reads lists fetched from the public repository or
//! given by an operator: it must never panic, and a list it accepts must index and match
//! without panicking (values taken from the input itself, so matches happen).
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_trust::warninglist::{Entries, WarningList, Warninglists};

fuzz_target!(|data: &[u8]| {
    let Ok(list) = WarningList::from_json(data, "fuzz") else {
        return;
    };
    let probes: Vec<String> = match &list.entries {
        Entries::Networks(n) => n.iter().take(8).map(|n| n.to_string()).collect(),
        Entries::Texts(t) => t.iter().take(8).cloned().collect(),
    };
    if let Ok(all) = Warninglists::new([list]) {
        for p in &probes {
            let _ = all.match_value(p);
            let _ = all.match_value(&format!("www.{p}"));
        }
    }
});
