//! Integration tests for yamori-survey: live sockets on loopback, and the network-namespace
//! lab (root only: the suite fails without it, other runs report the skip).

mod loopback;
mod netns;
mod notify;
mod tls;
mod util;
mod vuln;
