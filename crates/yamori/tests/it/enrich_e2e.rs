//! `yamori analyze --geoip FILE.mmdb --asn FILE`: databases the test writes itself (an MMDB
//! with our writer, read through the `maxminddb` crate; an iptoasn TSV), assigned to the
//! generated top sources, must show up in the report's sources and country/ASN tables.
use std::io::Write;

use crate::support::*;

const DARKNET: &str = "203.0.113.0/24";

#[test]
fn countries_and_asns_come_from_the_given_databases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 10, 13, "g.pcap");
    let data = dir.path().join("data");
    let plain = analyze(&data, DARKNET, &[&pcap], &["--no-store"], 0);
    let top: Vec<String> = plain["top_sources"]
        .as_array()
        .expect("top sources")
        .iter()
        .take(3)
        .map(|s| s["address"].as_str().expect("address").to_string())
        .collect();
    assert_eq!(top.len(), 3);

    // JP for the first two top sources, BR for the third.
    let mmdb = dir.path().join("geo.mmdb");
    let mut w = yamori_enrich::MmdbWriter::new("Yamori-Test-City", "written by the test");
    for (i, a) in top.iter().enumerate() {
        let cc = if i < 2 { "JP" } else { "BR" };
        w.insert(
            format!("{a}/32").parse().expect("net"),
            yamori_enrich::MmdbRecord {
                country: Some(cc.into()),
                latitude: Some(35.0),
                longitude: Some(139.0),
                ..Default::default()
            },
        );
    }
    w.write(std::fs::File::create(&mmdb).expect("create"))
        .expect("write mmdb");
    let tsv = dir.path().join("ip2asn.tsv");
    let mut f = std::fs::File::create(&tsv).expect("create");
    writeln!(f, "{}\t{}\t64500\tJP\tEXAMPLE-NET", top[0], top[0]).expect("write");

    let r = analyze(
        &data,
        DARKNET,
        &[&pcap],
        &[
            "--no-store",
            "--geoip",
            mmdb.to_str().expect("utf8"),
            "--asn",
            tsv.to_str().expect("utf8"),
        ],
        0,
    );
    let src = |a: &str| {
        r["top_sources"]
            .as_array()
            .expect("top")
            .iter()
            .find(|s| s["address"] == a)
            .cloned()
            .expect("source present")
    };
    assert_eq!(src(&top[0])["country"], "JP");
    assert_eq!(src(&top[0])["asn"], 64500);
    assert_eq!(src(&top[0])["as_org"], "EXAMPLE-NET");
    assert_eq!(src(&top[2])["country"], "BR");
    assert!(src(&top[1])["asn"].is_null());

    let countries = r["top_countries"].as_array().expect("countries");
    let jp = countries.iter().find(|c| c["key"] == "JP").expect("JP row");
    let want: u64 = top[..2]
        .iter()
        .map(|a| src(a)["packets"].as_u64().expect("packets"))
        .sum();
    assert_eq!(
        jp["packets"].as_u64(),
        Some(want),
        "JP packets = its two sources' packets"
    );
    assert_eq!(jp["sources"].as_u64(), Some(2));
    let asns = r["top_asns"].as_array().expect("asns");
    assert_eq!(asns.len(), 1);
    assert_eq!(asns[0]["key"], "64500");

    // A damaged database is a clear error naming the file, not a panic.
    let bad = dir.path().join("bad.mmdb");
    std::fs::write(&bad, b"garbage").expect("write");
    let out = run_ok(
        yamori()
            .args(["analyze", "--no-store", "--darknet", DARKNET, "--geoip"])
            .arg(&bad)
            .arg(&pcap),
        1,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.mmdb"));
}
