//! Device emulators for tests, the network-namespace lab (`yamori-lab` binary) and
//! `yamori demo`. They are never used by the survey itself; they exist so every probe and
//! login check can be tested against a live socket, including hostile behaviour (endless
//! banners, silence, mid-handshake close, malformed telnet negotiation, oversized MQTT
//! packets).
//!
//! Architecture invariant: the emulators listen on the addresses they are given and only
//! answer what they receive; they never connect or send first. The scanner's survey tests
//! use this crate as a dev-dependency, the demo as a dependency.

pub mod netns;
mod tcp;
mod udp;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One emulated service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emu {
    /// BusyBox-style telnet with a login prompt accepting one user/password.
    Telnet {
        port: u16,
        user: String,
        pass: String,
    },
    /// HTTP camera: `Server` header, auth (`basic`/`digest`) with one user/password.
    Http {
        port: u16,
        server: String,
        user: String,
        pass: String,
        digest: bool,
    },
    /// MQTT broker: anonymous access (`user` = None) or one user/password.
    Mqtt {
        port: u16,
        creds: Option<(String, String)>,
    },
    Ftp {
        port: u16,
        banner: String,
    },
    Ssh {
        port: u16,
        version: String,
    },
    Coap {
        port: u16,
    },
    Ssdp {
        port: u16,
        server: String,
    },
    /// Sends banner bytes forever.
    Endless {
        port: u16,
    },
    /// Accepts and never says anything.
    Silent {
        port: u16,
    },
    /// Sends half a telnet negotiation, then closes.
    MidClose {
        port: u16,
    },
    /// Telnet with an unterminated subnegotiation flood before the prompt.
    BadTelnet {
        port: u16,
    },
    /// Replies to MQTT CONNECT with a header claiming a 256 MiB packet.
    BigMqtt {
        port: u16,
    },
}

impl Emu {
    /// Parses `kind:port[:args…]` (see `yamori-lab --help`).
    pub fn parse(s: &str) -> Result<Emu, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let port: u16 = parts
            .get(1)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("{s:?}: expected kind:port[:…]"))?;
        let arg = |i: usize| -> Result<String, String> {
            parts
                .get(i)
                .map(|x| x.to_string())
                .ok_or_else(|| format!("{s:?}: missing field {i}"))
        };
        Ok(match parts[0] {
            "telnet" => Emu::Telnet {
                port,
                user: arg(2)?,
                pass: arg(3)?,
            },
            "http" => Emu::Http {
                port,
                server: arg(2)?,
                user: arg(3)?,
                pass: arg(4)?,
                digest: parts.get(5) == Some(&"digest"),
            },
            "mqtt" if parts.get(2) == Some(&"anon") => Emu::Mqtt { port, creds: None },
            "mqtt" => Emu::Mqtt {
                port,
                creds: Some((arg(2)?, arg(3)?)),
            },
            "ftp" => Emu::Ftp {
                port,
                banner: parts[2..].join(":"),
            },
            "ssh" => Emu::Ssh {
                port,
                version: arg(2)?,
            },
            "coap" => Emu::Coap { port },
            "ssdp" => Emu::Ssdp {
                port,
                server: parts[2..].join(":"),
            },
            "endless" => Emu::Endless { port },
            "silent" => Emu::Silent { port },
            "midclose" => Emu::MidClose { port },
            "badtelnet" => Emu::BadTelnet { port },
            "bigmqtt" => Emu::BigMqtt { port },
            k => return Err(format!("unknown emulator kind {k:?}")),
        })
    }
}

/// What the emulators saw (shared by all of them).
#[derive(Debug, Default)]
pub struct LabLog {
    pub connections: AtomicUsize,
    pub logins_ok: AtomicUsize,
    /// Bytes received after a successful login: must stay 0 (no command after login).
    pub bytes_after_login: AtomicUsize,
}

impl LabLog {
    pub fn get(a: &AtomicUsize) -> usize {
        a.load(Ordering::SeqCst)
    }
}

/// Binds and serves `emu` on `ip` in the background; returns the bound address.
pub async fn spawn(ip: IpAddr, emu: Emu, log: Arc<LabLog>) -> std::io::Result<SocketAddr> {
    match emu {
        Emu::Coap { port } => udp::spawn_coap(SocketAddr::new(ip, port)).await,
        Emu::Ssdp { port, server } => udp::spawn_ssdp(SocketAddr::new(ip, port), server).await,
        tcp_emu => tcp::spawn(ip, tcp_emu, log).await,
    }
}
