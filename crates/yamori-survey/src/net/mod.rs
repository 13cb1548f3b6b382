//! The only way the survey touches the network: [`Guard`] re-checks the scope before every
//! TCP connect, UDP send and raw SYN ([`syn`]), waits for the global rate limit, and reads with
//! hard bounds.

pub mod syn;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

use crate::model::Evidence;
use crate::rate::RateLimiter;
use crate::scope::Scope;

/// Most bytes read from one connection in total, whatever the protocol (an endless banner
/// stops here).
pub const MAX_BYTES_PER_CONNECTION: usize = 64 * 1024;
/// Largest UDP reply read (CoAP and SSDP replies are a few hundred bytes; a datagram can be
/// 64 KiB, larger ones are truncated by the kernel into this buffer).
pub const MAX_UDP_REPLY: usize = 8 * 1024;

/// Why a probe stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The hard scope check refused an address: a bug upstream, never a network condition.
    #[error("refusing to send to {0}: not in scope")]
    OutOfScope(SocketAddr),
    #[error("connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("connect to {0}: timed out")]
    ConnectTimeout(SocketAddr),
    #[error("{what}: no reply within the timeout")]
    Timeout { what: &'static str },
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("{what}: peer closed the connection mid-exchange")]
    Closed { what: &'static str },
    #[error("{what}: malformed reply: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("per-host time budget exhausted")]
    Budget,
}

impl ProbeError {
    /// True for "nothing listens there" outcomes, which are the normal case of a sweep and
    /// must not trigger back-off.
    pub fn is_closed_port(&self) -> bool {
        match self {
            ProbeError::Connect { source, .. } => {
                source.kind() == std::io::ErrorKind::ConnectionRefused
            }
            ProbeError::ConnectTimeout(_) => true,
            _ => false,
        }
    }

    /// True for failures a daemon busy with other clients causes and may not cause again a
    /// moment later: a connection refused, reset or closed mid-exchange, a key exchange cut
    /// off. Not for a reply that never came (waiting again costs a whole wait) or a reply
    /// that made no sense.
    pub fn is_transient(&self) -> bool {
        match self {
            ProbeError::Connect { .. }
            | ProbeError::ConnectTimeout(_)
            | ProbeError::Io { .. }
            | ProbeError::Closed { .. } => true,
            ProbeError::Malformed { what, .. } => *what == "ssh key exchange",
            _ => false,
        }
    }
}

/// Scope check + rate limit + timeouts, shared by every probe of a survey.
#[derive(Debug, Clone)]
pub struct Guard {
    scope: Arc<Scope>,
    limiter: Arc<RateLimiter>,
    /// Timeout for connect and for each read.
    pub timeout: Duration,
}

impl Guard {
    pub fn new(scope: Arc<Scope>, limiter: Arc<RateLimiter>, timeout: Duration) -> Self {
        Guard {
            scope,
            limiter,
            timeout,
        }
    }

    /// The hard check every send goes through. Returns an error, never panics, and has no
    /// switch to turn it off.
    pub fn ensure_in_scope(&self, addr: SocketAddr) -> Result<(), ProbeError> {
        if self.scope.contains(addr.ip()) {
            Ok(())
        } else {
            tracing::error!(%addr, "out-of-scope send refused");
            Err(ProbeError::OutOfScope(addr))
        }
    }

    /// Opens a TCP connection (scope-checked, rate-limited) and records it as evidence.
    pub async fn connect(
        &self,
        addr: SocketAddr,
        action: &str,
        evidence: &mut Vec<Evidence>,
    ) -> Result<TcpStream, ProbeError> {
        self.ensure_in_scope(addr)?;
        self.limiter.acquire().await;
        let started = OffsetDateTime::now_utc();
        let stream = match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
            Err(_) => return Err(ProbeError::ConnectTimeout(addr)),
            Ok(Err(source)) => return Err(ProbeError::Connect { addr, source }),
            Ok(Ok(s)) => s,
        };
        let source = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        evidence.push(Evidence {
            time: started,
            source,
            destination: addr.to_string(),
            action: action.to_string(),
        });
        Ok(stream)
    }

    /// Sends one UDP datagram (scope-checked, rate-limited) and waits for one reply from the
    /// same address. `Ok(None)` when nothing came back in time.
    pub async fn udp_exchange(
        &self,
        addr: SocketAddr,
        payload: &[u8],
        action: &str,
        evidence: &mut Vec<Evidence>,
    ) -> Result<Option<Vec<u8>>, ProbeError> {
        self.ensure_in_scope(addr)?;
        self.limiter.acquire().await;
        let bind: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let io = |source| ProbeError::Io {
            what: "udp",
            source,
        };
        let sock = UdpSocket::bind(bind).await.map_err(io)?;
        // connect() makes the kernel drop datagrams from any other source.
        sock.connect(addr).await.map_err(io)?;
        evidence.push(Evidence {
            time: OffsetDateTime::now_utc(),
            source: sock.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            destination: addr.to_string(),
            action: action.to_string(),
        });
        sock.send(payload).await.map_err(io)?;
        let mut buf = vec![0u8; MAX_UDP_REPLY];
        match tokio::time::timeout(self.timeout, sock.recv(&mut buf)).await {
            Err(_) => Ok(None),
            // ICMP port unreachable surfaces as ConnectionRefused on a connected socket.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(None),
            Ok(Err(source)) => Err(io(source)),
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
        }
    }
}

