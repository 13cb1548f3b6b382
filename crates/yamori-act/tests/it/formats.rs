//! Selection, determinism and the formats checked by parsing them back (CSV, text, STIX,
//! Suricata, the MISP feed's files; PyMISP loads the feed in tests/interop/test_exports.py).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use yamori_act::{Format, Options, Written};

use crate::fixtures::{export, indicator, options, select, standard};

const ALL: [Format; 6] = [
    Format::Nftables,
    Format::Ipset,
    Format::Rpz,
    Format::Csv,
    Format::Txt,
    Format::Stix,
];

#[test]
fn skipped_indicators_are_counted_with_their_reasons() {
    let (entries, selected, skips) = select(&standard());
    assert_eq!(selected.by_id().len(), 6, "{selected:?}");
    assert_eq!(entries.len(), 7);
    let kinds: BTreeMap<&str, u64> = skips.by_kind.clone();
    assert_eq!(
        kinds,
        BTreeMap::from([("expired", 1), ("score", 1), ("tlp", 1), ("value", 3)])
    );
    let reason = |n: u32| {
        let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
        skips
            .listed
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason(8).contains("TLP:RED"), "{}", reason(8));
    assert!(
        reason(10).contains("IPv6 value in an ipv4-addr"),
        "{}",
        reason(10)
    );
    assert!(reason(11).contains("not allowed"), "{}", reason(11));
    assert!(reason(12).contains("host bits"), "{}", reason(12));
}

#[test]
fn red_is_exported_only_when_asked_and_unmarked_counts_as_amber() {
    let objects = [
        indicator(
            1,
            "[ipv4-addr:value = '198.51.100.1']",
            json!({"object_marking_refs": null}),
        ),
        indicator(
            2,
            "[ipv4-addr:value = '198.51.100.2']",
            json!({"object_marking_refs": [yamori_intel::markings::Tlp2::Red.id()]}),
        ),
    ];
    let pick = |max: yamori_act::Tlp| {
        let mut c = crate::fixtures::criteria();
        c.max_tlp = max;
        let mut s = yamori_act::Selection::new(c, &yamori_act::ConfidenceScore, false);
        objects.iter().for_each(|o| s.push(o));
        s.finish().indicators
    };
    assert_eq!(pick(yamori_act::Tlp::Green), 0);
    assert_eq!(pick(yamori_act::Tlp::Amber), 1);
    assert_eq!(pick(yamori_act::Tlp::Red), 2);
}

#[test]
fn same_inputs_give_the_same_bytes_in_any_order() {
    let objects = standard();
    let mut reversed = objects.clone();
    reversed.reverse();
    for format in ALL {
        let (a, _) = export(format, &objects);
        let (b, _) = export(format, &reversed);
        assert_eq!(a, b, "{format:?} depends on input order");
        assert!(!a.is_empty());
    }
    let dir_a = tempfile::tempdir().expect("dir");
    let dir_b = tempfile::tempdir().expect("dir");
    for format in [Format::MispFeed, Format::Suricata] {
        let (ea, _, _) = select(&objects);
        let (eb, _, _) = select(&reversed);
        let wa = yamori_act::write_dir(format, &ea, &options(), dir_a.path()).expect("a");
        let wb = yamori_act::write_dir(format, &eb, &options(), dir_b.path()).expect("b");
        assert_eq!(wa.files, wb.files);
        for f in &wa.files {
            let read = |d: &std::path::Path| std::fs::read(d.join(f)).expect("file");
            assert_eq!(
                read(dir_a.path()),
                read(dir_b.path()),
                "{format:?} {f} differs"
            );
        }
    }
}

