//! Trust in shared intel, as pure functions over values: no I/O (it reads the bytes it is
//! given), no clock (the caller passes `now`), no threads.
//!
//! * [`decay`]: how much to believe an indicator now — a base score from confidence and the
//!   trust in its sources, decayed with MISP's polynomial model, expired below a threshold;
//! * [`warninglist`]: MISP warninglists (research scanners, cloud ranges, resolvers, top
//!   sites) read and matched, addresses by prefix (contains, contained-by, overlap);
//! * [`cryptopan`]: prefix-preserving pseudonymisation of addresses before sharing, and
//!   [`ipcrypt`] (ipcrypt-pfx) as the alternative scheme;
//! * [`kanon`]: the k-anonymity of the host records a push would share.
//!
//! It knows nothing of STIX (the TLP sharing rules are in `yamori-intel`, `sharing.rs`), the
//! store or the network. Formulas, defaults and worked examples: docs/TRUST.md.

pub mod cryptopan;
pub mod decay;
pub mod ipcrypt;
pub mod kanon;
pub mod warninglist;

pub use cryptopan::CryptoPan;
pub use decay::{base_score, score_indicator, DecayModel, Report, Scored, SourceTrust, Trust};
pub use kanon::{Anonymity, Generalisation, HostRecord};
pub use warninglist::{ListError, ListId, Match, Relation, WarningList, Warninglists};
