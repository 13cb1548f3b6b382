//! The hub's side: one durable pull consumer that every hub shares, batches handed to a
//! [`MinuteSink`] (the store, in the binary) and acknowledged only after the sink committed
//! them. A hub killed between commit and acknowledgement gets the batch again (from another
//! hub, after the consumer's ack wait); the store's write per sensor and minute replaces
//! instead of adding, so the minute still counts once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, consumer::pull, AckKind};
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::message::{self, BadMessage, MinuteMessage};
use crate::{BusError, NatsOptions, StreamSettings};

/// Where consumed minutes go. Called on a blocking thread; returns only once the batch is
/// durably stored.
pub trait MinuteSink: Send + Sync + 'static {
    fn store(&self, minutes: &[MinuteMessage]) -> Result<(), SinkError>;
}

/// Why a sink did not store a whole batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SinkError {
    /// Minute `index` of the batch can never be stored (the store found its report invalid):
    /// the ones before it are stored, it is terminated as bad, the ones after are delivered
    /// again.
    #[error("minute {index} of the batch refused: {reason}")]
    Refused { index: usize, reason: String },
    /// The store cannot take minutes now (unreachable, full): the batch is delivered again.
    #[error("{0}")]
    Unavailable(String),
}

/// What shapes a consumer.
#[derive(Debug, Clone)]
pub struct ConsumeSettings {
    pub nats: NatsOptions,
    pub stream: StreamSettings,
    /// The durable consumer's name; hubs with the same name share the work.
    pub durable: String,
    /// Messages fetched and stored per transaction.
    pub batch: usize,
    /// How long a delivered message may stay unacknowledged before it is delivered again
    /// (to any hub): longer than a batch takes to store.
    pub ack_wait: Duration,
    pub max_message_bytes: usize,
    /// Sensor ids this hub accepts (`None`: any).
    pub accept: Option<BTreeSet<String>>,
}

impl ConsumeSettings {
    pub fn new(nats: NatsOptions) -> ConsumeSettings {
        ConsumeSettings {
            nats,
            stream: StreamSettings::default(),
            durable: "yamori-hubs".into(),
            batch: 64,
            ack_wait: Duration::from_secs(30),
            max_message_bytes: message::DEFAULT_MAX_MESSAGE_BYTES,
            accept: None,
        }
    }
}

/// A sensor as the hub last heard of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SensorHealth {
    pub last_minute_s: i64,
    /// When the hub stored its last minute (Unix seconds).
    pub received_s: i64,
    pub minutes: u64,
    pub kernel_drops: u64,
    pub interface_drops: u64,
}

/// Counters of a consumer.
#[derive(Debug, Default)]
pub struct ConsumeStats {
    pub stored: AtomicU64,
    /// Messages delivered more than once (a hub died before acknowledging, or a store failed).
    pub redelivered: AtomicU64,
    /// Messages refused as bad (terminated: never delivered again).
    pub rejected: AtomicU64,
    pub store_failures: AtomicU64,
    sensors: Mutex<BTreeMap<String, SensorHealth>>,
    /// Milliseconds from JetStream storing a minute to this hub committing it, newest last.
    lags_ms: Mutex<Vec<u64>>,
}

/// Lags kept for [`ConsumeStats::lags_ms`]; older ones are dropped.
const MAX_LAGS: usize = 100_000;

