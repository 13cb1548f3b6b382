//! The same calls on both engines give the same answers, field by field: every area is run
//! on SQLite and on PostgreSQL and the results compared. Timestamps the store writes itself
//! are checked for their one format and masked (their values are the clock's).

use yamori_store::accounts::{Grant, User};
use yamori_store::dashboard::SourceFilter;
use yamori_store::taxii::{ObjectQuery, StatusDetail, TaxiiStatus, VersionFilter};
use yamori_store::vulndb::NewOsv;
use yamori_store::Store;

use crate::backends::{same_on_each, stamp};

/// Every read of every area after the same writes, one line per call.
fn transcript(s: &Store) -> Vec<String> {
    let mut t: Vec<String> = Vec::new();
    let mut log = |what: &str, v: String| t.push(format!("{what}: {v}"));

    // Analyses and their dashboard index.
    let a = crate::dashboard::put(s, "a", &crate::dashboard::report(20, 500));
    crate::dashboard::put(s, "b", &crate::dashboard::report(21, 70));
    let mut got = s.get_analysis(&a).expect("get").expect("stored");
    got.meta.stored_at = stamp(&got.meta.stored_at);
    log("analysis", format!("{got:?}"));
    let mut list = s.list_analyses().expect("list");
    for m in &mut list {
        m.stored_at = stamp(&m.stored_at);
    }
    log("analyses", format!("{list:?}"));
    log("bounds", format!("{:?}", s.dash_bounds()));
    log(
        "series",
        format!("{:?}", s.dash_series(0, i64::MAX / 4, 3600)),
    );
    log("totals", format!("{:?}", s.dash_totals(0, i64::MAX)));
    for facet in ["country", "asn", "tcp_port", "udp_port", "tool"] {
        log(facet, format!("{:?}", s.dash_facet(facet, 0, i64::MAX, 10)));
    }
    let f = SourceFilter {
        from: 0,
        to: i64::MAX,
        ..SourceFilter::default()
    };
    let page = s.dash_sources(&f, None, 2).expect("sources");
    log("sources", format!("{page:?}"));
    let after = page.last().map(|r| (r.packets as i64, r.id));
    log(
        "sources after",
        format!("{:?}", s.dash_sources(&f, after, 2)),
    );
    log("source", format!("{:?}", s.dash_source("192.0.2.1")));
    log(
        "attacks",
        format!("{:?}", s.dash_attacks(0, i64::MAX, None, 10)),
    );
    log(
        "top attacks",
        format!("{:?}", s.dash_top_attacks(0, i64::MAX, 10)),
    );
    log(
        "attack count",
        format!("{:?}", s.dash_attack_count(0, i64::MAX)),
    );

    // Survey runs.
    let put = s.put_survey(&crate::survey::first_run()).expect("survey");
    log("survey put", format!("{put:?}"));
    log("devices", format!("{:?}", s.survey_devices(None, 100)));
    log("survey summary", format!("{:?}", s.survey_summary()));
    log(
        "survey document",
        format!("{:?}", s.survey_document(&put.id)),
    );

    // TAXII objects, statuses, accounts and key/value state.
    crate::taxii::setup(s);
    let objs: Vec<_> = (1..=5)
        .map(|n| crate::taxii::obj(n, "indicator", "2026-01-01T00:00:00Z"))
        .chain([crate::taxii::obj(1, "indicator", "2026-02-01T00:00:00.5Z")])
        .collect();
    let outcomes = s
        .taxii_add_objects(crate::taxii::C, &objs, &mut |_| None)
        .expect("add");
    log("add", format!("{outcomes:?}"));
    let again = s
        .taxii_add_objects(crate::taxii::C, &objs[..2], &mut |_| None)
        .expect("add again");
    log("add again", format!("{again:?}"));
    let mut q = ObjectQuery::new(crate::taxii::C, 100);
    q.versions = VersionFilter::all();
    let mut page = s.taxii_query(&q).expect("query");
    for o in &mut page.objects {
        o.date_added = stamp(&o.date_added);
    }
    log("objects", format!("{page:?}"));
    log("collections", format!("{:?}", s.taxii_collections("api1")));
    let mut status = TaxiiStatus {
        id: "s1".into(),
        api_root: "api1".into(),
        owner: "alice".into(),
        request_timestamp: "2026-01-01T00:00:00.000000Z".into(),
        total_count: 2,
        successes: vec![StatusDetail {
            id: "indicator--1".into(),
            version: "2026-01-01T00:00:00Z".into(),
            message: None,
        }],
        failures: vec![],
        pendings: vec![],
    };
    s.taxii_put_status(&status).expect("status");
    status.id = "s2".into();
    status.pendings = status.successes.clone();
    s.taxii_put_status(&status).expect("status");
    log("status", format!("{:?}", s.taxii_status("s1")));
    log("pending", format!("{:?}", s.taxii_pending_statuses()));
    s.taxii_put_user(&User {
        name: "alice".into(),
        password_hash: Some("h".into()),
    })
    .expect("user");
    s.taxii_add_token("t1", "alice", "th").expect("token");
    s.taxii_set_grant(
        "alice",
        &Grant {
            collection_id: crate::taxii::C.into(),
            can_read: true,
            can_write: false,
        },
    )
    .expect("grant");
    log("users", format!("{:?}", s.taxii_users()));
    log("token", format!("{:?}", s.taxii_token("t1")));
    log("grants", format!("{:?}", s.taxii_grants("alice")));
    s.kv_set("sync.pull|a", "1").expect("kv");
    log("kv", format!("{:?}", s.kv_prefixed("sync.")));
    log("count missing", format!("{:?}", s.kv_count("imports")));
    s.kv_count_up("imports").expect("count up");
    s.kv_count_up("imports").expect("count up again");
    log("count", format!("{:?}", s.kv_count("imports")));
    s.kv_set("not.a.count", "x").expect("kv");
    log(
        "not a count",
        format!("{:?}", s.kv_count("not.a.count").is_err()),
    );

    // Vulnerability data and sessions.
    s.import_nvd_items(&[crate::vulndb::cve(
        "CVE-2017-17215",
        &[("huawei", "hg532")],
        "{}",
    )])
    .expect("nvd");
    s.import_kev(&[crate::vulndb::kev("CVE-2017-17215")])
        .expect("kev");
    s.import_osv(&[NewOsv {
        id: "OSV-1".into(),
        modified: Some("2024-01-01T00:00:00Z".into()),
        packages: vec![("Debian".into(), "BusyBox".into())],
        record_json: "{}".into(),
    }])
    .expect("osv");
    log(
        "cpe",
        format!("{:?}", s.find_by_cpe_prefix("HUAWEI", "hg532")),
    );
    log("osv", format!("{:?}", s.find_osv_by_package("busybox")));
    log("vulndb", format!("{:?}", s.vulndb_counts()));
    s.session_create("h", "alice", 100, 10).expect("session");
    log("session", format!("{:?}", s.session("h", 50)));
    t
}

#[test]
fn every_area_answers_alike_on_both_engines() {
    let t = same_on_each(transcript);
    // The transcript is not empty or all errors: the comparison compared something.
    assert_eq!(t.len(), 37, "{t:#?}");
    assert!(
        t.iter()
            .any(|l| l.ends_with("Ok(0)") && l.contains("count missing")),
        "{t:#?}"
    );
    assert!(
        t.iter()
            .any(|l| l.ends_with("Ok(2)") && l.contains("count")),
        "{t:#?}"
    );
    assert!(
        t.iter()
            .any(|l| l.contains("not a count") && l.ends_with("true")),
        "{t:#?}"
    );
    let errors: Vec<&String> = t.iter().filter(|l| l.contains("Err(")).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
