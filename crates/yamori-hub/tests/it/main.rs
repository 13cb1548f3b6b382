//! Integration tests of the TAXII server, driven through the router without sockets.

mod api;
mod common;
mod correlation;
mod early_answers;
mod endpoints;
mod feeds;
mod ingest;
mod layout;
mod login_throttle;
mod openapi;
mod paging;
mod refusals;
mod sensors;
mod survey_api;
mod tlp;
mod tls_client;