impl ConsumeStats {
    pub fn sensors(&self) -> BTreeMap<String, SensorHealth> {
        self.sensors.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn lags_ms(&self) -> Vec<u64> {
        self.lags_ms.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn record(&self, m: &MinuteMessage, lag_ms: Option<u64>, now_s: i64) {
        if let Ok(mut s) = self.sensors.lock() {
            let h = s.entry(m.sensor_id.clone()).or_default();
            h.last_minute_s = h.last_minute_s.max(m.minute_s);
            h.received_s = now_s;
            h.minutes += 1;
            h.kernel_drops += m.counts.kernel_drops;
            h.interface_drops += m.counts.interface_drops;
        }
        if let (Some(l), Ok(mut lags)) = (lag_ms, self.lags_ms.lock()) {
            if lags.len() >= MAX_LAGS {
                lags.drain(..MAX_LAGS / 2);
            }
            lags.push(l);
        }
    }
}

/// Consume until `stop` turns true. Connection trouble is retried (logged); only a sink that
/// cannot be reached at all is the caller's to notice through its own errors.
pub async fn run(
    settings: ConsumeSettings,
    sink: Arc<dyn MinuteSink>,
    stats: Arc<ConsumeStats>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), BusError> {
    let client = settings.nats.connect(true).await?;
    let js = jetstream::new(client);
    let mut backoff = Duration::from_millis(250);
    while !*stop.borrow() {
        let attempt = consume_until_error(&settings, &js, &sink, &stats, &mut stop).await;
        match attempt {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!("consuming minutes from NATS: {e}; retrying in {backoff:?}");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
    Ok(())
}

async fn consume_until_error(
    settings: &ConsumeSettings,
    js: &jetstream::Context,
    sink: &Arc<dyn MinuteSink>,
    stats: &Arc<ConsumeStats>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), BusError> {
    let cerr = |message: String| BusError::Consumer {
        consumer: settings.durable.clone(),
        message,
    };
    settings.stream.ensure(js).await?;
    let stream = js
        .get_stream(&settings.stream.name)
        .await
        .map_err(|e| cerr(e.to_string()))?;
    let consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &settings.durable,
            pull::Config {
                durable_name: Some(settings.durable.clone()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: settings.ack_wait,
                max_deliver: -1,
                filter_subject: format!("{}.>", message::SUBJECT_PREFIX),
                max_ack_pending: 10_000,
                description: Some("Yamori hubs storing sensors' minutes".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| cerr(e.to_string()))?;
    tracing::info!(consumer = %settings.durable, "consuming sensors' minutes");
    // One continuous pull: the server pushes up to a batch ahead, and a minute is handled as
    // soon as it arrives (a pull that waits to fill a batch would add its wait to every
    // minute's lag when sensors are few).
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(settings.batch.max(1))
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(|e| cerr(e.to_string()))?;
    while !*stop.borrow() {
        let first = tokio::select! {
            next = messages.next() => next,
            _ = stop.changed() => break,
        };
        let mut delivered = match first {
            Some(Ok(m)) => vec![m],
            Some(Err(e)) => return Err(cerr(e.to_string())),
            None => return Err(cerr("the server ended the pull".into())),
        };
        // What else has already arrived joins the batch (one store call, fewer commits).
        while delivered.len() < settings.batch.max(1) {
            match futures_util::FutureExt::now_or_never(messages.next()) {
                Some(Some(Ok(m))) => delivered.push(m),
                Some(Some(Err(e))) => return Err(cerr(e.to_string())),
                Some(None) | None => break,
            }
        }
        handle(settings, sink, stats, delivered).await?;
    }
    Ok(())
}

async fn handle(
    settings: &ConsumeSettings,
    sink: &Arc<dyn MinuteSink>,
    stats: &Arc<ConsumeStats>,
    delivered: Vec<jetstream::Message>,
) -> Result<(), BusError> {
    let ack_err = |e: async_nats::Error| BusError::Consumer {
        consumer: settings.durable.clone(),
        message: format!("acknowledging: {e}"),
    };
    let mut good = Vec::with_capacity(delivered.len());
    let mut minutes = Vec::with_capacity(delivered.len());
    let mut published = Vec::with_capacity(delivered.len());
    for m in delivered {
        let info = m
            .info()
            .ok()
            .map(|i| (i.stream_sequence, i.delivered, i.published));
        match message::decode(
            m.subject.as_str(),
            &m.payload,
            settings.max_message_bytes,
            settings.accept.as_ref(),
        ) {
            Ok(minute) => {
                if matches!(info, Some((_, d, _)) if d > 1) {
                    stats.redelivered.fetch_add(1, Ordering::Relaxed);
                }
                minutes.push(minute);
                published.push(info.map(|i| i.2));
                good.push(m);
            }
            Err(bad) => {
                reject(&m, info.map(|i| i.0), &bad, stats);
                m.ack_with(AckKind::Term).await.map_err(ack_err)?;
            }
        }
    }
    if good.is_empty() {
        return Ok(());
    }
    // The minutes go to the blocking thread and come back with its answer: a minute's
    // report can be megabytes, so it is moved, not copied.
    let s = sink.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let r = s.store(&minutes);
        (minutes, r)
    })
    .await;
    let (minutes, stored) = match stored {
        Ok(pair) => (pair.0, pair.1),
        Err(e) => (
            Vec::new(),
            Err(SinkError::Unavailable(format!(
                "the store's thread failed: {e}"
            ))),
        ),
    };
    let (stored_n, refused) = match stored {
        Ok(()) => (good.len(), None),
        Err(SinkError::Refused { index, reason }) => (index.min(good.len()), Some(reason)),
        Err(SinkError::Unavailable(e)) => {
            stats.store_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                "cannot store {} minute(s) from NATS: {e}; they are delivered again",
                good.len()
            );
            for m in &good {
                m.ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                    .await
                    .map_err(ack_err)?;
            }
            return Ok(());
        }
    };
    for m in &good[..stored_n] {
        m.ack().await.map_err(ack_err)?;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now_s = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    for (m, published) in minutes.iter().zip(&published).take(stored_n) {
        let lag = published.map(|p| {
            let ns = i128::try_from(now.as_nanos()).unwrap_or(i128::MAX) - p.unix_timestamp_nanos();
            u64::try_from((ns / 1_000_000).max(0)).unwrap_or(0)
        });
        stats.record(m, lag, now_s);
    }
    stats.stored.fetch_add(stored_n as u64, Ordering::Relaxed);
    if let Some(reason) = refused {
        if let Some(m) = good.get(stored_n) {
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(subject = %m.subject, "the store refused a minute from NATS: {reason}; it is not delivered again");
            m.ack_with(AckKind::Term).await.map_err(ack_err)?;
        }
        for m in good.iter().skip(stored_n + 1) {
            m.ack_with(AckKind::Nak(None)).await.map_err(ack_err)?;
        }
    }
    Ok(())
}

fn reject(m: &jetstream::Message, seq: Option<u64>, bad: &BadMessage, stats: &ConsumeStats) {
    stats.rejected.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(
        subject = %m.subject,
        stream_sequence = seq.unwrap_or(0),
        "refused a message from NATS: {bad}; it is not delivered again"
    );
}

/// A consumer running on a thread of its own (the hub's HTTP runtime stays the HTTP's).
pub struct ConsumerHandle {
    stats: Arc<ConsumeStats>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<Result<(), BusError>>>,
}

impl ConsumerHandle {
    pub fn start(
        settings: ConsumeSettings,
        sink: Arc<dyn MinuteSink>,
    ) -> Result<ConsumerHandle, BusError> {
        let stats = Arc::new(ConsumeStats::default());
        let (stop, stop_rx) = watch::channel(false);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BusError::Runtime)?;
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("nats-consume".into())
            .spawn(move || {
                // This reference outlives the runtime, so the sink (a store whose PostgreSQL
                // client closes with a blocking call) is never dropped on a runtime thread.
                let keep = sink.clone();
                let r = rt.block_on(run(settings, sink, s, stop_rx));
                drop(rt);
                drop(keep);
                r
            })
            .map_err(BusError::Runtime)?;
        Ok(ConsumerHandle {
            stats,
            stop,
            thread: Some(thread),
        })
    }

    pub fn stats(&self) -> &Arc<ConsumeStats> {
        &self.stats
    }

    /// Stop after the batch in hand is stored and acknowledged.
    pub fn stop(mut self) -> Result<(), BusError> {
        let _ = self.stop.send(true);
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for ConsumerHandle {
    /// Stops and waits (the thread notices within a second), so that the sink is released
    /// before whatever owns it goes.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
