//! The sensor's side: minutes go into the [`Outbox`] (synchronously, from the capture loop)
//! and a thread of its own sends the outbox to JetStream, oldest first, with a bounded number
//! of acknowledgements in flight. A file leaves the outbox only when JetStream acknowledged it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};
use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio::sync::{watch, Notify};

use crate::outbox::{Outbox, OutboxError};
use crate::{BusError, MinuteMessage, NatsOptions, StreamSettings};

/// Acknowledgements awaited at once: enough to keep a link of some latency busy, few enough
/// that an outage leaves little to time out.
pub const DEFAULT_IN_FLIGHT: usize = 256;
/// How long a publish waits for JetStream's acknowledgement before it counts as failed (the
/// file stays and is sent again).
const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest pause between attempts while NATS is away.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Counters of a publisher, for the sensor's log and its tests.
#[derive(Debug, Default)]
pub struct PublishStats {
    /// Messages JetStream stored.
    pub published: AtomicU64,
    /// Messages JetStream recognised as replays of stored ones (by message id).
    pub duplicates: AtomicU64,
    /// Attempts that failed (no connection, timeout); their files were sent again later.
    pub failures: AtomicU64,
    /// Minutes refused because the outbox was full.
    pub refused: AtomicU64,
    /// Minutes set aside because they exceed the server's largest message (`.toolarge` files
    /// in the outbox): they can never be sent, and must not hold up the ones after them.
    pub set_aside: AtomicU64,
}

/// A running publisher: hand it minutes with [`PublisherHandle::submit`].
pub struct PublisherHandle {
    outbox: Arc<Outbox>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    stats: Arc<PublishStats>,
    thread: Option<JoinHandle<Result<(), BusError>>>,
}

/// What shapes a publisher.
#[derive(Debug, Clone)]
pub struct PublishSettings {
    pub nats: NatsOptions,
    pub stream: StreamSettings,
    pub in_flight: usize,
}

impl PublisherHandle {
    /// Start the publisher's thread over `outbox`. Minutes already in it (from an earlier run
    /// or an outage) are sent first. NATS need not be reachable yet.
    pub fn start(settings: PublishSettings, outbox: Outbox) -> Result<PublisherHandle, BusError> {
        let outbox = Arc::new(outbox);
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let stats = Arc::new(PublishStats::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BusError::Runtime)?;
        let (o, w, s) = (outbox.clone(), wake.clone(), stats.clone());
        let thread = std::thread::Builder::new()
            .name("nats-publish".into())
            .spawn(move || rt.block_on(run(settings, o, w, s, stop_rx)))
            .map_err(BusError::Runtime)?;
        Ok(PublisherHandle {
            outbox,
            wake,
            stop,
            stats,
            thread: Some(thread),
        })
    }

    /// Put a minute in the outbox; the publisher sends it as soon as it can. Returns the
    /// minute's sequence in the outbox. An error (outbox full, disk full) means this minute is
    /// not kept; the ones before it are.
    pub fn submit(&self, m: &MinuteMessage) -> Result<u64, OutboxError> {
        let json = m.encode();
        let msg_id = m.msg_id(&json);
        let payload = crate::message::wire(json);
        let seq = self
            .outbox
            .put(&m.subject(), &msg_id, &payload)
            .inspect_err(|_| {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
            })?;
        self.wake.notify_one();
        Ok(seq)
    }

    pub fn stats(&self) -> &PublishStats {
        &self.stats
    }

    /// Bytes waiting in the outbox.
    pub fn spooled_bytes(&self) -> u64 {
        self.outbox.held_bytes()
    }

    /// Stop: send what the outbox holds for up to [`STOP_DRAIN`] (what is left stays for the
    /// next start), then end the thread.
    pub fn stop(mut self) -> Result<(), BusError> {
        let _ = self.stop.send(true);
        self.wake.notify_one();
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for PublisherHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.wake.notify_one();
    }
}

/// How long a stopping publisher keeps sending.
pub const STOP_DRAIN: Duration = Duration::from_secs(5);

