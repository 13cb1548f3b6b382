//! Scale-out transport between sensors and hubs over NATS JetStream (docs/SCALE-OUT.md).
//!
//! - A sensor writes each finished minute to its [`outbox`] and a [`publish`]er thread sends
//!   the outbox to JetStream in order, with `Nats-Msg-Id` = sensor and minute, removing a file
//!   only once JetStream acknowledged it: NATS being away or the sensor being killed loses
//!   nothing written, and a replay is dropped as a duplicate.
//! - Hubs [`consume`] the stream through one durable pull consumer (several hubs share its
//!   work), hand each batch to a [`consume::MinuteSink`] (the binary's: the store) and
//!   acknowledge only after it committed. At-least-once delivery plus the store's idempotent
//!   write per sensor and minute count every minute once.
//! - Every received message is checked by [`message::decode`] (size, schema, sensor id against
//!   its subject and the accepted sensors) and a bad one is terminated, counted and logged:
//!   it is never redelivered and never blocks the stream.
//!
//! The crate speaks NATS only through the maintained `async-nats` client.

pub mod consume;
pub mod message;
pub mod outbox;
pub mod publish;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, stream};

pub use message::{MinuteMessage, ReportSummary};

/// Why talking to NATS failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    #[error("NATS at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("JetStream stream {stream}: {message}")]
    Stream { stream: String, message: String },
    #[error("JetStream consumer {consumer}: {message}")]
    Consumer { consumer: String, message: String },
    #[error(transparent)]
    Outbox(#[from] outbox::OutboxError),
    #[error("cannot start the NATS client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// How to reach NATS: the server, and the credentials and TLS it asks for.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// `nats://host:4222` or `tls://host:4222`; several, comma-separated, for a cluster.
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// A `.creds` file (JWT and nkey seed) as `nsc` writes it.
    pub creds_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate (adds to the system's roots).
    pub tls_ca: Option<PathBuf>,
    /// Refuse a server that does not speak TLS.
    pub tls_required: bool,
    /// The client name the server's monitoring shows.
    pub client_name: String,
}

impl NatsOptions {
    /// Connect. The client keeps reconnecting on its own; with `retry_first`, the first
    /// connection is retried in the background too (a sensor starts while NATS is away and
    /// spools), otherwise an unreachable server is an error at once.
    pub async fn connect(&self, retry_first: bool) -> Result<async_nats::Client, BusError> {
        let err = |message: String| BusError::Connect {
            url: self.url.clone(),
            message,
        };
        let mut o = async_nats::ConnectOptions::new()
            .name(&self.client_name)
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None)
            .require_tls(self.tls_required);
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            o = o.user_and_password(u.clone(), p.clone());
        }
        if let Some(t) = &self.token {
            o = o.token(t.clone());
        }
        if let Some(c) = &self.creds_file {
            o = o
                .credentials_file(c)
                .await
                .map_err(|e| err(format!("credentials file {}: {e}", c.display())))?;
        }
        if let Some(ca) = &self.tls_ca {
            o = o.add_root_certificates(ca.clone());
        }
        if retry_first {
            o = o.retry_on_initial_connect();
        }
        let url = self.url.clone();
        o = o.event_callback(move |event| {
            let url = url.clone();
            async move {
                match event {
                    async_nats::Event::Connected => tracing::info!(%url, "connected to NATS"),
                    async_nats::Event::Disconnected => {
                        tracing::warn!(%url, "disconnected from NATS; retrying")
                    }
                    other => tracing::warn!(%url, "NATS: {other}"),
                }
            }
        });
        o.connect(self.url.as_str()).await.map_err(|e| {
            err(format!(
                "{e} (is nats-server running with -js, and are the credentials right?)"
            ))
        })
    }
}

/// The stream minutes go to. Yamori creates it when missing and sets these limits on it.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    pub name: String,
    /// How long JetStream remembers message ids to drop replays. Longer than an outage a
    /// sensor's outbox rides out, so that replays after it are still dropped; a replay after
    /// it is stored again and the hub's store replaces the minute instead of adding it.
    pub duplicate_window: Duration,
    /// How long minutes stay in the stream (a new hub, or one that was away, catches up
    /// within this).
    pub max_age: Duration,
    /// Bytes the stream may hold before the oldest minutes are discarded.
    pub max_bytes: i64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            name: "YAMORI_MINUTES".into(),
            duplicate_window: Duration::from_secs(3600),
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_bytes: 4 << 30,
        }
    }
}

impl StreamSettings {
    fn config(&self) -> stream::Config {
        stream::Config {
            name: self.name.clone(),
            subjects: vec![format!("{}.>", message::SUBJECT_PREFIX)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            duplicate_window: self.duplicate_window,
            max_age: self.max_age,
            max_bytes: self.max_bytes,
            description: Some("Yamori sensors' per-minute summaries".into()),
            ..Default::default()
        }
    }

    /// Create the stream, or bring an existing one's limits to these settings.
    pub async fn ensure(&self, js: &jetstream::Context) -> Result<(), BusError> {
        let err = |message: String| BusError::Stream {
            stream: self.name.clone(),
            message,
        };
        let want = self.config();
        let mut s = js
            .get_or_create_stream(want.clone())
            .await
            .map_err(|e| err(e.to_string()))?;
        let have = s
            .info()
            .await
            .map_err(|e| err(e.to_string()))?
            .config
            .clone();
        if have.duplicate_window != want.duplicate_window
            || have.max_age != want.max_age
            || have.max_bytes != want.max_bytes
            || have.subjects != want.subjects
        {
            tracing::info!(stream = %self.name, "updating the stream's limits to the configured ones");
            js.update_stream(want)
                .await
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }
}
