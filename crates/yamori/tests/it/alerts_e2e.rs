//! `yamori notify --from-telescope`: a generated capture is analysed into the database, and
//! the notices name each operator's scanners with the analysis' own evidence; a warninglisted
//! scanner is left out, a second run within the quiet period reports nothing new, a dry run
//! records nothing. On SQLite and on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::support::*;

const DARKNET: &str = "203.0.113.0/24";
const T0: &str = "2026-12-01T00:00:00Z";

/// `yamori --database <db> …`.
fn y(db: &str) -> Command {
    let mut c = yamori();
    c.args(["--database", db]);
    c
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Analyse `pcap` into `db`; the report and the stored analysis' id.
fn analyze_into(db: &str, pcap: &Path) -> (serde_json::Value, String) {
    let out = run_ok(
        y(db)
            .args(["analyze", "--json", "--darknet", DARKNET])
            .arg(pcap),
        0,
    );
    let report = serde_json::from_slice(&out.stdout).expect("report JSON");
    let (_, err) = text(&out);
    let id = err
        .split("stored as analysis ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no analysis id in: {err}"))
        .to_string();
    (report, id)
}

/// Scanner address → the report's scanner entry.
fn scanners(report: &serde_json::Value) -> BTreeMap<Ipv4Addr, serde_json::Value> {
    report["scanners"]
        .as_array()
        .expect("scanners")
        .iter()
        .filter_map(|s| Some((s["address"].as_str()?.parse().ok()?, s.clone())))
        .collect()
}

fn first_octet(a: &Ipv4Addr) -> u8 {
    a.octets()[0]
}

/// A JSON notice, checked against `schemas/alert-notice.v1.json`.
pub(crate) fn notice(dir: &Path, name: &str) -> serde_json::Value {
    let body = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let n = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/alert-notice.v1.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator.iter_errors(&n).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{name} does not fit the schema: {errors:?}"
    );
    n
}

