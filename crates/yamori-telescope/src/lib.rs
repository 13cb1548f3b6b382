//! Telescope analysis: turns decoded packets ([`yamori_wire::Packet`]) sent to unused address
//! space into categories, scanners, tool fingerprints, DDoS victims and time series.
//!
//! Architecture invariant: no I/O, no storage, no clocks. Everything here is a pure function of
//! the packets fed in and the [`Config`]; state is mergeable so files and cores can be analysed
//! in parallel and combined ([`Analyzer::merge`]).
//!
//! Code map: `classify` holds the per-packet rules; `sources` the per-source records and
//! windows (`index` their IPv4 lookup, `record` one record, `winsets` a window's sets);
//! `victims` backscatter histograms and attack segmentation (`victim_table` their lookup and
//! batched updates); `distinct` the exact-then-
//! estimated sets (`exact_set` their hashed exact part); `port_hist` the per-port packet
//! counters; `analyzer` the streaming state, which buffers source updates, regroups them by
//! source once the state outgrows the caches and applies them in prefetched batches; `finish`
//! the verdicts and [`Report`].

mod analyzer;
mod classify;
pub mod config;
mod distinct;
mod exact_set;
mod finish;
mod index;
mod port_hist;
mod record;
/// The report types live in `yamori-model` (every reader depends on that, not on the analyzer).
pub use yamori_model::telescope as report;
mod sources;
mod timefmt;
mod victim_table;
mod victims;
mod winsets;

pub use analyzer::Analyzer;
pub use config::Config;
pub use report::{GeoPoint, Report};

/// Geo/ASN facts about one address, from whatever databases the caller has.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Enrichment {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    /// Position of the address (city or country level, as the database gives it).
    pub location: Option<GeoPoint>,
}

/// Looks up sources and victims at [`Analyzer::finish`] (once per address, not per packet).
pub trait SourceEnricher: Sync {
    fn lookup(&self, addr: std::net::IpAddr) -> Enrichment;
}
