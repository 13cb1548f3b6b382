//! `GET /api/v1/overview`: one call for the whole overview page.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use yamori_model::telescope::{Category, Tool};
use yamori_store::dashboard::SourceFilter;
use yamori_store::Store;

use super::params::{bucket_for, fmt_time, Params};
use super::rows::{attack, map_point, merge_by_address, source};
use super::types::{
    CountryCount, Geo, Overview, OverviewTotals, PortCount, Range, ScannersByTool, Series,
};
use super::{caller, ok, ApiResult};
use crate::app::HubState;

/// Located sources sent for the map.
const MAP_POINTS: u32 = 1000;

pub async fn overview(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["from", "to", "top"])?;
        let top = p.int("top", 10, 1, 100)?;
        let cache = state.warninglists.clone();
        let body = state
            .blocking(move |s| {
                let mut o = build(s, &p, top)?;
                let lists = cache.current(s)?.unwrap_or_default();
                for source in &mut o.top_sources {
                    super::listed::label(source, &lists);
                }
                Ok::<_, super::ApiError>(o)
            })
            .await?;
        ok(&body)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

fn build(s: &Store, p: &Params, top: u32) -> ApiResult<Overview> {
    let bounds = s.dash_bounds()?;
    let (from, to) = p.range(bounds)?;
    let bucket = bucket_for(to - from);
    let buckets = s.dash_series(from, to, bucket)?;
    let mut by_category = [0u64; 10];
    for b in &buckets {
        for (t, c) in by_category.iter_mut().zip(b.counts) {
            *t += c;
        }
    }
    let names: Vec<&'static str> = Category::ALL.iter().map(|c| c.name()).collect();
    let series = Series {
        bucket_secs: bucket,
        t: buckets.iter().map(|b| b.t).collect(),
        categories: names.clone(),
        counts: (0..10)
            .map(|i| buckets.iter().map(|b| b.counts[i]).collect())
            .collect(),
    };
    let totals = s.dash_totals(from, to)?;

    let f = SourceFilter {
        from,
        to,
        ..Default::default()
    };
    // Fetch extra rows so that merging one address's analyses still fills the list.
    let top_rows = merge_by_address(s.dash_sources(&f, None, top * 4)?);
    let top_rows = &top_rows[..top_rows.len().min(top as usize)];
    let located = SourceFilter {
        located_only: true,
        ..f.clone()
    };
    let map_rows = merge_by_address(s.dash_sources(&located, None, MAP_POINTS)?);
    let map: Vec<_> = map_rows.iter().filter_map(map_point).collect();
    let unlocated = top_rows.iter().filter(|r| r.latitude.is_none()).count();
    let reason = (map.is_empty() && !top_rows.is_empty()).then(|| {
        "No source has a map position: the analyses were made without a GeoIP database. \
         Run `yamori geo fetch` for a free one and analyse again with --geoip."
            .to_string()
    });
    let attribution = s.kv_get("geo.attribution")?.filter(|a| !a.is_empty());

    let ports = |facet: &str| -> ApiResult<Vec<PortCount>> {
        Ok(s.dash_facet(facet, from, to, top)?
            .into_iter()
            .map(|f| PortCount {
                port: f.key.parse::<u16>().unwrap_or(0),
                packets: f.packets,
            })
            .collect())
    };
    let mut tools = ScannersByTool::default();
    for t in s.dash_facet("tool", from, to, 10)? {
        if let Some(tool) = Tool::ALL.into_iter().find(|k| k.name() == t.key) {
            *tools.of(tool) = t.sources;
        }
    }
    let countries = s
        .dash_facet("country", from, to, 300)?
        .into_iter()
        .map(|c| CountryCount {
            country: c.key,
            packets: c.packets,
            sources: c.sources,
        })
        .collect();
    let attacks = s
        .dash_top_attacks(from, to, top)?
        .iter()
        .map(attack)
        .collect();

    Ok(Overview {
        range: Range {
            from: fmt_time(from),
            to: fmt_time(to),
            data_from: bounds.map(|b| fmt_time(b.first_s)),
            data_to: bounds.map(|b| fmt_time(b.end_s)),
        },
        totals: OverviewTotals {
            packets: by_category.iter().sum(),
            bytes: totals.bytes,
            sources: totals.sources,
            scanners: totals.scanners,
            attacks: s.dash_attack_count(from, to)?,
            by_category: names
                .into_iter()
                .zip(by_category)
                .collect::<BTreeMap<_, _>>(),
        },
        series,
        top_tcp_ports: ports("tcp_port")?,
        top_udp_ports: ports("udp_port")?,
        top_sources: top_rows.iter().map(source).collect(),
        scanners_by_tool: tools,
        countries,
        geo: Geo {
            located: map.len() as u64,
            unlocated: unlocated as u64,
            reason,
            attribution,
        },
        map,
        attacks,
    })
}
