//! The telnet listener: accepts sessions within the limits, moves bytes between the socket
//! and [`TelnetSession`], keeps the time limits, and records. It opens only the listening
//! socket it is given; it never connects anywhere.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::events::{Detail, Event, SessionMeta};
use crate::limits::Limits;
use crate::profile::Profile;
use crate::record::{bump, Recorder, Summary};
use crate::session::TelnetSession;

/// How long open sessions get to close and record at shutdown before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Bytes read from a socket at once.
const READ_CHUNK: usize = 4096;

/// What a decoy runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_telnet: SocketAddr,
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
    listener: TcpListener,
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
        let addr = config.listen_telnet;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| DecoyError::Bind { addr, source })?;
        Ok(Decoy {
            listener,
            config: Arc::new(config),
            recorder,
        })
    }

    /// The telnet listener's address (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` completes; then close every session (each records its end)
    /// and flush the records.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Summary {
        let (stop_tx, stop_rx) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(self.config.limits.max_sessions));
        let per_source = Arc::new(PerSource::default());
        let mut sessions = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else {
                        // Out of descriptors or a connection reset before accept: wait a
                        // moment instead of spinning on the same error.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
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
                    sessions.spawn(session(stream, peer, config, rec, stop, (permit, slot)));
                }
                // Reap finished sessions so the set does not grow with the run.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
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
        protocol: "telnet",
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
    let (mut s, open) = TelnetSession::new(config.profile, limits.max_line_len);
    let deadline = tokio::time::Instant::from_std(start + limits.max_session_duration);
    let mut limited = false;
    let mut received: u64 = 0;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut send = open;
    loop {
        if !send.is_empty() {
            let write = tokio::time::timeout(limits.idle_timeout, stream.write_all(&send));
            if !matches!(write.await, Ok(Ok(()))) {
                break;
            }
            send.clear();
        }
        let n = tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, stream.read(&mut buf)) => match r {
                Ok(Ok(n)) if n > 0 => n,
                Ok(_) => break,
                Err(_) => { limited = true; break }
            },
            _ = tokio::time::sleep_until(deadline) => { limited = true; break }
            _ = stop.changed() => break,
        };
        // Bytes past the session's allowance are not read into the session at all.
        let room = limits.max_session_bytes.saturating_sub(received);
        let take = n.min(usize::try_from(room).unwrap_or(usize::MAX));
        received += take as u64;
        let step = s.feed(&buf[..take]);
        for d in step.details {
            record(d);
        }
        send = step.send;
        if step.end.is_some() || take < n {
            limited |= take < n || step.end == Some(crate::session::End::LineTooLong);
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
    on_bound: impl FnOnce(SocketAddr),
) -> Result<Summary, DecoyError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DecoyError::Runtime)?;
    rt.block_on(async {
        let decoy = Decoy::bind(config, recorder).await?;
        let addr = decoy.local_addr().map_err(|source| DecoyError::Bind {
            addr: decoy.config.listen_telnet,
            source,
        })?;
        on_bound(addr);
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
