//! `yamori user`: hub users, their tokens and per-collection permissions.
use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use yamori_intel::markings::Tlp2;
use yamori_intel::sharing::{parse_clearance, DEFAULT_CLEARANCE};
use yamori_store::accounts::{Grant, User};
use yamori_store::taxii::Collection;
use yamori_store::Store;

use super::open_store;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a user (or update their grants) and print a new bearer token once.
    Add {
        name: String,
        /// `[api-root/]collection:r|w|rw` (repeatable). A collection named by an alias that
        /// does not exist yet is created with that alias.
        #[arg(long = "collection")]
        collections: Vec<String>,
        /// Also set a password for HTTP Basic, read from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// The highest TLP level the user may read over TAXII, the feeds and the dashboard:
        /// clear, green (the default for a new user), amber or amber+strict. Objects without
        /// a TLP marking count as amber. TLP:RED is never served. Give your own
        /// organisation's people and gateways amber+strict; a partner what you agreed.
        #[arg(long, value_parser = parse_tlp)]
        tlp: Option<Clearance>,
    },
    /// Add or change grants, or the TLP clearance, of an existing user.
    Grant {
        name: String,
        #[arg(long = "collection", required_unless_present = "tlp")]
        collections: Vec<String>,
        /// Change the user's TLP clearance (see `user add --tlp`); `default` returns them to
        /// the default (green).
        #[arg(long, value_parser = parse_tlp)]
        tlp: Option<Clearance>,
    },
    /// Issue another token for an existing user (printed once).
    Token { name: String },
    /// List users and their grants.
    List,
    /// Revoke a user's tokens: one (`--token ymr_<id>_…` or just its id) or all of them.
    ///
    /// A hub that verified the token in the last minute may accept it for up to a minute more
    /// (verified credentials are cached for 60 s); dashboard sessions are not affected.
    Revoke {
        name: String,
        /// The token (or its id, the part after `ymr_`); all tokens when left out.
        #[arg(long)]
        token: Option<String>,
    },
    /// Remove a user with all their tokens, grants and dashboard sessions.
    Remove { name: String },
}

/// A clearance to set: a level, or back to the default.
#[derive(Debug, Clone, Copy)]
pub enum Clearance {
    Default,
    Level(Tlp2),
}

fn parse_tlp(s: &str) -> Result<Clearance, String> {
    if s.trim().eq_ignore_ascii_case("default") {
        return Ok(Clearance::Default);
    }
    parse_clearance(s).map(Clearance::Level)
}

/// Store a clearance for `user` and say what it lets them read.
fn set_clearance(store: &Store, user: &str, tlp: Clearance) -> anyhow::Result<()> {
    let level = match tlp {
        Clearance::Default => DEFAULT_CLEARANCE,
        Clearance::Level(t) => t,
    };
    let stored = matches!(tlp, Clearance::Level(_)).then(|| level.level());
    store.taxii_set_user_tlp(user, stored)?;
    eprintln!("{user} may read up to {} (TLP:RED never)", level.name());
    Ok(())
}

/// The id part of `ymr_<id>_<secret>`, or the argument itself when it is already an id.
fn token_id(t: &str) -> &str {
    t.strip_prefix("ymr_")
        .and_then(|rest| rest.split_once('_').map(|(id, _)| id))
        .unwrap_or(t)
}

/// A parsed `--collection` argument.
struct Spec {
    api_root: String,
    collection: String,
    read: bool,
    write: bool,
}

fn parse_spec(s: &str) -> anyhow::Result<Spec> {
    let (path, perm) = s
        .rsplit_once(':')
        .with_context(|| format!("--collection {s:?}: expected NAME:r, NAME:w or NAME:rw"))?;
    let (read, write) = match perm {
        "r" => (true, false),
        "w" => (false, true),
        "rw" | "wr" => (true, true),
        _ => anyhow::bail!("--collection {s:?}: permission must be r, w or rw"),
    };
    let (api_root, collection) = match path.split_once('/') {
        Some((r, c)) => (r.to_string(), c.to_string()),
        None => ("api1".to_string(), path.to_string()),
    };
    if collection.is_empty() || collection.len() > 100 {
        anyhow::bail!("--collection {s:?}: the collection name must be 1 to 100 characters");
    }
    Ok(Spec {
        api_root,
        collection,
        read,
        write,
    })
}

