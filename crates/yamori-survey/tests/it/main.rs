//! Integration tests for yamori-survey: live sockets on loopback against the lab's device
//! emulators (`yamori-lab`), and HTTPS. The network-namespace lab test is `yamori-lab`'s.

mod loopback;
mod tls;
mod util;
