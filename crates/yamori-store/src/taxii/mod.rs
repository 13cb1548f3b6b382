//! The TAXII 2.1 domain: collections, STIX objects, status resources, users and grants.
//!
//! Objects are kept as the exact JSON text they had in the envelope they arrived in; only the
//! fields TAXII filters on are indexed: id, type, version (`modified`, else `created`),
//! spec_version, date_added and an insertion sequence. Paging is a keyset cursor on
//! (date_added, seq), so pages stay stable while objects are added (cti-taxii2 issues #23, #50):
//! a bulk insert shares one date_added, the sequence orders within it.

use serde::{Deserialize, Serialize};

pub use crate::db::Param;

mod exports;
pub(crate) mod objects;
pub use exports::EXPORT_PAGE_SIZE;
pub(crate) mod statistics;
mod status;

/// At most this many values across all `match[...]` filters of one query: each becomes a bound
/// parameter, and SQLite refuses statements with more than 32,766 of them.
pub const MAX_MATCH_VALUES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// A UUID (TAXII requires collection ids to be UUIDs).
    pub id: String,
    /// The API root name (path segment) the collection belongs to.
    pub api_root: String,
    pub alias: Option<String>,
    pub title: String,
    pub description: Option<String>,
}

/// One object to add, with its indexed fields already extracted by the caller.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub id: String,
    pub kind: String,
    /// Sort key of the version: the timestamp normalised by [`version_key`].
    pub version_key: String,
    /// The version as written in the object (`modified`/`created`), returned in manifests.
    pub version: String,
    pub spec_version: String,
    /// The object's JSON text exactly as received.
    pub body: String,
    /// Its `created_by_ref`, which the bound on sightings counts by.
    pub created_by: Option<String>,
    /// For a sighting, its `sighting_of_ref`: new sightings are counted per indicator and
    /// source, and bounded ([`crate::sightings`]). `None` for every other object.
    pub sighting_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// The same id and version was stored before with an equal JSON value: not an error.
    Duplicate,
    /// The same id and version was stored before with different content; the stored one stays.
    Conflict,
    /// Not stored, for the reason given (a bound such as [`crate::sightings`]'s).
    Refused(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionFilter {
    pub first: bool,
    pub last: bool,
    pub all: bool,
    /// Version keys (see [`version_key`]).
    pub exact: Vec<String>,
}

impl VersionFilter {
    pub fn last() -> Self {
        Self {
            last: true,
            ..Self::default()
        }
    }
    pub fn all() -> Self {
        Self {
            all: true,
            ..Self::default()
        }
    }
}

/// Position after which a page starts (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub date_added: String,
    pub seq: i64,
}

#[derive(Debug, Clone)]
pub struct ObjectQuery {
    pub collection_id: String,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    pub versions: VersionFilter,
    /// Only objects added strictly after this TAXII timestamp.
    pub added_after: Option<String>,
    pub after: Option<Cursor>,
    pub limit: u32,
    /// Whether to load the object bodies (not needed for manifests and versions).
    pub with_body: bool,
}

