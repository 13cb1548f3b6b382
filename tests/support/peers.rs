//! What a test does when a peer it compares against (tshark, stix2-validator, tcpdump, a
//! network namespace, …) is missing. Shared by the crates' `tests/it` binaries through
//! `#[path = "../../../../tests/support/peers.rs"] mod peers;`, so the rule is written once
//! without a crate of its own.
//!
//! - In the suite (`YAMORI_SUITE=1`, set by scripts/test-all and so by CI) a missing peer is a
//!   failure: the test panics saying what is missing and how to install it.
//! - Elsewhere the check is skipped and says so where it cannot be missed: a `SKIPPED` line
//!   naming the test is written straight to the terminal's stderr (not the test harness's
//!   captured output, which a passing test never shows), and appended to the file named by
//!   `YAMORI_SKIP_LOG`, from which scripts/test-all lists every check that did not run.
#![allow(dead_code)] // each test binary uses part of it

use std::io::Write;
use std::path::PathBuf;

/// Whether the whole suite is running (`YAMORI_SUITE=1`): no check may be skipped.
pub fn suite() -> bool {
    std::env::var("YAMORI_SUITE").is_ok_and(|v| v == "1")
}

/// A check of the current test cannot run because `why` (what is missing and how to get it).
/// Panics in the suite; otherwise reports the skip (see the module's doc) and returns, and the
/// caller leaves the check out.
pub fn missing(check: &str, why: &str) {
    // libtest names each test's thread after the test (`main` when run on one thread).
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!("{}::{n}", env!("CARGO_PKG_NAME")))
        .unwrap_or_else(|| env!("CARGO_PKG_NAME").to_string());
    let line = format!("{test}: {check} did not run: {why}");
    if let Some(path) = std::env::var_os("YAMORI_SKIP_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
    if suite() {
        panic!(
            "{line}\n(YAMORI_SUITE=1: the suite runs every check; scripts/setup installs the peers)"
        );
    }
    // Straight to file descriptor 2: `eprintln!` would be captured and shown only on failure.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {line}");
}

/// The workspace root: the nearest directory above this crate holding `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(&manifest)
        .to_path_buf()
}
