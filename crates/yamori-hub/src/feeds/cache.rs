//! Generated feeds, kept while their collection is unchanged, and made once however many ask.
//!
//! A feed is generated on the blocking pool, in a task of its own (a request that gives up —
//! client gone, timeout — does not waste the work: the feed is kept for the next). Requests
//! for one key while it is being generated wait for that generation instead of starting
//! another (single flight). A kept feed is served while the collection's revision
//! ([`yamori_store::Store::taxii_collection_revision`]) is the one it was made from and it is
//! younger than the hub's `feed_ttl`: the output also depends on the clock (expiries,
//! timeouts, ages), and a writer that does not count revisions (an older Yamori) must not
//! make a feed stale for ever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::watch;

/// Most feeds kept: a hub serves a handful of collections × formats × parameter sets; 64
/// covers that, and bounds what a user varying parameters can pin in memory.
pub const MAX_FEEDS: usize = 64;
/// Most bytes kept (plain and gzip together): a million-indicator nftables list is about
/// 40 MB plain, a few of those fit beside the store on one machine. A feed larger than this
/// alone is served to the requests that waited for it and not kept.
pub const MAX_FEED_BYTES: usize = 256 * 1024 * 1024;

/// One file of a feed as served.
#[derive(Debug)]
pub struct FeedFile {
    pub name: String,
    pub body: Bytes,
    /// The gzip encoding of `body`, when it is smaller.
    pub gzip: Option<Bytes>,
    /// Hex SHA-256 of `body` (the entity tag; `-gz` is appended for the gzip encoding).
    pub hash: String,
    /// When these bytes were first generated for this key (kept while regenerations give the
    /// same bytes), in whole seconds as HTTP dates carry it.
    pub last_modified: OffsetDateTime,
}

/// A generated feed.
#[derive(Debug)]
pub struct Feed {
    pub revision: u64,
    pub generated: Instant,
    pub files: Vec<FeedFile>,
    bytes: usize,
}

impl Feed {
    pub fn file(&self, name: &str) -> Option<&FeedFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// What a generation returns: each file's name and bytes.
pub type Generated = Result<Vec<(String, Vec<u8>)>, String>;
type Outcome = Result<Arc<Feed>, String>;

pub struct FeedCache {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    generations: AtomicU64,
    ttl: Duration,
}

#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    ready: Option<Arc<Feed>>,
    /// The generation under way: its number, the revision it reads, and where it will say.
    pending: Option<(u64, u64, watch::Receiver<Option<Outcome>>)>,
    last_used: Option<Instant>,
}

/// A poisoned lock only means another request panicked while holding it; the map and slots
/// stay consistent at every step, so the guard is taken over.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FeedCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(0),
            ttl,
        }
    }

    /// Generations started since the hub started (tests and logs count them).
    pub fn generations(&self) -> u64 {
        self.generations.load(Ordering::Relaxed)
    }

    /// The feed of `key` at `revision`: kept, being generated, or generated now by
    /// `generate` on the blocking pool.
    pub async fn get<F>(self: &Arc<Self>, key: String, revision: u64, generate: F) -> Outcome
    where
        F: FnOnce() -> Generated + Send + 'static,
    {
        let slot = lock(&self.slots).entry(key).or_default().clone();
        let mut rx = {
            let mut st = lock(&slot.state);
            st.last_used = Some(Instant::now());
            if let Some(f) = &st.ready {
                if f.revision == revision && f.generated.elapsed() < self.ttl {
                    return Ok(f.clone());
                }
            }
            match &st.pending {
                // A generation reading this revision or a later one serves this request too.
                Some((_, rev, rx)) if *rev >= revision => rx.clone(),
                _ => self.start(&slot, &mut st, revision, generate),
            }
        };
        let done = rx
            .wait_for(Option::is_some)
            .await
            .map_err(|_| "the feed's generation ended without a result".to_string())?;
        done.clone()
            .unwrap_or_else(|| Err("the feed's generation gave no result".into()))
    }

    fn start<F>(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        st: &mut SlotState,
        revision: u64,
        generate: F,
    ) -> watch::Receiver<Option<Outcome>>
    where
        F: FnOnce() -> Generated + Send + 'static,
    {
        let number = self.generations.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        st.pending = Some((number, revision, rx.clone()));
        let previous = st.ready.clone();
        let (cache, slot) = (self.clone(), slot.clone());
        tokio::spawn(async move {
            let made = tokio::task::spawn_blocking(move || {
                generate().map(|files| Arc::new(build(files, revision, previous.as_deref())))
            })
            .await
            .unwrap_or_else(|e| Err(format!("the feed's generation failed: {e}")));
            {
                let mut st = lock(&slot.state);
                if matches!(&st.pending, Some((n, _, _)) if *n == number) {
                    st.pending = None;
                }
                if let Ok(feed) = &made {
                    if st
                        .ready
                        .as_ref()
                        .is_none_or(|r| r.revision <= feed.revision)
                    {
                        st.ready = Some(feed.clone());
                    }
                }
            }
            cache.trim();
            // Nobody waiting any more is fine: the feed is kept for the next request.
            let _ = tx.send(Some(made));
        });
        rx
    }

    /// Drops the least recently used feeds until at most [`MAX_FEEDS`] and [`MAX_FEED_BYTES`]
    /// are kept, and slots that hold nothing.
    fn trim(&self) {
        let mut slots = lock(&self.slots);
        let mut kept: Vec<(Option<Instant>, usize, String)> = Vec::new();
        slots.retain(|key, slot| {
            let st = lock(&slot.state);
            if let Some(f) = &st.ready {
                kept.push((st.last_used, f.bytes, key.clone()));
            }
            st.ready.is_some() || st.pending.is_some()
        });
        let (mut count, mut bytes) = (kept.len(), kept.iter().map(|k| k.1).sum::<usize>());
        kept.sort();
        for (_, size, key) in kept {
            if count <= MAX_FEEDS && bytes <= MAX_FEED_BYTES {
                break;
            }
            if let Some(slot) = slots.get(&key) {
                let mut st = lock(&slot.state);
                st.ready = None;
                if st.pending.is_none() {
                    drop(st);
                    slots.remove(&key);
                }
            }
            count -= 1;
            bytes -= size;
        }
    }
}

/// Hashes and compresses the generated files; a file with the bytes it had in `previous`
/// keeps its Last-Modified, a changed one gets now (at least a second after the old one, so
/// `If-Modified-Since` tells the two apart).
fn build(files: Vec<(String, Vec<u8>)>, revision: u64, previous: Option<&Feed>) -> Feed {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut bytes = 0;
    let files = files
        .into_iter()
        .map(|(name, body)| {
            let hash = hex::encode(Sha256::digest(&body));
            let before = previous.and_then(|p| p.file(&name));
            let last_modified = match before {
                Some(b) if b.hash == hash => b.last_modified,
                Some(b) => now.max(b.last_modified + time::Duration::SECOND),
                None => now,
            };
            let gzip = gzip(&body).map(Bytes::from);
            bytes += body.len() + gzip.as_ref().map_or(0, Bytes::len);
            FeedFile {
                name,
                body: Bytes::from(body),
                gzip,
                hash,
                last_modified,
            }
        })
        .collect();
    Feed {
        revision,
        generated: Instant::now(),
        files,
        bytes,
    }
}

/// The gzip encoding, when it saves bytes (a tiny list may grow).
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len()).then_some(out)
}
