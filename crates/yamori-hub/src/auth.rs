//! Authentication: HTTP Basic (user + password, or user + one of their tokens) and bearer
//! tokens. Secrets are stored only as argon2id hashes (PHC strings).
//!
//! A token reads `ymr_<id>_<secret>`: the id finds the one hash to check, so a bearer request
//! costs one argon2 verification, not one per user. Verified credentials are remembered for
//! [`CACHE_TTL`] under the SHA-256 of the header, so a busy client does not pay argon2's
//! deliberate cost on every request; concurrent requests with one header share one
//! verification (and one throttle attempt).
//!
//! Failed checks are throttled per user name and client address ([`crate::throttle`]): past a
//! few failures, attempts wait and are refused ([`AuthError::Throttled`]) without being checked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use base64::Engine;
use sha2::{Digest, Sha256};
use yamori_intel::markings::Tlp2;
use yamori_intel::sharing::{admits, parse_clearance, readable_at, DEFAULT_CLEARANCE};
use yamori_store::accounts::Grant;
use yamori_store::Store;

use crate::throttle::LoginThrottle;

/// How long a verified credential is trusted without re-hashing.
pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// Bound on remembered credentials (each ~100 bytes); the cache is emptied when full.
const CACHE_MAX: usize = 10_000;
/// Header values longer than this are refused before any decoding or hashing.
const MAX_AUTH_HEADER: usize = 4096;

/// Who is calling and what they may do per collection id.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: String,
    grants: HashMap<String, (bool, bool)>,
    /// The highest TLP level the caller may read (docs/TRUST.md §5): what TAXII, the feeds
    /// and the API serve them is filtered by it.
    pub clearance: Tlp2,
}

impl Identity {
    /// `clearance` as stored for the user (`None`: [`DEFAULT_CLEARANCE`]). A stored value
    /// that is not a clearance reads as TLP:CLEAR, the least, and is logged.
    pub fn new(user: String, grants: Vec<Grant>, clearance: Option<&str>) -> Self {
        let grants = grants
            .into_iter()
            .map(|g| (g.collection_id, (g.can_read, g.can_write)))
            .collect();
        let clearance = match clearance.map(parse_clearance) {
            None => DEFAULT_CLEARANCE,
            Some(Ok(level)) => level,
            Some(Err(e)) => {
                tracing::warn!(
                    user,
                    "stored TLP clearance unusable ({e}); reading as TLP:CLEAR"
                );
                Tlp2::Clear
            }
        };
        Self {
            user,
            grants,
            clearance,
        }
    }

    /// Whether the caller's clearance lets them read `object` ([`readable_at`]).
    pub fn may_read(&self, object: &serde_json::Value) -> bool {
        readable_at(object, self.clearance)
    }

    /// [`Identity::may_read`] for an object's stored JSON text; text that is not JSON is not
    /// readable.
    pub fn may_read_text(&self, body: &str) -> bool {
        serde_json::from_str(body).is_ok_and(|v| self.may_read(&v))
    }

