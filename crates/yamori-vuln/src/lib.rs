//! Vulnerability data and matching: the one crate that knows what a vulnerability record is.
//!
//! - [`feed`]: stream NVD CVE JSON 2.0, CISA KEV and OSV files into normalised [`record`]s;
//! - [`cpe`], [`version`]: CPE 2.3 names and token-by-token version comparison;
//! - [`identity`]: what a surveyed service is, as CPE names (firmware *and* hardware);
//! - [`matcher`], [`osv_match`]: pure matching with three-valued results (affected / unknown);
//! - [`annotate`](mod@annotate): add the matches to a [`yamori_model::survey::SurveyResult`], through the
//!   lookup trait [`VulnLookup`];
//! - [`store`]: the vulnerability tables of `yamori-store`: files imported into them in
//!   batches, and [`VulnLookup`] for [`yamori_store::Store`]; [`MemoryVulnDb`] in memory.
//!
//! Architecture invariant: parsing and matching do no I/O except reading the `Read` handed to
//! [`feed::read_feed`]; storage is behind [`VulnLookup`]. Only [`store`] reads files and
//! talks to the store.

pub mod annotate;
pub mod cpe;
pub mod feed;
pub mod finding;
pub mod identity;
pub mod kev;
pub mod matcher;
pub mod memory;
pub mod nvd;
pub mod osv;
pub mod osv_match;
pub mod record;
pub mod store;
pub mod version;

pub use annotate::{annotate, AnnotateStats, Candidate, VulnLookup};
pub use finding::{Certainty, KevFlag, MatchRule, VulnMatch};
pub use identity::Identity;
pub use memory::MemoryVulnDb;

/// An entry of a file that was not imported: its position, its id when readable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {index}{}: {reason}", id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
pub struct ItemError {
    pub index: usize,
    pub id: Option<String>,
    pub reason: String,
}