fn hosts_of(n: &serde_json::Value) -> BTreeSet<Ipv4Addr> {
    n["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| h["address"].as_str().expect("address").parse().expect("v4"))
        .collect()
}

fn alerts_flow(db: &str, dir: &Path, pcap: &Path) {
    let (report, id) = analyze_into(db, pcap);
    let all = scanners(&report);
    assert!(all.len() > 100, "the generated capture has scanners");
    // The busiest /8 goes to the owners file's operator, the next busiest to AS64500 by the
    // ip2asn table; one scanner of the first is on a warninglist of research scanners.
    let mut per_octet: BTreeMap<u8, usize> = BTreeMap::new();
    for a in all.keys() {
        *per_octet.entry(first_octet(a)).or_default() += 1;
    }
    let mut busiest: Vec<(u8, usize)> = per_octet.into_iter().collect();
    busiest.sort_by_key(|&(o, n)| (std::cmp::Reverse(n), o));
    let (own, as_octet) = (busiest[0].0, busiest[1].0);
    assert!(busiest[0].1 >= 2 && busiest[1].1 >= 1, "{busiest:?}");
    let owned: BTreeSet<Ipv4Addr> = all
        .keys()
        .filter(|a| first_octet(a) == own)
        .copied()
        .collect();
    let by_as: BTreeSet<Ipv4Addr> = all
        .keys()
        .filter(|a| first_octet(a) == as_octet)
        .copied()
        .collect();
    let listed = *owned.iter().next_back().expect("owned scanner");

    let owners = dir.join("owners.tsv");
    std::fs::write(
        &owners,
        format!("# operators\n{own}.0.0.0/8\tExample ISP <A>\tabuse@isp.example\tja,en\n"),
    )
    .expect("owners");
    let asn = dir.join("ip2asn.tsv");
    std::fs::write(
        &asn,
        format!("{as_octet}.0.0.0\t{as_octet}.255.255.255\t64500\tJP\tEXAMPLE-TRANSIT Example Transit\n"),
    )
    .expect("asn");
    let list = dir.join("scanners.json");
    std::fs::write(
        &list,
        format!(
            r#"{{"name": "Test scanners", "version": 1, "description": "a research scanner",
                "type": "cidr", "list": ["{listed}/32"], "matching_attributes": ["ip-src"]}}"#
        ),
    )
    .expect("list");
    run_ok(y(db).args(["warninglist", "import"]).arg(&list), 0);

    let notify = |out: &Path, now: &str, extra: &[&str]| {
        let o = run_ok(
            y(db)
                .args(["notify", "--from-telescope", "--format", "text,json,html"])
                .args(["--lang", "both", "--now", now])
                .arg("--owners")
                .arg(&owners)
                .arg("--asn")
                .arg(&asn)
                .arg("--out-dir")
                .arg(out)
                .args(extra),
            0,
        );
        text(&o).0
    };
    let out1 = dir.join("n1");
    let said = notify(&out1, T0, &[]);
    assert!(
        said.contains("1 hosts left out: on warninglist \"Test scanners\""),
        "{said}"
    );
    let isp = notice(&out1, "01-example-isp-a.json");
    let expected: BTreeSet<Ipv4Addr> = owned.iter().filter(|a| **a != listed).copied().collect();
    assert_eq!(hosts_of(&isp), expected);
    assert_eq!(isp["organisation"], "Example ISP <A>");
    assert_eq!(isp["scope"], format!("{own}.0.0.0/8"));
    // Every host's evidence is the analysis' scanner row.
    for h in isp["hosts"].as_array().expect("hosts") {
        let a: Ipv4Addr = h["address"].as_str().expect("address").parse().expect("v4");
        let s = &all[&a];
        let e = &h["evidence"][0];
        assert_eq!(e["sensor"], "telescope");
        assert_eq!(e["analysis"], id.as_str());
        for field in ["packets", "first_seen", "last_seen", "destinations", "tool"] {
            assert_eq!(e[field], s[field], "{a} {field}");
        }
        assert_eq!(e["destination_ports"], s["destination_ports"], "{a}");
        let ports: Vec<&serde_json::Value> =
            s["top_ports"].as_array().expect("ports").iter().collect();
        assert_eq!(e["top_ports"].as_array().expect("ports").len(), ports.len());
        assert_eq!(
            h["likely_infected"],
            s["tool"] == "mirai",
            "{a}: Mirai's fingerprint marks an infected host"
        );
    }
    let transit = notice(&out1, "as64500.json");
    assert_eq!(hosts_of(&transit), by_as);
    assert_eq!(
        transit["organisation"],
        "AS64500 EXAMPLE-TRANSIT Example Transit"
    );
    let unassigned = notice(&out1, "unassigned.json");
    let rest: BTreeSet<Ipv4Addr> = all
        .keys()
        .filter(|a| !owned.contains(a) && !by_as.contains(a))
        .copied()
        .collect();
    assert_eq!(hosts_of(&unassigned), rest);
    for n in [&isp, &transit, &unassigned] {
        assert!(
            !hosts_of(n).contains(&listed),
            "warninglisted host reported"
        );
    }
    let ja = std::fs::read_to_string(out1.join("01-example-isp-a.ja.txt")).expect("ja");
    let en = std::fs::read_to_string(out1.join("01-example-isp-a.en.txt")).expect("en");
    let html = std::fs::read_to_string(out1.join("01-example-isp-a.en.html")).expect("html");
    let first = expected.iter().next().expect("a host");
    assert!(ja.contains("不正な通信を送信しているホストに関するお知らせ"));
    assert!(ja.contains("Example ISP <A> ご担当者様"));
    assert!(ja.contains(&format!("== {first}")));
    assert!(ja.contains("同じホストについては 7 日間、再度お知らせしません"));
    assert!(en.contains("Notice: hosts in your network sending attack traffic"));
    assert!(en.contains(&format!(
        "{} packets to {} addresses",
        all[first]["packets"], all[first]["destinations"]
    )));
    assert!(html.contains("Example ISP &lt;A&gt;"));
    let index = std::fs::read_to_string(out1.join("index.tsv")).expect("index");
    assert!(
        index.contains(&format!(
            "01-example-isp-a.ja.txt\tExample ISP <A>\tabuse@isp.example\t{}\t",
            expected.len()
        )),
        "{index}"
    );
    assert!(index.contains("unassigned.json\t(unassigned)"), "{index}");

    // A day later: the operators' hosts are in their quiet period; only the unassigned
    // report (sent to nobody, so not recorded) comes again.
    let out2 = dir.join("n2");
    let said = notify(&out2, "2026-12-02T00:00:00Z", &[]);
    let quiet = expected.len() + by_as.len();
    assert!(
        said.contains(&format!("{quiet} hosts not repeated: notified within 7d")),
        "{said}"
    );
    assert!(!out2.join("01-example-isp-a.json").exists());
    assert!(!out2.join("as64500.json").exists());
    assert_eq!(hosts_of(&notice(&out2, "unassigned.json")), rest);

    // After the quiet period a dry run reports them again and records nothing: a real run
    // at the same time reports them too.
    let later = "2026-12-08T00:00:01Z";
    let said = notify(&dir.join("n3"), later, &["--dry-run"]);
    assert!(said.contains("dry run: nothing recorded"), "{said}");
    assert_eq!(
        hosts_of(&notice(&dir.join("n3"), "01-example-isp-a.json")),
        expected
    );
    let said = notify(&dir.join("n4"), later, &[]);
    assert!(
        said.contains(&format!("{quiet} hosts recorded as notified")),
        "{said}"
    );
    assert_eq!(
        hosts_of(&notice(&dir.join("n4"), "01-example-isp-a.json")),
        expected
    );
    // Without a quiet period every run reports every host.
    let said = notify(&dir.join("n5"), later, &["--quiet-period", "0"]);
    assert!(!said.contains("not repeated"), "{said}");
    assert_eq!(
        hosts_of(&notice(&dir.join("n5"), "01-example-isp-a.json")),
        expected
    );
}

