//! The dashboard's read model: telescope reports indexed into small tables so the hub's
//! REST API can aggregate on the server and page, with a million stored sources.
//!
//! Written in the same transaction as the analysis it comes from (and deleted with it by
//! `ON DELETE CASCADE`), so the index is never out of step with the stored reports.
//!
//! Tables (both backends; DDL in [`SQLITE_MIGRATIONS`] / [`PG_MIGRATIONS`]):
//! - `tel_analyses`: per analysis, its time span and totals;
//! - `tel_minutes`: per analysis and minute, packets by category (exact series);
//! - `tel_facets`: per analysis, packets and sources per country / ASN / port / tool;
//! - `tel_sources`: every source a report lists (top sources ∪ scanners), with the columns
//!   the API filters and sorts on and the report's JSON of the source for the detail page;
//! - `tel_attacks`: backscatter attacks.
//!
//! Queries are written once here; a backend only runs SQL ([`DashboardStore::dash_select`])
//! and names its placeholder style.

mod query;
mod rows;

pub(crate) use query::Binder;
pub use query::{AttackRow, Bounds, FacetSum, SeriesBucket, SourceFilter, SourceRow, Totals};
pub use rows::{index_report, kind_of, IndexBatch};

use crate::taxii::Param;
use crate::Result;

