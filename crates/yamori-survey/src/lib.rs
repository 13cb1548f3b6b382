//! Authorised IoT survey: scope, probing, protocol modules, credentials, fingerprints, vulnerabilities.
//!
//! Entry point: [`run_survey`] (or the async [`engine::survey`]) with a [`engine::SurveyConfig`];
//! every packet leaves through [`net::Guard`], which re-checks the scope.

pub mod creds;
pub mod engine;
pub mod fingerprint;
pub mod lab;
/// The result types live in `yamori-model` (every reader depends on that, not on the scanner).
pub use yamori_model::survey as model;
pub mod net;
pub mod notify;
pub mod ports;
pub mod probe;
pub mod proto;
pub mod rate;
pub mod recog;
pub mod scope;
pub mod vuln;

pub use engine::{run_survey, survey, Discovery, SurveyConfig, SurveyError};
