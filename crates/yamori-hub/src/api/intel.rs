//! `GET /api/v1/intel` (collections, newest indicators and sightings, sync peers) and
//! `GET /api/v1/survey`.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::params::{fmt_time, Params};
use super::types::{
    Intel, IntelCollection, IntelIndicator, IntelPeer, IntelSighting, Survey, SurveyCount,
    SurveyDevice, SurveySummary, SurveyVulnerability,
};
use super::{caller, ok, ApiError, ApiResult};
use crate::app::HubState;
use crate::auth::Identity;

/// What the intel page shows of a stored STIX indicator.
#[derive(Default, Deserialize)]
#[serde(default)]
struct IndicatorDoc {
    id: Option<String>,
    name: Option<String>,
    pattern: Option<String>,
    confidence: Option<i64>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    modified: Option<String>,
}

/// What the intel page shows of a stored STIX sighting.
#[derive(Default, Deserialize)]
#[serde(default)]
struct SightingDoc {
    id: Option<String>,
    sighting_of_ref: Option<String>,
    count: Option<i64>,
    first_seen: Option<String>,
    last_seen: Option<String>,
}

/// The decayed score of the dashboard for the indicators `bodies`: MISP's NIDS model, the
/// stored trust per source, the sightings and the corroborating indicators (of the values
/// these name) in the caller's readable collections that their TLP clearance admits, now.
fn decay_scorer(
    s: &yamori_store::Store,
    ident: &Identity,
    bodies: &[(String, String)],
) -> ApiResult<yamori_act::score::DecayScore> {
    let table = s.trust_table()?;
    let trust = yamori_trust::SourceTrust::from_values(table.default, table.sources)
        .map_err(<ApiError as crate::app::HandlerError>::internal)?;
    let readable = ident.readable();
    let ids: Vec<&str> = readable.iter().map(String::as_str).collect();
    let cleared = |body: &str| ident.may_read_text(body);
    let values: Vec<(String, String)> = bodies
        .iter()
        .filter_map(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .flat_map(|v| yamori_intel::observables::of_object(&v).values)
        .map(|o| (o.kind.as_str().to_string(), o.key))
        .collect();
    // The scores use the index as it is when it cannot catch up (logged): behind, not wrong.
    let _complete = crate::ingest::index_before_reading(s).is_complete();
    let shared = s.correlation_shared_values_of(Some(&readable), &values)?;
    let model = yamori_trust::DecayModel::default();
    let now = time::OffsetDateTime::now_utc();
    let corroboration = yamori_act::score::corroboration(
        shared
            .iter()
            .filter(|r| cleared(&r.body))
            .map(|r| ((r.kind.as_str(), r.key.as_str()), r.body.as_str())),
        &model,
        &trust,
        now,
    );
    Ok(yamori_act::score::DecayScore {
        model,
        trust,
        corroboration,
        now,
        sightings: s.latest_sightings(&ids, &cleared)?,
    })
}

pub async fn intel(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let ident = caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["limit"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let roots = state.config.api_roots.clone();
        let body = state
            .blocking(move |s| -> ApiResult<_> {
                let mut collections = Vec::new();
                for root in &roots {
                    for c in s.taxii_collections(root)? {
                        let (r, w) = ident.access(&c.id);
                        if r || w {
                            collections.push(IntelCollection {
                                id: c.id,
                                api_root: c.api_root,
                                alias: c.alias,
                                title: c.title,
                                can_read: r,
                                can_write: w,
                            });
                        }
                    }
                }
                let readable = ident.readable();
                // Only what the caller's TLP clearance admits (docs/TRUST.md §5); a page
                // may then hold fewer than `limit`.
                let cleared = |(_, body): &(String, String)| ident.may_read_text(body);
                let shown: Vec<(String, String)> = s
                    .dash_recent_objects(&readable, "indicator", limit)?
                    .into_iter()
                    .filter(cleared)
                    .collect();
                let scorer = decay_scorer(s, &ident, &shown)?;
                let indicators = shown
                    .into_iter()
                    .map(|(collection, body)| {
                        let d: IndicatorDoc = serde_json::from_str(&body).unwrap_or_default();
                        let score = yamori_act::Indicator::parse(&body)
                            .ok()
                            .and_then(|i| yamori_act::Scorer::score(&scorer, &i));
                        IntelIndicator {
                            score,
                            id: d.id,
                            collection,
                            name: d.name,
                            pattern: d.pattern,
                            confidence: d.confidence,
                            valid_from: d.valid_from,
                            valid_until: d.valid_until,
                            modified: d.modified,
                        }
                    })
                    .collect();
                let sightings = s
                    .dash_recent_objects(&readable, "sighting", limit)?
                    .into_iter()
                    .filter(cleared)
                    .map(|(collection, body)| {
                        let d: SightingDoc = serde_json::from_str(&body).unwrap_or_default();
                        IntelSighting {
                            id: d.id,
                            collection,
                            sighting_of_ref: d.sighting_of_ref,
                            count: d.count,
                            first_seen: d.first_seen,
                            last_seen: d.last_seen,
                        }
                    })
                    .collect();
                // `yamori sync` keeps its positions as `sync.pull|<url>|<collection>` (and
                // `sync.push|…`).
                let peers = s
                    .kv_prefixed("sync.")?
                    .into_iter()
                    .filter_map(|(k, position)| {
                        let mut parts = k.splitn(3, '|');
                        let direction = match parts.next()? {
                            "sync.pull" => "pull",
                            "sync.push" => "push",
                            _ => return None,
                        };
                        let (url, collection) = (parts.next()?, parts.next()?);
                        Some(IntelPeer {
                            direction,
                            url: url.to_string(),
                            collection: collection.to_string(),
                            position,
                        })
                    })
                    .collect();
                Ok(Intel {
                    collections,
                    indicators,
                    sightings,
                    peers,
                })
            })
            .await?;
        ok(&body)
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
        let ident = caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["limit", "cursor"])?;
        let limit = p.int("limit", 50, 1, 500)?;
        let after = p.cursor()?;
        let roots = state.config.api_roots.clone();
        let unavailable = |reason: &str| Survey {
            available: false,
            reason: Some(reason.to_string()),
            summary: None,
            devices: Vec::new(),
            next: None,
        };
        let body = state
            .blocking(move |s| -> ApiResult<_> {
                // Survey findings name customers' exposed devices (published as TLP:AMBER):
                // only callers who may read a `survey` collection see them here too.
                let mut allowed = false;
                for root in &roots {
                    if let Some(c) = s.taxii_collection(root, "survey")? {
                        allowed |= ident.access(&c.id).0;
                    }
                }
                if allowed && !ident.cleared_for(yamori_intel::markings::Tlp2::Amber) {
                    return Ok(unavailable(
                        "Survey findings are TLP:AMBER and your account's TLP clearance is \
                         below it; ask an administrator for \
                         `yamori user grant <you> --tlp amber`.",
                    ));
                }
                if !allowed {
                    return Ok(unavailable(
                        "Your account may not read the `survey` collection, where survey \
                         findings are shared (TLP:AMBER); ask an administrator for \
                         `yamori user grant <you> --collection survey:r`.",
                    ));
                }
                let summary = s.survey_summary()?;
                if summary.runs == 0 {
                    return Ok(unavailable(
                        "No survey results are stored yet: `yamori survey` stores each run \
                         in the data directory's database (unless --no-store).",
                    ));
                }
                let rows = s.survey_devices(after, limit)?;
                let next = (rows.len() == limit as usize)
                    .then(|| rows.last().map(|r| format!("{}.{}", r.sort_key, r.id)))
                    .flatten();
                let counts = |v: Vec<(Option<String>, u64)>| -> Vec<SurveyCount> {
                    v.into_iter()
                        .map(|(key, count)| SurveyCount { key, count })
                        .collect()
                };
                Ok(Survey {
                    available: true,
                    reason: None,
                    summary: Some(SurveySummary {
                        runs: summary.runs,
                        last_finished: summary.last_finished,
                        devices: summary.devices,
                        weak_credentials: summary.weak_credentials,
                        vulnerable: summary.vulnerable,
                        kev: summary.kev,
                        by_device_type: counts(summary.by_device_type),
                        by_vendor: counts(summary.by_vendor),
                    }),
                    devices: rows
                        .into_iter()
                        .map(|d| SurveyDevice {
                            observed: fmt_time(d.finished_s),
                            address: d.address,
                            port: d.port,
                            transport: d.transport,
                            service: d.protocol,
                            device_type: d.device_type,
                            vendor: d.vendor,
                            product: d.product,
                            version: d.version,
                            weak_credentials: d.weak_credentials,
                            kev: d.kev,
                            max_cvss: d.max_cvss,
                            vulnerabilities: d
                                .vulnerabilities
                                .into_iter()
                                .map(|v| SurveyVulnerability {
                                    cve: v.cve,
                                    kev: v.kev,
                                    cvss: v.cvss,
                                })
                                .collect(),
                            run: d.run_id,
                        })
                        .collect(),
                    next,
                })
            })
            .await?;
        ok(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}
