//! TAXII errors as responses in the spec's error format (TAXII 2.1 §3.6.1). Internal causes
//! are logged, never sent: a 500 body says only that something failed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::HandlerError;
use crate::TAXII_MEDIA_TYPE;

#[derive(Debug)]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub description: String,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            title,
            description: description.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", d)
    }
    pub fn not_found(d: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", d)
    }
    pub fn forbidden(d: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", d)
    }
    /// The collection is unknown, or the caller may neither read nor write it: the same answer
    /// for both, so the response does not reveal which collections exist.
    pub fn no_collection() -> Self {
        Self::not_found("no such collection, or no access to it")
    }
}

impl HandlerError for TaxiiError {
    fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error serving a TAXII request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the server could not complete the request",
        )
    }
    fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "send HTTP Basic credentials or a bearer token",
        )
    }
    fn throttled(wait: std::time::Duration) -> Self {
        let secs = crate::throttle::retry_after_secs(wait);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins",
            format!(
                "too many failed logins for this user or from this address; retry after {secs} s"
            ),
        );
        e.retry_after = Some(secs);
        e
    }
}

impl From<yamori_store::StoreError> for TaxiiError {
    fn from(e: yamori_store::StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut resp = (self.status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TAXII_MEDIA_TYPE),
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

pub type TaxiiResult<T> = Result<T, TaxiiError>;
