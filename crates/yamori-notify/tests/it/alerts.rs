//! Alerts to network operators: telescope scanners become hosts with evidence, warninglisted
//! and recently notified hosts are left out and counted, the rest grouped per operator and
//! rendered in Japanese and English, text, HTML and JSON; decoy evidence renders too.

use std::net::IpAddr;

use yamori_model::telescope::{PortCount, ScanKind, SourceSummary, Tool};
use yamori_notify::alert::{Class, DecoyEvidence, TelescopeEvidence};
use yamori_notify::{
    group_alerts, render_alert, select, telescope_hosts, AlertContext, AlertHost, Evidence,
    FallbackOwner, Format, Lang, Owners,
};

fn scanner(addr: &str, packets: u64, tool: Tool, ports: &[(u16, u64)]) -> SourceSummary {
    SourceSummary {
        address: addr.into(),
        packets,
        bytes: packets * 60,
        first_seen: "2026-11-01T00:03:01Z".into(),
        last_seen: "2026-11-01T00:59:59Z".into(),
        destinations: 256,
        destination_ports: ports.len() as u64,
        top_ports: ports
            .iter()
            .map(|&(port, packets)| PortCount { port, packets })
            .collect(),
        ttl_min: 40,
        ttl_max: 50,
        syn_probes: packets,
        fingerprint_matches: Default::default(),
        tool,
        scan: Some(ScanKind::Horizontal),
        scanner_windows: vec!["2026-11-01T00:00:00Z".into()],
        country: None,
        asn: None,
        as_org: None,
        location: None,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("literal address")
}

/// A JSON notice, checked against `schemas/alert-notice.v1.json`.
fn fits_schema(body: &str) -> serde_json::Value {
    let n: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/alert-notice.v1.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator.iter_errors(&n).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{body}\ndoes not fit the schema: {errors:?}"
    );
    n
}

/// An analysis id (the SHA-256 of its input digests).
const ANALYSIS: &str = "5d41402abc4b2a76b9719d911017c592ae2f6f1b0c0c11e1c3b5b7a9e0f6d2c4";

const OWNERS: &str = "# test owners\n198.51.100.0/24\tExample ISP <A>\tabuse@isp.example\tja\n";

