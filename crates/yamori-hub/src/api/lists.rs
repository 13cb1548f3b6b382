//! Paged lists (`/api/v1/sources`, `/api/v1/attacks`) and one source's detail.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use yamori_model::telescope::Tool;
use yamori_store::dashboard::SourceFilter;

use super::overview::{attack_json, merge_by_address, source_json};
use super::params::{fmt_time, Params};
use super::{blocking, identify, json as json_response, ApiError};
use crate::taxii::HubState;

/// `{"items", "next"}` of one keyset page: `next` is the last row's key (`a.b`, what
/// `Params::cursor` reads back) when the page is full, else null.
fn page<T>(
    rows: &[T],
    limit: u32,
    key: impl Fn(&T) -> (i64, i64),
    item: impl Fn(&T) -> Value,
) -> Value {
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(&key))
        .flatten()
        .map(|(a, b)| format!("{a}.{b}"));
    json!({ "items": rows.iter().map(item).collect::<Vec<_>>(), "next": next })
}

pub async fn sources(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        identify(&state, &headers).await?;
        let p = Params::parse(
            q.as_deref(),
            &["from", "to", "country", "tool", "scanners", "limit", "cursor"],
        )?;
        let limit = p.int("limit", 50, 1, 500)?;
        let after = p.cursor()?;
        let country = match p.str("country") {
            Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) => {
                Some(c.to_string())
            }
            Some(c) => {
                return Err(ApiError::bad_request(format!(
                    "bad query parameter `country`: {c:?}; expected an ISO 3166-1 alpha-2 code such as JP"
                )))
            }
            None => None,
        };
        let tool = match p.str("tool") {
            Some(t) if Tool::ALL.iter().any(|k| k.name() == t) => Some(t.to_string()),
            Some(t) => {
                return Err(ApiError::bad_request(format!(
                    "bad query parameter `tool`: {t:?}; expected one of {}",
                    Tool::ALL.map(Tool::name).join(", ")
                )))
            }
            None => None,
        };
        let scanners_only = p.bool("scanners")?;
        let body = blocking(&state, move |s| {
            let (from, to) = p.range(s.dash_bounds()?)?;
            let f = SourceFilter {
                from,
                to,
                country,
                tool,
                scanners_only,
                located_only: false,
            };
            let rows = s.dash_sources(&f, after, limit)?;
            Ok(page(&rows, limit, |r| (r.packets as i64, r.id), source_json))
        })
        .await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

pub async fn source(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(address): Path<String>,
) -> Response {
    let r = async {
        let ident = identify(&state, &headers).await?;
        let ip: std::net::IpAddr = address.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "bad address {address:?}: expected an IPv4 or IPv6 address"
            ))
        })?;
        let readable = ident.readable();
        let body = blocking(&state, move |s| {
            let rows = s.dash_source(&ip.to_string())?;
            if rows.is_empty() {
                return Err(ApiError::not_found(format!("{ip} was not seen")));
            }
            let timeline: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let d: Value = serde_json::from_str(&r.detail).unwrap_or(Value::Null);
                    json!({
                        "analysis_id": r.analysis_id,
                        "first_seen": fmt_time(r.first_s),
                        "last_seen": fmt_time(r.last_s),
                        "packets": r.packets,
                        "scanner_windows": d.get("scanner_windows"),
                    })
                })
                .collect();
            let merged = merge_by_address(rows);
            let Some(m) = merged.first() else {
                return Err(ApiError::not_found(format!("{ip} was not seen")));
            };
            let newest: Value = serde_json::from_str(&m.detail).unwrap_or(Value::Null);
            let mut out = source_json(m);
            // Indicators carry the address quoted in their pattern: `[ipv4-addr:value = 'a']`.
            let needle = format!("'{ip}'");
            let indicators: Vec<Value> = s
                .dash_objects_mentioning(&readable, "indicator", &needle, 20)?
                .iter()
                .filter_map(|b| serde_json::from_str(b).ok())
                .collect();
            let mut sightings: Vec<Value> = Vec::new();
            for i in &indicators {
                if let Some(id) = i.get("id").and_then(Value::as_str) {
                    sightings.extend(
                        s.dash_objects_mentioning(&readable, "sighting", id, 20)?
                            .iter()
                            .filter_map(|b| serde_json::from_str::<Value>(b).ok()),
                    );
                }
            }
            if let Some(o) = out.as_object_mut() {
                for k in [
                    "top_ports",
                    "fingerprint_matches",
                    "syn_probes",
                    "ttl_min",
                    "ttl_max",
                ] {
                    o.insert(k.into(), newest.get(k).cloned().unwrap_or(Value::Null));
                }
                o.insert("timeline".into(), json!(timeline));
                o.insert("indicators".into(), json!(indicators));
                o.insert("sightings".into(), json!(sightings));
            }
            Ok(out)
        })
        .await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

pub async fn attacks(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        identify(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["from", "to", "limit", "cursor"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let after = p.cursor()?;
        let body = blocking(&state, move |s| {
            let (from, to) = p.range(s.dash_bounds()?)?;
            let rows = s.dash_attacks(from, to, after, limit)?;
            Ok(page(&rows, limit, |r| (r.start_s, r.id), attack_json))
        })
        .await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}
