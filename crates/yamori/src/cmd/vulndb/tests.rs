//! End to end: import the vulnerability crate's fixtures into a temporary data directory,
//! print the import table, and write notices from the notify crate's fixtures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::*;

/// `yamori-vuln`'s feed fixtures.
fn vuln_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../yamori-vuln/tests/fixtures")
}

/// `yamori-notify`'s survey and owners fixtures.
fn notify_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../yamori-notify/tests/fixtures")
}

fn global(dir: &Path) -> crate::GlobalArgs {
    crate::GlobalArgs {
        data_dir: dir.to_path_buf(),
        database: None,
        config: None,
        verbose: 0,
        quiet: true,
        log_json: false,
    }
}

fn import_fixtures(g: &crate::GlobalArgs) -> ExitCode {
    let v = vuln_fixtures();
    run(
        g,
        Command::Import(ImportArgs {
            paths: vec![v.join("nvd/cves.json"), v.join("kev.json"), v.join("osv")],
        }),
    )
    .expect("import runs")
}

#[test]
fn import_is_idempotent_and_partial_when_entries_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = global(dir.path());
    // Skipped entries (malformed, rejected, withdrawn) make the run partial, not failed.
    assert_eq!(import_fixtures(&g), ExitCode::from(EXIT_PARTIAL));
    let store = crate::cmd::open_store(&g).expect("store opens");
    let first = store.vulndb_counts().expect("counts");
    assert_eq!((first.cves, first.kev, first.osv), (4, 2, 1));
    drop(store);
    import_fixtures(&g);
    let again = crate::cmd::open_store(&g)
        .expect("store opens")
        .vulndb_counts()
        .expect("counts");
    assert_eq!(again, first, "importing twice leaves the same rows");
}

/// The table of an import (the per-file counts and reasons themselves are tested in
/// `yamori-vuln`'s `store` tests).
#[test]
fn import_table_lists_skipped_entries_and_failed_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = crate::cmd::open_store(&global(dir.path())).expect("store opens");
    let nvd = import_file(&store, &vuln_fixtures().join("nvd/cves.json"), |f| f);
    let bad = import_file(&store, &vuln_fixtures().join("bad/not-a-feed.json"), |f| f);
    let table = report::import_table(&[nvd, bad], store.vulndb_counts().expect("counts"));
    assert!(
        table.contains("not-a-feed.json: not a vulnerability file"),
        "{table}"
    );
    assert!(table.contains("entry 4: missing field `id`"), "{table}");
}

#[test]
fn a_single_bad_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = global(dir.path());
    let bad = vuln_fixtures().join("bad/nvd-1.1.json");
    let e = run(&g, Command::Import(ImportArgs { paths: vec![bad] })).expect_err("must fail");
    let msg = format!("{e:#}");
    assert!(msg.contains("nvd-1.1.json") && msg.contains("1.1"), "{msg}");
}

/// Notices from the stored vulnerability data (the store lookup itself is tested in
/// `yamori-vuln`'s `store` tests).
#[test]
fn notices_are_written_per_owner_from_the_stored_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = global(dir.path());
    import_fixtures(&g);

    let out = dir.path().join("notices");
    let n = notify_fixtures();
    let code = crate::cmd::notify::run(
        &g,
        crate::cmd::notify::Args {
            survey: Some(n.join("survey.json")),
            from_telescope: false,
            from_decoy: false,
            decoy_window: crate::cmd::notify::QuietPeriod {
                text: "7d".into(),
                seconds: 7 * 86_400,
            },
            analysis: "latest".into(),
            quiet_period: crate::cmd::notify::QuietPeriod {
                text: "7d".into(),
                seconds: 7 * 86_400,
            },
            dry_run: false,
            warninglists: vec![],
            now: None,
            owners: Some(n.join("owners.tsv")),
            asn: None,
            format: vec![crate::cmd::notify::FormatArg::Both],
            lang: crate::cmd::notify::LangArg::Owner,
            out_dir: out.clone(),
            no_annotate: false,
        },
    )
    .expect("notify runs");
    assert_eq!(code, ExitCode::SUCCESS);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("out dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "01-example-isp-a.ja.html",
            "01-example-isp-a.ja.txt",
            "02-example-camera-co.en.html",
            "02-example-camera-co.en.txt",
            "index.tsv",
            "unassigned.en.html",
            "unassigned.en.txt",
            "unassigned.ja.html",
            "unassigned.ja.txt",
        ]
    );
    let ja = std::fs::read_to_string(out.join("01-example-isp-a.ja.html")).expect("notice");
    assert!(ja.contains("CVE-2017-17215") && ja.contains("198.51.100.10"));
    assert!(ja.contains("パスワード"));
    let cams = std::fs::read_to_string(out.join("02-example-camera-co.en.html")).expect("notice");
    assert!(!cams.contains("<script"));
    let un = std::fs::read_to_string(out.join("unassigned.en.txt")).expect("notice");
    assert!(
        un.contains("203.0.113.5") && un.contains("CVE-2016-7406"),
        "{un}"
    );
}

#[test]
fn match_arguments_parse() {
    use clap::Parser;
    let cli = crate::Cli::try_parse_from([
        "yamori",
        "vulndb",
        "match",
        "--cpe",
        "cpe:/h:huawei:hg532",
        "--fw-version",
        "1.0",
    ])
    .expect("arguments parse");
    let crate::Command::Vulndb(Command::Match(m)) = cli.command else {
        panic!("parsed as vulndb match");
    };
    assert_eq!(m.fw_version.as_deref(), Some("1.0"));
}
