//! A telescope report turned into rows of the dashboard tables.

use std::collections::BTreeMap;

use yamori_model::telescope::Report;

use crate::db::Param;
use crate::{Result, StoreError};

/// INSERT statements (one per table) and the rows to run them with.
pub(crate) struct IndexBatch {
    /// The tables rows go to, with their columns.
    pub tables: &'static [(&'static str, &'static [&'static str])],
    /// (index into `tables`, parameters).
    pub rows: Vec<(usize, Vec<Param>)>,
}

const TABLES: [(&str, &[&str]); 5] = [
    (
        "tel_analyses",
        &[
            "analysis_id",
            "first_s",
            "last_s",
            "packets",
            "bytes",
            "sources",
            "scanners",
        ],
    ),
    (
        "tel_minutes",
        &[
            "analysis_id",
            "minute",
            "c0",
            "c1",
            "c2",
            "c3",
            "c4",
            "c5",
            "c6",
            "c7",
            "c8",
            "c9",
        ],
    ),
    (
        "tel_facets",
        &["analysis_id", "facet", "key", "packets", "sources"],
    ),
    (
        "tel_sources",
        &[
            "analysis_id",
            "address",
            "packets",
            "bytes",
            "first_s",
            "last_s",
            "scanner",
            "tool",
            "kind",
            "country",
            "asn",
            "lat",
            "lon",
            "detail",
        ],
    ),
    (
        "tel_attacks",
        &[
            "analysis_id",
            "victim",
            "start_s",
            "end_s",
            "packets",
            "detail",
        ],
    ),
];
const ANALYSES: usize = 0;
const MINUTES: usize = 1;
const FACETS: usize = 2;
const SOURCES: usize = 3;
const ATTACKS: usize = 4;

/// Unix seconds of an RFC 3339 time of the report, naming the field when it is bad.
fn secs(s: &str, field: &str) -> Result<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| StoreError::Corrupt(format!("report field {field}: {s:?}: {e}")))
}

fn int(v: u64) -> Param {
    Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

/// Parse a stored report and build its index rows under `analysis_id`.
pub(crate) fn index_report(analysis_id: &str, report_json: &str) -> Result<IndexBatch> {
    let report: Report = serde_json::from_str(report_json)
        .map_err(|e| StoreError::Corrupt(format!("report of analysis {analysis_id}: {e}")))?;
    let id = || Param::Text(analysis_id.to_string());
    let mut rows: Vec<(usize, Vec<Param>)> = Vec::new();

    let first = match &report.first_packet {
        Some(s) => secs(s, "first_packet")?,
        None => 0,
    };
    let last = match &report.last_packet {
        Some(s) => secs(s, "last_packet")?,
        None => first,
    };
    rows.push((
        ANALYSES,
        vec![
            id(),
            Param::Int(first),
            Param::Int(last),
            int(report.totals.darknet_packets),
            int(report.totals.bytes),
            int(report.totals.distinct_sources),
            int(report.scanners.len() as u64),
        ],
    ));
    for (i, m) in report.timeseries.iter().enumerate() {
        let mut p = vec![
            id(),
            Param::Int(secs(&m.minute, &format!("timeseries[{i}].minute"))?),
        ];
        p.extend(m.counts.iter().map(|&c| int(c)));
        rows.push((MINUTES, p));
    }
    let mut facet = |name: &str, key: String, packets: u64, sources: u64| {
        rows.push((
            FACETS,
            vec![
                id(),
                Param::Text(name.into()),
                Param::Text(key),
                int(packets),
                int(sources),
            ],
        ));
    };
    for c in &report.top_countries {
        facet("country", c.key.clone(), c.packets, c.sources);
    }
    for a in &report.top_asns {
        facet("asn", a.key.clone(), a.packets, a.sources);
    }
    for p in &report.top_tcp_ports {
        facet("tcp_port", p.port.to_string(), p.packets, 0);
    }
    for p in &report.top_udp_ports {
        facet("udp_port", p.port.to_string(), p.packets, 0);
    }
    let mut tools: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for s in &report.scanners {
        let e = tools.entry(s.tool.name()).or_default();
        e.0 += s.packets;
        e.1 += 1;
    }
    for (t, (packets, sources)) in tools {
        facet("tool", t.into(), packets, sources);
    }

    // A DDoS victim's packets in a darknet are its replies to spoofed traffic: backscatter.
    let victims: std::collections::HashSet<&str> =
        report.attacks.iter().map(|a| a.victim.as_str()).collect();
    // Top sources and scanners overlap; each address once.
    let mut seen = std::collections::HashSet::new();
    let listed = report.scanners.iter().chain(&report.top_sources);
    for s in listed {
        if !seen.insert(s.address.as_str()) {
            continue;
        }
        let field = format!("source {}", s.address);
        let detail =
            serde_json::to_string(s).map_err(|e| StoreError::Corrupt(format!("{field}: {e}")))?;
        rows.push((
            SOURCES,
            vec![
                id(),
                Param::Text(s.address.clone()),
                int(s.packets),
                int(s.bytes),
                Param::Int(secs(&s.first_seen, &format!("{field} first_seen"))?),
                Param::Int(secs(&s.last_seen, &format!("{field} last_seen"))?),
                Param::Int(i64::from(s.scan.is_some())),
                Param::Text(s.tool.name().into()),
                Param::Text(
                    if s.scan.is_none() && victims.contains(s.address.as_str()) {
                        "backscatter"
                    } else {
                        s.kind()
                    }
                    .into(),
                ),
                Param::OptText(s.country.clone()),
                Param::OptInt(s.asn.map(i64::from)),
                Param::OptReal(s.location.map(|l| l.latitude)),
                Param::OptReal(s.location.map(|l| l.longitude)),
                Param::Text(detail),
            ],
        ));
    }
    for a in &report.attacks {
        let field = format!("attack on {}", a.victim);
        let detail =
            serde_json::to_string(a).map_err(|e| StoreError::Corrupt(format!("{field}: {e}")))?;
        rows.push((
            ATTACKS,
            vec![
                id(),
                Param::Text(a.victim.clone()),
                Param::Int(secs(&a.start, &format!("{field} start"))?),
                Param::Int(secs(&a.end, &format!("{field} end"))?),
                int(a.packets),
                Param::Text(detail),
            ],
        ));
    }
    Ok(IndexBatch {
        tables: &TABLES,
        rows,
    })
}