#[test]
fn telescope_alerts_per_operator_on_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, _) = gen(dir.path(), DARKNET, 10, 7, "s.pcap");
    let lite = dir.path().join("lite");
    std::fs::create_dir_all(&lite).expect("dir");
    alerts_flow(
        lite.join("y.sqlite").to_str().expect("utf-8 path"),
        &lite,
        &pcap,
    );
    let pg = PgDb::create();
    let pg_dir = dir.path().join("pg");
    std::fs::create_dir_all(&pg_dir).expect("dir");
    alerts_flow(&pg.url, &pg_dir, &pcap);
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("y.sqlite");
    let db = db.to_str().expect("utf-8 path");
    let asn = dir.path().join("asn.tsv");
    std::fs::write(&asn, "192.0.2.0\t192.0.2.255\t64500\tJP\tEXAMPLE\n").expect("asn");
    let notify = |extra: &[&str], code: i32| {
        let o = run_ok(
            y(db)
                .args(["notify", "--from-telescope", "--out-dir"])
                .arg(dir.path().join("out"))
                .arg("--asn")
                .arg(&asn)
                .args(extra),
            code,
        );
        text(&o)
    };
    // Nothing analysed yet.
    let (_, err) = notify(&[], 1);
    assert!(err.contains("no analysis is stored"), "{err}");

    // An analysis without scanners: said so, nothing written but the index.
    let empty = dir.path().join("empty.pcap");
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend([0u8; 8]);
    header.extend(65_535u32.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    std::fs::write(&empty, header).expect("pcap");
    let (_, id) = analyze_into(db, &empty);
    let (out, _) = notify(&["--analysis", &id[..10]], 0);
    assert!(
        out.contains("found no scanners: nothing to notify"),
        "{out}"
    );
    let index = std::fs::read_to_string(dir.path().join("out/index.tsv")).expect("index");
    assert_eq!(index, "file\toperator\tcontact\thosts\tlikely_infected\n");

    let (_, err) = notify(&["--analysis", "0123456789ab"], 1);
    assert!(
        err.contains("--analysis \"0123456789ab\": no such analysis") && err.contains(&id[..12]),
        "{err}"
    );
    let owners = dir.path().join("owners.tsv");
    std::fs::write(&owners, "# ok\n192.0.2.0/33\tX\tx@example.jp\n").expect("owners");
    let (_, err) = notify(&["--owners", owners.to_str().expect("utf-8 path")], 1);
    assert!(err.contains("owners file line 2"), "{err}");
    let (_, err) = notify(&["--warninglist", "Nope"], 1);
    assert!(
        err.contains("--warninglist \"Nope\": no such list"),
        "{err}"
    );
    let (_, err) = notify(&["--quiet-period", "7 weeks"], 2);
    assert!(err.contains("--quiet-period"), "{err}");
    // Survey flags and telescope flags do not mix.
    let o = run_ok(
        y(db)
            .args(["notify", "--dry-run", "--out-dir"])
            .arg(dir.path().join("x"))
            .arg("--asn")
            .arg(&asn)
            .arg(&owners),
        1,
    );
    assert!(text(&o)
        .1
        .contains("--dry-run applies to --from-telescope and --from-decoy only"));
    let (_, err) = notify(&["--from-decoy", "--decoy-window", "soon"], 2);
    assert!(err.contains("--decoy-window"), "{err}");
    // A survey file and the sensors' alerts do not mix.
    let o = run_ok(
        y(db)
            .args(["notify", "--from-decoy", "--owners"])
            .arg(&owners)
            .arg(dir.path().join("survey.json")),
        2,
    );
    assert!(text(&o).1.contains("cannot be used with"), "{:?}", text(&o));
}
