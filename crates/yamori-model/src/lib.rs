//! The documents Yamori writes and reads, and nothing else: serde types with no I/O, no
//! analysis and no network code, so every crate that reads a document (the store, the hub,
//! the STIX exporter) depends on this small crate instead of on the analyzer or the scanner.
//!
//! - [`telescope`]: the analysis report (`yamori analyze --json`,
//!   `schemas/telescope-report.v1.json`), its categories, tool labels and source kinds;
//! - [`survey`]: the survey result (`yamori survey --out`, `schemas/survey-result.v1.json`);
//! - [`vuln`]: the vulnerability matches a survey result carries;
//! - [`sensor`]: a live sensor's capture counters per minute.
//!
//! Both schemas are checked against these types in `tests/`.

pub mod sensor;
pub mod survey;
pub mod telescope;
pub mod vuln;
