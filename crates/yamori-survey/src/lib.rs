//! Authorised IoT survey: scope, probing, protocol modules, credentials, fingerprints.
//!
//! Entry point: [`run_survey`] (or the async [`engine::survey`]) with a [`engine::SurveyConfig`];
//! every packet leaves through [`net::Guard`], which re-checks the scope.
//!
//! Architecture invariant: this crate opens sockets only in [`net`] (the guard and the SYN
//! sweep). Vulnerability matching is `yamori-vuln`, owner notices `yamori-notify`, and the
//! device emulators the tests survey `yamori-lab`.

pub mod adapt;
pub mod creds;
pub mod engine;
pub mod fingerprint;
pub mod local;
/// The result types live in `yamori-model` (every reader depends on that, not on the scanner).
pub use yamori_model::survey as model;
pub mod net;
pub mod ports;
pub mod probe;
pub mod proto;
pub mod rate;
pub mod recog;
pub mod scope;

pub use engine::{run_survey, survey, Discovery, SurveyConfig, SurveyError};
