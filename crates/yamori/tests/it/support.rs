//! Helpers: run the real `yamori` binary, find peers (tshark), parse their output.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn yamori() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yamori"))
}

/// Run and return output; panics with stderr when the exit code is not `expect_code`.
pub fn run_ok(cmd: &mut Command, expect_code: i32) -> Output {
    let out = cmd.output().expect("spawn yamori");
    assert_eq!(
        out.status.code(),
        Some(expect_code),
        "{cmd:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn tool(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Generate a capture with `yamori gen-traffic`; returns the ground truth JSON.
pub fn gen(
    dir: &Path,
    darknet: &str,
    minutes: u32,
    seed: u64,
    name: &str,
) -> (PathBuf, serde_json::Value) {
    gen_with(dir, darknet, minutes, seed, name, &[])
}

/// [`gen`] with extra `gen-traffic` flags (e.g. `--link sll`, `--start …`).
pub fn gen_with(
    dir: &Path,
    darknet: &str,
    minutes: u32,
    seed: u64,
    name: &str,
    extra: &[&str],
) -> (PathBuf, serde_json::Value) {
    let pcap = dir.join(name);
    let truth = dir.join(format!("{name}.truth.json"));
    run_ok(
        yamori()
            .args(["gen-traffic", "--darknet", darknet])
            .args([
                "--minutes",
                &minutes.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .args(extra)
            .arg("-o")
            .arg(&pcap)
            .arg("--truth")
            .arg(&truth),
        0,
    );
    let t =
        serde_json::from_slice(&std::fs::read(&truth).expect("truth file")).expect("truth json");
    (pcap, t)
}

/// `yamori analyze … --json` → report.
pub fn analyze(
    data_dir: &Path,
    darknet: &str,
    files: &[&Path],
    extra: &[&str],
    code: i32,
) -> serde_json::Value {
    let mut cmd = yamori();
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["analyze", "--json", "--darknet", darknet]);
    cmd.args(extra);
    for f in files {
        cmd.arg(f);
    }
    let out = run_ok(&mut cmd, code);
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

/// Frame counts for several display filters in one tshark pass (`-z io,stat,0,…`).
pub fn tshark_counts(file: &Path, filters: &[String]) -> Vec<u64> {
    let tshark = tool("tshark").expect("tshark");
    let spec = format!("io,stat,0,{}", filters.join(","));
    let out = Command::new(tshark)
        .arg("-r")
        .arg(file)
        .args([
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
            "-q",
            "-z",
            &spec,
        ])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // The one data row: "| 0.000 <> 3600.000 |  123 | 4567 |  89 | 1011 | …": Frames, Bytes per filter.
    let row = text
        .lines()
        .find(|l| l.contains("<>"))
        .unwrap_or_else(|| panic!("no io,stat row in tshark output:\n{text}"));
    let nums: Vec<u64> = row
        .split('|')
        .skip(2)
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    assert_eq!(
        nums.len(),
        filters.len() * 2,
        "unexpected io,stat row: {row}"
    );
    nums.iter().step_by(2).copied().collect()
}

/// A fresh PostgreSQL database for one test, dropped at the end.
pub struct PgDb {
    pub url: String,
    name: String,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl PgDb {
    pub fn create() -> Self {
        let name = format!("yamori_e2e_{:016x}", rand::random::<u64>());
        yamori_store::pg_execute_admin(PG_ADMIN, &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {PG_ADMIN}: {e}"));
        PgDb {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = yamori_store::pg_execute_admin(
            PG_ADMIN,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
