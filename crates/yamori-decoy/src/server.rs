//! The listeners (telnet, and HTTP and MQTT when asked for): accept sessions within the limits, move
//! bytes between the socket and the protocol's state machine ([`TelnetSession`],
//! [`HttpSession`], [`MqttSession`]), keep the time limits, and record. They open only the listening sockets
//! they are given; they never connect anywhere.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::events::{Detail, Event, SessionMeta};
use crate::http::HttpSession;
use crate::limits::Limits;
use crate::mqtt::MqttSession;
use crate::profile::Profile;
use crate::record::{bump, Recorder, Summary};
use crate::session::{End, Step, TelnetSession};

/// How long open sessions get to close and record at shutdown before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Bytes read from a socket at once.
const READ_CHUNK: usize = 4096;

/// Accepted connections waiting for the main loop. The acceptors wait when it is full, so
/// the kernel's backlog, not the decoy's memory, takes a burst.
const ACCEPT_QUEUE: usize = 64;

/// The protocols a decoy speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Telnet,
    Http,
    Mqtt,
}

impl Protocol {
    /// Its name in the records (`protocol`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Telnet => "telnet",
            Protocol::Http => "http",
            Protocol::Mqtt => "mqtt",
        }
    }
}

/// One connection's state machine, by protocol.
enum Conversation {
    // Boxed: the telnet session (negotiation state, the shell's files) is the larger.
    Telnet(Box<TelnetSession>),
    Http(HttpSession),
    Mqtt(MqttSession),
}

impl Conversation {
    fn new(p: Protocol, config: &Config) -> (Self, Vec<u8>) {
        match p {
            Protocol::Telnet => {
                let (s, open) = TelnetSession::new(config.profile, config.limits.max_line_len);
                (Conversation::Telnet(Box::new(s)), open)
            }
            Protocol::Http => {
                let (s, open) = HttpSession::new(config.profile);
                (Conversation::Http(s), open)
            }
            Protocol::Mqtt => {
                let (s, open) = MqttSession::new(config.profile);
                (Conversation::Mqtt(s), open)
            }
        }
    }
    fn feed(&mut self, input: &[u8]) -> Step {
        match self {
            Conversation::Telnet(s) => s.feed(input),
            Conversation::Http(s) => s.feed(input),
            Conversation::Mqtt(s) => s.feed(input),
        }
    }
    fn finish(&mut self) -> Vec<Detail> {
        match self {
            Conversation::Telnet(s) => s.finish(),
            Conversation::Http(_) | Conversation::Mqtt(_) => Vec::new(),
        }
    }
}

/// What a decoy runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_telnet: SocketAddr,
    /// The HTTP decoy's address, if it runs.
    pub listen_http: Option<SocketAddr>,
    /// The MQTT decoy's address, if it runs.
    pub listen_mqtt: Option<SocketAddr>,
    pub profile: &'static Profile,
    /// The decoy's name in the records (Cowrie's `sensor`).
    pub sensor: Arc<str>,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecoyError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// A bound decoy, ready to run.
#[derive(Debug)]
pub struct Decoy {
    listeners: Vec<(Protocol, TcpListener)>,
    config: Arc<Config>,
    recorder: Arc<Recorder>,
}

/// Sessions open per source address; a slot is given back when its guard drops.
#[derive(Debug, Default)]
struct PerSource(Mutex<HashMap<IpAddr, usize>>);

struct SourceSlot {
    table: Arc<PerSource>,
    ip: IpAddr,
}

impl PerSource {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<SourceSlot> {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = t.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(SourceSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut t = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.ip);
            }
        }
    }
}

impl Decoy {
    pub async fn bind(config: Config, recorder: Arc<Recorder>) -> Result<Self, DecoyError> {
        let mut listeners = Vec::new();
        let wanted = [
            (Protocol::Telnet, Some(config.listen_telnet)),
            (Protocol::Http, config.listen_http),
            (Protocol::Mqtt, config.listen_mqtt),
        ];
        for (p, addr) in wanted {
            let Some(addr) = addr else { continue };
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| DecoyError::Bind { addr, source })?;
            listeners.push((p, listener));
        }
        Ok(Decoy {
            listeners,
            config: Arc::new(config),
            recorder,
        })
    }

    /// The telnet listener's address (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.addr_of(Protocol::Telnet)
    }

    /// The address of one protocol's listener.
    pub fn addr_of(&self, p: Protocol) -> std::io::Result<SocketAddr> {
        match self.listeners.iter().find(|(q, _)| *q == p) {
            Some((_, l)) => l.local_addr(),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such listener",
            )),
        }
    }

    /// Every listener's protocol and address.
    pub fn addrs(&self) -> std::io::Result<Vec<(Protocol, SocketAddr)>> {
        self.listeners
            .iter()
            .map(|(p, l)| Ok((*p, l.local_addr()?)))
            .collect()
    }

    /// Serve until `shutdown` completes; then close every session (each records its end)
    /// and flush the records.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Summary {
        let (stop_tx, stop_rx) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(self.config.limits.max_sessions));
        let per_source = Arc::new(PerSource::default());
        let mut sessions = JoinSet::new();
        let (accepted_tx, mut accepted) = mpsc::channel(ACCEPT_QUEUE);
        let mut acceptors = JoinSet::new();
        for (p, listener) in self.listeners {
            let tx = accepted_tx.clone();
            acceptors.spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => {
                            if tx.send((p, stream, peer)).await.is_err() {
                                return;
                            }
                        }
                        // Out of descriptors or a connection reset before accept: wait a
                        // moment instead of spinning on the same error.
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            });
        }
        drop(accepted_tx);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some((protocol, stream, peer)) = accepted.recv() => {
                    let stats = &self.recorder.stats;
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        bump(&stats.refused_busy);
                        continue; // dropping the stream closes it
                    };
                    let max = self.config.limits.max_sessions_per_source;
                    let Some(slot) = per_source.take(peer.ip(), max) else {
                        bump(&stats.refused_per_source);
                        continue;
                    };
                    bump(&stats.sessions);
                    let (config, rec, stop) =
                        (self.config.clone(), self.recorder.clone(), stop_rx.clone());
                    sessions.spawn(session(protocol, stream, peer, config, rec, stop, (permit, slot)));
                }
                // Reap finished sessions so the set does not grow with the run.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        acceptors.abort_all();
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        let _ = self.recorder.flush();
        self.recorder.stats.summary()
    }
}

