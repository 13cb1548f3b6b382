//! `GET /api/v1/overview`: one call for the whole overview page.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use yamori_model::telescope::{Category, Tool};
use yamori_store::dashboard::{AttackRow, SourceFilter, SourceRow};
use yamori_store::Store;

use super::params::{bucket_for, fmt_time, Params};
use super::{blocking, identify, json as json_response, ApiResult};
use crate::taxii::HubState;

/// Located sources sent for the map.
const MAP_POINTS: u32 = 1000;

pub async fn overview(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        identify(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["from", "to", "top"])?;
        let top = p.int("top", 10, 1, 100)?;
        let body = blocking(&state, move |s| build(s, &p, top)).await?;
        json_response(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

/// Rows of one address from several analyses, summed (the lists are per analysis).
pub fn merge_by_address(rows: Vec<SourceRow>) -> Vec<SourceRow> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<SourceRow> = Vec::new();
    for r in rows {
        match at.get(&r.address) {
            Some(&i) => {
                let m = &mut out[i];
                m.packets += r.packets;
                m.bytes += r.bytes;
                m.first_s = m.first_s.min(r.first_s);
                m.last_s = m.last_s.max(r.last_s);
                m.scanner |= r.scanner;
                if r.last_s >= m.last_s {
                    (m.tool, m.kind, m.detail) = (r.tool, r.kind, r.detail);
                }
            }
            None => {
                at.insert(r.address.clone(), out.len());
                out.push(r);
            }
        }
    }
    out.sort_by(|a, b| b.packets.cmp(&a.packets).then(a.id.cmp(&b.id)));
    out
}

/// A source as the API's `Source` schema.
pub fn source_json(r: &SourceRow) -> Value {
    let detail: Value = serde_json::from_str(&r.detail).unwrap_or(Value::Null);
    json!({
        "address": r.address,
        "packets": r.packets,
        "bytes": r.bytes,
        "first_seen": fmt_time(r.first_s),
        "last_seen": fmt_time(r.last_s),
        "destinations": detail.get("destinations"),
        "destination_ports": detail.get("destination_ports"),
        "scanner": r.scanner,
        "scan": detail.get("scan"),
        "tool": r.tool,
        "kind": r.kind,
        "country": r.country,
        "asn": r.asn,
        "as_org": detail.get("as_org"),
        "latitude": r.latitude,
        "longitude": r.longitude,
    })
}

/// An attack as the API's `Attack` schema (the report's JSON of it).
pub fn attack_json(r: &AttackRow) -> Value {
    serde_json::from_str(&r.detail).unwrap_or_else(|_| json!({ "victim": r.victim }))
}

fn build(s: &Store, p: &Params, top: u32) -> ApiResult<Value> {
    let bounds = s.dash_bounds()?;
    let (from, to) = p.range(bounds)?;
    let bucket = bucket_for(to - from);
    let series = s.dash_series(from, to, bucket)?;
    let mut by_category = [0u64; 10];
    for b in &series {
        for (t, c) in by_category.iter_mut().zip(b.counts) {
            *t += c;
        }
    }
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
    let counts: Vec<Vec<u64>> = (0..10)
        .map(|i| series.iter().map(|b| b.counts[i]).collect())
        .collect();
    let totals = s.dash_totals(from, to)?;

    let f = SourceFilter {
        from,
        to,
        ..Default::default()
    };
    // Fetch extra rows so that merging one address's analyses still fills the list.
    let top_rows = merge_by_address(s.dash_sources(&f, None, top * 4)?);
    let top_sources: Vec<Value> = top_rows
        .iter()
        .take(top as usize)
        .map(source_json)
        .collect();
    let located = SourceFilter {
        located_only: true,
        ..f.clone()
    };
    let map_rows = merge_by_address(s.dash_sources(&located, None, MAP_POINTS)?);
    let map: Vec<Value> = map_rows
        .iter()
        .map(|r| {
            json!({
                "address": r.address, "latitude": r.latitude, "longitude": r.longitude,
                "country": r.country, "packets": r.packets, "kind": r.kind,
            })
        })
        .collect();
    let unlocated = top_rows
        .iter()
        .take(top as usize)
        .filter(|r| r.latitude.is_none())
        .count();
    let reason = (map.is_empty() && !top_rows.is_empty()).then(|| {
        "No source has a map position: the analyses were made without a GeoIP database. \
         Run `yamori geo fetch` for a free one and analyse again with --geoip."
            .to_string()
    });
    let attribution = s.kv_get("geo.attribution")?.filter(|a| !a.is_empty());

    let ports = |facet: &str| -> ApiResult<Vec<Value>> {
        Ok(s.dash_facet(facet, from, to, top)?
            .into_iter()
            .map(|f| json!({ "port": f.key.parse::<u16>().unwrap_or(0), "packets": f.packets }))
            .collect())
    };
    let mut tools: serde_json::Map<String, Value> = Tool::ALL
        .iter()
        .map(|t| (t.name().to_string(), json!(0)))
        .collect();
    for t in s.dash_facet("tool", from, to, 10)? {
        tools.insert(t.key, json!(t.sources));
    }
    let countries: Vec<Value> = s
        .dash_facet("country", from, to, 300)?
        .into_iter()
        .map(|c| json!({ "country": c.key, "packets": c.packets, "sources": c.sources }))
        .collect();
    let attacks: Vec<Value> = s
        .dash_top_attacks(from, to, top)?
        .iter()
        .map(attack_json)
        .collect();

    Ok(json!({
        "range": {
            "from": fmt_time(from), "to": fmt_time(to),
            "data_from": bounds.map(|b| fmt_time(b.first_s)),
            "data_to": bounds.map(|b| fmt_time(b.end_s)),
        },
        "totals": {
            "packets": by_category.iter().sum::<u64>(),
            "bytes": totals.bytes,
            "sources": totals.sources,
            "scanners": totals.scanners,
            "attacks": s.dash_attack_count(from, to)?,
            "by_category": names.iter().zip(by_category).map(|(n, c)| (n.to_string(), json!(c)))
                .collect::<serde_json::Map<_, _>>(),
        },
        "series": {
            "bucket_secs": bucket,
            "t": series.iter().map(|b| b.t).collect::<Vec<_>>(),
            "categories": names,
            "counts": counts,
        },
        "top_tcp_ports": ports("tcp_port")?,
        "top_udp_ports": ports("udp_port")?,
        "top_sources": top_sources,
        "scanners_by_tool": tools,
        "countries": countries,
        "map": map,
        "attacks": attacks,
        "geo": {
            "located": map.len(),
            "unlocated": unlocated,
            "reason": reason,
            "attribution": attribution,
        },
    }))
}
