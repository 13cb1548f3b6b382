use yamori_model::survey::{DeviceId, Host, Protocol, Service, SurveyResult, Transport};
use yamori_vuln::annotate::matches_for;
use yamori_vuln::cpe::{Component, Cpe, Part};
use yamori_vuln::identity::IdentityCpe;
use yamori_vuln::{annotate, Certainty, Identity, VulnMatch};

use super::fixture_db;

fn device(vendor: &str, product: &str, version: Option<&str>, cpe: Option<&str>) -> Service {
    let mut s = Service::new(80, Transport::Tcp, Protocol::Http);
    s.device = Some(DeviceId {
        vendor: vendor.into(),
        product: product.into(),
        version: version.map(Into::into),
        device_type: "camera".into(),
        cpe: cpe.map(Into::into),
        rule_id: "test".into(),
    });
    s
}

fn matches(s: &Service) -> Vec<VulnMatch> {
    let db = fixture_db();
    let Ok(v) = matches_for(&Identity::of_service(s), &db);
    v
}

fn ids(v: &[VulnMatch]) -> Vec<(&str, Certainty)> {
    v.iter().map(|m| (m.id.as_str(), m.certainty)).collect()
}

#[test]
fn hg532_firmware_and_hardware_and_node() {
    let s = device(
        "Huawei",
        "HG532",
        Some("V100R001C80B010"),
        Some("cpe:2.3:h:huawei:hg532:*:*:*:*:*:*:*:*"),
    );
    let v = matches(&s);
    assert_eq!(ids(&v), [("CVE-2017-17215", Certainty::Affected)]);
    let m = &v[0];
    assert_eq!(m.rule.configuration, 0);
    assert_eq!(m.rule.node, 0);
    assert_eq!(
        m.rule.criteria,
        "cpe:2.3:o:huawei:hg532_firmware:-:*:*:*:*:*:*:*"
    );
    assert_eq!(m.rule.range, "all versions (NVD version `-`)");
    assert!(
        m.rule
            .device_cpe
            .contains("o:huawei:hg532_firmware:v100r001c80b010"),
        "{}",
        m.rule.device_cpe
    );
    assert!(m.rule.device_cpe.ends_with("(derived)"));
    assert_eq!(m.platform.len(), 1);
    assert_eq!(m.platform[0].node, 1);
    assert_eq!(
        m.platform[0].criteria,
        "cpe:2.3:h:huawei:hg532:-:*:*:*:*:*:*:*"
    );
    let kev = m.kev.as_ref().expect("HG532 CVE is in KEV");
    assert_eq!(kev.date_added, "2022-03-15");
}

#[test]
fn firmware_alone_does_not_satisfy_the_and_node() {
    let mut only_fw = Identity::default();
    only_fw.cpes.push(IdentityCpe {
        cpe: Cpe::identity(
            Part::OperatingSystem,
            "huawei",
            "hg532_firmware",
            Component::literal("1.0"),
        ),
        origin: "test",
        package: None,
    });
    let Ok(v) = matches_for(&only_fw, &fixture_db());
    assert!(v.is_empty(), "{v:?}");
    // The same firmware CPE through from_cpe derives the hardware and matches.
    let id = Identity::from_cpe(
        "cpe:2.3:o:huawei:hg532_firmware:*:*:*:*:*:*:*:*",
        Some("1.0"),
    )
    .expect("valid CPE");
    let Ok(v) = matches_for(&id, &fixture_db());
    assert_eq!(ids(&v), [("CVE-2017-17215", Certainty::Affected)]);
}

#[test]
fn hikvision_version_end_excluding_boundary() {
    let cam = |ver: Option<&str>| device("Hikvision", "DS-2CD2026G2-IU/SL", ver, None);
    let v = matches(&cam(Some("V5.5.0 build 170725")));
    assert_eq!(ids(&v), [("CVE-2021-36260", Certainty::Affected)]);
    assert_eq!(v[0].rule.range, "< 5.5.800");
    assert_eq!(v[0].rule.configuration, 0);
    assert_eq!(
        v[0].cvss.as_ref().map(|c| c.score.to_string()).as_deref(),
        Some("9.8")
    );
    assert!(v[0].kev.is_some());
    assert_eq!(
        ids(&matches(&cam(Some("5.5.799")))),
        [("CVE-2021-36260", Certainty::Affected)]
    );
    assert!(
        matches(&cam(Some("5.5.800"))).is_empty(),
        "end is exclusive"
    );
    assert!(matches(&cam(Some("V5.6.0"))).is_empty());
    // Unparsable and missing versions are unknown, never guessed.
    let u = matches(&cam(Some("build-unknown")));
    assert_eq!(ids(&u), [("CVE-2021-36260", Certainty::Unknown)]);
    assert!(u[0]
        .unknown_reason
        .as_deref()
        .unwrap_or_default()
        .contains("not comparable"));
    let n = matches(&cam(None));
    assert_eq!(ids(&n), [("CVE-2021-36260", Certainty::Unknown)]);
    assert!(n[0]
        .unknown_reason
        .as_deref()
        .unwrap_or_default()
        .contains("device version unknown"));
}