#[test]
fn csv_txt_and_stix_parse_back() {
    let (text, _) = export(Format::Csv, &standard());
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[0][0], "ipv4-addr");
    assert_eq!(&rows[0][1], "198.51.100.7");
    assert_eq!(&rows[0][4], "TLP:GREEN");
    assert_eq!(&rows[0][5], "2026-12-11T00:00:00Z");

    let (text, _) = export(Format::Txt, &standard());
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "198.51.100.7",
            "203.0.113.0/25",
            "203.0.113.128/25",
            "203.0.113.200",
            "2001:db8::7",
            "listed.test",
            "http://malware.test:8080/x.sh",
        ]
    );

    let (text, _) = export(Format::Stix, &standard());
    let bundle: Value = serde_json::from_str(&text).expect("bundle JSON");
    yamori_intel::validate_object(&bundle).expect("a valid STIX bundle");
    assert_eq!(bundle["objects"].as_array().map(Vec::len), Some(6));
}

fn write_dir(format: Format, objects: &[String], opts: &Options) -> (tempfile::TempDir, Written) {
    let dir = tempfile::tempdir().expect("dir");
    let (entries, _, _) = select(objects);
    let written = yamori_act::write_dir(format, &entries, opts, dir.path()).expect("write");
    (dir, written)
}

#[test]
fn suricata_files_follow_the_reputation_and_rule_grammar() {
    let (dir, written) = write_dir(Format::Suricata, &standard(), &options());
    let categories = std::fs::read_to_string(dir.path().join("categories.txt")).expect("cats");
    assert_eq!(
        categories,
        "1,yamori_block,Yamori list from collection telescope\n"
    );
    let list = std::fs::read_to_string(dir.path().join("yamori_block.list")).expect("list");
    for line in list.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert!(fields[0].parse::<ipnet::IpNet>().is_ok(), "{line}");
        assert_eq!(fields[1], "1");
        let rep: u8 = fields[2].parse().expect("reputation");
        assert!((1..=127).contains(&rep), "{line}");
    }
    assert!(
        list.contains("198.51.100.7/32,1,102\n"),
        "confidence 80 → 102:\n{list}"
    );
    let rules = std::fs::read_to_string(dir.path().join("yamori_block.rules")).expect("rules");
    let mut sids = Vec::new();
    for rule in rules.lines() {
        assert!(rule.starts_with("alert ") && rule.ends_with(";)"), "{rule}");
        let sid: u32 = rule
            .split("sid:")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .and_then(|s| s.parse().ok())
            .expect("sid");
        assert!((yamori_act::write::SID_FIRST..=yamori_act::write::SID_LAST).contains(&sid));
        sids.push(sid);
    }
    assert_eq!(sids.len(), 4, "two iprep rules, two domains:\n{rules}");
    assert!(
        rules.contains("content:\".malware.test\"; nocase; endswith;"),
        "{rules}"
    );
    assert_eq!(written.counts["domain_rules"], 2);
}

#[test]
fn misp_feed_files_and_hashes() {
    let (dir, written) = write_dir(Format::MispFeed, &standard(), &options());
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let events = manifest.as_object().expect("object");
    // One event per day of modification: all fixtures were modified on 2026-11-21.
    assert_eq!(events.len(), 1);
    let (uuid, meta) = events.iter().next().expect("one event");
    assert_eq!(meta["date"], "2026-11-21");
    assert_eq!(meta["Tag"][0]["name"], "tlp:green");
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("{uuid}.json"))).expect("event"),
    )
    .expect("event JSON");
    let attributes = event["Event"]["Attribute"].as_array().expect("attributes");
    assert_eq!(attributes.len(), 7);
    let hashes = std::fs::read_to_string(dir.path().join("hashes.csv")).expect("hashes");
    assert_eq!(hashes.lines().count(), 7);
    // md5("198.51.100.7")
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(b"198.51.100.7"));
    assert!(hashes.contains(&format!("{md5},{uuid}\n")), "{hashes}");
    assert_eq!(written.counts["events"], 1);
    // A later export without that day's indicators removes the stale event file.
    let later = vec![indicator(
        30,
        "[ipv4-addr:value = '192.0.2.30']",
        json!({"modified": "2026-11-25T00:00:00.000Z"}),
    )];
    let (entries, _, _) = select(&later);
    yamori_act::write_dir(Format::MispFeed, &entries, &options(), dir.path()).expect("again");
    assert!(!dir.path().join(format!("{uuid}.json")).exists());
}
