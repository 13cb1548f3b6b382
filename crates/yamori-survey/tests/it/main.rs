//! Integration tests for yamori-survey: live sockets on loopback, and the network-namespace
//! lab (root only; skipped with a printed reason otherwise).

mod loopback;
mod netns;
mod notify;
mod tls;
mod util;
mod vuln;
