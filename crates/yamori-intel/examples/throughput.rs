//! Throughput of the conversion and of `validate_object` on a synthetic report.
//!
//! `cargo run --release -p yamori-intel --example throughput -- [SOURCES] [OUT.json]`
//! (default 20,000 scanner sources; OUT receives the bundle, e.g. to time stix2-validator on it).

use std::time::Instant;

use yamori_intel::{telescope_bundle, validate_object, OrgIdentity};
use yamori_model::telescope::{PortCount, Report, ScanKind, SourceSummary, Tool, SCHEMA};

fn main() {
    let mut args = std::env::args().skip(1);
    let sources: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let out = args.next();
    let tools = [Tool::Mirai, Tool::Zmap, Tool::Masscan, Tool::Unknown];
    let report = Report {
        schema: SCHEMA.into(),
        last_packet: Some("2026-11-20T06:00:00Z".into()),
        scanners: (0..sources)
            .map(|i| SourceSummary {
                address: std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string(),
                packets: 100 + u64::from(i),
                bytes: 6000,
                first_seen: "2026-11-20T01:00:00.123456Z".into(),
                last_seen: "2026-11-20T05:00:00Z".into(),
                destinations: 150,
                destination_ports: 1,
                top_ports: vec![PortCount {
                    port: 23,
                    packets: 100,
                }],
                ttl_min: 64,
                ttl_max: 64,
                syn_probes: 100,
                fingerprint_matches: Default::default(),
                tool: tools[i as usize % tools.len()],
                scan: Some(ScanKind::Horizontal),
                scanner_windows: vec![],
                country: None,
                asn: None,
                as_org: None,
                location: None,
            })
            .collect(),
        ..Report::default()
    };
    let org = OrgIdentity {
        name: "Bench Org".into(),
        contact_information: None,
    };

    let t = Instant::now();
    let bundle = telescope_bundle(&report, &org).expect("synthetic report converts");
    let convert = t.elapsed();
    let value = serde_json::to_value(&bundle).expect("bundle serialises");
    let bytes = serde_json::to_vec(&value).expect("bundle serialises").len();

    let t = Instant::now();
    let verdict = validate_object(&value);
    let validate = t.elapsed();
    if let Err(issues) = &verdict {
        panic!(
            "generated bundle must validate: {:?}",
            &issues[..issues.len().min(3)]
        );
    }

    let objects = bundle.objects.len() as f64;
    println!(
        "{sources} sources -> {} objects, {:.1} MB JSON",
        bundle.objects.len(),
        bytes as f64 / 1e6
    );
    println!(
        "convert:  {:>8.1} ms  ({:.0} objects/s)",
        convert.as_secs_f64() * 1e3,
        objects / convert.as_secs_f64()
    );
    println!(
        "validate: {:>8.1} ms  ({:.0} objects/s, {:.0} MB/s)",
        validate.as_secs_f64() * 1e3,
        objects / validate.as_secs_f64(),
        bytes as f64 / 1e6 / validate.as_secs_f64()
    );
    if let Some(path) = out {
        std::fs::write(&path, serde_json::to_vec(&value).expect("json")).expect("write bundle");
    }
}
