//! Integration tests of the TAXII server, driven through the router without sockets.

mod api;
mod common;
mod endpoints;
mod ingest;
mod paging;
mod refusals;
mod survey_api;
mod tls_client;
