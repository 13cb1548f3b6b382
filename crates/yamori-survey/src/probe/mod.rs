//! Async probes: one function per protocol, each filling a [`Service`] over connections
//! opened through [`Guard`] (scope check, rate limit, bounded reads).

mod ftp;
mod lanes;
mod login;
mod ssh;
mod stream;
mod tcp;
mod telnet;
mod udp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::adapt::{Learned, Waits};
use crate::creds::Credential;
use crate::fingerprint::Rules;
use crate::model::{Protocol, Service, Transport, MAX_BANNER_BYTES};
use crate::net::{Guard, ProbeError};
use crate::ports::{protocol_for, uses_tls, PortSpec};

pub use stream::Stream;

/// Everything a probe needs, shared by all probes of a survey.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub guard: Guard,
    /// `yamori-survey/<version> (+authorised IoT survey; contact: …)`.
    pub user_agent: String,
    /// The `--contact` alone, for protocols with a place for it (the SSH identification's
    /// comment).
    pub contact: String,
    pub tls: Arc<rustls::ClientConfig>,
    /// Credentials to try (empty with `--no-creds`).
    pub credentials: Arc<Vec<Credential>>,
    /// Whether FTP servers are asked for an anonymous login too.
    pub ftp_anonymous: bool,
    pub rules: Arc<Rules>,
    /// Longest wait for a service's first prompt (a slow first byte); the host budget bounds
    /// it too.
    pub prompt_wait: Duration,
    /// Longest wait for the reply to a password (longer than common failure delays).
    pub reply_wait: Duration,
    /// Login connections to one telnet, SSH or FTP service at once (`probe/lanes.rs`).
    pub login_lanes: usize,
    /// Per-service waits learned from an earlier run (`--adapt-from`).
    pub learned: Arc<Learned>,
}

/// Lossy UTF-8 of at most [`MAX_BANNER_BYTES`] bytes.
pub fn banner_text(raw: &[u8]) -> String {
    String::from_utf8_lossy(&raw[..raw.len().min(MAX_BANNER_BYTES)]).into_owned()
}

/// Probes one port. `Err` means the port is not open (or not answering: UDP); an open port
/// whose exchange failed is an `Ok` service with an `error` field.
///
/// `deadline` is the host's time budget: login checks stop there with a `login_stopped` note
/// (the caller also enforces it as a hard limit).
pub async fn probe_port(
    ctx: &Ctx,
    ip: std::net::IpAddr,
    p: PortSpec,
    deadline: tokio::time::Instant,
) -> Result<Service, ProbeError> {
    let addr = SocketAddr::new(ip, p.port);
    let protocol = protocol_for(p);
    let mut svc = Service::new(p.port, p.transport, protocol);
    let configured = Waits {
        prompt: ctx.prompt_wait,
        reply: ctx.reply_wait,
    };
    let adapted;
    let ctx = match ctx.learned.waits(addr, configured) {
        Some(w) => {
            svc.fields.insert(
                "login_waits_adapted".into(),
                format!(
                    "prompt {:.1} s, reply {:.1} s (from an earlier run)",
                    w.prompt.as_secs_f64(),
                    w.reply.as_secs_f64()
                ),
            );
            adapted = Ctx {
                prompt_wait: w.prompt,
                reply_wait: w.reply,
                ..ctx.clone()
            };
            &adapted
        }
        None => ctx,
    };
    if p.transport == Transport::Udp {
        udp::probe(ctx, addr, &mut svc).await?;
    } else {
        let outcome = match protocol {
            Protocol::Telnet => telnet::probe(ctx, addr, &mut svc, deadline).await,
            Protocol::Ssh => ssh::probe(ctx, addr, &mut svc, deadline).await,
            Protocol::Ftp => ftp::probe(ctx, addr, &mut svc, deadline).await,
            Protocol::Http | Protocol::Https | Protocol::Tr069 => {
                tcp::http(ctx, addr, uses_tls(p), &mut svc, deadline).await
            }
            Protocol::Rtsp => tcp::rtsp(ctx, addr, &mut svc).await,
            Protocol::Mqtt => tcp::mqtt(ctx, addr, uses_tls(p), &mut svc, deadline).await,
            Protocol::Modbus => tcp::modbus(ctx, addr, &mut svc).await,
            Protocol::Coap | Protocol::Ssdp | Protocol::Unknown => {
                tcp::unknown(ctx, addr, &mut svc).await
            }
        };
        match outcome {
            // The first connect failed: nothing listens there.
            Err(e) if svc.evidence.is_empty() => return Err(e),
            Err(e) => {
                svc.fields.insert("error".into(), e.to_string());
            }
            Ok(()) => {}
        }
    }
    svc.device = ctx.rules.identify(&svc);
    Ok(svc)
}
