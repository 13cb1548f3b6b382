//! Every response body of the API, one type per schema of `docs/api/openapi.yaml` (named as
//! there; the inline objects of a schema are named after it), fields in the spec's order.
//! Handlers build these and nothing else; `tests/it/openapi.rs` validates real responses of
//! every endpoint against the spec.
//!
//! How the spec's words map to Rust: a `nullable` field is an `Option` sent as `null` when
//! empty; a field the spec neither requires nor lets be null is an `Option` left out when
//! empty (it is only ever empty for data the store could not read back).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use yamori_model::telescope::{ScanKind, Tool};

/// `Error`: the body of every 4xx/5xx.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
}

/// `Me`: who is logged in (`POST /api/v1/session`, `GET /api/v1/me`).
#[derive(Debug, Serialize)]
pub struct Me {
    pub user: String,
    /// Session end; null for header credentials.
    pub expires: Option<String>,
}

/// `Range`.
#[derive(Debug, Serialize)]
pub struct Range {
    pub from: String,
    pub to: String,
    pub data_from: Option<String>,
    pub data_to: Option<String>,
}

/// `PortCount`.
#[derive(Debug, Serialize)]
pub struct PortCount {
    pub port: u16,
    pub packets: u64,
}

/// `Source`.
#[derive(Debug, Serialize)]
pub struct Source {
    pub address: String,
    pub packets: u64,
    pub bytes: u64,
    pub first_seen: String,
    pub last_seen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destinations: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_ports: Option<u64>,
    pub scanner: bool,
    pub scan: Option<ScanKind>,
    /// One of the model's [`yamori_model::telescope::Tool`] names, as the store indexes it.
    pub tool: String,
    /// The spec's `Kind`, as the store indexes it.
    pub kind: String,
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The imported warninglists that hold the address (docs/TRUST.md §2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warninglists: Vec<String>,
    /// A scanner whose address a list of scanners holds (research scanners: Censys, …).
    pub benign_scanner: bool,
}

/// `SourceDetail`: a [`Source`] (`allOf`) with what the newest analysis says of it, one
/// timeline entry per analysis, and the STIX objects about it the caller may read.
#[derive(Debug, Serialize)]
pub struct SourceDetail {
    #[serde(flatten)]
    pub source: Source,
    pub top_ports: Vec<PortCount>,
    pub fingerprint_matches: BTreeMap<String, u64>,
    pub syn_probes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_min: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_max: Option<u8>,
    pub timeline: Vec<TimelineEntry>,
    /// STIX 2.1 indicator objects, as stored.
    pub indicators: Vec<Value>,
    /// STIX 2.1 sighting objects of those indicators, as stored.
    pub sightings: Vec<Value>,
}

/// `SourceDetail.timeline[]`.
#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub analysis_id: String,
    pub first_seen: String,
    pub last_seen: String,
    pub packets: u64,
    pub scanner_windows: Vec<String>,
}

/// `Attack`.
#[derive(Debug, Serialize)]
pub struct Attack {
    pub victim: String,
    pub start: String,
    pub end: String,
    pub packets: u64,
    pub peak_pps: f64,
    pub mean_pps: f64,
    pub ports: Vec<PortCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub darknet_destinations: Option<u64>,
    pub kinds: Vec<String>,
    pub country: Option<String>,
    pub asn: Option<u32>,
}

/// One page of `GET /api/v1/sources` or `GET /api/v1/attacks`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next: Option<String>,
}

/// `Overview`.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub range: Range,
    pub totals: OverviewTotals,
    pub series: Series,
    pub top_tcp_ports: Vec<PortCount>,
    pub top_udp_ports: Vec<PortCount>,
    pub top_sources: Vec<Source>,
    pub scanners_by_tool: ScannersByTool,
    pub countries: Vec<CountryCount>,
    pub map: Vec<MapPoint>,
    pub attacks: Vec<Attack>,
    pub geo: Geo,
}

/// `Overview.totals`.
#[derive(Debug, Serialize)]
pub struct OverviewTotals {
    pub packets: u64,
    pub bytes: u64,
    pub sources: u64,
    pub scanners: u64,
    pub attacks: u64,
    /// Packets per `Category` name.
    pub by_category: BTreeMap<&'static str, u64>,
}

/// `Overview.series`: packets per bucket stacked by category, columnar (for uPlot).
#[derive(Debug, Serialize)]
pub struct Series {
    pub bucket_secs: i64,
    /// Bucket starts, Unix seconds.
    pub t: Vec<i64>,
    /// `Category` names.
    pub categories: Vec<&'static str>,
    /// `counts[i][j]`: packets of `categories[i]` in bucket `t[j]`.
    pub counts: Vec<Vec<u64>>,
}