/// A reader that never returns more than [`MAX_BYTES_PER_CONNECTION`] bytes in total and
/// never waits longer than `timeout` for one read.
pub struct Bounded<S> {
    pub inner: S,
    total: usize,
    timeout: Duration,
}

/// How a bounded read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnd {
    /// The caller's predicate was satisfied.
    Done,
    /// The per-read byte limit or the per-connection budget was reached.
    Limit,
    /// The peer closed.
    Eof,
    /// Nothing more arrived within the timeout.
    Quiet,
}

impl<S: AsyncRead + Unpin> Bounded<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        Bounded {
            inner,
            total: 0,
            timeout,
        }
    }

    /// Appends to `buf` until `done(buf)` is true, `buf` holds `max` bytes, the connection
    /// budget is spent, the peer closes, or `timeout` passes with nothing new.
    pub async fn read_until(
        &mut self,
        buf: &mut Vec<u8>,
        max: usize,
        done: impl FnMut(&[u8]) -> bool,
    ) -> Result<ReadEnd, ProbeError> {
        // A peer trickling one byte per second would reset a per-read timeout forever;
        // the hard deadline bounds the whole call.
        let hard_deadline = Instant::now() + self.timeout * 4;
        self.read_until_at(buf, max, hard_deadline, Some(self.timeout), done)
            .await
    }

    /// Like [`Bounded::read_until`], but waits until `deadline` whatever the quiet time (when
    /// `quiet` is `None`): for protocol waits longer than the connect timeout, such as a
    /// telnet daemon that resolves the caller's name before its first byte or a `login` that
    /// delays its answer to a wrong password.
    pub async fn read_until_at(
        &mut self,
        buf: &mut Vec<u8>,
        max: usize,
        deadline: Instant,
        quiet: Option<Duration>,
        mut done: impl FnMut(&[u8]) -> bool,
    ) -> Result<ReadEnd, ProbeError> {
        let mut chunk = [0u8; 2048];
        loop {
            if done(buf) {
                return Ok(ReadEnd::Done);
            }
            let room = max
                .saturating_sub(buf.len())
                .min(MAX_BYTES_PER_CONNECTION.saturating_sub(self.total))
                .min(chunk.len());
            if room == 0 {
                return Ok(ReadEnd::Limit);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = quiet.map_or(left, |q| q.min(left));
            let read = tokio::time::timeout(wait, self.inner.read(&mut chunk[..room])).await;
            match read {
                Err(_) => return Ok(ReadEnd::Quiet),
                Ok(Err(source)) => {
                    return Err(ProbeError::Io {
                        what: "read",
                        source,
                    })
                }
                Ok(Ok(0)) => return Ok(ReadEnd::Eof),
                Ok(Ok(n)) => {
                    self.total += n;
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
    }
}

/// Writes all of `data`, bounded by `timeout`.
pub async fn write_all<S: tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    data: &[u8],
    timeout: Duration,
) -> Result<(), ProbeError> {
    use tokio::io::AsyncWriteExt;
    match tokio::time::timeout(timeout, s.write_all(data)).await {
        Err(_) => Err(ProbeError::Timeout { what: "write" }),
        Ok(Err(source)) => Err(ProbeError::Io {
            what: "write",
            source,
        }),
        Ok(Ok(())) => Ok(()),
    }
}

/// Case-insensitive substring search over raw bytes (banners are mostly ASCII).
pub fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && hay.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}
