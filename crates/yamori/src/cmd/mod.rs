//! One module per subcommand: argument structs and the wiring between library crates.
//!
//! Exit codes (documented in `yamori --help` and README):
//! 0 success; 1 failure (nothing useful produced); 2 usage error (clap);
//! 3 partial success: some input was bad (e.g. a truncated capture), the rest was processed.

pub mod analyze;
pub mod anonymise;
pub mod check;
pub mod decoy;
pub mod demo;
mod demo_decoy;
mod demo_lab;
pub mod export;
pub mod gateway;
pub mod gen_traffic;
pub mod geo;
pub mod nats;
pub mod notify;
pub mod publish;
pub mod sensor;
pub mod serve;
pub mod sharing;
pub mod sightings;
pub mod survey;
pub mod sync;
pub mod trust;
pub mod user;
pub mod vulndb;
pub mod warninglist;

use std::sync::Arc;

use anyhow::Context;
use yamori_store::{Database, Store};

use crate::GlobalArgs;

/// The database `--database` (or `YAMORI_DATABASE`) names, else `<data-dir>/yamori.sqlite`.
pub fn database(g: &GlobalArgs) -> anyhow::Result<Database> {
    Ok(Database::from_arg(g.database.as_deref(), &g.data_dir)?)
}

/// Open the store every command shares: the one place `--database` is honoured.
pub fn open_store(g: &GlobalArgs) -> anyhow::Result<Arc<Store>> {
    let db = database(g)?;
    let store = db
        .open()
        .with_context(|| format!("opening the database {db}"))?;
    Ok(Arc::new(store))
}

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_PARTIAL: u8 = 3;

/// Logging to stderr with `tracing`; `RUST_LOG` overrides the -v/-q level.
pub fn init_logging(g: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if g.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