/// `Overview.scanners_by_tool`: scanners per tool fingerprint.
#[derive(Debug, Default, Serialize)]
pub struct ScannersByTool {
    pub mirai: u64,
    pub zmap: u64,
    pub masscan: u64,
    pub unknown: u64,
}

impl ScannersByTool {
    /// The count of one tool (a new [`Tool`] does not compile until the spec and this type
    /// have it).
    pub fn of(&mut self, tool: Tool) -> &mut u64 {
        match tool {
            Tool::Mirai => &mut self.mirai,
            Tool::Zmap => &mut self.zmap,
            Tool::Masscan => &mut self.masscan,
            Tool::Unknown => &mut self.unknown,
        }
    }
}

/// `Overview.countries[]`.
#[derive(Debug, Serialize)]
pub struct CountryCount {
    pub country: String,
    pub packets: u64,
    pub sources: u64,
}

/// `Overview.map[]`: a located source.
#[derive(Debug, Serialize)]
pub struct MapPoint {
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub country: Option<String>,
    pub packets: u64,
    pub kind: String,
}

/// `Overview.geo`.
#[derive(Debug, Serialize)]
pub struct Geo {
    pub located: u64,
    pub unlocated: u64,
    pub reason: Option<String>,
    pub attribution: Option<String>,
}

/// `Survey`.
#[derive(Debug, Serialize)]
pub struct Survey {
    pub available: bool,
    pub reason: Option<String>,
    pub summary: Option<SurveySummary>,
    pub devices: Vec<SurveyDevice>,
    pub next: Option<String>,
}

/// `Survey.summary`.
#[derive(Debug, Serialize)]
pub struct SurveySummary {
    pub runs: u64,
    pub last_finished: Option<String>,
    pub devices: u64,
    pub weak_credentials: u64,
    pub vulnerable: u64,
    pub kev: u64,
    pub by_device_type: Vec<SurveyCount>,
    pub by_vendor: Vec<SurveyCount>,
}

/// `SurveyCount`.
#[derive(Debug, Serialize)]
pub struct SurveyCount {
    pub key: Option<String>,
    pub count: u64,
}

/// `Survey.devices[]`.
#[derive(Debug, Serialize)]
pub struct SurveyDevice {
    pub address: String,
    pub port: u16,
    pub transport: String,
    pub service: String,
    pub device_type: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub weak_credentials: bool,
    pub kev: bool,
    pub max_cvss: Option<f64>,
    pub vulnerabilities: Vec<SurveyVulnerability>,
    pub observed: String,
    pub run: String,
}

/// `Survey.devices[].vulnerabilities[]`.
#[derive(Debug, Serialize)]
pub struct SurveyVulnerability {
    pub cve: String,
    pub kev: bool,
    pub cvss: Option<f64>,
}

/// `Intel`.
#[derive(Debug, Serialize)]
pub struct Intel {
    pub collections: Vec<IntelCollection>,
    pub indicators: Vec<IntelIndicator>,
    pub sightings: Vec<IntelSighting>,
    pub peers: Vec<IntelPeer>,
}

/// `Intel.collections[]`.
#[derive(Debug, Serialize)]
pub struct IntelCollection {
    pub id: String,
    pub api_root: String,
    pub alias: Option<String>,
    pub title: String,
    pub can_read: bool,
    pub can_write: bool,
}

