//! yamori-act against the software that loads its output: nft and ipset in network namespaces
//! the tests create, BIND 9 on loopback. Missing peers
//! go through the shared rule (`tests/support/peers.rs`): a failure in the suite, a named skip
//! elsewhere.

#[path = "../../../../tests/support/peers.rs"]
mod peers;

mod fixtures;
mod formats;
mod gateway;
mod mud;
mod netns;
mod nft_ipset;
mod parallel;
mod rpz;