/// A Cowrie-style session id: 12 hex digits, unique within and across runs.
fn session_id(peer: SocketAddr) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let mut h = Sha256::new();
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(n.to_le_bytes());
    h.update(peer.to_string().as_bytes());
    hex::encode(&h.finalize()[..6])
}

async fn session(
    protocol: Protocol,
    mut stream: TcpStream,
    peer: SocketAddr,
    config: Arc<Config>,
    rec: Arc<Recorder>,
    mut stop: watch::Receiver<bool>,
    _slots: (OwnedSemaphorePermit, SourceSlot),
) {
    let limits = &config.limits;
    let start = Instant::now();
    let dst = stream.local_addr().unwrap_or(config.listen_telnet);
    let meta = Arc::new(SessionMeta {
        session: session_id(peer),
        src: peer,
        dst,
        protocol: protocol.name(),
        sensor: config.sensor.clone(),
    });
    let record = |detail: Detail| {
        rec.record(&Event {
            meta: meta.clone(),
            time: OffsetDateTime::now_utc(),
            detail,
        })
    };
    record(Detail::Connect);
    let (mut s, open) = Conversation::new(protocol, &config);
    let deadline = tokio::time::Instant::from_std(start + limits.max_session_duration);
    let mut limited = false;
    let mut received: u64 = 0;
    let mut send = open;
    loop {
        if !send.is_empty() {
            let write = tokio::time::timeout(limits.idle_timeout, stream.write_all(&send));
            if !matches!(write.await, Ok(Ok(()))) {
                break;
            }
            send = Vec::new();
        }
        // Wait for bytes without holding a buffer: most sessions a decoy holds are bots
        // that went quiet, and a read buffer each would be most of their memory.
        tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, stream.readable()) => match r {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => { limited = true; break }
            },
            _ = tokio::time::sleep_until(deadline) => { limited = true; break }
            _ = stop.changed() => break,
        }
        // The chunk is read and fed in a block with no await in it, so it lives on the
        // stack for the call and is not part of the session's task while it waits.
        let (step, cut) = {
            let mut chunk = [0u8; READ_CHUNK];
            let n = match stream.try_read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => break,
            };
            // Bytes past the session's allowance are not read into the session at all.
            let room = limits.max_session_bytes.saturating_sub(received);
            let take = n.min(usize::try_from(room).unwrap_or(usize::MAX));
            received += take as u64;
            (s.feed(&chunk[..take]), take < n)
        };
        for d in step.details {
            record(d);
        }
        send = step.send;
        if step.end.is_some() || cut {
            limited |= cut || step.end == Some(End::LineTooLong);
            let _ = tokio::time::timeout(limits.idle_timeout, stream.write_all(&send)).await;
            break;
        }
    }
    if limited {
        bump(&rec.stats.closed_by_limit);
    }
    for d in s.finish() {
        record(d);
    }
    let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    record(Detail::Closed { duration_ms: ms });
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
}

/// Run a decoy on a runtime of its own until Ctrl-C or SIGTERM (for the command line).
/// `on_bound` gets the address actually bound, before the first session.
pub fn run_until_signal(
    config: Config,
    recorder: Arc<Recorder>,
    on_bound: impl FnOnce(&[(Protocol, SocketAddr)]),
) -> Result<Summary, DecoyError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DecoyError::Runtime)?;
    rt.block_on(async {
        let decoy = Decoy::bind(config, recorder).await?;
        let addrs = decoy.addrs().map_err(|source| DecoyError::Bind {
            addr: decoy.config.listen_telnet,
            source,
        })?;
        on_bound(&addrs);
        Ok(decoy.run(shutdown_signal()).await)
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests;
