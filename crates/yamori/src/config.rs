//! `yamori.toml`: one documented file; flags override it. See `docs/CONFIG.md`.
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The whole configuration file. Each table belongs to one subcommand.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// `[analyze]`: telescope thresholds and darknet prefixes (see yamori_telescope::Config).
    pub analyze: Option<yamori_telescope::Config>,
}

/// Load the configuration: `--config` if given (must exist), else `<data-dir>/yamori.toml`
/// if present, else defaults.
pub fn load(g: &crate::GlobalArgs) -> anyhow::Result<FileConfig> {
    let (path, required): (PathBuf, bool) = match &g.config {
        Some(p) => (p.clone(), true),
        None => (g.data_dir.join("yamori.toml"), false),
    };
    if !required && !path.exists() {
        return Ok(FileConfig::default());
    }
    read(&path)
}

fn read(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid configuration in {}", path.display()))
}
