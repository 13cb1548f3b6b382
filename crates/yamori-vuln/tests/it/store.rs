//! Importing the fixtures into a store and matching against what comes back.

use yamori_store::Store;
use yamori_vuln::annotate::matches_for;
use yamori_vuln::feed::FeedKind;
use yamori_vuln::store::{expand, import_file};
use yamori_vuln::Identity;

use super::fixture;

fn store() -> Store {
    Store::open_in_memory().expect("in-memory store")
}

#[test]
fn per_file_summary_counts_and_reasons() {
    let store = store();
    let nvd = import_file(&store, &fixture("nvd/cves.json"), |f| f);
    assert_eq!(
        (nvd.kind, nvd.cves, nvd.skipped.len()),
        (Some(FeedKind::Nvd), 4, 3)
    );
    assert_eq!(
        nvd.skipped[1].to_string(),
        "entry 5 (CVE-2000-0002): rejected CVE"
    );
    assert_eq!(nvd.skipped[0].to_string(), "entry 4: missing field `id`");
    let bad = import_file(&store, &fixture("bad/not-a-feed.json"), |f| f);
    assert_eq!(bad.kind, None);
    assert!(bad
        .error
        .as_deref()
        .unwrap_or_default()
        .starts_with("not a vulnerability file"));
    let truncated = import_file(&store, &fixture("bad/truncated.json"), |f| f);
    assert!(
        truncated
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("EOF"),
        "{truncated:?}"
    );
}

#[test]
fn gzipped_feed_imports_like_the_plain_file() {
    // The same catalogue as kev.json, compressed with gzip (as NVD ships its feeds).
    let s = import_file(&store(), &fixture("gz/kev.json.gz"), |f| f);
    assert_eq!((s.kind, s.kev, s.error), (Some(FeedKind::Kev), 2, None));
}

#[test]
fn directories_are_walked_for_json_files_in_order() {
    let files = expand(&[fixture("osv"), fixture("kev.json")]).expect("fixtures exist");
    assert_eq!(
        files,
        [
            fixture("osv/ALPINE-CVE-2020-36254.json"),
            fixture("osv/WITHDRAWN-0001.json"),
            fixture("kev.json"),
        ]
    );
    let missing = expand(&[fixture("no-such-file.json")]).expect_err("missing file");
    assert!(
        missing.to_string().ends_with("no-such-file.json"),
        "{missing}"
    );
}

#[test]
fn store_lookup_matches() {
    let store = store();
    for rel in ["nvd/cves.json", "kev.json", "osv"] {
        for f in expand(&[fixture(rel)]).expect("fixtures exist") {
            import_file(&store, &f, |f| f);
        }
    }
    let id = Identity::from_cpe("cpe:/h:hikvision:ds-2cd2026g2-iu%2fsl", Some("5.5.0"))
        .expect("valid CPE");
    let found = matches_for(&id, &store).expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "CVE-2021-36260");
    assert!(found[0].kev.is_some());
}
