//! End-to-end tests of the `yamori` binary (one test binary for the crate, to keep link time down).
mod alerts_e2e;
mod architecture;
mod check_e2e;
mod decoy_e2e;
mod decoy_lab;
mod demo_e2e;
mod enrich_e2e;
mod export_e2e;
mod gateway_e2e;
mod gateway_lab;
mod house_rules;
mod nats_e2e;
mod notify_e2e;
#[path = "../../../../tests/support/peers.rs"]
mod peers;
mod sensor_e2e;
mod support;
mod survey_e2e;
mod telescope_bad_input;
mod telescope_e2e;
mod trust_e2e;
mod user_e2e;
mod warninglist_e2e;