#[test]
fn telescope_alerts_select_group_and_render() {
    let scanners = vec![
        scanner("198.51.100.7", 396, Tool::Mirai, &[(23, 360), (2323, 36)]),
        scanner("198.51.100.8", 120, Tool::Zmap, &[(8080, 120)]),
        scanner("203.0.113.9", 90, Tool::Unknown, &[(445, 90)]),
        scanner("192.0.2.1", 80, Tool::Masscan, &[(22, 80)]),
        scanner("192.0.2.2", 70, Tool::Mirai, &[(23, 70)]),
        scanner("2001:db8::1", 60, Tool::Mirai, &[(23, 60)]),
    ];
    let hosts = telescope_hosts(ANALYSIS, &scanners).expect("hosts");
    assert_eq!(hosts.len(), 6);
    let Evidence::Telescope(t) = &hosts[0].evidence[0] else {
        panic!("telescope evidence: {:?}", hosts[0])
    };
    assert_eq!(
        (t.class, t.packets, t.destination_ports, t.scan.as_deref()),
        (Class::MiraiLike, 396, 2, Some("horizontal"))
    );
    assert_eq!(t.top_ports[1].port, 2323);
    assert!(hosts[0].likely_infected && !hosts[1].likely_infected);

    // 192.0.2.1 is a listed research scanner; 192.0.2.2 was notified recently.
    let sel = select(
        hosts,
        &|a| (a == ip("192.0.2.1")).then(|| "Test scanners".to_string()),
        &|a| a == ip("192.0.2.2"),
    );
    assert_eq!(sel.warninglisted.get("Test scanners"), Some(&1));
    assert_eq!(sel.recently_notified, 1);
    let kept: Vec<&str> = sel.hosts.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(
        kept,
        ["198.51.100.7", "198.51.100.8", "203.0.113.9", "2001:db8::1"]
    );

    let owners = Owners::parse(OWNERS).expect("owners");
    let by_as = |a: IpAddr| {
        (a == ip("203.0.113.9")).then(|| FallbackOwner {
            key: "as64500".into(),
            organisation: "AS64500 Example Transit".into(),
            contact: "abuse contact of AS64500".into(),
            scope: "AS64500".into(),
        })
    };
    let ctx = AlertContext {
        generated_at: "2026-11-02T09:00:00Z".into(),
        quiet_period_secs: 7 * 86_400,
    };
    let notices = group_alerts(sel.hosts, &owners, &by_as, &ctx);
    let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys, ["01-example-isp-a", "as64500", "unassigned"]);
    let isp = &notices[0];
    assert_eq!(isp.languages, [Lang::Ja]);
    assert_eq!(isp.n_likely_infected, 1);
    assert_eq!(isp.hosts.len(), 2);
    assert_eq!(
        (isp.observed_from.as_str(), isp.observed_to.as_str()),
        ("2026-11-01T00:03:01Z", "2026-11-01T00:59:59Z")
    );
    assert!(notices[2].unassigned);
    assert_eq!(notices[2].hosts[0].address, "2001:db8::1");

    let out = render_alert(
        isp,
        &[Lang::Ja, Lang::En],
        &[Format::Text, Format::Html, Format::Json],
    )
    .expect("render");
    let body = |name: &str| {
        &out.iter()
            .find(|r| r.file_name == name)
            .unwrap_or_else(|| panic!("{name} rendered"))
            .body
    };
    let ja = body("01-example-isp-a.ja.txt");
    assert!(ja.contains("Example ISP <A> ご担当者様（abuse@isp.example、対象: 198.51.100.0/24）"));
    assert!(ja.contains("== 198.51.100.7 (感染の疑い) =="), "{ja}");
    assert!(ja.contains("パケット 396、宛先 256 アドレス、宛先ポート 2 種類 (23: 360, 2323: 36)"));
    assert!(ja.contains("判定: Mirai 系ボット"), "{ja}");
    assert!(ja.contains("判定: ZMap による探索"), "{ja}");
    assert!(ja.contains("同じホストについては 7 日間、再度お知らせしません"));
    let en = body("01-example-isp-a.en.txt");
    assert!(en.contains("Between 2026-11-01T00:03:01Z and 2026-11-01T00:59:59Z"));
    assert!(en.contains("1 of these addresses show the mark of Mirai-like malware"));
    assert!(en.contains("396 packets to 256 addresses, 2 distinct ports (23: 360, 2323: 36)"));
    assert!(en.contains("Verdict: ZMap scanning"));
    assert!(en.contains("Ask the user of this address"));
    let html = body("01-example-isp-a.en.html");
    assert!(html.contains("Example ISP &lt;A&gt;") && !html.contains("<A>"));
    assert!(html.contains("198.51.100.7 <span class=\"infected\">likely infected</span>"));
    let json = fits_schema(body("01-example-isp-a.json"));
    assert_eq!(json["schema"], "yamori.alert.notice/1");
    assert_eq!(json["hosts"][0]["address"], "198.51.100.7");
    assert_eq!(json["hosts"][0]["evidence"][0]["sensor"], "telescope");
    assert_eq!(json["hosts"][0]["evidence"][0]["class"], "mirai_like");
    assert_eq!(json["hosts"][0]["evidence"][0]["packets"], 396);
    assert_eq!(json["hosts"][1]["likely_infected"], false);
    assert_eq!(out.len(), 5);
}

#[test]
fn a_stored_source_with_a_bad_address_is_an_error_naming_it() {
    let bad = scanner("not-an-address", 1, Tool::Mirai, &[]);
    let err = TelescopeEvidence::from_source("abc", &bad).expect_err("bad address");
    assert_eq!(
        err.to_string(),
        "analysis abc: source address \"not-an-address\" is not an IP address"
    );
}

#[test]
fn decoy_evidence_renders_cleaned_and_defanged() {
    let decoy = DecoyEvidence::new(
        "2026-11-03T10:00:00Z",
        "2026-11-03T10:05:00Z",
        3,
        &[("root", "xc3511"), ("admin", "<script>x\u{1b}[2J")],
        &["http://198.51.100.99/bins/mirai.arm7"],
    );
    let host = AlertHost::new(ip("192.0.2.44"), vec![Evidence::Decoy(decoy)]);
    assert!(
        host.likely_infected,
        "logins to a decoy mark an infected host"
    );
    let ctx = AlertContext {
        generated_at: "2026-11-04T00:00:00Z".into(),
        quiet_period_secs: 7 * 86_400,
    };
    let notices = group_alerts(vec![host], &Owners::default(), &|_| None, &ctx);
    let out =
        render_alert(&notices[0], &[Lang::En], &[Format::Text, Format::Html]).expect("render");
    let text = &out[0].body;
    assert!(text.contains("Decoy device: 2026-11-03T10:00:00Z - 2026-11-03T10:05:00Z, 3 sessions"));
    assert!(text.contains("Logins tried: root / xc3511, admin / <script>x\u{FFFD}[2J"));
    assert!(text.contains("Downloads attempted: hxxp://198[.]51[.]100[.]99/bins/mirai.arm7"));
    assert!(!text.contains('\u{1b}'));
    assert!(notices[0].observed_from == "2026-11-03T10:00:00Z");
    let json = render_alert(&notices[0], &[], &[Format::Json]).expect("render");
    fits_schema(&json[0].body);
    let html = &out[1].body;
    assert!(
        html.contains("admin &#x2f; &lt;script&gt;x") && !html.contains("<script>"),
        "{html}"
    );
}
