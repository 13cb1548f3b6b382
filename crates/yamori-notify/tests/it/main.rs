//! Integration tests for yamori-notify: owners file, grouping by owner, rendering (escaping,
//! languages), on a survey fixture annotated with the vulnerability crate's fixtures; alerts
//! from telescope evidence in `alerts`.

mod alerts;

use std::io::BufReader;
use std::path::{Path, PathBuf};

use yamori_model::survey::SurveyResult;
use yamori_notify::{group, group_with, render, FallbackOwner, Format, Lang, Owners};
use yamori_vuln::feed::read_feed;
use yamori_vuln::{annotate, MemoryVulnDb};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The vulnerability crate's NVD, KEV and OSV fixtures, in memory.
fn fixture_db() -> MemoryVulnDb {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../yamori-vuln/tests/fixtures");
    let mut db = MemoryVulnDb::default();
    for rel in [
        "nvd/cves.json",
        "kev.json",
        "osv/ALPINE-CVE-2020-36254.json",
    ] {
        let f = std::fs::File::open(dir.join(rel)).expect("fixture exists");
        read_feed(BufReader::new(f), &mut |item| {
            db.add(item);
            Ok(())
        })
        .expect("fixture reads");
    }
    db
}

fn owners() -> Owners {
    let text = std::fs::read_to_string(fixture("owners.tsv")).expect("owners fixture");
    Owners::parse(&text).expect("owners fixture parses")
}

fn annotated_survey() -> SurveyResult {
    let text = std::fs::read_to_string(fixture("survey.json")).expect("survey fixture");
    let mut r: SurveyResult = serde_json::from_str(&text).expect("survey fixture parses");
    let Ok(_) = annotate(&mut r, &fixture_db());
    r
}

#[test]
fn owners_file_longest_prefix_and_comments() {
    let o = owners();
    assert_eq!(o.entries.len(), 3);
    let who = |a: &str| {
        o.owner_of(a.parse().expect("literal address"))
            .map(|x| x.organisation.as_str())
    };
    assert_eq!(who("198.51.100.10"), Some("Example ISP <A>"));
    assert_eq!(
        who("198.51.100.20"),
        Some("Example Camera Co"),
        "the /28 wins"
    );
    assert_eq!(who("198.51.100.32"), Some("Example ISP <A>"));
    assert_eq!(who("203.0.113.5"), None);
    assert_eq!(o.entries[1].languages, [Lang::En]);
    assert_eq!(o.entries[2].languages, [Lang::Ja, Lang::En]);
}

#[test]
fn owners_file_errors_name_the_line() {
    let cases = [
        ("# c\nnot-a-prefix\tOrg\tc@x\n", 2, "not a CIDR"),
        ("10.0.0.0/8\tOrg\n", 1, "columns"),
        ("10.0.0.0/8\tOrg\tc@x\tfr\n", 1, "language"),
        ("10.0.0.0/8\tA\tc@x\n10.0.0.0/8\tB\tc@x\n", 2, "twice"),
        ("10.0.0.0/8\t\tc@x\n", 1, "empty organisation"),
    ];
    for (text, line, what) in cases {
        let e = Owners::parse(text).expect_err("malformed owners file");
        assert_eq!(e.line, line, "{text:?}");
        assert!(e.reason.contains(what), "{text:?}: {}", e.reason);
    }
    // A bare address is a /32; CRLF line ends are accepted.
    let o = Owners::parse("192.0.2.7\tOne\tc@x\ten\r\n").expect("bare address");
    assert_eq!(o.entries[0].prefix.to_string(), "192.0.2.7/32");
}

