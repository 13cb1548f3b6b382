//! Discovery, API root information and status resources (TAXII 2.1 §4).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use yamori_store::taxii::{StatusDetail, TaxiiStatus};

use super::error::{TaxiiError, TaxiiResult};
use super::{caller, check_root, taxii_response};
use crate::app::HubState;
use crate::TAXII_MEDIA_TYPE;

/// Longest Host header used to build URLs; longer ones fall back to relative URLs.
const MAX_HOST_LEN: usize = 255;

pub async fn discovery(
    State(st): State<HubState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    caller(&st, &headers).await?;
    // HTTP/1.1 names the host in `Host`, HTTP/2 in the `:authority` (the URI).
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .filter(|h| h.len() <= MAX_HOST_LEN && !h.contains(['/', '\\', '@', ' ']))
        .map(|h| format!("{}://{h}", st.config.scheme))
        .unwrap_or_default();
    let roots: Vec<String> = st
        .config
        .api_roots
        .iter()
        .map(|r| format!("{base}/{r}/"))
        .collect();
    let mut body = json!({
        "title": st.config.title,
        "api_roots": roots,
    });
    if let Some(d) = &st.config.description {
        body["description"] = json!(d);
    }
    if let Some(first) = roots.first() {
        body["default"] = json!(first);
    }
    Ok(taxii_response(StatusCode::OK, body.to_string()))
}

pub async fn api_root(
    State(st): State<HubState>,
    Path(root): Path<String>,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    caller(&st, &headers).await?;
    check_root(&st, &root)?;
    let body = json!({
        "title": format!("{} — {root}", st.config.title),
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": st.config.max_content_length,
    });
    Ok(taxii_response(StatusCode::OK, body.to_string()))
}

pub async fn status(
    State(st): State<HubState>,
    Path((root, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let ident = caller(&st, &headers).await?;
    check_root(&st, &root)?;
    let found = st
        .blocking(move |s| -> TaxiiResult<_> { Ok(s.taxii_status(&id)?) })
        .await?;
    // Only the requester sees a status; others get the same 404 as for an unknown id.
    let s = found
        .filter(|s| s.api_root == root && s.owner == ident.user)
        .ok_or_else(|| TaxiiError::not_found("no such status"))?;
    Ok(taxii_response(StatusCode::OK, status_json(&s).to_string()))
}

fn details(d: &[StatusDetail]) -> Value {
    Value::Array(
        d.iter()
            .map(|x| {
                let mut v = json!({"id": x.id, "version": x.version});
                if let Some(m) = &x.message {
                    v["message"] = json!(m);
                }
                v
            })
            .collect(),
    )
}

/// The status resource (TAXII 2.1 §4.3.1).
pub fn status_json(s: &TaxiiStatus) -> Value {
    let mut v = json!({
        "id": s.id,
        "status": if s.is_complete() { "complete" } else { "pending" },
        "request_timestamp": s.request_timestamp,
        "total_count": s.total_count,
        "success_count": s.successes.len(),
        "failure_count": s.failures.len(),
        "pending_count": s.pendings.len(),
    });
    for (k, d) in [
        ("successes", &s.successes),
        ("failures", &s.failures),
        ("pendings", &s.pendings),
    ] {
        if !d.is_empty() {
            v[k] = details(d);
        }
    }
    v
}
