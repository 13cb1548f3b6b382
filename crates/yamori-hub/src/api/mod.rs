//! The dashboard's JSON REST API (`/api/v1/…`), described in `docs/api/openapi.yaml`
//! (served at `/api/v1/openapi.yaml`). Same credentials as TAXII, plus a session cookie
//! for the browser. Aggregation happens in the store ([`yamori_store::dashboard`]); these
//! handlers parse parameters, check who is asking and build the response types of
//! [`types`], which mirror the spec's schemas.

mod decoy;
mod intel;
pub(crate) mod listed;
mod lists;
mod observable;
mod overview;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod params;
mod rows;
mod sensors;
mod session;
pub mod types;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::app::{HandlerError, HubState};
use crate::auth::Identity;

pub use session::SESSION_COOKIE;

/// The OpenAPI description, served as is.
const OPENAPI: &str = include_str!("../../../../docs/api/openapi.yaml");

pub(crate) fn routes() -> Router<HubState> {
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
        .route("/api/v1/observable", get(observable::observable))
        .route("/api/v1/sensors", get(sensors::sensors))
        .route("/api/v1/decoy", get(decoy::decoy))
        .route("/api/v1/decoy/sessions/{session}", get(decoy::session))
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
    pub fn new(status: StatusCode, m: impl Into<String>) -> Self {
        Self {
            status,
            message: m.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
}

impl HandlerError for ApiError {
    fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error serving an API request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not complete the request",
        )
    }
    fn bad_credentials() -> Self {
        Self::unauthorized("invalid credentials")
    }
    fn throttled(wait: std::time::Duration) -> Self {
        let secs = crate::throttle::retry_after_secs(wait);
        Self {
            retry_after: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many failed logins for this user or from this address; try again in {secs} s"
                ),
            )
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
        let body = types::ErrorBody {
            error: self.message,
        };
        let mut resp = match serde_json::to_string(&body) {
            Ok(text) => (self.status, text).into_response(),
            Err(_) => self.status.into_response(),
        };
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
fn ok<T: Serialize>(v: &T) -> ApiResult<Response> {
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

/// Who is calling: the `Authorization` header, checked as for TAXII ([`HubState::identify`]),
/// or else the session cookie.
async fn caller(state: &HubState, headers: &HeaderMap) -> ApiResult<Identity> {
    if headers.contains_key(header::AUTHORIZATION) {
        return state.identify(headers).await;
    }
    session::from_cookie(state, headers).await
}
