//! The correlation's value extraction never panics: any pattern the grammar accepts gives
//! named values, every value any object names is canonical (reading its own text back gives
//! the same key), and every lookup of a guessed value includes the value's own key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_intel::observables::{of_object, Observable, MAX_VALUES_PER_OBJECT};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(o) = Observable::guess(text) {
        let keys = o.lookup_keys();
        let own = keys.exact.contains(&o.key)
            || keys.within.as_ref().is_some_and(|(lo, hi)| lo <= &o.key && &o.key <= hi);
        assert!(own, "{o:?} is not found by its own lookup");
    }
    let _ = yamori_intel::validate::pattern::named_values(text);
    let obj = serde_json::json!({"type": "indicator", "pattern": text});
    let found = of_object(&obj);
    assert!(found.values.len() <= MAX_VALUES_PER_OBJECT);
    for v in found.values {
        let again = Observable::new(v.kind, &v.value).expect("a canonical value reads back");
        assert_eq!(again.key, v.key);
    }
});
