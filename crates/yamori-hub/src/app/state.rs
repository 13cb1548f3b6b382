//! The state every handler shares, and the steps TAXII and the API both take.

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use yamori_store::Store;

use super::{HandlerError, HubConfig};
use crate::auth::{Authenticator, Identity};

#[derive(Clone)]
pub struct HubState {
    pub store: Arc<Store>,
    pub config: Arc<HubConfig>,
    pub auth: Arc<Authenticator>,
    /// HMAC key sealing TAXII `next` tokens.
    pub next_key: Arc<[u8; 32]>,
    /// Generated feeds ([`crate::feeds`]), shared by every request.
    pub feeds: Arc<crate::feeds::FeedCache>,
    /// The imported warninglists that label the dashboard's sources.
    pub warninglists: Arc<super::ListCache>,
}

impl HubState {
    /// State with the `next` key kept in the store (so tokens survive a restart).
    pub fn new(store: Arc<Store>, config: HubConfig) -> Result<Self, yamori_store::StoreError> {
        const KEY: &str = "taxii.next_key";
        let key = match store.kv_get(KEY)?.and_then(|h| hex::decode(h).ok()) {
            Some(k) if k.len() == 32 => k,
            _ => {
                let k: [u8; 32] = rand::random();
                store.kv_set(KEY, &hex::encode(k))?;
                k.to_vec()
            }
        };
        let mut next_key = [0u8; 32];
        next_key.copy_from_slice(&key);
        Ok(Self {
            auth: Arc::new(Authenticator::new(store.clone())),
            feeds: Arc::new(crate::feeds::FeedCache::new(config.feed_ttl)),
            warninglists: Arc::default(),
            store,
            config: Arc::new(config),
            next_key: Arc::new(next_key),
        })
    }

    /// Run store work on the blocking pool, off the async threads. A task that panics is an
    /// internal error of the calling side.
    pub(crate) async fn blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: HandlerError,
        F: FnOnce(&Store) -> Result<T, E> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(E::internal)?
    }

    /// The caller named by the `Authorization` header (HTTP Basic, or a bearer token),
    /// checked by the [`Authenticator`] (argon2, a short cache, the login throttle): 401
    /// without it or when it is wrong, 429 while the throttle makes the name or address wait.
    /// TAXII identifies every request this way; the API too, when the header is sent (its
    /// session cookie is the other way in).
    pub(crate) async fn identify<E: HandlerError>(
        &self,
        headers: &HeaderMap,
    ) -> Result<Identity, E> {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.auth.check(auth).await.map_err(E::from_auth)
    }
}