/// A value read back from the database, whatever the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Real(f) => *f as i64,
            _ => 0,
        }
    }
    pub fn real(&self) -> Option<f64> {
        match self {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Migrations of the `dashboard` domain for SQLite; never edit a released entry.
pub const SQLITE_MIGRATIONS: &[&str] = &["CREATE TABLE tel_analyses (
        analysis_id TEXT PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        first_s INTEGER NOT NULL, last_s INTEGER NOT NULL,
        packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
        sources INTEGER NOT NULL, scanners INTEGER NOT NULL);
     CREATE INDEX tel_analyses_span ON tel_analyses(last_s, first_s);
     CREATE TABLE tel_minutes (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        minute INTEGER NOT NULL,
        c0 INTEGER NOT NULL, c1 INTEGER NOT NULL, c2 INTEGER NOT NULL, c3 INTEGER NOT NULL,
        c4 INTEGER NOT NULL, c5 INTEGER NOT NULL, c6 INTEGER NOT NULL, c7 INTEGER NOT NULL,
        c8 INTEGER NOT NULL, c9 INTEGER NOT NULL,
        PRIMARY KEY (analysis_id, minute));
     CREATE INDEX tel_minutes_minute ON tel_minutes(minute);
     CREATE TABLE tel_facets (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        facet TEXT NOT NULL, key TEXT NOT NULL,
        packets INTEGER NOT NULL, sources INTEGER NOT NULL,
        PRIMARY KEY (analysis_id, facet, key));
     CREATE TABLE tel_sources (
        id INTEGER PRIMARY KEY,
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        address TEXT NOT NULL, packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
        first_s INTEGER NOT NULL, last_s INTEGER NOT NULL,
        scanner INTEGER NOT NULL, tool TEXT NOT NULL, kind TEXT NOT NULL,
        country TEXT, asn INTEGER, lat REAL, lon REAL, detail TEXT NOT NULL);
     CREATE INDEX tel_sources_analysis ON tel_sources(analysis_id);
     CREATE INDEX tel_sources_packets ON tel_sources(packets DESC, id);
     CREATE INDEX tel_sources_located ON tel_sources(packets DESC, id) WHERE lat IS NOT NULL;
     CREATE INDEX tel_sources_country ON tel_sources(country, packets DESC, id);
     CREATE INDEX tel_sources_scanner ON tel_sources(scanner, tool, packets DESC, id);
     CREATE INDEX tel_sources_address ON tel_sources(address);
     CREATE TABLE tel_attacks (
        id INTEGER PRIMARY KEY,
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        victim TEXT NOT NULL, start_s INTEGER NOT NULL, end_s INTEGER NOT NULL,
        packets INTEGER NOT NULL, detail TEXT NOT NULL);
     CREATE INDEX tel_attacks_analysis ON tel_attacks(analysis_id);
     CREATE INDEX tel_attacks_start ON tel_attacks(start_s DESC, id);"];

/// The same tables for PostgreSQL.
pub const PG_MIGRATIONS: &[&str] = &["CREATE TABLE tel_analyses (
        analysis_id TEXT PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        first_s BIGINT NOT NULL, last_s BIGINT NOT NULL,
        packets BIGINT NOT NULL, bytes BIGINT NOT NULL,
        sources BIGINT NOT NULL, scanners BIGINT NOT NULL);
     CREATE INDEX tel_analyses_span ON tel_analyses(last_s, first_s);
     CREATE TABLE tel_minutes (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        minute BIGINT NOT NULL,
        c0 BIGINT NOT NULL, c1 BIGINT NOT NULL, c2 BIGINT NOT NULL, c3 BIGINT NOT NULL,
        c4 BIGINT NOT NULL, c5 BIGINT NOT NULL, c6 BIGINT NOT NULL, c7 BIGINT NOT NULL,
        c8 BIGINT NOT NULL, c9 BIGINT NOT NULL,
        PRIMARY KEY (analysis_id, minute));
     CREATE INDEX tel_minutes_minute ON tel_minutes(minute);
     CREATE TABLE tel_facets (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        facet TEXT NOT NULL, key TEXT NOT NULL,
        packets BIGINT NOT NULL, sources BIGINT NOT NULL,
        PRIMARY KEY (analysis_id, facet, key));
     CREATE TABLE tel_sources (
        id BIGSERIAL PRIMARY KEY,
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        address TEXT NOT NULL, packets BIGINT NOT NULL, bytes BIGINT NOT NULL,
        first_s BIGINT NOT NULL, last_s BIGINT NOT NULL,
        scanner BIGINT NOT NULL, tool TEXT NOT NULL, kind TEXT NOT NULL,
        country TEXT, asn BIGINT, lat DOUBLE PRECISION, lon DOUBLE PRECISION,
        detail TEXT NOT NULL);
     CREATE INDEX tel_sources_analysis ON tel_sources(analysis_id);
     CREATE INDEX tel_sources_packets ON tel_sources(packets DESC, id);
     CREATE INDEX tel_sources_located ON tel_sources(packets DESC, id) WHERE lat IS NOT NULL;
     CREATE INDEX tel_sources_country ON tel_sources(country, packets DESC, id);
     CREATE INDEX tel_sources_scanner ON tel_sources(scanner, tool, packets DESC, id);
     CREATE INDEX tel_sources_address ON tel_sources(address);
     CREATE TABLE tel_attacks (
        id BIGSERIAL PRIMARY KEY,
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        victim TEXT NOT NULL, start_s BIGINT NOT NULL, end_s BIGINT NOT NULL,
        packets BIGINT NOT NULL, detail TEXT NOT NULL);
     CREATE INDEX tel_attacks_analysis ON tel_attacks(analysis_id);
     CREATE INDEX tel_attacks_start ON tel_attacks(start_s DESC, id);"];

/// Read access to the dashboard's tables. Backends implement the two primitives; every
/// query is a provided method, the same SQL on both (conformance-tested).
pub trait DashboardStore {
    /// Run a SELECT and return its rows as [`Value`]s, in column order.
    fn dash_select(&self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Value>>>;
    /// Placeholder number `n` (1-based): `?n` for SQLite, `$n` for PostgreSQL.
    fn dash_placeholder(&self, n: usize) -> String;

    /// First stored minute and end of the last one, or `None` with no data.
    fn dash_bounds(&self) -> Result<Option<Bounds>> {
        query::bounds(self)
    }
    /// Packets per bucket and category in [from, to).
    fn dash_series(&self, from: i64, to: i64, bucket: i64) -> Result<Vec<SeriesBucket>> {
        query::series(self, from, to, bucket)
    }
    /// Totals of the analyses overlapping [from, to).
    fn dash_totals(&self, from: i64, to: i64) -> Result<Totals> {
        query::totals(self, from, to)
    }
    /// Sums of one facet (`country`, `asn`, `tcp_port`, `udp_port`, `tool`) over the
    /// analyses overlapping [from, to), most packets first.
    fn dash_facet(&self, facet: &str, from: i64, to: i64, limit: u32) -> Result<Vec<FacetSum>> {
        query::facet(self, facet, from, to, limit)
    }
    /// Sources active in the range, most packets first, after the keyset `after`
    /// (`(packets, id)` of the last row of the previous page).
    fn dash_sources(
        &self,
        f: &SourceFilter,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<SourceRow>> {
        query::sources(self, f, after, limit)
    }
    /// Every stored row of one address, oldest analysis first.
    fn dash_source(&self, address: &str) -> Result<Vec<SourceRow>> {
        query::source(self, address)
    }
    /// Attacks overlapping the range, newest first after the keyset `(start_s, id)`.
    fn dash_attacks(
        &self,
        from: i64,
        to: i64,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<AttackRow>> {
        query::attacks(self, from, to, after, limit)
    }
    /// The biggest attacks overlapping the range.
    fn dash_top_attacks(&self, from: i64, to: i64, limit: u32) -> Result<Vec<AttackRow>> {
        query::top_attacks(self, from, to, limit)
    }
    /// Newest-version bodies of objects of `kind` in `collections` whose JSON contains
    /// `needle` (e.g. `'192.0.2.1'` for indicators of that address, or an indicator id for
    /// its sightings), newest first. A scan of that kind's rows: fine for a detail page,
    /// not for lists.
    fn dash_objects_mentioning(
        &self,
        collections: &[String],
        kind: &str,
        needle: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        query::objects_mentioning(self, collections, kind, needle, limit)
    }
    /// Newest objects of `kind` in `collections` (bodies), newest first.
    fn dash_recent_objects(
        &self,
        collections: &[String],
        kind: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>> {
        query::recent_objects(self, collections, kind, limit)
    }
    /// Key/value state whose key starts with `prefix` (e.g. `sync.` for sync positions).
    fn dash_kv_prefixed(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        query::kv_prefixed(self, prefix)
    }
    /// Number of attacks overlapping the range.
    fn dash_attack_count(&self, from: i64, to: i64) -> Result<u64> {
        query::attack_count(self, from, to)
    }
}
