//! The report validates against schemas/telescope-report.v1.json.

use crate::helpers::*;
use yamori_wire::Tcp;

fn schema() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/telescope-report.v1.json"
    );
    let text = std::fs::read_to_string(path).expect("schema file present");
    serde_json::from_str(&text).expect("schema is JSON")
}

#[test]
fn real_report_validates() {
    let mut pkts = sweep(a("198.51.100.1"), T0, 120, 23);
    pkts.extend((0..40u32).map(|i| {
        tcp(
            T0 + u64::from(i) * 2 * SEC,
            a("192.0.2.80"),
            dark(i),
            80,
            1,
            Tcp::RST,
        )
    }));
    pkts.sort_by_key(|p| p.ts_ns);
    let r = analyze(cfg(), &pkts);
    assert_eq!(r.attacks.len(), 1);
    assert_eq!(r.scanners.len(), 1);
    let v = serde_json::to_value(&r).expect("serialise");
    let validator = jsonschema::draft202012::new(&schema()).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema is not vacuous: a wrong schema id is rejected.
    let mut bad = v.clone();
    bad["schema"] = serde_json::json!("something/else");
    assert!(!validator.is_valid(&bad));
    bad = v;
    bad["totals"]["packets"] = serde_json::json!(-1);
    assert!(!validator.is_valid(&bad));
}
