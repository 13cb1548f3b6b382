//! The TAXII 2.1 server (OASIS TAXII 2.1, 10 June 2021): routes, state and configuration.

mod body;
mod collections;
pub mod error;
mod media;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod next;
mod objects;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod params;
mod server_info;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use yamori_store::taxii::Collection;
use yamori_store::Store;

use crate::auth::{AuthError, Authenticator, Identity};
use crate::TAXII_MEDIA_TYPE;
use error::{TaxiiError, TaxiiResult};

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
    /// Objects per database transaction while ingesting.
    pub ingest_chunk: usize,
    /// `https` or `http`: how discovery spells API root URLs (built from the Host header).
    pub scheme: String,
    /// How long a dashboard login lasts.
    pub session_ttl: Duration,
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
            ingest_chunk: 500,
            scheme: "https".into(),
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

#[derive(Clone)]
pub struct HubState {
    pub store: Arc<Store>,
    pub config: Arc<HubConfig>,
    pub auth: Arc<Authenticator>,
    /// HMAC key sealing `next` tokens.
    pub next_key: Arc<[u8; 32]>,
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
            store,
            config: Arc::new(config),
            next_key: Arc::new(next_key),
        })
    }

    /// Run blocking store work off the async threads.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> TaxiiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> TaxiiResult<T> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(TaxiiError::internal)?
    }

    /// Authenticate the request (401 on failure) after checking `Accept` (406).
    pub(crate) async fn identify(&self, headers: &HeaderMap) -> TaxiiResult<Identity> {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let ident = match self.auth.check(auth).await {
            Ok(i) => i,
            Err(AuthError::Store(e)) => return Err(TaxiiError::internal(e)),
            Err(AuthError::Task(e)) => return Err(TaxiiError::internal(e)),
            Err(AuthError::Throttled(wait)) => return Err(TaxiiError::throttled(wait)),
            Err(AuthError::Missing | AuthError::Invalid) => return Err(TaxiiError::unauthorized()),
        };
        media::check_accept(headers)?;
        Ok(ident)
    }

    pub(crate) fn check_root(&self, root: &str) -> TaxiiResult<()> {
        if self.config.api_roots.iter().any(|r| r == root) {
            Ok(())
        } else {
            Err(TaxiiError::not_found("no such API root"))
        }
    }

    /// The collection with its (can_read, can_write) for the caller; 404 if it does not
    /// exist or the caller has no access at all.
    pub(crate) async fn collection(
        &self,
        ident: &Identity,
        root: &str,
        id_or_alias: &str,
    ) -> TaxiiResult<(Collection, bool, bool)> {
        self.check_root(root)?;
        let (root, key) = (root.to_string(), id_or_alias.to_string());
        let c = self
            .blocking(move |s| Ok(s.taxii_collection(&root, &key)?))
            .await?
            .ok_or_else(TaxiiError::no_collection)?;
        let (r, w) = ident.access(&c.id);
        if !r && !w {
            return Err(TaxiiError::no_collection());
        }
        Ok((c, r, w))
    }
}

/// A TAXII JSON response.
pub(crate) fn taxii_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    resp
}

/// The whole hub: TAXII 2.1 (every path ends with `/`, TAXII 2.1 §3.1), the dashboard's
/// REST API under `/api/v1/` and its static files at `/` and `/assets/`.
pub fn app(state: HubState) -> Router {
    let timeout = state.config.request_timeout;
    let concurrency = state.config.max_concurrent;
    Router::new()
        .route("/", get(crate::web::index))
        .route("/assets/{*path}", get(crate::web::asset))
        .merge(crate::api::routes())
        .route("/taxii2/", get(server_info::discovery))
        .route("/{root}/", get(server_info::api_root))
        .route("/{root}/status/{status_id}/", get(server_info::status))
        // taxii2-client builds status URLs without the trailing slash.
        .route("/{root}/status/{status_id}", get(server_info::status))
        .route("/{root}/collections/", get(collections::list))
        .route("/{root}/collections/{cid}/", get(collections::one))
        .route(
            "/{root}/collections/{cid}/manifest/",
            get(objects::manifest),
        )
        .route(
            "/{root}/collections/{cid}/objects/",
            get(objects::get_objects).post(objects::post_objects),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/",
            get(objects::get_object).delete(objects::delete_object),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/versions/",
            get(objects::versions),
        )
        .fallback(|| async { TaxiiError::not_found("no such endpoint") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        // Inside the timeout: draining what a handler left of a body is part of the request.
        .layer(axum::middleware::from_fn(crate::drain::drain_unread))
        .layer(axum::middleware::from_fn(crate::throttle::with_peer))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
        .with_state(state)
}
