//! `GET /api/v1/observable?value=…`: everything the hub knows of one value — the indexed
//! values equal to it, containing it or inside it (`yamori_intel::observables`), the stored
//! objects that name them in collections the caller may read, and what our own sensors (the
//! telescope, the decoy) saw of it.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use yamori_intel::observables::{Observable, ValueKind};
use yamori_store::correlation::Lookup;

use super::params::{fmt_time, Params};
use super::types::{
    ObservableDecoySeen, ObservableReport, ObservableSeenBy, ObservableTelescopeSeen,
    ObservableValue, ObservableView,
};
use super::{caller, ok, ApiError, ApiResult};
use crate::app::HubState;

pub async fn observable(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let ident = caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["value", "limit"])?;
        let limit = p.int("limit", 100, 1, 1000)?;
        let text = p.str("value").ok_or_else(|| {
            ApiError::bad_request(
                "missing value: give ?value= an address, prefix, domain, URL, e-mail address \
                 or hash",
            )
        })?;
        let asked = Observable::guess(text)
            .map_err(|e| ApiError::bad_request(format!("bad value: {e}")))?;
        let roots = state.config.api_roots.clone();
        let body = state
            .blocking(move |s| -> ApiResult<_> {
                let readable = ident.readable();
                let mut every = true;
                for root in &roots {
                    for c in s.taxii_collections(root)? {
                        every &= ident.access(&c.id).0;
                    }
                }
                // Objects stored before this request are in the answer (module
                // `yamori_store::correlation`: the index follows the objects).
                let index_complete = crate::ingest::index_before_reading(s).is_complete();
                let keys = asked.lookup_keys();
                let lookup = Lookup {
                    kind: asked.kind.as_str(),
                    exact: &keys.exact,
                    within: keys.within.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                    own_key: Some(&asked.key),
                    collections: Some(&readable),
                    limit,
                };
                let (values, mut refs) = s.correlation_lookup(&lookup)?;
                let truncated = refs.len() >= limit as usize || values.len() >= limit as usize;
                // Reports of objects above the caller's TLP clearance are left out. When any
                // is, so are the counts over every collection, which include them: values
                // are then described by the reports left, and a value only withheld objects
                // name is not shown.
                let cleared = cleared_objects(s, &ident, &refs)?;
                let before = refs.len();
                refs.retain(|r| cleared.contains(&(r.collection_id.clone(), r.object_id.clone())));
                // Reports past the limit were not checked: no totals then either.
                every &= refs.len() == before && !truncated;
                let relation = |key: &str, value: &str| {
                    asked
                        .relation_of(&Observable {
                            kind: asked.kind,
                            key: key.to_string(),
                            value: value.to_string(),
                        })
                        .as_str()
                };
                // A value's count and times span every collection: only a caller who reads
                // them all sees them; others see the values their readable reports name, with
                // the times of those reports.
                let values = values
                    .into_iter()
                    .filter_map(|v| {
                        let (first_added, last_added) = if every {
                            (v.first_added.clone(), v.last_added.clone())
                        } else {
                            let mine = refs.iter().filter(|r| r.key == v.key);
                            let first = mine.clone().map(|r| r.first_added.clone()).min()?;
                            let last = mine.map(|r| r.last_added.clone()).max()?;
                            (first, last)
                        };
                        Some(ObservableValue {
                            relation: relation(&v.key, &v.value),
                            reports: every.then_some(v.reports),
                            capped: every && v.capped(),
                            first_added,
                            last_added,
                            value: v.value,
                        })
                    })
                    .collect();
                let reports = refs
                    .into_iter()
                    .map(|r| ObservableReport {
                        relation: relation(&r.key, &r.value),
                        value: r.value,
                        collection: r.collection,
                        collection_id: r.collection_id,
                        object_id: r.object_id,
                        object_type: r.object_type,
                        created_by: r.created_by,
                        first_added: r.first_added,
                        last_added: r.last_added,
                    })
                    .collect();
                let single = matches!(
                    (asked.kind, asked.value.contains('/')),
                    (ValueKind::Ipv4 | ValueKind::Ipv6, false)
                );
                let seen_by = if single {
                    let seen = s.correlation_sensor_seen(&asked.value)?;
                    Some(ObservableSeenBy {
                        telescope: seen
                            .telescope
                            .into_iter()
                            .map(|t| ObservableTelescopeSeen {
                                sensor: t.sensor,
                                analyses: t.analyses,
                                first_seen: fmt_time(t.first_s),
                                last_seen: fmt_time(t.last_s),
                                packets: t.packets,
                                scanner: t.scanner,
                            })
                            .collect(),
                        decoy: seen.decoy.map(|d| ObservableDecoySeen {
                            sessions: d.sessions,
                            records: d.records,
                            first_seen: d.first,
                            last_seen: d.last,
                        }),
                    })
                } else {
                    None
                };
                Ok(ObservableView {
                    value: asked.value.clone(),
                    kind: asked.kind.as_str(),
                    values,
                    reports,
                    truncated,
                    seen_by,
                    index_complete,
                })
            })
            .await?;
        ok(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

/// The (collection id, object id) pairs among `refs` whose newest version the caller's TLP
/// clearance admits; one index search per object, for at most the lookup's limit of them.
fn cleared_objects(
    s: &yamori_store::Store,
    ident: &crate::auth::Identity,
    refs: &[yamori_store::correlation::RefRow],
) -> ApiResult<std::collections::HashSet<(String, String)>> {
    let mut by_collection: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for r in refs {
        by_collection
            .entry(r.collection_id.as_str())
            .or_default()
            .push(r.object_id.clone());
    }
    let mut cleared = std::collections::HashSet::new();
    for (cid, mut ids) in by_collection {
        ids.sort();
        ids.dedup();
        for (id, body) in s.taxii_latest_bodies(cid, &ids)? {
            if ident.may_read_text(&body) {
                cleared.insert((cid.to_string(), id));
            }
        }
    }
    Ok(cleared)
}
