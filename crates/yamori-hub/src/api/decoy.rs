//! `GET /api/v1/decoy` and `GET /api/v1/decoy/sessions/{session}`: what the decoy
//! (`yamori decoy`) recorded over a window, and one session's records, for the dashboard's
//! decoy page. The records are attackers' input: they are sent as data, never interpreted.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use yamori_store::decoy_activity::DecoyActivity;

use super::params::{fmt_time, Params};
use super::types::{
    Decoy, DecoyAttackerRow, DecoyCommandRow, DecoyCredentialRow, DecoyHourRow, DecoyLogin,
    DecoySession, DecoySessionRow, DecoyUrlRow,
};
use super::{caller, ok, ApiError, ApiResult};
use crate::app::HubState;

pub async fn decoy(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["window", "top"])?;
        let window = p.int("window", 168, 1, 8760)?;
        let top = p.int("top", 10, 1, 100)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // Whole hours, so the first bucket of the series is a whole one.
        let since = now - now.rem_euclid(3600) - 3600 * (i64::from(window) - 1);
        let since_text = record_time(since);
        let a = state
            .blocking(move |s| -> ApiResult<_> { Ok(s.decoy_activity(&since_text, top as usize)?) })
            .await?;
        ok(&response(a, now, since, window))
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

/// A time in the decoy records' own format (microseconds): the store compares them as text,
/// and a bare `…:00Z` would sort after the records of the window's first second.
fn record_time(unix: i64) -> String {
    fmt_time(unix).replace('Z', ".000000Z")
}

fn response(a: DecoyActivity, now: i64, since: i64, window: u32) -> Decoy {
    Decoy {
        now: fmt_time(now),
        since: fmt_time(since),
        window_hours: window,
        bucket_seconds: 3600,
        sessions: a.sessions,
        sources: a.sources,
        logins_succeeded: a.logins_succeeded,
        logins_failed: a.logins_failed,
        commands: a.commands,
        downloads: a.downloads,
        series: a
            .hours
            .into_iter()
            .map(|h| DecoyHourRow {
                t: format!("{}:00:00Z", h.hour),
                sessions: h.sessions,
                logins: h.logins,
                commands: h.commands,
            })
            .collect(),
        credentials: a
            .credentials
            .into_iter()
            .map(|c| DecoyCredentialRow {
                username: c.username,
                password: c.password,
                attempts: c.attempts,
                succeeded: c.succeeded,
            })
            .collect(),
        commands_top: a
            .commands_top
            .into_iter()
            .map(|c| DecoyCommandRow {
                input: c.input,
                count: c.count,
                sessions: c.sessions,
            })
            .collect(),
        urls: a
            .urls
            .into_iter()
            .map(|u| DecoyUrlRow {
                host: yamori_intel::decoy::url_host(&u.url).map(|(_, h)| h),
                url: u.url,
                sessions: u.sessions,
                sources: u.sources,
                first_seen: u.first_seen,
                last_seen: u.last_seen,
            })
            .collect(),
        attackers: a
            .attackers
            .into_iter()
            .map(|x| DecoyAttackerRow {
                src_ip: x.src_ip,
                sessions: x.sessions,
                logins_succeeded: x.logins_succeeded,
                commands: x.commands,
                downloads: x.downloads,
                first_seen: x.first_seen,
                last_seen: x.last_seen,
            })
            .collect(),
        recent_sessions: a
            .recent
            .into_iter()
            .map(|r| DecoySessionRow {
                login: r
                    .login
                    .map(|(username, password)| DecoyLogin { username, password }),
                session: r.session,
                src_ip: r.src_ip,
                protocol: r.protocol,
                start: r.start,
                end: r.end,
                commands: r.commands,
                downloads: r.downloads,
            })
            .collect(),
    }
}

pub async fn session(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(session): Path<String>,
) -> Response {
    let r = async {
        caller(&state, &headers).await?;
        if session.len() != 12 || !session.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ApiError::bad_request(format!(
                "bad session {session:?}: expected 12 lowercase hex digits, as in the decoy's records"
            )));
        }
        let id = session.clone();
        let records = state
            .blocking(move |s| -> ApiResult<_> { Ok(s.decoy_session(&id)?) })
            .await?;
        if records.is_empty() {
            return Err(ApiError::not_found(format!(
                "the decoy has no records of session {session}"
            )));
        }
        // Each stored record is the decoy's JSON line; one that does not parse is passed on
        // as a string rather than dropped, so the transcript never hides a record.
        let events = records
            .into_iter()
            .map(|r| serde_json::from_str(&r).unwrap_or(serde_json::Value::String(r)))
            .collect();
        ok(&DecoySession { session, events })
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_before_its_first_seconds_records() {
        let start = record_time(1_796_083_200);
        assert_eq!(start, "2026-12-01T00:00:00.000000Z");
        assert!(start.as_str() <= "2026-12-01T00:00:00.000000Z");
        assert!(start.as_str() < "2026-12-01T00:00:00.500000Z");
        assert!(start.as_str() > "2026-11-30T23:59:59.999999Z");
    }
}