#[test]
fn inclusive_range_on_second_configuration() {
    let cam = |ver: &str| device("Hikvision", "DS-2CD2T46G2-2I", Some(ver), None);
    for (ver, hit) in [
        ("5.4.9", false),
        ("5.5.0", true),
        ("5.5.600", true),
        ("5.5.601", false),
    ] {
        let v = matches(&cam(ver));
        assert_eq!(!v.is_empty(), hit, "version {ver}");
        if hit {
            assert_eq!(v[0].rule.configuration, 1);
            assert_eq!(v[0].rule.range, ">= 5.5.0, <= 5.5.600");
        }
    }
    // Another model of the same vendor matches nothing.
    assert!(matches(&device("Hikvision", "DS-7608NI", Some("5.5.0"), None)).is_empty());
}

#[test]
fn exact_version_criteria() {
    let cam = |ver: Option<&str>| {
        device(
            "ExampleVendor",
            "CAM100",
            ver,
            Some("cpe:/h:examplevendor:cam100"),
        )
    };
    assert_eq!(
        ids(&matches(&cam(Some("2.1.0")))),
        [("CVE-2000-0001", Certainty::Affected)]
    );
    assert_eq!(
        ids(&matches(&cam(Some("2.1")))),
        [("CVE-2000-0001", Certainty::Affected)]
    );
    assert!(matches(&cam(Some("2.1.1"))).is_empty());
    assert_eq!(
        ids(&matches(&cam(None))),
        [("CVE-2000-0001", Certainty::Unknown)]
    );
    assert_eq!(matches(&cam(Some("2.1.0")))[0].rule.range, "= 2.1.0");
}

#[test]
fn ssh_banner_software_matches_nvd_and_osv() {
    let ssh = |banner: &str| {
        let mut s = Service::new(22, Transport::Tcp, Protocol::Ssh);
        s.fields.insert("ssh_version".into(), banner.into());
        s
    };
    let old = matches(&ssh("SSH-2.0-dropbear_2015.71"));
    assert_eq!(
        ids(&old),
        [
            ("ALPINE-CVE-2020-36254", Certainty::Affected),
            ("CVE-2016-7406", Certainty::Affected)
        ]
    );
    let osv = old.iter().find(|m| m.source == "osv").expect("OSV match");
    assert_eq!(osv.rule.criteria, "Alpine:v3.13/dropbear");
    assert_eq!(osv.rule.range, "< 2020.79");
    assert_eq!(
        ids(&matches(&ssh("SSH-2.0-dropbear_2019.78"))),
        [("ALPINE-CVE-2020-36254", Certainty::Affected)]
    );
    assert!(matches(&ssh("SSH-2.0-dropbear_2020.79")).is_empty());
    assert!(matches(&ssh("SSH-2.0-OpenSSH_9.6")).is_empty());
}

#[test]
fn annotate_orders_kev_first_then_cvss_and_round_trips() {
    let mut s = device("Huawei", "HG532", Some("1.0"), None);
    s.fields
        .insert("ssh_version".into(), "SSH-2.0-dropbear_2015.71".into());
    let t = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp");
    let mut r = SurveyResult::new(vec!["198.51.100.0/24".into()], t);
    r.hosts.push(Host {
        address: "198.51.100.10".parse().expect("literal address"),
        services: vec![s, Service::new(23, Transport::Tcp, Protocol::Telnet)],
    });
    let Ok(stats) = annotate(&mut r, &fixture_db());
    let got: Vec<&str> = r.hosts[0].services[0]
        .vulnerabilities
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    // KEV (8.8) before the higher-scored non-KEV (9.8), OSV (no score) last.
    assert_eq!(
        got,
        ["CVE-2017-17215", "CVE-2016-7406", "ALPINE-CVE-2020-36254"]
    );
    assert!(r.hosts[0].services[1].vulnerabilities.is_empty());
    assert_eq!(
        (
            stats.services,
            stats.services_with_identity,
            stats.affected,
            stats.kev
        ),
        (2, 1, 3, 1)
    );
    let json = serde_json::to_string(&r).expect("serialise");
    assert!(json.contains("\"certainty\":\"affected\""));
    let back: SurveyResult = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, r);
}

/// Counts the lookups that reach the database.
struct Counting {
    db: yamori_vuln::MemoryVulnDb,
    calls: std::cell::Cell<usize>,
}

impl yamori_vuln::VulnLookup for Counting {
    type Error = std::convert::Infallible;
    fn cves_for_product(
        &self,
        vendor: &str,
        product: &str,
    ) -> Result<Vec<yamori_vuln::Candidate>, Self::Error> {
        self.calls.set(self.calls.get() + 1);
        self.db.cves_for_product(vendor, product)
    }
    fn osv_for_package(
        &self,
        name: &str,
    ) -> Result<Vec<yamori_vuln::record::OsvRecord>, Self::Error> {
        self.calls.set(self.calls.get() + 1);
        self.db.osv_for_package(name)
    }
}

#[test]
fn annotate_looks_each_product_up_once() {
    let t = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp");
    let mut r = SurveyResult::new(vec!["198.51.100.0/24".into()], t);
    for i in 1..=50u8 {
        r.hosts.push(Host {
            address: std::net::IpAddr::from([198, 51, 100, i]),
            services: vec![device(
                "Hikvision",
                "DS-2CD2026G2-IU/SL",
                Some("5.5.0"),
                None,
            )],
        });
    }
    let db = Counting {
        db: fixture_db(),
        calls: std::cell::Cell::new(0),
    };
    let Ok(stats) = annotate(&mut r, &db);
    assert_eq!(stats.affected, 50);
    // Two keys per camera (hardware and derived firmware), fetched once for all 50 hosts.
    assert_eq!(db.calls.get(), 2);
}
