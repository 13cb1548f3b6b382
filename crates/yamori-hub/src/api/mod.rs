//! The dashboard's JSON REST API (`/api/v1/…`), described in `docs/api/openapi.yaml`
//! (served at `/api/v1/openapi.yaml`). Same credentials as TAXII, plus a session cookie
//! for the browser. Aggregation happens in the store ([`yamori_store::dashboard`]); these
//! handlers parse parameters, check who is asking and shape JSON.

mod intel;
mod lists;
mod overview;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod params;
mod session;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use yamori_store::Store;

use crate::auth::Identity;
use crate::taxii::HubState;

pub use session::SESSION_COOKIE;

/// The OpenAPI description, served as is.
const OPENAPI: &str = include_str!("../../../../docs/api/openapi.yaml");

pub fn routes() -> Router<HubState> {
    Router::new()
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/overview", get(overview::overview))
        .route("/api/v1/sources", get(lists::sources))
        .route("/api/v1/sources/{address}", get(lists::source))
        .route("/api/v1/attacks", get(lists::attacks))
        .route("/api/v1/survey", get(intel::survey))
        .route("/api/v1/intel", get(intel::intel))
        .route(
            "/api/v1/openapi.yaml",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
                    OPENAPI,
                )
            }),
        )
        .route(
            "/api/{*rest}",
            get(|| async { ApiError::not_found("no such API endpoint; see /api/v1/openapi.yaml") }),
        )
}

/// An API error: `{"error": "..."}` with its status. Internal causes are logged, not sent.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: m.into(),
            retry_after: None,
        }
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: m.into(),
            retry_after: None,
        }
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: m.into(),
            retry_after: None,
        }
    }
    /// Too many failed logins for this user or from this address (see [`crate::throttle`]).
    pub fn throttled(wait: std::time::Duration) -> Self {
        let secs = crate::throttle::retry_after_secs(wait);
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!(
                "too many failed logins for this user or from this address; try again in {secs} s"
            ),
            retry_after: Some(secs),
        }
    }
    /// The answer to a failed credential check.
    pub fn from_auth(e: crate::auth::AuthError, unauthorized: &str) -> Self {
        use crate::auth::AuthError;
        match e {
            AuthError::Store(e) => Self::internal(e),
            AuthError::Task(e) => Self::internal(e),
            AuthError::Throttled(wait) => Self::throttled(wait),
            AuthError::Missing | AuthError::Invalid => Self::unauthorized(unauthorized),
        }
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error serving an API request");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "the server could not complete the request".into(),
            retry_after: None,
        }
    }
}

impl From<yamori_store::StoreError> for ApiError {
    fn from(e: yamori_store::StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON 200 response that is never cached (it depends on who asks).
pub fn json<T: Serialize>(v: &T) -> ApiResult<Response> {
    let body = serde_json::to_string(v).map_err(ApiError::internal)?;
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Run blocking store work off the async threads.
pub async fn blocking<T, F>(state: &HubState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(ApiError::internal)?
}

/// Who is calling: an `Authorization` header (as for TAXII) or the session cookie.
pub async fn identify(state: &HubState, headers: &HeaderMap) -> ApiResult<Identity> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let auth = auth.to_str().ok().map(str::to_owned);
        return state
            .auth
            .check(auth)
            .await
            .map_err(|e| ApiError::from_auth(e, "invalid credentials"));
    }
    session::identify(state, headers).await
}
