//! From the store's dashboard rows to the API's types. A row's `detail` is the report's JSON
//! of the source or attack; it is read leniently (a field it lacks is left empty) so that a
//! row the store can no longer fully read still shows what it has.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use yamori_model::telescope::ScanKind;
use yamori_store::dashboard::{AttackRow, SourceRow};

use super::params::fmt_time;
use super::types::{Attack, MapPoint, PortCount, Source, TimelineEntry};

/// What the API reads of a source's `detail` (the report's `SourceSummary`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SourceDoc {
    pub destinations: Option<u64>,
    pub destination_ports: Option<u64>,
    pub scan: Option<ScanKind>,
    pub as_org: Option<String>,
    pub top_ports: Vec<yamori_model::telescope::PortCount>,
    pub fingerprint_matches: BTreeMap<String, u64>,
    pub syn_probes: u64,
    pub ttl_min: Option<u8>,
    pub ttl_max: Option<u8>,
    pub scanner_windows: Vec<String>,
}

impl SourceDoc {
    pub fn of(r: &SourceRow) -> Self {
        serde_json::from_str(&r.detail).unwrap_or_default()
    }
}

/// What the API reads of an attack's `detail` (the report's `Attack`); the row has the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AttackDoc {
    start: Option<String>,
    end: Option<String>,
    peak_pps: f64,
    mean_pps: f64,
    ports: Vec<yamori_model::telescope::PortCount>,
    darknet_destinations: Option<u64>,
    kinds: Vec<String>,
    country: Option<String>,
    asn: Option<u32>,
}

pub fn port_counts(ports: &[yamori_model::telescope::PortCount]) -> Vec<PortCount> {
    ports
        .iter()
        .map(|p| PortCount {
            port: p.port,
            packets: p.packets,
        })
        .collect()
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

/// A source row as the API's `Source`.
pub fn source(r: &SourceRow) -> Source {
    let d = SourceDoc::of(r);
    Source {
        address: r.address.clone(),
        packets: r.packets,
        bytes: r.bytes,
        first_seen: fmt_time(r.first_s),
        last_seen: fmt_time(r.last_s),
        destinations: d.destinations,
        destination_ports: d.destination_ports,
        scanner: r.scanner,
        scan: d.scan,
        tool: r.tool.clone(),
        kind: r.kind.clone(),
        country: r.country.clone(),
        asn: r.asn,
        as_org: d.as_org,
        latitude: r.latitude,
        longitude: r.longitude,
        // Set by `listed::label` once the warninglists are read.
        warninglists: Vec::new(),
        benign_scanner: false,
    }
}

/// A source row of one analysis as an entry of `SourceDetail.timeline`.
pub fn timeline_entry(r: &SourceRow) -> TimelineEntry {
    TimelineEntry {
        analysis_id: r.analysis_id.clone(),
        first_seen: fmt_time(r.first_s),
        last_seen: fmt_time(r.last_s),
        packets: r.packets,
        scanner_windows: SourceDoc::of(r).scanner_windows,
    }
}

/// A located source row as a point of the overview's map; None without a position.
pub fn map_point(r: &SourceRow) -> Option<MapPoint> {
    Some(MapPoint {
        address: r.address.clone(),
        latitude: r.latitude?,
        longitude: r.longitude?,
        country: r.country.clone(),
        packets: r.packets,
        kind: r.kind.clone(),
    })
}

/// An attack row as the API's `Attack`: the report's times as it wrote them, else the row's.
pub fn attack(r: &AttackRow) -> Attack {
    let d: AttackDoc = serde_json::from_str(&r.detail).unwrap_or_default();
    Attack {
        victim: r.victim.clone(),
        start: d.start.unwrap_or_else(|| fmt_time(r.start_s)),
        end: d.end.unwrap_or_else(|| fmt_time(r.end_s)),
        packets: r.packets,
        peak_pps: d.peak_pps,
        mean_pps: d.mean_pps,
        ports: port_counts(&d.ports),
        darknet_destinations: d.darknet_destinations,
        kinds: d.kinds,
        country: d.country,
        asn: d.asn,
    }
}
