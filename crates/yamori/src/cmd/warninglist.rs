//! `yamori warninglist`: import MISP warninglists into the store and check values against
//! them. Reading and matching are `yamori_trust::warninglist`; this module stores each list's
//! JSON in the store's key/value area (`warninglist.<name>`) and prints.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use yamori_store::Store;
use yamori_trust::warninglist::{self, Relation, WarningList, Warninglists};

/// Key prefix of stored lists in the key/value area.
const KEY_PREFIX: &str = warninglist::STORE_KEY_PREFIX;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Import warninglists in the MISP format (a `list.json` of github.com/MISP/misp-warninglists,
    /// or your own). Each file is checked first; a malformed one is refused with the place of
    /// the fault and nothing of it is stored. A list replaces a stored one of the same name.
    ///
    /// Example:
    ///   yamori warninglist import misp-warninglists/lists/censys-scanning/list.json
    Import {
        /// The list files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print what was imported as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the stored lists: name, type, entries, version.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check values (addresses, prefixes, hostnames, URLs, any string) against the stored
    /// lists. A prefix matches a listed prefix that contains it, equals it or lies inside it.
    ///
    /// Example:
    ///   yamori warninglist check 162.142.125.9 198.51.100.0/16 www.example.com
    Check {
        #[arg(required = true)]
        values: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    let store = super::open_store(g)?;
    match c {
        Command::Import { files, json } => import(&store, &files, json),
        Command::List { json } => list(&store, json),
        Command::Check { values, json } => check(&store, &values, json),
    }
}

fn import(store: &Store, files: &[PathBuf], as_json: bool) -> anyhow::Result<ExitCode> {
    // All files are read and checked before any is stored: one bad file stores nothing.
    let mut read = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let list = WarningList::from_json(text.as_bytes(), &file.display().to_string())?;
        // A regex list must also compile; indexing it alone says so now, not at export time.
        Warninglists::new([list.clone()])?;
        read.push((list, text));
    }
    let mut out = Vec::new();
    for (list, text) in &read {
        store.kv_set(&format!("{KEY_PREFIX}{}", list.name), text)?;
        out.push(json!({
            "name": list.name,
            "type": list.kind.as_str(),
            "version": list.version,
            "entries": list.entries.len(),
        }));
        if !as_json {
            println!(
                "imported {:?}: {} {} entries (version {})",
                list.name,
                list.entries.len(),
                list.kind.as_str(),
                list.version
            );
        }
    }
    // After the lists: a cache that reads the count before the lists regenerates once more
    // at worst, never keeps lists older than the count says.
    store.kv_count_up(warninglist::STORE_IMPORTS_KEY)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The stored lists named in `names` (every stored list when empty), indexed for matching;
/// a name that is not stored is an error that says how to list them.
pub fn load(store: &Store, names: &[String]) -> anyhow::Result<Warninglists> {
    let lists = stored_lists(store)?;
    for n in names {
        anyhow::ensure!(
            lists.iter().any(|l| &l.name == n),
            "--warninglist {n:?}: no such list imported (yamori warninglist list)"
        );
    }
    let chosen = lists
        .into_iter()
        .filter(|l| names.is_empty() || names.contains(&l.name));
    Ok(Warninglists::new(chosen)?)
}

/// Every stored list, read again (they were checked on import; a list that no longer reads,
/// e.g. after a format change, is an error naming its key).
pub fn stored_lists(store: &Store) -> anyhow::Result<Vec<WarningList>> {
    Ok(warninglist::from_stored(store.kv_prefixed(KEY_PREFIX)?)?)
}

fn list(store: &Store, as_json: bool) -> anyhow::Result<ExitCode> {
    let lists = stored_lists(store)?;
    if as_json {
        let out: Vec<_> = lists
            .iter()
            .map(|l| {
                json!({
                    "name": l.name,
                    "type": l.kind.as_str(),
                    "version": l.version,
                    "entries": l.entries.len(),
                    "description": l.description,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if lists.is_empty() {
        println!("no warninglists stored (yamori warninglist import FILE)");
    } else {
        for l in &lists {
            println!(
                "{:<10} {:>9} entries  v{:<9} {}",
                l.kind.as_str(),
                l.entries.len(),
                l.version,
                l.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn relation_text(r: Option<Relation>) -> &'static str {
    match r {
        Some(Relation::Equal) => "equal",
        Some(Relation::ListedContainsQuery) => "listed prefix contains it",
        Some(Relation::QueryContainsListed) => "it contains the listed prefix",
        None => "match",
    }
}

fn check(store: &Store, values: &[String], as_json: bool) -> anyhow::Result<ExitCode> {
    let all = Warninglists::new(stored_lists(store)?)?;
    let mut out = Vec::new();
    for value in values {
        let matches = all.match_value(value);
        let named: Vec<_> = matches
            .iter()
            .map(|m| {
                let name = all.list(m.list).map_or("?", |l| l.name.as_str());
                (name, m)
            })
            .collect();
        if as_json {
            out.push(json!({
                "value": value,
                "matches": named.iter().map(|(name, m)| json!({
                    "list": name,
                    "entry": m.entry,
                    "relation": m.relation.map(|r| match r {
                        Relation::Equal => "equal",
                        Relation::ListedContainsQuery => "listed_contains",
                        Relation::QueryContainsListed => "contains_listed",
                    }),
                })).collect::<Vec<_>>(),
            }));
        } else if named.is_empty() {
            println!("{value}: not listed");
        } else {
            for (name, m) in &named {
                println!(
                    "{value}: {name:?} ({}: {})",
                    relation_text(m.relation),
                    m.entry
                );
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}
