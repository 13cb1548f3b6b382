//! The "act" step: what Yamori knows, as artefacts that real network software loads
//! unchanged — nftables sets, ipset restore input, a DNS response policy zone, Suricata IP
//! reputation and rules, a MISP feed, CSV, plain text and a STIX bundle.
//!
//! Two halves, both pure functions of their inputs (no store, no clock, no network):
//! * [`select`]: STIX objects (their JSON text, as the store keeps them) in; checked list
//!   entries out, every object left out counted with its reason. Scores come through the
//!   [`select::Scorer`] seam (today the indicator's `confidence`).
//! * [`write`]: entries in, bytes out, to any `Write` or, for the formats that are several
//!   files, into a directory (each file replaced atomically, [`atomic`]).
//!
//! [`export`] puts the two together for every caller: a request reads objects through a
//! source the caller hands in (the binary's `yamori export` and the hub's feeds walk the
//! store) and yields the format's bytes or files with a summary.

pub mod atomic;
pub mod export;
pub mod gateway;
pub mod indicator;
pub mod mud;
pub mod objects;
pub mod observable;
pub mod parallel;
pub mod pattern;
pub mod ranges;
pub mod score;
pub mod select;
pub mod tlp;
pub mod write;

pub use export::{parse_age, Export, Request, Summary};
pub use indicator::Indicator;
pub use objects::Objects;
pub use select::{ConfidenceScore, Criteria, Entry, Scorer, Selected, Selection, Skip, Skips};
pub use tlp::Tlp;
pub use write::{render_dir, write, write_dir, File, Format, Options, Written};