async fn run(
    settings: PublishSettings,
    outbox: Arc<Outbox>,
    wake: Arc<Notify>,
    stats: Arc<PublishStats>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), BusError> {
    let client = settings.nats.connect(true).await?;
    let js = jetstream::context::ContextBuilder::new()
        .timeout(ACK_TIMEOUT)
        .ack_timeout(ACK_TIMEOUT)
        .max_ack_inflight(settings.in_flight.max(1))
        .build(client.clone());
    let mut stream_ready = false;
    let mut backoff = Duration::from_millis(250);
    let mut stop_deadline: Option<Instant> = None;
    let warned = AtomicBool::new(false);
    loop {
        // Marked as seen, so that `stop.changed()` below waits for a change instead of
        // returning at once on every pass after the stop.
        if *stop.borrow_and_update() && stop_deadline.is_none() {
            stop_deadline = Some(Instant::now() + STOP_DRAIN);
        }
        let pending = outbox.pending()?;
        if let Some(d) = stop_deadline {
            if pending.is_empty() || Instant::now() >= d {
                break;
            }
        }
        if pending.is_empty() {
            // Not stopping (a stop with nothing pending left the loop above).
            tokio::select! {
                _ = wake.notified() => {}
                _ = stop.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let sent = async {
            if !stream_ready {
                settings.stream.ensure(&js).await?;
                stream_ready = true;
            }
            send(&js, &outbox, &pending, settings.in_flight.max(1), &stats).await
        };
        match sent.await {
            Ok(()) => {
                if warned.swap(false, Ordering::Relaxed) {
                    tracing::info!(url = %settings.nats.url, "NATS reachable again; the outbox is sent");
                }
                backoff = Duration::from_millis(250);
            }
            Err(e @ BusError::Outbox(_)) => return Err(e),
            Err(e) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                if !warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        outbox = %outbox.dir().display(),
                        "cannot publish ({e}); minutes wait in the outbox and are sent when NATS answers"
                    );
                }
                if stop_deadline.is_some() {
                    // Draining before a stop: short pauses until the deadline. (`changed()`
                    // would return at once here: the stop is seen, or its sender is gone.)
                    tokio::time::sleep(backoff.min(Duration::from_millis(500))).await;
                } else {
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => {}
                    }
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    client.flush().await.ok();
    Ok(())
}

/// Publish the files `pending` in order, keeping at most `in_flight` acknowledgements
/// outstanding, and remove each one JetStream acknowledged.
async fn send(
    js: &jetstream::Context,
    outbox: &Outbox,
    pending: &[u64],
    in_flight: usize,
    stats: &PublishStats,
) -> Result<(), BusError> {
    let mut acks = FuturesOrdered::new();
    let mut first_err: Option<BusError> = None;
    let failed = |message: String| BusError::Stream {
        stream: "publish".into(),
        message,
    };
    for &seq in pending {
        while acks.len() >= in_flight {
            if let Some((seq, r)) = acks.next().await {
                settle(outbox, seq, r, stats, &mut first_err)?;
            }
        }
        if first_err.is_some() {
            break;
        }
        let Some(m) = outbox.read(seq)? else { continue };
        let limit = js.client().server_info().max_payload;
        if limit > 0 && m.payload.len() > limit {
            tracing::error!(
                outbox = %outbox.dir().display(),
                "minute {} is {} bytes, over the NATS server's largest message ({limit}); set aside, not sent",
                m.msg_id,
                m.payload.len()
            );
            outbox.set_aside(seq, "toolarge")?;
            stats.set_aside.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let publish = PublishMessage::build()
            .message_id(&m.msg_id)
            .payload(bytes::Bytes::from(m.payload));
        match js.send_publish(m.subject, publish).await {
            Ok(ack) => acks.push_back(async move { (seq, ack.await) }),
            Err(e) => {
                first_err = Some(failed(e.to_string()));
                break;
            }
        }
    }
    while let Some((seq, r)) = acks.next().await {
        settle(outbox, seq, r, stats, &mut first_err)?;
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn settle(
    outbox: &Outbox,
    seq: u64,
    r: Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
    stats: &PublishStats,
    first_err: &mut Option<BusError>,
) -> Result<(), BusError> {
    match r {
        Ok(ack) => {
            let counter = if ack.duplicate {
                &stats.duplicates
            } else {
                &stats.published
            };
            counter.fetch_add(1, Ordering::Relaxed);
            outbox.remove(seq)?;
        }
        Err(e) => {
            if first_err.is_none() {
                *first_err = Some(BusError::Stream {
                    stream: "publish".into(),
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(())
}
