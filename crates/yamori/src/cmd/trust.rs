//! `yamori trust`: the operator's trust in each source of shared intel, kept in the store's
//! key/value area (`trust.source.<identity id>`, `trust.default`), and what scorers read of
//! it. STIX carries no trust in producers, so it lives here (docs/TRUST.md §1).
use std::process::ExitCode;

use serde_json::json;
use yamori_store::Store;
use yamori_trust::{SourceTrust, Trust};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Trust a source (the STIX identity in its objects' `created_by_ref`) this much, 0–100.
    /// An indicator's base score is its confidence × this trust / 100 (docs/TRUST.md).
    ///
    /// Example:
    ///   yamori trust set identity--7f3e6a52-0000-4000-8000-000000000001 90
    Set {
        source: String,
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        trust: u8,
    },
    /// Forget a source's trust: it gets the default again.
    Unset { source: String },
    /// The trust of every source not listed, and of objects naming no source (50 unless set).
    Default {
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        trust: u8,
    },
    /// Show the default and every listed source.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    let store = super::open_store(g)?;
    match c {
        Command::Set { source, trust } => {
            check_source(&source)?;
            store.trust_set(&source, trust)?;
            println!("{source}: trust {trust}");
        }
        Command::Unset { source } => {
            if !store.trust_unset(&source)? {
                anyhow::bail!("{source} has no trust of its own (see `yamori trust list`)");
            }
            println!("{source}: default trust again");
        }
        Command::Default { trust } => {
            store.trust_set_default(trust)?;
            println!("default trust {trust}");
        }
        Command::List { json } => {
            let t = load(&store)?;
            let mut sources: Vec<(&String, &Trust)> = t.by_source.iter().collect();
            sources.sort();
            if json {
                let list: Vec<_> = sources
                    .iter()
                    .map(|(s, t)| json!({"source": s, "trust": t.get()}))
                    .collect();
                println!("{}", json!({"default": t.default.get(), "sources": list}));
            } else {
                println!("default  {}", t.default.get());
                for (s, v) in sources {
                    println!("{:>7}  {s}", v.get());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A source is a STIX identity id, as objects name it in `created_by_ref`.
fn check_source(source: &str) -> anyhow::Result<()> {
    let ok = source
        .strip_prefix("identity--")
        .is_some_and(|u| u.len() == 36 && u.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    if !ok {
        anyhow::bail!(
            "{source:?} is not a STIX identity id (identity--<uuid>), the form objects name \
             their source in (`created_by_ref`)"
        );
    }
    Ok(())
}

/// The stored trust table (defaults where nothing is stored).
pub fn load(store: &Store) -> anyhow::Result<SourceTrust> {
    let table = store.trust_table()?;
    Ok(SourceTrust::from_values(table.default, table.sources)?)
}
