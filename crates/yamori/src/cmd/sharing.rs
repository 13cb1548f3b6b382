//! The sharing policy file: what `yamori sync push` may send to each peer (docs/TRUST.md §5).
//! `<data-dir>/sharing.toml`, or the file `--policy` names:
//!
//! ```toml
//! [peers.partner-a]
//! url = "https://partner-a.example:9443/api1/"
//! collections = ["telescope", "sightings"]   # absent: any
//! [peers.partner-a.tlp]
//! amber = true          # TLP:AMBER may go to partner-a
//! unmarked = "green"    # objects without a TLP marking count as GREEN (default: amber)
//! ```
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use yamori_intel::sharing::PeerPolicy;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    peers: BTreeMap<String, PeerPolicy>,
}

/// The policy file in effect: `explicit`, else `<data-dir>/sharing.toml` when it exists.
pub fn path(data_dir: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let p = data_dir.join("sharing.toml");
            p.is_file().then_some(p)
        }
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The peer (name and policy) whose `url` is `url`, from the file at `path`; `None` when the
/// file names no such peer. A malformed file is an error naming it.
pub fn for_url(path: &Path, url: &str) -> anyhow::Result<Option<(String, PeerPolicy)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: File = toml::from_str(&text).with_context(|| {
        format!(
            "{}: not a sharing policy (docs/TRUST.md §5)",
            path.display()
        )
    })?;
    Ok(file.peers.into_iter().find(|(_, p)| same_url(&p.url, url)))
}
