//! `GET /api/v1/intel` (collections, newest indicators and sightings, sync peers) and
//! `GET /api/v1/survey`.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::params::{fmt_time, Params};
use super::{blocking, identify, json as json_response, ApiResult};
use crate::taxii::HubState;

pub async fn intel(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let ident = identify(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["limit"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let roots = state.config.api_roots.clone();
        let body = blocking(&state, move |s| {
            let mut collections = Vec::new();
            for root in &roots {
                for c in s.taxii_collections(root)? {
                    let (r, w) = ident.access(&c.id);
                    if r || w {
                        collections.push(json!({
                            "id": c.id, "api_root": c.api_root, "alias": c.alias,
                            "title": c.title, "can_read": r, "can_write": w,
                        }));
                    }
                }
            }
            let readable = ident.readable();
            let pick = |body: &str, keys: &[&str]| -> Value {
                let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                keys.iter()
                    .map(|k| (k.to_string(), v.get(*k).cloned().unwrap_or(Value::Null)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            };
            let with_collection = |mut v: Value, c: &str| {
                v["collection"] = json!(c);
                v
            };
            let indicators: Vec<Value> = s
                .dash_recent_objects(&readable, "indicator", limit)?
                .iter()
                .map(|(c, b)| {
                    let keys = [
                        "id",
                        "name",
                        "pattern",
                        "confidence",
                        "valid_from",
                        "valid_until",
                        "modified",
                    ];
                    with_collection(pick(b, &keys), c)
                })
                .collect();
            let sightings: Vec<Value> = s
                .dash_recent_objects(&readable, "sighting", limit)?
                .iter()
                .map(|(c, b)| {
                    let keys = ["id", "sighting_of_ref", "count", "first_seen", "last_seen"];
                    with_collection(pick(b, &keys), c)
                })
                .collect();
            // `yamori sync` keeps its positions as `sync.pull|<url>|<collection>`.
            let peers: Vec<Value> = s
                .kv_prefixed("sync.")?
                .into_iter()
                .filter_map(|(k, v)| {
                    let mut parts = k.splitn(3, '|');
                    let dir = parts.next()?.strip_prefix("sync.")?.to_string();
                    let (url, coll) = (parts.next()?, parts.next()?);
                    Some(json!({ "direction": dir, "url": url, "collection": coll, "position": v }))
                })
                .collect();
            Ok(json!({
                "collections": collections,
                "indicators": indicators,
                "sightings": sightings,
                "peers": peers,
            }))
        })
        .await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

/// Survey results from the store: counts and the devices, KEV first, then highest CVSS, then
/// address (each service's newest observation; see `yamori_store::survey`), paged by `cursor`.
pub async fn survey(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r: ApiResult<Response> = async {
        let ident = identify(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["limit", "cursor"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let after = p.cursor()?;
        let roots = state.config.api_roots.clone();
        let body = blocking(&state, move |s| {
            // Survey findings name customers' exposed devices (published as TLP:AMBER): only
            // callers who may read a `survey` collection see them here too.
            let mut allowed = false;
            for root in &roots {
                if let Some(c) = s.taxii_collection(root, "survey")? {
                    allowed |= ident.access(&c.id).0;
                }
            }
            if !allowed {
                return Ok(json!({
                    "available": false,
                    "reason": "Your account may not read the `survey` collection, where survey \
                               findings are shared (TLP:AMBER); ask an administrator for \
                               `yamori user grant <you> --collection survey:r`.",
                    "summary": null,
                    "devices": [],
                    "next": null,
                }));
            }
            let summary = s.survey_summary()?;
            if summary.runs == 0 {
                return Ok(json!({
                    "available": false,
                    "reason": "No survey results are stored yet: `yamori survey` stores each run \
                               in the data directory's database (unless --no-store).",
                    "summary": null,
                    "devices": [],
                    "next": null,
                }));
            }
            let rows = s.survey_devices(after, limit)?;
            let next = (rows.len() == limit as usize)
                .then(|| rows.last().map(|r| format!("{}.{}", r.sort_key, r.id)))
                .flatten();
            let counts = |v: &[(Option<String>, u64)]| -> Vec<Value> {
                v.iter()
                    .map(|(k, n)| json!({ "key": k, "count": n }))
                    .collect()
            };
            Ok(json!({
                "available": true,
                "reason": null,
                "summary": {
                    "runs": summary.runs,
                    "last_finished": summary.last_finished,
                    "devices": summary.devices,
                    "weak_credentials": summary.weak_credentials,
                    "vulnerable": summary.vulnerable,
                    "kev": summary.kev,
                    "by_device_type": counts(&summary.by_device_type),
                    "by_vendor": counts(&summary.by_vendor),
                },
                "devices": rows.iter().map(|d| json!({
                    "address": d.address,
                    "port": d.port,
                    "transport": d.transport,
                    "service": d.protocol,
                    "device_type": d.device_type,
                    "vendor": d.vendor,
                    "product": d.product,
                    "version": d.version,
                    "weak_credentials": d.weak_credentials,
                    "kev": d.kev,
                    "max_cvss": d.max_cvss,
                    "vulnerabilities": d.vulnerabilities.iter().map(|v| json!({
                        "cve": v.cve, "kev": v.kev, "cvss": v.cvss,
                    })).collect::<Vec<_>>(),
                    "observed": fmt_time(d.finished_s),
                    "run": d.run_id,
                })).collect::<Vec<_>>(),
                "next": next,
            }))
        })
        .await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}
