//! HTTP hub: TAXII 2.1 server ([`taxii`]) and client over the [`yamori_store`] STIX store,
//! the dashboard's REST API ([`api`]) and its embedded front-end ([`web`]).
//!
//! - [`app()`] builds the axum router (tests drive it with `tower::ServiceExt::oneshot`) over
//!   the shared [`HubState`] and [`HubConfig`]; its module owns the steps TAXII and the API
//!   share. `taxii` and `api` depend on it, not on each other.
//! - [`serve`] runs it over HTTPS (rustls; TLS 1.2+, no 0-RTT) or, on loopback only, plain HTTP.
//! - [`auth`] checks HTTP Basic and bearer credentials against argon2 hashes; [`throttle`]
//!   slows repeated failures per user name and client address.
//! - [`drain`] reads what a handler left of a request body before answering, so that
//!   uploading clients read early answers (413, 401, …).
//! - [`feeds`] serves every export format (`yamori_act`) under `/feeds/`, generated off the
//!   request path and kept while the collection is unchanged.
//! - [`ingest`] turns envelopes into stored objects and status resources.
//! - [`client::TaxiiClient`] talks to any TAXII 2.1 server (used by `yamori sync`/`publish`).

pub mod api;
mod app;
pub mod auth;
pub mod client;
pub mod drain;
pub mod feeds;
pub mod ingest;
pub mod minutes;
pub mod serve;
pub mod taxii;
pub mod throttle;
pub mod tls;
pub mod web;

pub use app::{app, HubConfig, HubState};

/// The TAXII 2.1 media type for every TAXII resource.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type advertised by collections.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