#[test]
fn findings_are_grouped_per_owner_with_unassigned_last() {
    let notices = group(&annotated_survey(), &owners());
    let summary: Vec<(&str, Vec<&str>)> = notices
        .iter()
        .map(|n| {
            (
                n.key.as_str(),
                n.hosts.iter().map(|h| h.address.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("01-example-isp-a", vec!["198.51.100.10"]),
            (
                "02-example-camera-co",
                vec!["198.51.100.20", "198.51.100.21"]
            ),
            ("unassigned", vec!["203.0.113.5"]),
        ],
        "198.51.100.30 has no finding; Nobody Found has no host"
    );
    let isp = &notices[0];
    assert_eq!((isp.n_weak, isp.n_kev, isp.n_vulnerable), (1, 1, 1));
    let f = &isp.hosts[0].findings[0];
    assert_eq!(f.weak_credential, "root / xc****");
    assert_eq!(f.vulnerabilities[0].id, "CVE-2017-17215");
    assert!(f.vulnerabilities[0].kev);
    let cams = &notices[1];
    let unknown = &cams.hosts[1].findings[0].vulnerabilities[0];
    assert_eq!(
        (unknown.id.as_str(), unknown.certainty.as_str()),
        ("CVE-2021-36260", "unknown"),
        "a version holding markup is not comparable"
    );
    assert_eq!(notices[2].languages, [Lang::Ja, Lang::En]);
}

#[test]
fn hosts_outside_the_owners_file_go_to_their_autonomous_system() {
    // 203.0.113.0/24 is "AS64500" here; everything else is unknown to the fallback.
    let by_asn = |ip: std::net::IpAddr| {
        let inside = matches!(ip, std::net::IpAddr::V4(a) if a.octets()[..3] == [203, 0, 113]);
        inside.then(|| FallbackOwner {
            key: "as64500".into(),
            organisation: "AS64500 Example Transit".into(),
            contact: "abuse@transit.example".into(),
            scope: "AS64500".into(),
        })
    };
    let notices = group_with(&annotated_survey(), &owners(), &by_asn);
    let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        ["01-example-isp-a", "02-example-camera-co", "as64500"],
        "the owners file wins; the AS takes the rest; nothing is unassigned"
    );
    let by_as = &notices[2];
    assert!(!by_as.unassigned);
    assert_eq!(by_as.prefix, "AS64500");
    assert_eq!(by_as.hosts[0].address, "203.0.113.5");
    // Without an owners file every host with findings goes to its AS, or is unassigned.
    let only_asn = group_with(&annotated_survey(), &Owners::default(), &by_asn);
    assert_eq!(only_asn.len(), 2);
    assert_eq!(only_asn[0].key, "as64500");
    assert!(only_asn[1].unassigned);
}

#[test]
fn rendered_notices_escape_banners_and_speak_the_language() {
    let notices = group(&annotated_survey(), &owners());
    for n in &notices {
        let out = render(
            &n.clone(),
            &[Lang::Ja, Lang::En],
            &[Format::Html, Format::Text, Format::Json],
        )
        .expect("templates render");
        assert_eq!(out.len(), 5);
        for r in &out {
            assert!(r.file_name.starts_with(&n.key), "{}", r.file_name);
            assert!(
                !r.body.contains('\u{1b}'),
                "no terminal escapes in {}",
                r.file_name
            );
            if r.format == Format::Html {
                assert!(
                    !r.body.contains("<script"),
                    "unescaped script in {}",
                    r.file_name
                );
                assert!(!r.body.contains("<img"), "unescaped img in {}", r.file_name);
                assert!(
                    !r.body.contains("<A>"),
                    "unescaped owner name in {}",
                    r.file_name
                );
            }
            match r.lang {
                Some(Lang::Ja) => assert!(r.body.contains("IoT機器のセキュリティに関するお知らせ")),
                Some(Lang::En) => assert!(r.body.contains("Security notice about IoT devices")),
                None => {
                    assert_eq!(r.file_name, format!("{}.json", n.key));
                    let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
                    assert_eq!(v["hosts"].as_array().map(Vec::len), Some(n.hosts.len()));
                    assert_eq!(v["organisation"], n.organisation.as_str());
                }
            }
        }
    }
    let cams = render(&notices[1], &[Lang::En], &[Format::Html]).expect("render");
    let html = &cams[0].body;
    assert!(
        html.contains("&lt;script&gt;alert("),
        "banner shown, escaped"
    );
    assert!(html.contains("198.51.100.20") && html.contains("198.51.100.21"));
    assert!(!html.contains("198.51.100.10"), "another owner's host");
    assert!(html.contains("CVE-2021-36260 <span class=\"kev\">KEV</span>"));
    assert!(html.contains("Update the firmware"));
    assert!(html.contains("to check (version unknown)"));
    let isp = render(&notices[0], &[Lang::Ja], &[Format::Text]).expect("render");
    let text = &isp[0].body;
    assert!(text.contains("root / xc****"));
    assert!(text.contains("ID・パスワードを、推測されにくい固有のものに変更してください。"));
    assert!(text.contains("CVE-2017-17215 [KEV] CVSS 8.8 HIGH"));
    assert!(
        text.contains("Example ISP <A>"),
        "plain text is not HTML-escaped"
    );
    assert!(text.contains("このポートを機器またはルーターの設定で閉じてください"));
}

/// The self-check report (`yamori check`): every device listed, the ones with problems first,
/// each problem with its advice, in both languages, HTML escaped.
#[test]
fn check_report_lists_devices_problems_first_with_advice() {
    use yamori_notify::{check_report, lang_of_locale, render_check};
    let mut r = annotated_survey();
    // An anonymous FTP server on the quiet host, and markup in a banner-derived device name.
    let quiet = r
        .hosts
        .iter_mut()
        .find(|h| h.address.to_string() == "198.51.100.30")
        .expect("fixture host");
    quiet.services[0]
        .fields
        .insert("ftp_anonymous".into(), "true".into());
    // Device-derived text with markup (a user name the daemon accepted).
    let mut odd = r.hosts[0].services[0]
        .weak_credential
        .clone()
        .expect("fixture's weak credential");
    odd.username = "<script>x</script>".into();
    let last = r.hosts.len() - 1;
    r.hosts[last].services[0].weak_credential = Some(odd);
    let report = check_report(&r, &["198.51.100.0/24 (eth0)".to_string()]);
    let order: Vec<&str> = report.devices.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(report.devices.len(), r.hosts.len());
    // Problems first (address order), then the rest.
    let first_ok = report
        .devices
        .iter()
        .position(|d| d.findings.is_empty() && d.anonymous_ftp.is_empty())
        .unwrap_or(report.devices.len());
    assert_eq!(first_ok, report.n_problem, "{order:?}");
    assert_eq!(report.n_weak, 2);
    let weak = &report.devices[0];
    assert_eq!(weak.address, "198.51.100.10");
    assert!(weak.services.contains("23/tcp telnet"), "{}", weak.services);

    let en = render_check(&report, Lang::En, Format::Text).expect("renders");
    assert!(en.contains("== 198.51.100.10"), "{en}");
    assert!(
        en.contains("guessable ID and password logged in (root / xc****)"),
        "{en}"
    );
    assert!(en.contains("What to do: change the password"), "{en}");
    assert!(en.contains("anyone can log in to this FTP server"), "{en}");
    assert!(
        en.contains(&format!(
            "devices that need attention: {}",
            report.n_problem
        )),
        "{en}"
    );
    let ja = render_check(&report, Lang::Ja, Format::Text).expect("renders");
    assert!(
        ja.contains("推測されやすいID・パスワード（root / xc****）"),
        "{ja}"
    );
    assert!(ja.contains("対処: 機器の設定画面でパスワードを"), "{ja}");
    let html = render_check(&report, Lang::En, Format::Html).expect("renders");
    assert!(html.contains("<h2>198.51.100.10"), "{html}");
    assert!(
        html.contains("&lt;script&gt;x&lt;&#x2f;script&gt;"),
        "escaped: {html}"
    );
    assert!(!html.contains("<script>"), "{html}");

    assert_eq!(lang_of_locale(Some("ja_JP.UTF-8")), Lang::Ja);
    assert_eq!(lang_of_locale(Some("C.UTF-8")), Lang::En);
    assert_eq!(lang_of_locale(None), Lang::En);
}
