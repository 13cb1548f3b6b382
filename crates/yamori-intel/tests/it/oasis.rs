//! Running OASIS stix2-validator (Python) from the tests.
//!
//! The interpreter is `$YAMORI_PYTHON`, else the workspace's own `.venv/bin/python` (found
//! from this crate's directory), and must have the `stix2-validator` package (scripts/setup
//! installs it there from tests/requirements.txt). When it is missing the suite fails; other
//! runs check only our side and report the skipped comparison (`peers::missing`).

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../../../tests/support/peers.rs"]
mod peers;

pub struct Verdict {
    pub file: PathBuf,
    pub valid: bool,
    pub messages: Vec<String>,
}

/// Which stix2-validator settings to run (see `stix2_check.py`).
#[derive(Clone, Copy)]
pub enum Mode {
    /// `--strict --disable 103`: the setting generated bundles must pass.
    Bundle,
    /// `--strict` with every check.
    All,
    /// `--strict --enable 102`: the rules `validate_object` claims.
    Corpus,
}

pub fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("YAMORI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| peers::workspace_root().join(".venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import stix2validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(candidate)
    } else {
        peers::missing(
            "the comparison with OASIS stix2-validator",
            &format!(
                "{} cannot import stix2validator (scripts/setup installs it in the workspace's \
                 .venv; or set YAMORI_PYTHON to a Python with `pip install stix2-validator`)",
                candidate.display()
            ),
        );
        None
    }
}

/// Validates files with stix2-validator; `None` when it is not installed.
pub fn validate(files: &[PathBuf], mode: Mode) -> Option<Vec<Verdict>> {
    let python = python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/stix2_check.py");
    let mode = match mode {
        Mode::Bundle => "bundle",
        Mode::All => "all",
        Mode::Corpus => "corpus",
    };
    let output = Command::new(python)
        .arg(script)
        .arg(mode)
        .args(files)
        .output()
        .expect("running stix2-validator");
    assert!(
        output.status.success(),
        "stix2_check.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("validator prints UTF-8");
    let verdicts: Vec<Verdict> = stdout
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("one JSON line per file");
            Verdict {
                file: PathBuf::from(v["file"].as_str().expect("file")),
                valid: v["valid"].as_bool().expect("valid"),
                messages: v["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .map(|m| m.as_str().unwrap_or_default().to_string())
                    .collect(),
            }
        })
        .collect();
    assert_eq!(verdicts.len(), files.len(), "one verdict per file");
    Some(verdicts)
}
