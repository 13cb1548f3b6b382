//! Paged lists (`/api/v1/sources`, `/api/v1/attacks`) and one source's detail.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use yamori_model::telescope::Tool;
use yamori_store::dashboard::SourceFilter;

use super::params::Params;
use super::rows::{
    attack, merge_by_address, port_counts, source as source_of, timeline_entry, SourceDoc,
};
use super::types::{Page, SourceDetail};
use super::{caller, ok, ApiError, ApiResult};
use crate::app::HubState;

/// One keyset page: `next` is the last row's key (`a.b`, what `Params::cursor` reads back)
/// when the page is full, else None.
fn page<R, T>(
    rows: &[R],
    limit: u32,
    key: impl Fn(&R) -> (i64, i64),
    item: impl Fn(&R) -> T,
) -> Page<T> {
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(&key))
        .flatten()
        .map(|(a, b)| format!("{a}.{b}"));
    Page {
        items: rows.iter().map(item).collect(),
        next,
    }
}

pub async fn sources(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        caller(&state, &headers).await?;
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
        let cache = state.warninglists.clone();
        let body = state.blocking(move |s| -> ApiResult<_> {
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
            let mut body = page(&rows, limit, |r| (r.packets as i64, r.id), source_of);
            let lists = cache.current(s)?.unwrap_or_default();
            for item in &mut body.items {
                super::listed::label(item, &lists);
            }
            Ok(body)
        })
        .await?;
        ok(&body)
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
        let ident = caller(&state, &headers).await?;
        let ip: std::net::IpAddr = address.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "bad address {address:?}: expected an IPv4 or IPv6 address"
            ))
        })?;
        let readable = ident.readable();
        let cache = state.warninglists.clone();
        let body = state
            .blocking(move |s| -> ApiResult<_> {
                let rows = s.dash_source(&ip.to_string())?;
                if rows.is_empty() {
                    return Err(ApiError::not_found(format!("{ip} was not seen")));
                }
                let timeline = rows.iter().map(timeline_entry).collect();
                let merged = merge_by_address(rows);
                let Some(m) = merged.first() else {
                    return Err(ApiError::not_found(format!("{ip} was not seen")));
                };
                let newest = SourceDoc::of(m);
                // Indicators carry the address quoted in their pattern: `[ipv4-addr:value = 'a']`.
                let needle = format!("'{ip}'");
                // Only what the caller's TLP clearance admits (docs/TRUST.md §5), and only
                // the sightings of indicators they may see.
                let cleared = |b: &String| {
                    serde_json::from_str::<Value>(b)
                        .ok()
                        .filter(|v| ident.may_read(v))
                };
                let indicators: Vec<Value> = s
                    .dash_objects_mentioning(&readable, "indicator", &needle, 20)?
                    .iter()
                    .filter_map(cleared)
                    .collect();
                let mut sightings: Vec<Value> = Vec::new();
                for i in &indicators {
                    if let Some(id) = i.get("id").and_then(Value::as_str) {
                        sightings.extend(
                            s.dash_objects_mentioning(&readable, "sighting", id, 20)?
                                .iter()
                                .filter_map(cleared),
                        );
                    }
                }
                let mut source = source_of(m);
                let lists = cache.current(s)?.unwrap_or_default();
                super::listed::label(&mut source, &lists);
                Ok(SourceDetail {
                    source,
                    top_ports: port_counts(&newest.top_ports),
                    fingerprint_matches: newest.fingerprint_matches,
                    syn_probes: newest.syn_probes,
                    ttl_min: newest.ttl_min,
                    ttl_max: newest.ttl_max,
                    timeline,
                    indicators,
                    sightings,
                })
            })
            .await?;
        ok(&body)
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
        caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["from", "to", "limit", "cursor"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let after = p.cursor()?;
        let body = state
            .blocking(move |s| -> ApiResult<_> {
                let (from, to) = p.range(s.dash_bounds()?)?;
                let rows = s.dash_attacks(from, to, after, limit)?;
                Ok(page(&rows, limit, |r| (r.start_s, r.id), attack))
            })
            .await?;
        ok(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}
