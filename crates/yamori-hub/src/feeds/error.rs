//! Feed errors: a status and one line of text. Feeds are fetched by cron jobs, `curl` and
//! firewalls' list fetchers, which log a body as it is; JSON would only be in their way.
//! Internal causes are logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::HandlerError;

#[derive(Debug)]
pub struct FeedError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl FeedError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    /// The collection is unknown, or the caller may neither read nor write it: one answer for
    /// both, as TAXII gives, so a feed URL does not reveal which collections exist.
    pub fn no_collection() -> Self {
        Self::not_found("no such collection, or no access to it")
    }
}

impl HandlerError for FeedError {
    fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error serving a feed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not produce the feed",
        )
    }
    fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "send HTTP Basic credentials or a bearer token",
        )
    }
    fn throttled(wait: std::time::Duration) -> Self {
        let secs = crate::throttle::retry_after_secs(wait);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed logins for this user or from this address; retry after {secs} s"
            ),
        );
        e.retry_after = Some(secs);
        e
    }
}

impl From<yamori_store::StoreError> for FeedError {
    fn from(e: yamori_store::StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for FeedError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, format!("{}\n", self.message)).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"yamori\", Bearer realm=\"yamori\""),
            );
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

pub type FeedResult<T> = Result<T, FeedError>;
