//! The hub's settings.

use std::time::Duration;

/// Server settings. Defaults suit one hub on one machine.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub title: String,
    pub description: Option<String>,
    /// API root names (one path segment each); the first is the default.
    pub api_roots: Vec<String>,
    /// Largest request body accepted (TAXII `max_content_length`), enforced while streaming.
    pub max_content_length: usize,
    /// Page size when the client gives no `limit`, and the most the server returns.
    pub default_limit: u32,
    pub max_limit: u32,
    pub request_timeout: Duration,
    /// Requests served at once; more wait.
    pub max_concurrent: usize,
    /// Envelopes with more objects than this are stored in the background (status `pending`).
    pub inline_objects: usize,
    /// How long the POST of such an envelope waits for the background store before it answers:
    /// stored by then, the answer is the complete status and the client need not poll (the
    /// OASIS client polls once a second); otherwise it is the pending status. Zero answers at
    /// once.
    pub ingest_wait: Duration,
    /// Objects per database transaction while ingesting: the TAXII clients' usual envelope
    /// (1,000 objects) in one commit.
    pub ingest_chunk: usize,
    /// `https` or `http`: how discovery spells API root URLs (built from the Host header).
    pub scheme: String,
    /// How long a dashboard login lasts.
    pub session_ttl: Duration,
    /// How long a generated feed is served while its collection is unchanged: feeds also
    /// depend on the clock (expiries, nftables and ipset timeouts, `max_age`), so at most this
    /// stale.
    pub feed_ttl: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            title: "Yamori hub".into(),
            description: Some("Yamori TAXII 2.1 server".into()),
            api_roots: vec!["api1".into()],
            max_content_length: 10 * 1024 * 1024,
            default_limit: 100,
            max_limit: 1000,
            request_timeout: Duration::from_secs(60),
            max_concurrent: 256,
            inline_objects: 100,
            ingest_wait: Duration::from_secs(1),
            ingest_chunk: 1000,
            scheme: "https".into(),
            session_ttl: Duration::from_secs(12 * 3600),
            feed_ttl: Duration::from_secs(60),
        }
    }
}
