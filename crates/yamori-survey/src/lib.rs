//! Authorised IoT survey: scope, probing, protocol modules, credentials, fingerprints, vulnerabilities.
//!
//! Entry point: [`run_survey`] (or the async [`engine::survey`]) with a [`engine::SurveyConfig`];
//! every packet leaves through [`net::Guard`], which re-checks the scope.

pub mod creds;
pub mod fingerprint;
pub mod model;
pub mod net;
pub mod notify;
pub mod proto;
pub mod rate;
pub mod scope;
pub mod vuln;
