//! The hub as one application: its settings ([`HubConfig`]), the state every handler shares
//! ([`HubState`]), the router that puts TAXII, the REST API and the dashboard's files together
//! ([`app`]), and the steps both sides share — running a store call on the blocking pool
//! ([`HubState::blocking`]) and identifying the caller from the `Authorization` header
//! ([`HubState::identify`]) — each failing in the error type of the side that calls it
//! ([`HandlerError`]): TAXII's error resource or the API's `{"error": …}`.
//!
//! Dependencies run one way: `taxii/` and `api/` use this module and not each other; here,
//! only the router (`router.rs`) names them.

mod config;
mod error;
mod lists;
mod router;
mod state;

pub use config::HubConfig;
pub(crate) use error::HandlerError;
pub use lists::ListCache;
pub use router::app;
pub use state::HubState;
