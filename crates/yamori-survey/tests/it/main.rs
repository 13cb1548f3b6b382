//! Integration tests for yamori-survey: live sockets on loopback against the lab's device
//! emulators (`yamori-lab`), HTTPS, and real Debian daemons in a network namespace (root). The
//! emulator lab test is `yamori-lab`'s.

mod bad_logins;
mod daemons;
mod loopback;
mod tls;
mod util;

#[path = "../../../../tests/support/peers.rs"]
mod peers;
