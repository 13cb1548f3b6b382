//! The dashboard's read model: telescope reports indexed into small tables so the hub's
//! REST API can aggregate on the server and page, with a million stored sources.
//!
//! Written in the same transaction as the analysis it comes from (and deleted with it by
//! `ON DELETE CASCADE`), so the index is never out of step with the stored reports.
//!
//! Tables (DDL in [`MIGRATIONS`]):
//! - `tel_analyses`: per analysis, its time span and totals;
//! - `tel_minutes`: per analysis and minute, packets by category (exact series);
//! - `tel_facets`: per analysis, packets and sources per country / ASN / port / tool;
//! - `tel_sources`: every source a report lists (top sources ∪ scanners), with the columns
//!   the API filters and sorts on and the report's JSON of the source for the detail page;
//! - `tel_attacks`: backscatter attacks.
//!
//! Written once for both engines over the private backend layer.

mod query;
mod rows;

pub use query::{AttackRow, Bounds, FacetSum, SeriesBucket, SourceFilter, SourceRow, Totals};

pub use crate::db::Value;
use crate::db::{Conn, Param};
use crate::{Result, Store};

/// Migrations of the `dashboard` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE tel_analyses (
        analysis_id TEXT PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        first_s {int} NOT NULL, last_s {int} NOT NULL,
        packets {int} NOT NULL, bytes {int} NOT NULL,
        sources {int} NOT NULL, scanners {int} NOT NULL);
     CREATE INDEX tel_analyses_span ON tel_analyses(last_s, first_s);
     CREATE TABLE tel_minutes (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        minute {int} NOT NULL,
        c0 {int} NOT NULL, c1 {int} NOT NULL, c2 {int} NOT NULL, c3 {int} NOT NULL,
        c4 {int} NOT NULL, c5 {int} NOT NULL, c6 {int} NOT NULL, c7 {int} NOT NULL,
        c8 {int} NOT NULL, c9 {int} NOT NULL,
        PRIMARY KEY (analysis_id, minute));
     CREATE INDEX tel_minutes_minute ON tel_minutes(minute);
     CREATE TABLE tel_facets (
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        facet TEXT NOT NULL, key TEXT NOT NULL,
        packets {int} NOT NULL, sources {int} NOT NULL,
        PRIMARY KEY (analysis_id, facet, key));
     CREATE TABLE tel_sources (
        id {serial},
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        address TEXT NOT NULL, packets {int} NOT NULL, bytes {int} NOT NULL,
        first_s {int} NOT NULL, last_s {int} NOT NULL,
        scanner {int} NOT NULL, tool TEXT NOT NULL, kind TEXT NOT NULL,
        country TEXT, asn {int}, lat {real}, lon {real}, detail TEXT NOT NULL);
     CREATE INDEX tel_sources_analysis ON tel_sources(analysis_id);
     CREATE INDEX tel_sources_packets ON tel_sources(packets DESC, id);
     CREATE INDEX tel_sources_located ON tel_sources(packets DESC, id) WHERE lat IS NOT NULL;
     CREATE INDEX tel_sources_country ON tel_sources(country, packets DESC, id);
     CREATE INDEX tel_sources_scanner ON tel_sources(scanner, tool, packets DESC, id);
     CREATE INDEX tel_sources_address ON tel_sources(address);
     CREATE TABLE tel_attacks (
        id {serial},
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        victim TEXT NOT NULL, start_s {int} NOT NULL, end_s {int} NOT NULL,
        packets {int} NOT NULL, detail TEXT NOT NULL);
     CREATE INDEX tel_attacks_analysis ON tel_attacks(analysis_id);
     CREATE INDEX tel_attacks_start ON tel_attacks(start_s DESC, id);"];

/// Read access to the dashboard's tables.
impl Store {
    /// First stored minute and end of the last one, or `None` with no data.
    pub fn dash_bounds(&self) -> Result<Option<Bounds>> {
        self.db.read(|c| query::bounds(c))
    }
    /// Packets per bucket and category in [from, to).
    pub fn dash_series(&self, from: i64, to: i64, bucket: i64) -> Result<Vec<SeriesBucket>> {
        self.db.read(|c| query::series(c, from, to, bucket))
    }
    /// Totals of the analyses overlapping [from, to).
    pub fn dash_totals(&self, from: i64, to: i64) -> Result<Totals> {
        self.db.read(|c| query::totals(c, from, to))
    }
    /// Sums of one facet (`country`, `asn`, `tcp_port`, `udp_port`, `tool`) over the
    /// analyses overlapping [from, to), most packets first.
    pub fn dash_facet(&self, facet: &str, from: i64, to: i64, limit: u32) -> Result<Vec<FacetSum>> {
        self.db.read(|c| query::facet(c, facet, from, to, limit))
    }
    /// Sources active in the range, most packets first, after the keyset `after`
    /// (`(packets, id)` of the last row of the previous page).
    pub fn dash_sources(
        &self,
        f: &SourceFilter,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<SourceRow>> {
        self.db.read(|c| query::sources(c, f, after, limit))
    }
    /// Every stored row of one address, oldest analysis first.
    pub fn dash_source(&self, address: &str) -> Result<Vec<SourceRow>> {
        self.db.read(|c| query::source(c, address))
    }
    /// Attacks overlapping the range, newest first after the keyset `(start_s, id)`.
    pub fn dash_attacks(
        &self,
        from: i64,
        to: i64,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<AttackRow>> {
        self.db.read(|c| query::attacks(c, from, to, after, limit))
    }
    /// The biggest attacks overlapping the range.
    pub fn dash_top_attacks(&self, from: i64, to: i64, limit: u32) -> Result<Vec<AttackRow>> {
        self.db.read(|c| query::top_attacks(c, from, to, limit))
    }
    /// Newest-version bodies of objects of `kind` in `collections` whose JSON contains
    /// `needle` (e.g. `'192.0.2.1'` for indicators of that address, or an indicator id for
    /// its sightings), newest first. A scan of that kind's rows: fine for a detail page,
    /// not for lists.
    pub fn dash_objects_mentioning(
        &self,
        collections: &[String],
        kind: &str,
        needle: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        self.db
            .read(|c| query::objects_mentioning(c, collections, kind, needle, limit))
    }
    /// Newest objects of `kind` in `collections` (bodies), newest first.
    pub fn dash_recent_objects(
        &self,
        collections: &[String],
        kind: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>> {
        self.db
            .read(|c| query::recent_objects(c, collections, kind, limit))
    }
    /// Number of attacks overlapping the range.
    pub fn dash_attack_count(&self, from: i64, to: i64) -> Result<u64> {
        self.db.read(|c| query::attack_count(c, from, to))
    }
}

/// Write the dashboard index of one analysis (inside the caller's transaction); returns how
/// many rows it wrote.
pub(crate) fn index_analysis(c: &mut dyn Conn, id: &str, report_json: &str) -> Result<usize> {
    let batch = rows::index_report(id, report_json)?;
    // Table by table, each statement prepared once; rows keep their order within a table.
    let mut per_table: Vec<Vec<Vec<Param>>> = vec![Vec::new(); batch.tables.len()];
    let n = batch.rows.len();
    for (table, params) in batch.rows {
        per_table[table].push(params);
    }
    for ((table, cols), rows) in batch.tables.iter().zip(&per_table) {
        c.insert_rows("index analysis", table, cols, rows)?;
    }
    Ok(n)
}