    /// Whether the caller's clearance admits data at `level` ([`admits`]).
    pub fn cleared_for(&self, level: Tlp2) -> bool {
        admits(self.clearance, level)
    }
    /// Ids of the collections the caller may read.
    pub fn readable(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .grants
            .iter()
            .filter(|(_, (r, _))| *r)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
    /// (can_read, can_write) on a collection.
    pub fn access(&self, collection_id: &str) -> (bool, bool) {
        self.grants
            .get(collection_id)
            .copied()
            .unwrap_or((false, false))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no credentials")]
    Missing,
    #[error("invalid credentials")]
    Invalid,
    /// Too many failures for this user name or from this address: retry after this long.
    #[error("too many failed logins; retry after {0:?}")]
    Throttled(Duration),
    /// The blocking task running the check failed (panicked or was cancelled).
    #[error("authentication task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Store(#[from] yamori_store::StoreError),
}

pub struct Authenticator {
    store: Arc<Store>,
    cache: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    /// One gate per credential being verified: concurrent requests with the same header (a
    /// client with many connections, when its cache entry has expired) wait for the one
    /// verification instead of each starting an attempt. Each attempt counts as a failure
    /// from its start ([`crate::throttle`]), so 32 concurrent checks of a valid token from one
    /// address were counted as 32 failures and the ones past the address's free failures were
    /// refused with 429. An entry lives only while its verification runs.
    verifying: Mutex<HashMap<[u8; 32], Arc<Mutex<()>>>>,
    throttle: LoginThrottle,
}

/// Credentials as sent, before any check.
enum Credential {
    /// A token: bearer, or the password of Basic (then with the user name it must belong to).
    Token {
        token: String,
        user: Option<String>,
    },
    Password {
        user: String,
        password: String,
    },
}

impl Credential {
    /// The user name whose password is being tried; None for tokens, which are not throttled
    /// per name (see [`crate::throttle`]).
    fn password_user(&self) -> Option<&str> {
        match self {
            Credential::Password { user, .. } => Some(user),
            Credential::Token { .. } => None,
        }
    }
}

/// Parse an `Authorization` header value; None when it is malformed or too long.
fn parse(header: &str) -> Option<Credential> {
    if header.len() > MAX_AUTH_HEADER {
        return None;
    }
    let (scheme, rest) = header.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Credential::Token {
            token: rest.trim().to_string(),
            user: None,
        });
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (name, password) = text.split_once(':')?;
    let (user, password) = (name.to_string(), password.to_string());
    Some(if password.starts_with(TOKEN_PREFIX) {
        Credential::Token {
            token: password,
            user: Some(user),
        }
    } else {
        Credential::Password { user, password }
    })
}

impl Authenticator {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
            verifying: Mutex::new(HashMap::new()),
            throttle: LoginThrottle::new(),
        }
    }

    /// Check an `Authorization` header value sent from `peer` (when known). Blocking (argon2,
    /// database): call from `spawn_blocking`, or use [`Authenticator::check`].
    ///
    /// While the login throttle makes the user name or the address wait, everything is
    /// refused, even a credential verified less than [`CACHE_TTL`] ago; otherwise a cached
    /// credential is accepted without counting, and anything else is counted as an attempt.
    pub fn authenticate(
        &self,
        header: Option<&str>,
        peer: Option<IpAddr>,
    ) -> Result<Identity, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let cred = parse(header);
        let name = cred.as_ref().and_then(Credential::password_user);
        if let Some(wait) = self.throttle.wait(name, peer, Instant::now()) {
            return Err(AuthError::Throttled(wait));
        }
        // Over-long values are not hashed: they never verify (`parse` refuses them).
        let key: Option<[u8; 32]> =
            (header.len() <= MAX_AUTH_HEADER).then(|| Sha256::digest(header.as_bytes()).into());
        let user = match key.and_then(|k| self.cached(&k)) {
            Some(u) => u,
            None => {
                let gate = key.map(|k| self.gate(k));
                let _turn = gate
                    .as_ref()
                    .map(|g| g.lock().unwrap_or_else(|p| p.into_inner()));
                let verified = match key.and_then(|k| self.cached(&k)) {
                    // Verified by the request this one waited for.
                    Some(u) => Ok(u),
                    None => self.verify_counted(cred.as_ref(), name, peer, key),
                };
                if let Some(k) = key {
                    self.verifying
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&k);
                }
                verified?
            }
        };
        let grants = self.store.taxii_grants(&user)?;
        let clearance = self.store.taxii_user_tlp(&user)?;
        Ok(Identity::new(user, grants, clearance.as_deref()))
    }

    /// The user a credential (by the SHA-256 of its header) was verified for, if less than
    /// [`CACHE_TTL`] ago.
    fn cached(&self, key: &[u8; 32]) -> Option<String> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(u, _)| u.clone())
    }

    /// The gate of a credential's verification (see `verifying`).
    fn gate(&self, key: [u8; 32]) -> Arc<Mutex<()>> {
        self.verifying
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    /// Checks a credential as one attempt of the login throttle, and caches a success.
    fn verify_counted(
        &self,
        cred: Option<&Credential>,
        name: Option<&str>,
        peer: Option<IpAddr>,
        key: Option<[u8; 32]>,
    ) -> Result<String, AuthError> {
        self.throttle
            .begin(name, peer, Instant::now())
            .map_err(AuthError::Throttled)?;
        let verdict = match cred {
            None => Err(AuthError::Invalid),
            Some(c) => self.verify(c),
        };
        let u = match verdict {
            Ok(u) => {
                self.throttle.succeeded(name, peer);
                u
            }
            // Counted as a failure when the attempt began.
            Err(AuthError::Invalid) => {
                self.throttle.failed(name, peer, Instant::now());
                return Err(AuthError::Invalid);
            }
            Err(e) => {
                self.throttle.undo(name, peer);
                return Err(e);
            }
        };
        if let Some(key) = key {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (u.clone(), Instant::now()));
        }
        Ok(u)
    }

    /// [`Authenticator::authenticate`] on a blocking thread, for the request being served (its
    /// client address comes from [`crate::throttle::peer`]).
    pub async fn check(self: &Arc<Self>, header: Option<String>) -> Result<Identity, AuthError> {
        let peer = crate::throttle::peer();
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.authenticate(header.as_deref(), peer))
            .await
            .map_err(|e| AuthError::Task(e.to_string()))?
    }

    fn verify(&self, cred: &Credential) -> Result<String, AuthError> {
        let (name, password) = match cred {
            Credential::Token { token, user } => return self.verify_token(token, user.as_deref()),
            Credential::Password { user, password } => (user, password),
        };
        let user = self.store.taxii_user(name)?.ok_or(AuthError::Invalid)?;
        let hash = user.password_hash.ok_or(AuthError::Invalid)?;
        if verify_secret(password, &hash) {
            Ok(user.name)
        } else {
            Err(AuthError::Invalid)
        }
    }

    fn verify_token(&self, token: &str, expect_user: Option<&str>) -> Result<String, AuthError> {
        let (id, secret) = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|t| t.split_once('_'))
            .ok_or(AuthError::Invalid)?;
        let (user, hash) = self.store.taxii_token(id)?.ok_or(AuthError::Invalid)?;
        if expect_user.is_some_and(|u| u != user) || !verify_secret(secret, &hash) {
            return Err(AuthError::Invalid);
        }
        Ok(user)
    }
}

const TOKEN_PREFIX: &str = "ymr_";

/// Hash a password or token secret with argon2id and a random salt.
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Create a token for `user`, store its hash and return the token (shown once).
pub fn issue_token(store: &Store, user: &str) -> Result<String, String> {
    let id: [u8; 6] = rand::random();
    let secret: [u8; 32] = rand::random();
    let (id, secret) = (hex::encode(id), hex::encode(secret));
    let hash = hash_secret(&secret)?;
    store
        .taxii_add_token(&id, user, &hash)
        .map_err(|e| e.to_string())?;
    Ok(format!("{TOKEN_PREFIX}{id}_{secret}"))
}
