//! `yamori-decoy`: a low-interaction IoT honeypot. It impersonates the devices IoT botnets
//! hunt for (profiles: a DVR, a camera, a router), lets them log in with the default
//! passwords they try, answers the commands their loaders run from a BusyBox-like shell,
//! and records everything as Cowrie-compatible JSON lines.
//!
//! Architecture invariant: nothing an attacker sends is executed, interpreted by a real
//! shell or fetched. The crate opens only the listening sockets it is given and never
//! connects anywhere (source check in the binary's `house_rules.rs`); download commands are
//! recorded and answered as if the host were unreachable.
//!
//! Layout: the telnet negotiation (`telnet`), the shell (`shell`) and one session's state
//! machine (`session`) are synchronous and need no socket; `server` is the only async part
//! (the listener, limits over time, the record sink in `record`).

pub mod events;
pub mod http;
pub mod limits;
pub mod mqtt;
pub mod profile;
pub mod record;
pub mod server;
pub mod session;
pub mod shell;
pub mod telnet;

pub use events::{Detail, Event, SessionMeta};
pub use limits::Limits;
pub use profile::Profile;
pub use record::{Recorder, Summary};
pub use server::{run_until_signal, Config, Decoy, DecoyError, Protocol};
