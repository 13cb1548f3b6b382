//! Integration tests of yamori-decoy: scripted bot sessions over real sockets on loopback
//! (`mirai`), exploit requests and logins from `curl` (`http`), `mosquitto_pub`/`_sub`
//! (`mqtt`), the limits (`limits`), floods, slowloris and half-open sessions (`flood`),
//! arbitrary input to the synchronous parts (`robustness`).

mod flood;
mod http;
mod limits;
mod mirai;
mod mqtt;
#[path = "../../../../tests/support/peers.rs"]
mod peers;
mod robustness;
mod support;
