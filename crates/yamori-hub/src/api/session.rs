//! Browser sessions: `POST /api/v1/session` checks a user's password (or token) like HTTP
//! Basic does and sets an HttpOnly, SameSite=Strict cookie holding a random id. The store
//! keeps only the id's SHA-256 (key `session.<hash>`), the user and the expiry.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::types::Me;
use super::{caller, ok, ApiError, ApiResult};
use crate::app::{HandlerError, HubState};
use crate::auth::{AuthError, Identity};

pub const SESSION_COOKIE: &str = "yamori_session";
/// Bodies of login requests larger than this are refused before parsing.
const MAX_LOGIN_BODY: usize = 8 * 1024;

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// The stored key of a session: the SHA-256 of its id, so the database never holds the secret.
fn key_of(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(state: &HubState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.scheme == "https" {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub async fn login(State(state): State<HubState>, body: axum::body::Body) -> Response {
    match login_inner(&state, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn login_inner(state: &HubState, body: axum::body::Body) -> ApiResult<Response> {
    // Read at most MAX_LOGIN_BODY bytes (the router sets no body limit of its own).
    let body = axum::body::to_bytes(body, MAX_LOGIN_BODY)
        .await
        .map_err(|e| {
            if e.into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the login body exceeds {MAX_LOGIN_BODY} bytes"),
                )
            } else {
                ApiError::bad_request("could not read the login body")
            }
        })?;
    let login: Login = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "login body: expected JSON {{\"username\": \"…\", \"password\": \"…\"}}: {e}"
        ))
    })?;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", login.username, login.password))
    );
    let ident = state.auth.check(Some(basic)).await.map_err(|e| match e {
        AuthError::Missing | AuthError::Invalid => {
            ApiError::unauthorized("wrong user name or password")
        }
        e => ApiError::from_auth(e),
    })?;
    let id = hex::encode(rand::random::<[u8; 32]>());
    let ttl = state.config.session_ttl.as_secs() as i64;
    let expires = now_unix() + ttl;
    let (key, user) = (key_of(&id), ident.user.clone());
    state
        .blocking(move |s| -> ApiResult<()> {
            Ok(s.session_create(&key, &user, expires, now_unix())?)
        })
        .await?;
    let mut resp = ok(&Me {
        user: ident.user,
        expires: rfc3339(expires),
    })?;
    resp.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(state, &id, ttl));
    Ok(resp)
}

pub async fn logout(State(state): State<HubState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie_of(&headers) {
        let key = key_of(&id);
        let _ = state
            .blocking(move |s| -> ApiResult<_> { Ok(s.session_delete(&key)?) })
            .await;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, "", 0));
    resp
}

pub async fn me(State(state): State<HubState>, headers: HeaderMap) -> Response {
    let r = async {
        let ident = caller(&state, &headers).await?;
        let expires = match cookie_of(&headers) {
            Some(id) if headers.get(header::AUTHORIZATION).is_none() => {
                let key = key_of(&id);
                state
                    .blocking(move |s| -> ApiResult<_> { Ok(s.session(&key, now_unix())?) })
                    .await?
                    .and_then(|sess| rfc3339(sess.expires_s))
            }
            _ => None,
        };
        ok(&Me {
            user: ident.user,
            expires,
        })
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

/// The identity behind the session cookie; 401 when there is none or it has expired.
pub(super) async fn from_cookie(state: &HubState, headers: &HeaderMap) -> ApiResult<Identity> {
    let Some(id) = cookie_of(headers) else {
        return Err(ApiError::unauthorized(
            "login required: POST /api/v1/session, or send HTTP Basic or bearer credentials",
        ));
    };
    let key = key_of(&id);
    state
        .blocking(move |s| {
            let Some(sess) = s.session(&key, now_unix())? else {
                return Err(ApiError::unauthorized(
                    "session unknown, ended or expired; log in again",
                ));
            };
            let grants = s.taxii_grants(&sess.user)?;
            let clearance = s.taxii_user_tlp(&sess.user)?;
            Ok(Identity::new(sess.user, grants, clearance.as_deref()))
        })
        .await
}
