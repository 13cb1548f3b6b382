//! Our validator against the fixture corpus, and against stix2-validator on the same files.

use std::path::{Path, PathBuf};

use yamori_intel::validate_object;

use crate::oasis::{self, Mode};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stix")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "corpus {dir:?} looks empty");
    files
}

fn ours(path: &Path) -> Result<(), Vec<yamori_intel::Issue>> {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let value: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    validate_object(&value)
}

#[test]
fn valid_fixtures_pass_ours_and_oasis() {
    let files = files("valid");
    for f in &files {
        if let Err(issues) = ours(f) {
            panic!(
                "{} rejected: {:?}",
                f.display(),
                issues.iter().map(ToString::to_string).collect::<Vec<_>>()
            );
        }
    }
    if let Some(verdicts) = oasis::validate(&files, Mode::Corpus) {
        for v in verdicts {
            assert!(
                v.valid,
                "stix2-validator rejects {}: {:?}",
                v.file.display(),
                v.messages
            );
        }
    }
}

#[test]
fn invalid_fixtures_fail_ours_and_oasis() {
    let files = files("invalid");
    for f in &files {
        let issues = ours(f)
            .err()
            .unwrap_or_else(|| panic!("{} accepted", f.display()));
        assert!(!issues.is_empty() && issues.iter().all(|i| !i.message.is_empty()));
    }
    if let Some(verdicts) = oasis::validate(&files, Mode::Corpus) {
        for v in verdicts {
            assert!(!v.valid, "stix2-validator accepts {}", v.file.display());
        }
    }
}

/// Spec MUSTs stix2-validator does not check: documented in the corpus README.
#[test]
fn stricter_fixtures_fail_ours_only() {
    let files = files("stricter");
    for f in &files {
        assert!(ours(f).is_err(), "{} accepted", f.display());
    }
    if let Some(verdicts) = oasis::validate(&files, Mode::Corpus) {
        for v in verdicts {
            assert!(
                v.valid,
                "stix2-validator now rejects {}: move it to invalid/",
                v.file.display()
            );
        }
    }
}

/// Issues point at the offending property.
#[test]
fn issues_name_the_property() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stix/invalid");
    let cases = [
        ("indicator-valid-until-equal.json", "/valid_until"),
        ("sighting-count-too-large.json", "/count"),
        ("modified-before-created.json", "/modified"),
        ("indicator-pattern-unclosed.json", "/pattern"),
        ("indicator-custom-property-without-x.json", "/risk_score"),
        ("bundle-object-without-type.json", "/objects/1/type"),
        (
            "indicator-external-reference-source-only.json",
            "/external_references/0",
        ),
    ];
    for (file, path) in cases {
        let issues = ours(&dir.join(file)).expect_err("invalid fixture");
        assert!(
            issues.iter().any(|i| i.path == path),
            "{file}: expected an issue at {path}, got {:?}",
            issues.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
    }
}