impl ObjectQuery {
    pub fn new(collection_id: &str, limit: u32) -> Self {
        Self {
            collection_id: collection_id.to_string(),
            ids: Vec::new(),
            types: Vec::new(),
            spec_versions: Vec::new(),
            versions: VersionFilter::last(),
            added_after: None,
            after: None,
            limit,
            with_body: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub version: String,
    pub spec_version: String,
    pub date_added: String,
    pub body: Option<String>,
}

impl StoredObject {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            date_added: self.date_added.clone(),
            seq: self.seq,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub objects: Vec<StoredObject>,
    /// More objects match after the last one of this page.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDetail {
    pub id: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

/// A TAXII status resource, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiStatus {
    pub id: String,
    pub api_root: String,
    /// The user who made the request; only they may read it.
    pub owner: String,
    pub request_timestamp: String,
    pub total_count: u64,
    pub successes: Vec<StatusDetail>,
    pub failures: Vec<StatusDetail>,
    pub pendings: Vec<StatusDetail>,
}

impl TaxiiStatus {
    pub fn is_complete(&self) -> bool {
        self.pendings.is_empty()
    }
}

/// Current time as a TAXII timestamp (microseconds, `Z`).
pub fn taxii_now() -> String {
    format_taxii(time::OffsetDateTime::now_utc())
}

pub fn format_taxii(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parse an RFC 3339 timestamp (any fraction precision, any offset).
pub fn parse_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Normalise a timestamp to a fixed-width, lexically sortable UTC form with nanoseconds, so
/// `2020-01-01T00:00:00Z` and `2020-01-01T00:00:00.000Z` compare equal.
pub fn version_key(s: &str) -> Option<String> {
    let t = parse_timestamp(s)?.to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    ))
}

/// Normalise a client-supplied `added_after` to the stored date_added form.
pub fn taxii_key(s: &str) -> Option<String> {
    parse_timestamp(s).map(format_taxii)
}

/// Build the SELECT for `q`. Fetches `limit + 1` rows to learn `more`.
pub(crate) fn build_query(q: &ObjectQuery) -> (String, Vec<Param>) {
    let ph = |n: usize| format!("?{n}");
    let mut params: Vec<Param> = Vec::new();
    let push = |p: Param, params: &mut Vec<Param>| {
        params.push(p);
        ph(params.len())
    };
    let body = if q.with_body { "o.body" } else { "NULL" };
    let mut sql = format!(
        "SELECT o.seq, o.object_id, o.kind, o.version, o.spec_version, o.date_added, {body} \
         FROM taxii_objects o WHERE o.collection_id = {}",
        push(Param::Text(q.collection_id.clone()), &mut params)
    );
    let any_of = |col: &str, vals: &[String], sql: &mut String, params: &mut Vec<Param>| {
        if vals.is_empty() {
            return;
        }
        let marks: Vec<String> = vals
            .iter()
            .map(|v| push(Param::Text(v.clone()), params))
            .collect();
        sql.push_str(&format!(" AND {col} IN ({})", marks.join(",")));
    };
    any_of("o.object_id", &q.ids, &mut sql, &mut params);
    any_of("o.kind", &q.types, &mut sql, &mut params);
    any_of("o.spec_version", &q.spec_versions, &mut sql, &mut params);
    if q.spec_versions.is_empty() {
        // TAXII 2.1 §3.4.1: without match[spec_version], only the latest spec version.
        sql.push_str(
            " AND o.spec_version = (SELECT MAX(o3.spec_version) FROM taxii_objects o3 \
             WHERE o3.collection_id = o.collection_id AND o3.object_id = o.object_id)",
        );
    }
    sql.push_str(&version_clause(&q.versions, &mut params, &ph));
    if let Some(a) = &q.added_after {
        let p = push(Param::Text(a.clone()), &mut params);
        sql.push_str(&format!(" AND o.date_added > {p}"));
    }
    if let Some(c) = &q.after {
        let d = push(Param::Text(c.date_added.clone()), &mut params);
        let s = push(Param::Int(c.seq), &mut params);
        // A row-value comparison, not `a > x OR (a = x AND b > y)`: PostgreSQL turns only
        // this form into a range scan of the (collection_id, date_added, seq) index, instead
        // of reading and sorting the whole collection for every page.
        sql.push_str(&format!(" AND (o.date_added, o.seq) > ({d}, {s})"));
    }
    let lim = push(Param::Int(i64::from(q.limit) + 1), &mut params);
    sql.push_str(&format!(" ORDER BY o.date_added, o.seq LIMIT {lim}"));
    (sql, params)
}

/// The DELETE statement for `DELETE …/objects/{id}/` with its filters.
pub(crate) fn build_delete(
    collection_id: &str,
    object_id: &str,
    versions: &VersionFilter,
    spec_versions: &[String],
) -> (String, Vec<Param>) {
    let (matching, params) = build_matching(collection_id, object_id, versions, spec_versions);
    (
        format!("DELETE FROM taxii_objects WHERE seq IN (SELECT o.seq {matching})"),
        params,
    )
}

/// `FROM taxii_objects o WHERE …`: the versions of one object a DELETE with these filters
/// removes.
pub(crate) fn build_matching(
    collection_id: &str,
    object_id: &str,
    versions: &VersionFilter,
    spec_versions: &[String],
) -> (String, Vec<Param>) {
    let ph = |n: usize| format!("?{n}");
    let mut params = vec![
        Param::Text(collection_id.to_string()),
        Param::Text(object_id.to_string()),
    ];
    let mut sql = format!(
        "FROM taxii_objects o WHERE o.collection_id = {} AND o.object_id = {}",
        ph(1),
        ph(2)
    );
    sql.push_str(&version_clause(versions, &mut params, &ph));
    if !spec_versions.is_empty() {
        let marks: Vec<String> = spec_versions
            .iter()
            .map(|s| {
                params.push(Param::Text(s.clone()));
                ph(params.len())
            })
            .collect();
        sql.push_str(&format!(" AND o.spec_version IN ({})", marks.join(",")));
    }
    (sql, params)
}

/// The `AND (...)` selecting versions; empty when all versions are wanted.
fn version_clause(
    v: &VersionFilter,
    params: &mut Vec<Param>,
    ph: &dyn Fn(usize) -> String,
) -> String {
    if v.all {
        return String::new();
    }
    let mut alts: Vec<String> = Vec::new();
    let agg = |f: &str| {
        format!(
            "o.version_key = (SELECT {f}(o2.version_key) FROM taxii_objects o2 \
             WHERE o2.collection_id = o.collection_id AND o2.object_id = o.object_id)"
        )
    };
    if v.last {
        alts.push(agg("MAX"));
    }
    if v.first {
        alts.push(agg("MIN"));
    }
    if !v.exact.is_empty() {
        let marks: Vec<String> = v
            .exact
            .iter()
            .map(|e| {
                params.push(Param::Text(e.clone()));
                ph(params.len())
            })
            .collect();
        alts.push(format!("o.version_key IN ({})", marks.join(",")));
    }
    if alts.is_empty() {
        return String::new();
    }
    format!(" AND ({})", alts.join(" OR "))
}

/// Status details as stored: one JSON document per status.
#[derive(Serialize, Deserialize)]
pub(crate) struct StatusDetails {
    pub successes: Vec<StatusDetail>,
    pub failures: Vec<StatusDetail>,
    pub pendings: Vec<StatusDetail>,
}

/// Migrations of the `taxii` domain; never edit a released entry. Sort keys are `{bytes}` so
/// text order is byte order on both engines.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: collections, objects, statuses, users, tokens, grants, key/value state.
    "CREATE TABLE taxii_collections (
        id TEXT PRIMARY KEY,
        api_root TEXT NOT NULL,
        alias TEXT,
        title TEXT NOT NULL,
        description TEXT
     );
     CREATE UNIQUE INDEX taxii_collections_alias ON taxii_collections(api_root, alias);
     CREATE TABLE taxii_objects (
        seq {serial_autoinc},
        collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE,
        object_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        version_key {bytes} NOT NULL,
        version TEXT NOT NULL,
        spec_version {bytes} NOT NULL,
        date_added {bytes} NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (collection_id, object_id, version_key)
     );
     CREATE INDEX taxii_objects_added ON taxii_objects(collection_id, date_added, seq);
     CREATE INDEX taxii_objects_kind ON taxii_objects(collection_id, kind, date_added, seq);
     CREATE TABLE taxii_statuses (
        id TEXT PRIMARY KEY,
        api_root TEXT NOT NULL,
        owner TEXT NOT NULL,
        request_timestamp {bytes} NOT NULL,
        total_count {int} NOT NULL,
        details TEXT NOT NULL
     );
     CREATE INDEX taxii_statuses_time ON taxii_statuses(request_timestamp);
     CREATE TABLE taxii_users (
        name TEXT PRIMARY KEY,
        password_hash TEXT
     );
     CREATE TABLE taxii_tokens (
        id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES taxii_users(name) ON DELETE CASCADE,
        hash TEXT NOT NULL
     );
     CREATE TABLE taxii_grants (
        user_name TEXT NOT NULL REFERENCES taxii_users(name) ON DELETE CASCADE,
        collection_id TEXT NOT NULL,
        can_read {bool} NOT NULL,
        can_write {bool} NOT NULL,
        PRIMARY KEY (user_name, collection_id)
     );
     CREATE TABLE yamori_kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );",
    // 2: find statuses left pending by a crash without reading every status.
    "ALTER TABLE taxii_statuses ADD COLUMN pending_count {int} NOT NULL DEFAULT 0;
     CREATE INDEX taxii_statuses_pending ON taxii_statuses(pending_count);",
    // 3: PostgreSQL bulk ingest. The foreign key ran a trigger per inserted object (a lookup
    // and a row lock on the same collection, a sixth of an envelope's database time); the
    // insert now checks and locks its collection once per transaction instead (see
    // `Store::taxii_add_objects`). Ids compare bytewise, as on SQLite, instead of through the
    // locale's collation in the unique index every insert probes. SQLite keeps its cheap
    // foreign key: dropping one there means rebuilding the table.
    "{pg} ALTER TABLE taxii_objects DROP CONSTRAINT IF EXISTS taxii_objects_collection_id_fkey;
     {pg} ALTER TABLE taxii_objects ALTER COLUMN collection_id TYPE TEXT COLLATE \"C\",
     {pg}     ALTER COLUMN object_id TYPE TEXT COLLATE \"C\", ALTER COLUMN kind TYPE TEXT COLLATE \"C\";",
    // 4: the highest TLP level an account may read (`clear`, `green`, `amber`,
    // `amber+strict`); NULL means the documented default (docs/TRUST.md §5).
    "ALTER TABLE taxii_users ADD COLUMN max_tlp TEXT;",
];

/// Refresh PostgreSQL's planner statistics after at least this many stored objects (see
/// [`statistics`]).
pub(crate) const ANALYZE_EVERY: u64 = 20_000;
