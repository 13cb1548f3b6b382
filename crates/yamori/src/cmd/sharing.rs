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

/// `yamori sharing`: the keys of sharing groups.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Keys that pseudonymise addresses and re-key ids for one sharing group
    /// (`<data-dir>/keys/<group>.key`, 32 random bytes, readable by this user only).
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(clap::Subcommand, Debug)]
pub enum KeyCommand {
    /// Create the group's key (refuses to replace one: see `rotate`).
    ///
    /// Example:
    ///   yamori sharing key new --group kanto-isac
    New {
        #[arg(long)]
        group: String,
    },
    /// Replace the group's key. The old one is kept beside it as
    /// `<group>.key.retired-<time>` so data shared under it can still be reversed; every
    /// pseudonym and re-keyed id the group sees changes: tell its members.
    Rotate {
        #[arg(long)]
        group: String,
    },
    /// Print where the group's key is (never the key).
    Path {
        #[arg(long)]
        group: String,
    },
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<std::process::ExitCode> {
    let Command::Key(k) = c;
    match k {
        KeyCommand::New { group } => {
            let path = key_path(&g.data_dir, &group)?;
            if path.exists() {
                anyhow::bail!(
                    "{} exists: the group has a key (`yamori sharing key rotate --group {group}` \
                     replaces it)",
                    path.display()
                );
            }
            write_key(&path)?;
            println!("created {}", path.display());
        }
        KeyCommand::Rotate { group } => {
            let path = key_path(&g.data_dir, &group)?;
            if path.exists() {
                let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
                let retired = path.with_extension(format!("key.retired-{stamp}"));
                // A link, not a rename: it fails instead of replacing a retired key of the
                // same name, so no key data shared under it can be reversed with is lost.
                std::fs::hard_link(&path, &retired)
                    .and_then(|()| std::fs::remove_file(&path))
                    .with_context(|| format!("moving {} aside", path.display()))?;
                println!("retired {}", retired.display());
            }
            write_key(&path)?;
            println!("created {}", path.display());
        }
        KeyCommand::Path { group } => println!("{}", key_path(&g.data_dir, &group)?.display()),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `<data-dir>/keys/<group>.key`; a group name is letters, digits, `-`, `_` and `.`.
pub fn key_path(data_dir: &Path, group: &str) -> anyhow::Result<PathBuf> {
    let ok = !group.is_empty()
        && !group.starts_with('.')
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        anyhow::bail!("sharing group {group:?}: use letters, digits, '-', '_' and '.' (not first)");
    }
    Ok(data_dir.join("keys").join(format!("{group}.key")))
}

fn write_key(path: &Path) -> anyhow::Result<()> {
    use rand::TryRngCore;
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let mut key = [0u8; yamori_trust::cryptopan::KEY_LEN];
    rand::rngs::OsRng
        .try_fill_bytes(&mut key)
        .context("reading the operating system's random generator")?;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        // An existing directory too: the keys' names say which groups exist.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{}", hex::encode(key)).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The group's 32-byte key: the file holds 64 hex digits (what `sharing key new` writes) or
/// the 32 raw bytes. A key others can read is refused, as ssh refuses such a private key.
pub fn load_key(data_dir: &Path, group: &str) -> anyhow::Result<[u8; 32]> {
    use std::os::unix::fs::PermissionsExt;
    let path = key_path(data_dir, group)?;
    let meta = std::fs::metadata(&path).map_err(|e| {
        anyhow::anyhow!(
            "no key for sharing group {group:?} at {} ({e}): create one with \
             `yamori sharing key new --group {group}`; nothing was sent",
            path.display()
        )
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        anyhow::bail!(
            "{}: the key is readable by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        );
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let text = std::str::from_utf8(&bytes).map(str::trim).unwrap_or("");
    let key = match hex::decode(text) {
        Ok(k) if k.len() == 32 => k,
        _ if bytes.len() == 32 => bytes,
        _ => anyhow::bail!(
            "{}: a sharing key is 64 hex digits or 32 bytes (this file has {} bytes)",
            path.display(),
            bytes.len()
        ),
    };
    let mut out = [0u8; 32];
    out.copy_from_slice(&key);
    Ok(out)
}
