//! Authorised IoT survey: scope, probing, protocol modules, credentials, fingerprints, vulnerabilities.

pub mod model;
pub mod scope;