/// `Intel.indicators[]`: the fields the page shows of a STIX indicator, and its collection.
#[derive(Debug, Serialize)]
pub struct IntelIndicator {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub collection: String,
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    pub confidence: Option<i64>,
    pub score: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// `Intel.sightings[]`: the fields the page shows of a STIX sighting, and its collection.
#[derive(Debug, Serialize)]
pub struct IntelSighting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub collection: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sighting_of_ref: Option<String>,
    pub count: Option<i64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// `Intel.peers[]`: a peer `yamori sync` pulled from or pushed to, with its last position.
#[derive(Debug, Serialize)]
pub struct IntelPeer {
    /// `pull` or `push`.
    pub direction: &'static str,
    pub url: String,
    pub collection: String,
    pub position: String,
}

/// `Observable`: `GET /api/v1/observable`.
#[derive(Debug, Serialize)]
pub struct ObservableView {
    pub value: String,
    pub kind: &'static str,
    pub values: Vec<ObservableValue>,
    pub reports: Vec<ObservableReport>,
    pub truncated: bool,
    pub seen_by: Option<ObservableSeenBy>,
    pub index_complete: bool,
}

/// `Observable.values[]`.
#[derive(Debug, Serialize)]
pub struct ObservableValue {
    pub value: String,
    pub relation: &'static str,
    pub reports: Option<u64>,
    pub capped: bool,
    pub first_added: String,
    pub last_added: String,
}

/// `Observable.reports[]`.
#[derive(Debug, Serialize)]
pub struct ObservableReport {
    pub value: String,
    pub relation: &'static str,
    pub collection: String,
    pub collection_id: String,
    pub object_id: String,
    pub object_type: String,
    pub created_by: Option<String>,
    pub first_added: String,
    pub last_added: String,
}

/// `Observable.seen_by`.
#[derive(Debug, Serialize)]
pub struct ObservableSeenBy {
    pub telescope: Vec<ObservableTelescopeSeen>,
    pub decoy: Option<ObservableDecoySeen>,
}

/// `Observable.seen_by.telescope[]`.
#[derive(Debug, Serialize)]
pub struct ObservableTelescopeSeen {
    pub sensor: Option<String>,
    pub analyses: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub packets: u64,
    pub scanner: bool,
}

/// `Observable.seen_by.decoy`.
#[derive(Debug, Serialize)]
pub struct ObservableDecoySeen {
    pub sessions: u64,
    pub records: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// `SensorCounts`: one minute's (or several minutes' summed) capture counters.
pub type SensorCounts = yamori_model::sensor::SensorCounts;

/// `Sensors`.
#[derive(Debug, Serialize)]
pub struct Sensors {
    pub now: String,
    pub window_minutes: u32,
    pub sensors: Vec<SensorRow>,
}

/// An item of `Sensors.sensors`.
#[derive(Debug, Serialize)]
pub struct SensorRow {
    pub sensor_id: String,
    pub status: &'static str,
    pub lag_seconds: u64,
    pub minutes: u64,
    pub first_minute: String,
    pub last_minute: String,
    pub last_partial: bool,
    pub last: SensorCounts,
    pub recent_minutes: u64,
    pub recent: SensorCounts,
}

/// `Decoy`: what the decoy recorded over a window.
#[derive(Debug, Serialize)]
pub struct Decoy {
    pub now: String,
    pub since: String,
    pub window_hours: u32,
    pub bucket_seconds: u32,
    pub sessions: u64,
    pub sources: u64,
    pub logins_succeeded: u64,
    pub logins_failed: u64,
    pub commands: u64,
    pub downloads: u64,
    pub series: Vec<DecoyHourRow>,
    pub credentials: Vec<DecoyCredentialRow>,
    pub commands_top: Vec<DecoyCommandRow>,
    pub urls: Vec<DecoyUrlRow>,
    pub attackers: Vec<DecoyAttackerRow>,
    pub recent_sessions: Vec<DecoySessionRow>,
}

/// An item of `Decoy.series`: one hour.
#[derive(Debug, Serialize)]
pub struct DecoyHourRow {
    pub t: String,
    pub sessions: u64,
    pub logins: u64,
    pub commands: u64,
}

/// An item of `Decoy.credentials`.
#[derive(Debug, Serialize)]
pub struct DecoyCredentialRow {
    pub username: String,
    pub password: String,
    pub attempts: u64,
    pub succeeded: u64,
}

/// An item of `Decoy.commands_top`.
#[derive(Debug, Serialize)]
pub struct DecoyCommandRow {
    pub input: String,
    pub count: u64,
    pub sessions: u64,
}

/// An item of `Decoy.urls`.
#[derive(Debug, Serialize)]
pub struct DecoyUrlRow {
    pub url: String,
    pub host: Option<String>,
    pub sessions: u64,
    pub sources: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// An item of `Decoy.attackers`.
#[derive(Debug, Serialize)]
pub struct DecoyAttackerRow {
    pub src_ip: String,
    pub sessions: u64,
    pub logins_succeeded: u64,
    pub commands: u64,
    pub downloads: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// An item of `Decoy.recent_sessions`.
#[derive(Debug, Serialize)]
pub struct DecoySessionRow {
    pub session: String,
    pub src_ip: String,
    pub protocol: String,
    pub start: String,
    pub end: Option<String>,
    pub login: Option<DecoyLogin>,
    pub commands: u64,
    pub downloads: u64,
}

/// `Decoy.recent_sessions[].login`: the pair that logged in.
#[derive(Debug, Serialize)]
pub struct DecoyLogin {
    pub username: String,
    pub password: String,
}

/// `DecoySession`: one session's records as the decoy wrote them.
#[derive(Debug, Serialize)]
pub struct DecoySession {
    pub session: String,
    pub events: Vec<serde_json::Value>,
}