fn apply_grants(store: &Store, user: &str, specs: &[String]) -> anyhow::Result<()> {
    for raw in specs {
        let spec = parse_spec(raw)?;
        let c = match store.taxii_collection(&spec.api_root, &spec.collection)? {
            Some(c) => c,
            None => {
                let c = Collection {
                    id: uuid_v4(),
                    api_root: spec.api_root.clone(),
                    alias: Some(spec.collection.clone()),
                    title: spec.collection.clone(),
                    description: None,
                };
                store.taxii_put_collection(&c)?;
                eprintln!(
                    "created collection {} (alias {}) in API root {}",
                    c.id, spec.collection, spec.api_root
                );
                c
            }
        };
        store.taxii_set_grant(
            user,
            &Grant {
                collection_id: c.id,
                can_read: spec.read,
                can_write: spec.write,
            },
        )?;
    }
    Ok(())
}

fn uuid_v4() -> String {
    // Collections need UUIDs (TAXII 2.1 §5.2.1); the hub crate already depends on `uuid`.
    yamori_hub::ingest::new_status("", "", 0).id
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Add {
            name,
            collections,
            password_stdin,
            tlp,
        } => {
            if name.is_empty() || name.contains(':') || name.len() > 100 {
                anyhow::bail!("user name must be 1 to 100 characters without ':'");
            }
            let store = open_store(g)?;
            let password_hash = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password")?;
                let pw = line.trim_end_matches(['\r', '\n']);
                if pw.len() < 8 {
                    anyhow::bail!("the password must have at least 8 characters");
                }
                Some(yamori_hub::auth::hash_secret(pw).map_err(anyhow::Error::msg)?)
            } else {
                store.taxii_user(&name)?.and_then(|u| u.password_hash)
            };
            store.taxii_put_user(&User {
                name: name.clone(),
                password_hash,
            })?;
            apply_grants(store.as_ref(), &name, &collections)?;
            match tlp {
                Some(t) => set_clearance(store.as_ref(), &name, t)?,
                None if store.taxii_user_tlp(&name)?.is_none() => eprintln!(
                    "{name} may read TLP:CLEAR and TLP:GREEN only (not unmarked objects); \
                     for your own organisation's accounts, add --tlp amber+strict"
                ),
                None => {}
            }
            let token =
                yamori_hub::auth::issue_token(store.as_ref(), &name).map_err(anyhow::Error::msg)?;
            eprintln!("token for {name} (shown once; stored only as a hash):");
            println!("{token}");
        }
        Command::Grant {
            name,
            collections,
            tlp,
        } => {
            let store = open_store(g)?;
            store
                .taxii_user(&name)?
                .with_context(|| format!("no user {name:?}"))?;
            apply_grants(store.as_ref(), &name, &collections)?;
            if let Some(t) = tlp {
                set_clearance(store.as_ref(), &name, t)?;
            }
        }
        Command::Token { name } => {
            let store = open_store(g)?;
            store
                .taxii_user(&name)?
                .with_context(|| format!("no user {name:?}"))?;
            let token =
                yamori_hub::auth::issue_token(store.as_ref(), &name).map_err(anyhow::Error::msg)?;
            println!("{token}");
        }
        Command::Revoke { name, token } => {
            let store = open_store(g)?;
            store
                .taxii_user(&name)?
                .with_context(|| format!("no user {name:?}"))?;
            let n = store.taxii_delete_tokens(&name, token.as_deref().map(token_id))?;
            if token.is_some() && n == 0 {
                anyhow::bail!("{name} has no such token (see `yamori user list`)");
            }
            eprintln!("revoked {n} token(s) of {name}");
        }
        Command::Remove { name } => {
            let store = open_store(g)?;
            let sessions = store.sessions_end_user(&name)?;
            if !store.taxii_delete_user(&name)? {
                anyhow::bail!("no user {name:?} (see `yamori user list`)");
            }
            eprintln!("removed {name} with their tokens and grants; ended {sessions} dashboard session(s)");
        }
        Command::List => {
            let store = open_store(g)?;
            for u in store.taxii_users()? {
                let grants: Vec<String> = store
                    .taxii_grants(&u.name)?
                    .into_iter()
                    .map(|g| {
                        let p = match (g.can_read, g.can_write) {
                            (true, true) => "rw",
                            (true, false) => "r",
                            (false, true) => "w",
                            _ => "-",
                        };
                        format!("{}:{p}", g.collection_id)
                    })
                    .collect();
                let tlp = store
                    .taxii_user_tlp(&u.name)?
                    .unwrap_or_else(|| format!("{} (default)", DEFAULT_CLEARANCE.level()));
                println!("{}\ttlp:{tlp}\t{}", u.name, grants.join(" "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
