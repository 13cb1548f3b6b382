//! `yamori`: the command-line entry point. It parses arguments, loads configuration, sets up
//! logging and hands over to one `cmd::*` module per subcommand. It holds no analysis logic:
//! that lives in the library crates (see ARCHITECTURE.md).

mod cmd;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc for every allocation of the Rust code: the hub's ingest allocates and frees many
/// small strings (JSON values, bound parameters, rows), where glibc's allocator took about a
/// quarter of the hub's CPU with its arena locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Yamori (家守, "house guard"): an IoT-security observatory on one machine.
///
/// Observe a darknet (traffic to unused addresses), survey the IoT devices you are authorised
/// to survey, and share what you find over STIX 2.1 / TAXII 2.1.
///
/// Start with `yamori demo`, or:
///   yamori gen-traffic --darknet 203.0.113.0/24 -o sample.pcap
///   yamori analyze --darknet 203.0.113.0/24 sample.pcap
#[derive(Parser, Debug)]
#[command(
    name = "yamori",
    version,
    about,
    long_about,
    propagate_version = true,
    verbatim_doc_comment
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Directory for the embedded database, certificates and state.
    #[arg(
        long,
        global = true,
        env = "YAMORI_DATA_DIR",
        default_value = "./yamori-data"
    )]
    pub data_dir: PathBuf,
    /// Where every command reads and writes its data: a PostgreSQL URL
    /// (postgres://user@host:port/dbname; the database must exist) or a SQLite file path.
    /// Default: the embedded SQLite file <data-dir>/yamori.sqlite.
    #[arg(long, global = true, env = "YAMORI_DATABASE", value_name = "URL|PATH")]
    pub database: Option<String>,
    /// Configuration file (TOML). Default: `<data-dir>/yamori.toml` if it exists.
    #[arg(long, global = true, env = "YAMORI_CONFIG")]
    pub config: Option<PathBuf>,
    /// More log output (-v info, -vv debug, -vvv trace). Logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log lines as JSON objects (for log shippers).
    #[arg(long, global = true)]
    pub log_json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a realistic synthetic darknet capture (deterministic by seed) and print its ground truth.
    GenTraffic(cmd::gen_traffic::Args),
    Analyze(cmd::analyze::Args),
    Sensor(cmd::sensor::Args),
    /// Run the hub: a TAXII 2.1 server over the store (HTTPS on 127.0.0.1:9443).
    Serve(cmd::serve::Args),
    /// Manage hub users and their per-collection permissions.
    #[command(subcommand)]
    User(cmd::user::Command),
    /// Publish an analysis or survey result as STIX 2.1 into a hub collection.
    Publish(cmd::publish::Args),
    /// Pull from or push to another TAXII 2.1 server, incrementally.
    #[command(subcommand)]
    Sync(cmd::sync::Command),
    /// Survey an authorised scope for IoT devices, weak credentials and known vulnerabilities.
    Survey(cmd::survey::Args),
    /// Check this machine's own home or office network for weak passwords and known vulnerabilities.
    Check(cmd::check::Args),
    /// Import offline vulnerability data (NVD CVE JSON 2.0, CISA KEV, OSV).
    #[command(subcommand)]
    Vulndb(cmd::vulndb::Command),
    /// Write one notice per owner (ISP / organisation) from survey results, or per network
    /// operator for the hosts the telescope saw scanning (--from-telescope).
    Notify(cmd::notify::Args),
    /// Export a collection's indicators for nftables, ipset, DNS RPZ, Suricata, MISP, CSV, text or STIX.
    Export(cmd::export::Args),
    /// Write an nftables policy for IoT devices from their MUD files (RFC 8520), with a quarantine set.
    Gateway(cmd::gateway::Args),
    Decoy(cmd::decoy::Args),
    Demo(cmd::demo::Args),
    /// Get a free geolocation database (DB-IP City Lite) for the dashboard's map.
    #[command(subcommand)]
    Geo(cmd::geo::Command),
    /// Import MISP warninglists (known scanners, cloud ranges, resolvers) and check values against them.
    #[command(subcommand)]
    Warninglist(cmd::warninglist::Command),
    /// Sightings of other organisations' indicators that our telescope or decoy confirmed.
    Sightings(cmd::sightings::Args),
    /// How far to believe each source of shared intel (0–100), for decayed scores.
    #[command(subcommand)]
    Trust(cmd::trust::Command),
    /// Keys of sharing groups, for anonymised `sync push` (docs/TRUST.md §5).
    #[command(subcommand)]
    Sharing(cmd::sharing::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging(&cli.global);
    match dispatch(&cli.global, cli.command) {
        Ok(code) => code,
        Err(e) => {
            // Logged once, here, where it is handled: `{:#}` prints the whole context chain.
            eprintln!("error: {e:#}");
            ExitCode::from(cmd::EXIT_FAILURE)
        }
    }
}

/// Run one subcommand. `yamori demo` calls this too, with command lines it builds, so the demo
/// is exactly the commands it prints.
pub fn dispatch(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::GenTraffic(a) => cmd::gen_traffic::run(global, a),
        Command::Analyze(a) => cmd::analyze::run(global, a),
        Command::Sensor(a) => cmd::sensor::run(global, a),
        Command::Serve(a) => cmd::serve::run(global, a),
        Command::User(c) => cmd::user::run(global, c),
        Command::Publish(a) => cmd::publish::run(global, a),
        Command::Sync(c) => cmd::sync::run(global, c),
        Command::Survey(a) => cmd::survey::run(global, a),
        Command::Check(a) => cmd::check::run(global, a),
        Command::Vulndb(c) => cmd::vulndb::run(global, c),
        Command::Notify(a) => cmd::notify::run(global, a),
        Command::Export(a) => cmd::export::run(global, a),
        Command::Gateway(a) => cmd::gateway::run(global, a),
        Command::Decoy(a) => cmd::decoy::run(global, a),
        Command::Demo(a) => cmd::demo::run(global, a),
        Command::Geo(c) => cmd::geo::run(global, c),
        Command::Warninglist(c) => cmd::warninglist::run(global, c),
        Command::Trust(c) => cmd::trust::run(global, c),
        Command::Sharing(c) => cmd::sharing::run(global, c),
        Command::Sightings(a) => cmd::sightings::run(global, &a),
    }
}
