//! Telescope analysis: turns decoded packets ([`yamori_wire::Packet`]) sent to unused address
//! space into categories, scanners, tool fingerprints, DDoS victims and time series.
//!
//! Architecture invariant: no I/O, no storage, no clocks. Everything here is a pure function of
//! the packets fed in and the [`Config`]; state is mergeable so files and cores can be analysed
//! in parallel and combined ([`Analyzer::merge`]).

pub mod config;
pub mod report;

pub use config::Config;
pub use report::Report;
