//! The correlation index: which stored STIX objects name which values (addresses, prefixes,
//! domains, URLs, hashes), across every collection.
//!
//! The index follows the objects table: an *indexer* reads the objects stored after the last
//! one it indexed (by `seq`, which ingest's lock makes grow in commit order), has the caller
//! extract their values, and writes their rows and its new position in one transaction
//! ([`Store::correlation_catch_up`]). Ingest itself writes no index row, so an envelope's
//! request does not wait for the index: the hub runs an indexer beside ingest, and every
//! reader that must see the objects stored so far (a lookup, an export) catches up first.
//! The index never names an object that is not stored: an object deleted before it is
//! indexed is skipped, one deleted after leaves with its rows.
//!
//! The store does not read STIX: the caller (through `yamori-intel`) extracts each object's
//! values, already canonical, with a *key* whose byte order puts related values together (see
//! `yamori_intel::observables`). A lookup is a list of exact keys and one key range.
//!
//! Two tables: `intel_values`, one row per value with the number of reports (object versions)
//! naming it and when the first and last arrived; `intel_refs`, one row per value and object.
//! Correlating every report with every other is quadratic in popular values (MISP's
//! correlation of a value in 100,000 events), so a value keeps rows for its first
//! [`MAX_REFS_PER_VALUE`] reports and only counts the rest.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::db::{Conn, Engine, Param, Row};
use crate::taxii::objects::{kv_get, kv_set};
use crate::{Result, Store};

/// Reports of one value that get an index row; later ones only raise its count. A value
/// named by more objects than this (a resolver, a CDN, a popular scanner) tells an analyst
/// "everyone sees it", which the count says; listing every report would make its lookups and
/// every insert touching it grow without bound.
pub const MAX_REFS_PER_VALUE: u64 = 1000;

/// Whether this build writes the index (always, except a benchmark's baseline build with the
/// feature `bench-no-correlation`, which measures the index's cost against the same code).
pub const INDEXED: bool = !cfg!(feature = "bench-no-correlation");

/// Rows per multi-row statement on SQLite: 3,001 parameters at most, below its limit of 32,766.
const CHUNK: usize = 500;

/// Migrations of the `correlation` domain; never edit a released entry. Keys are `{bytes}`
/// so their order is byte order on both engines (the key ranges rely on it).
pub(crate) const MIGRATIONS: &[&str] = &[
    "CREATE TABLE intel_values (
        kind TEXT NOT NULL,
        key {bytes} NOT NULL,
        value TEXT NOT NULL,
        reports {int} NOT NULL,
        first_added {bytes} NOT NULL,
        last_added {bytes} NOT NULL,
        PRIMARY KEY (kind, key)){without_rowid};
     CREATE TABLE intel_refs (
        kind TEXT NOT NULL,
        key {bytes} NOT NULL,
        collection_id TEXT NOT NULL,
        object_id TEXT NOT NULL,
        object_type TEXT NOT NULL,
        created_by TEXT,
        first_added {bytes} NOT NULL,
        last_added {bytes} NOT NULL,
        PRIMARY KEY (kind, key, collection_id, object_id)){without_rowid};
     INSERT INTO yamori_kv (key, value)
        SELECT 'correlation.backfill_through', CAST(MAX(seq) AS TEXT) FROM taxii_objects
        HAVING COUNT(*) > 0;",
    // The index follows the objects table from here on (the module docs): it is built again
    // from every stored object, the earlier backfill's position replaced by the indexer's.
    "DELETE FROM intel_refs;
     DELETE FROM intel_values;
     DELETE FROM yamori_kv
        WHERE key IN ('correlation.backfill_through', 'correlation.backfill_done');
     INSERT INTO yamori_kv (key, value) VALUES ('correlation.indexed_through', '0');",
];

/// The `yamori_kv` entry holding the indexer's position: the last object (by `seq`) indexed.
const INDEXED_THROUGH: &str = "correlation.indexed_through";

/// A stored object not indexed yet, for the caller to extract its values (see
/// [`Store::correlation_catch_up`]).
#[derive(Debug, Clone)]
pub struct BacklogObject {
    pub seq: i64,
    pub collection_id: String,
    pub date_added: String,
    pub body: String,
}

/// What the caller extracted from one stored object for the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// The object's id and type.
    pub id: String,
    pub kind: String,
    /// Its `created_by_ref`.
    pub created_by: Option<String>,
    /// The values it names (none for most objects but indicators and observations).
    pub values: Vec<IndexValue>,
}

/// What one call of [`Store::correlation_catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Objects this call indexed (pages another indexer wrote first are not counted).
    pub indexed: u64,
    /// Objects whose rows the store refused, left out of the index.
    pub skipped: u64,
    /// Whether no object waited for the index when the call ended.
    pub complete: bool,
}

/// One value an object names, as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexValue {
    /// `ipv4`, `ipv6`, `domain`, `url`, `email`, `md5`, `sha1`, `sha256`, `sha512`.
    pub kind: &'static str,
    /// The sort key (see the module docs).
    pub key: String,
    /// The canonical text shown to people.
    pub value: String,
}

/// A lookup: the values of one kind with one of the `exact` keys or a key in `within`
/// (inclusive), and their reports in the `collections` given (all when `None`).
#[derive(Debug, Clone)]
pub struct Lookup<'a> {
    pub kind: &'a str,
    pub exact: &'a [String],
    pub within: Option<(&'a str, &'a str)>,
    /// The key of the value asked about: its own reports come before those of related
    /// values, so a popular prefix around an address does not crowd them out of the limit.
    pub own_key: Option<&'a str>,
    pub collections: Option<&'a [String]>,
    /// At most this many values and this many reports.
    pub limit: u32,
}

/// A value in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    pub kind: String,
    pub key: String,
    pub value: String,
    /// Object versions that named it, in every collection (deletions aside).
    pub reports: u64,
    pub first_added: String,
    pub last_added: String,
}

impl ValueRow {
    /// Whether later reports of this value were counted without an index row.
    pub fn capped(&self) -> bool {
        self.reports > MAX_REFS_PER_VALUE
    }
}

/// One object naming a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefRow {
    pub kind: String,
    pub key: String,
    pub value: String,
    pub collection_id: String,
    /// The collection's alias, else its title.
    pub collection: String,
    pub object_id: String,
    pub object_type: String,
    pub created_by: Option<String>,
    /// When the first and the latest version of the object naming it were added.
    pub first_added: String,
    pub last_added: String,
}

/// What our own sensors saw of one address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SensorSeen {
    /// Per live sensor (its id) and for offline analyses (`None`): analyses that saw it as a
    /// source, first and last packet (Unix seconds), packets, whether any called it a scanner.
    pub telescope: Vec<TelescopeSeen>,
    /// The decoy's records from the address: sessions, records, first and last timestamp.
    pub decoy: Option<DecoySeen>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelescopeSeen {
    pub sensor: Option<String>,
    pub analyses: u64,
    pub first_s: i64,
    pub last_s: i64,
    pub packets: u64,
    pub scanner: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoySeen {
    pub sessions: u64,
    pub records: u64,
    pub first: String,
    pub last: String,
}

/// Index the values of objects of one collection, each with its date_added (see
/// [`Store::correlation_index`]).
fn index_added(c: &mut dyn Conn, collection_id: &str, added: &[(&Indexed, &str)]) -> Result<()> {
    // Per value, its reports in this page in order; (value, object) pairs once each, with
    // the first and last date_added of the object's versions (several versions of one object
    // in a page are one row, and one statement may not update a row twice on PostgreSQL).
    type Reports<'a> = (&'a str, u64, Vec<(&'a Indexed, &'a str, &'a str)>);
    let mut by_value: BTreeMap<(&str, &str), Reports<'_>> = BTreeMap::new();
    let mut pairs: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for &(o, added) in added {
        for v in &o.values {
            let e = by_value.entry((v.kind, v.key.as_str())).or_insert((
                v.value.as_str(),
                0,
                Vec::new(),
            ));
            e.1 += 1;
            match pairs.entry((v.kind, v.key.as_str(), o.id.as_str())) {
                std::collections::hash_map::Entry::Occupied(at) => {
                    let r = &mut e.2[*at.get()];
                    r.1 = r.1.min(added);
                    r.2 = r.2.max(added);
                }
                std::collections::hash_map::Entry::Vacant(at) => {
                    at.insert(e.2.len());
                    e.2.push((o, added, added));
                }
            }
        }
    }
    if by_value.is_empty() {
        return Ok(());
    }
    let entries: Vec<_> = by_value.into_iter().collect();
    let values: Vec<ValueIn<'_>> = entries
        .iter()
        .map(|((kind, key), (value, n, objects))| {
            let first = objects.iter().map(|r| r.1).min().unwrap_or_default();
            let last = objects.iter().map(|r| r.2).max().unwrap_or_default();
            (*kind, *key, *value, *n, first, last)
        })
        .collect();
    let returned = upsert_values(c, &values)?;
    let mut reports_after: HashMap<(&str, &str), u64> = HashMap::with_capacity(returned.len());
    for r in &returned {
        reports_after.insert((r.text(0)?, r.text(1)?), r.u64(2)?);
    }
    let mut refs: Vec<RefIn<'_>> = Vec::with_capacity(entries.iter().map(|e| e.1 .2.len()).sum());
    for ((kind, key), (_, n, objects)) in &entries {
        let after = reports_after.get(&(*kind, *key)).copied().unwrap_or(*n);
        let room = MAX_REFS_PER_VALUE.saturating_sub(after.saturating_sub(*n));
        for (o, first, last) in objects
            .iter()
            .take(usize::try_from(room).unwrap_or(usize::MAX))
        {
            refs.push((
                kind,
                key,
                &o.id,
                &o.kind,
                o.created_by.as_deref(),
                first,
                last,
            ));
        }
    }
    insert_refs(c, collection_id, &refs)
}

/// A value's row: kind, key, value, reports in this request, first and last date added.
type ValueIn<'a> = (&'a str, &'a str, &'a str, u64, &'a str, &'a str);
/// A reference's row: kind, key, object, object type, creator, first and last date added.
type RefIn<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
);

/// Rows per statement on PostgreSQL, where a batch is a handful of array parameters.
const PG_BATCH: usize = 10_000;

/// The tail shared by both engines' upserts of values: earliest and latest, not the new one
/// (a backfill adds older reports later).
const VALUES_CONFLICT: &str = "ON CONFLICT (kind, key) DO UPDATE SET \
     reports = intel_values.reports + excluded.reports, \
     first_added = CASE WHEN excluded.first_added < intel_values.first_added \
         THEN excluded.first_added ELSE intel_values.first_added END, \
     last_added = CASE WHEN excluded.last_added > intel_values.last_added \
         THEN excluded.last_added ELSE intel_values.last_added END \
     RETURNING kind, key, reports";

const REFS_CONFLICT: &str = "ON CONFLICT (kind, key, collection_id, object_id) DO UPDATE SET \
     first_added = CASE WHEN excluded.first_added < intel_refs.first_added \
         THEN excluded.first_added ELSE intel_refs.first_added END, \
     last_added = CASE WHEN excluded.last_added > intel_refs.last_added \
         THEN excluded.last_added ELSE intel_refs.last_added END";

fn text_column<T>(rows: &[T], f: impl Fn(&T) -> &str) -> Param {
    Param::TextArray(rows.iter().map(|r| Some(f(r).to_owned())).collect())
}

/// Upsert values, returning each one's count of reports (kind, key, reports).
///
/// SQLite: multi-row `VALUES` statements, which beat a prepared single-row statement per row
/// there too (docs/BENCHMARKS.md); full chunks share one text, built once per process, which
/// the statement cache keeps. PostgreSQL: `unnest` of one array per column, a short
/// statement whatever the batch, where a multi-row `VALUES` of thousands of parameters is
/// parsed and planned anew on every call.
fn upsert_values(c: &mut dyn Conn, rows: &[ValueIn<'_>]) -> Result<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    if c.engine() == Engine::Postgres {
        let sql = format!(
            "INSERT INTO intel_values (kind, key, value, reports, first_added, last_added) \
             SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::bigint[], \
             ?5::text[], ?6::text[]) {VALUES_CONFLICT}"
        );
        for part in rows.chunks(PG_BATCH) {
            let params = [
                text_column(part, |r| r.0),
                text_column(part, |r| r.1),
                text_column(part, |r| r.2),
                Param::IntArray(
                    part.iter()
                        .map(|r| i64::try_from(r.3).unwrap_or(i64::MAX))
                        .collect(),
                ),
                text_column(part, |r| r.4),
                text_column(part, |r| r.5),
            ];
            out.extend(c.query("count values", &sql, &params)?);
        }
        return Ok(out);
    }
    let mut params = Vec::with_capacity(CHUNK.min(rows.len()) * VALUE_WIDTH);
    for part in rows.chunks(CHUNK) {
        params.clear();
        for &(kind, key, value, n, first, last) in part {
            params.extend([
                Param::text(kind),
                Param::text(key),
                Param::text(value),
                Param::count(n),
                Param::text(first),
                Param::text(last),
            ]);
        }
        out.extend(c.query(
            "count values",
            &statement(Table::Values, part.len()),
            &params,
        )?);
    }
    Ok(out)
}

/// Insert or refresh references of one collection (see [`upsert_values`] for the engines'
/// two forms). On SQLite the collection is one parameter (?1) for every row.
fn insert_refs(c: &mut dyn Conn, collection_id: &str, rows: &[RefIn<'_>]) -> Result<()> {
    if c.engine() == Engine::Postgres {
        let sql = format!(
            "INSERT INTO intel_refs (collection_id, kind, key, object_id, object_type, \
             created_by, first_added, last_added) \
             SELECT ?1::text, k, y, o, t, b, f, l FROM unnest(?2::text[], ?3::text[], \
             ?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::text[]) AS u(k, y, o, t, b, f, l) \
             {REFS_CONFLICT}"
        );
        for part in rows.chunks(PG_BATCH) {
            let params = [
                Param::text(collection_id),
                text_column(part, |r| r.0),
                text_column(part, |r| r.1),
                text_column(part, |r| r.2),
                text_column(part, |r| r.3),
                Param::TextArray(part.iter().map(|r| r.4.map(str::to_owned)).collect()),
                text_column(part, |r| r.5),
                text_column(part, |r| r.6),
            ];
            c.execute("index references", &sql, &params)?;
        }
        return Ok(());
    }
    let mut params = Vec::with_capacity(1 + CHUNK.min(rows.len()) * REF_WIDTH);
    for part in rows.chunks(CHUNK) {
        params.clear();
        params.push(Param::text(collection_id));
        for &(kind, key, object, object_type, created_by, first, last) in part {
            params.extend([
                Param::text(kind),
                Param::text(key),
                Param::text(object),
                Param::text(object_type),
                Param::OptText(created_by.map(str::to_owned)),
                Param::text(first),
                Param::text(last),
            ]);
        }
        c.execute(
            "index references",
            &statement(Table::Refs, part.len()),
            &params,
        )?;
    }
    Ok(())
}

/// Parameters per row of the values' upsert, and of the references' insert (after the
/// shared collection), on SQLite.
const VALUE_WIDTH: usize = 6;
const REF_WIDTH: usize = 7;

#[derive(Clone, Copy)]
enum Table {
    Values,
    Refs,
}

/// SQLite's upsert of `rows` rows into a table; the text of a full chunk is built once.
fn statement(table: Table, rows: usize) -> std::borrow::Cow<'static, str> {
    static FULL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let build = |rows| match table {
        Table::Values => values_sql(rows),
        Table::Refs => refs_sql(rows),
    };
    if rows == CHUNK {
        std::borrow::Cow::Borrowed(FULL[table as usize].get_or_init(|| build(rows)).as_str())
    } else {
        std::borrow::Cow::Owned(build(rows))
    }
}

/// `(?f,…,?f+w-1),(…)…`: `rows` rows of `width` placeholders numbered from `first`, each row
/// starting with the `shared` placeholder text if given.
fn placeholders(rows: usize, width: usize, first: usize, shared: &str) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(rows * width * 6);
    for i in 0..rows {
        let b = first + i * width;
        sql.push_str(if i > 0 { ",(" } else { "(" });
        sql.push_str(shared);
        for k in 0..width {
            if k > 0 || !shared.is_empty() {
                sql.push(',');
            }
            // Writing into a String cannot fail.
            let _ = write!(sql, "?{}", b + k);
        }
        sql.push(')');
    }
    sql
}

/// SQLite's upsert of `rows` values (6 parameters a row), returning each one's count.
fn values_sql(rows: usize) -> String {
    format!(
        "INSERT INTO intel_values (kind, key, value, reports, first_added, last_added) \
         VALUES {} {VALUES_CONFLICT}",
        placeholders(rows, VALUE_WIDTH, 1, "")
    )
}

/// SQLite's insert of `rows` references: the collection is ?1, then 7 parameters a row
/// (kind, key, object, type, creator, first and last date added).
fn refs_sql(rows: usize) -> String {
    format!(
        "INSERT INTO intel_refs (collection_id, kind, key, object_id, object_type, \
         created_by, first_added, last_added) VALUES {} {REFS_CONFLICT}",
        placeholders(rows, REF_WIDTH, 2, "?1")
    )
}

/// The indexer's position: the last object (by `seq`) indexed.
fn indexed_through(c: &mut dyn Conn) -> Result<i64> {
    Ok(kv_get(c, INDEXED_THROUGH)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The indexer's position, locked until the transaction ends: on PostgreSQL, where several
/// hubs index at once and a delete runs beside them, a row lock (SQLite has one writer).
pub(crate) fn lock_position(c: &mut dyn Conn) -> Result<i64> {
    if c.engine() == Engine::Postgres {
        c.query_opt(
            "lock index position",
            "SELECT value FROM yamori_kv WHERE key = ?1 FOR UPDATE",
            &[Param::text(INDEXED_THROUGH)],
        )?;
    }
    indexed_through(c)
}

/// After versions of an object were deleted: its references go once no version is left.
/// `intel_refs` has no index by object: it would be a third b-tree written for every indexed
/// object (the index's whole cost is in writing it), for a TAXII DELETE that removes one
/// object at a time and is rare; the delete reads the table instead.
pub(crate) fn forget_if_gone(c: &mut dyn Conn, collection_id: &str, object_id: &str) -> Result<()> {
    c.execute(
        "forget references",
        "DELETE FROM intel_refs WHERE collection_id = ?1 AND object_id = ?2 AND NOT EXISTS
            (SELECT 1 FROM taxii_objects WHERE collection_id = ?1 AND object_id = ?2)",
        &[Param::text(collection_id), Param::text(object_id)],
    )?;
    Ok(())
}

fn value_row(r: &Row) -> Result<ValueRow> {
    Ok(ValueRow {
        kind: r.str(0)?,
        key: r.str(1)?,
        value: r.str(2)?,
        reports: r.u64(3)?,
        first_added: r.str(4)?,
        last_added: r.str(5)?,
    })
}

/// An indicator whose address one of our sensors saw (see
/// [`Store::correlation_seen_indicators`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenIndicatorRow {
    pub object_id: String,
    pub collection_id: String,
    /// The address (for an indicator naming a prefix, an address inside it that the sensor
    /// saw), as both the index and the sensor's records write it.
    pub value: String,
    /// `telescope` or `decoy`.
    pub sensor: &'static str,
    /// First and last time seen, RFC 3339.
    pub first: String,
    pub last: String,
    /// Packets (telescope) or records (decoy).
    pub count: u64,
}

pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl Store {
    /// Indicators naming an address or a prefix that the telescope or the decoy saw (for a
    /// prefix: an address inside it), in collections other than `exclude` (our own), one row
    /// per indicator, address and sensor; the telescope's rows first, each sensor's in order
    /// of indicator, collection and address. An address an indicator names twice (itself and
    /// a prefix around it) has a row for each: count it once. Single addresses are a join of the index with the
    /// sensors' own address indexes (the index writes an address in the standard text form, as
    /// the sensors' records do); prefixes are matched in [`crate::seen_within`].
    pub fn correlation_seen_indicators(&self, exclude: &[String]) -> Result<Vec<SeenIndicatorRow>> {
        self.db.read(|c| {
            let mut params = Vec::new();
            let mut filter = String::new();
            if !exclude.is_empty() {
                let marks: Vec<String> = exclude
                    .iter()
                    .map(|id| {
                        params.push(Param::text(id));
                        format!("?{}", params.len())
                    })
                    .collect();
                filter = format!(" AND r.collection_id NOT IN ({})", marks.join(","));
            }
            let head = "SELECT r.object_id, r.collection_id, v.value";
            let from = "FROM intel_refs r JOIN intel_values v ON v.kind = r.kind AND v.key = r.key";
            let indicators = format!(
                "WHERE r.kind IN ('ipv4', 'ipv6') AND r.object_type = 'indicator'{filter}
                 GROUP BY r.object_id, r.collection_id, v.value
                 ORDER BY r.object_id, r.collection_id, v.value"
            );
            let mut rows = Vec::new();
            for r in c.query(
                "indicators the telescope saw",
                &format!(
                    "{head}, MIN(s.first_s), MAX(s.last_s), CAST(SUM(s.packets) AS BIGINT)
                     {from} JOIN tel_sources s ON s.address = v.value {indicators}"
                ),
                &params,
            )? {
                rows.push(SeenIndicatorRow {
                    object_id: r.str(0)?,
                    collection_id: r.str(1)?,
                    value: r.str(2)?,
                    sensor: "telescope",
                    first: rfc3339(r.i64(3)?),
                    last: rfc3339(r.i64(4)?),
                    count: r.u64(5)?,
                });
            }
            for r in c.query(
                "indicators the decoy saw",
                &format!(
                    "{head}, MIN(d.ts), MAX(d.ts), COUNT(*)
                     {from} JOIN decoy_events d ON d.src_ip = v.value {indicators}"
                ),
                &params,
            )? {
                rows.push(SeenIndicatorRow {
                    object_id: r.str(0)?,
                    collection_id: r.str(1)?,
                    value: r.str(2)?,
                    sensor: "decoy",
                    first: r.str(3)?,
                    last: r.str(4)?,
                    count: r.u64(5)?,
                });
            }
            rows.extend(crate::seen_within::seen_within(c, &filter, &params)?);
            rows.sort_by(|a, b| {
                (
                    a.sensor != "telescope",
                    &a.object_id,
                    &a.collection_id,
                    &a.value,
                )
                    .cmp(&(
                        b.sensor != "telescope",
                        &b.object_id,
                        &b.collection_id,
                        &b.value,
                    ))
            });
            Ok(rows)
        })
    }

    /// The next `limit` stored objects the index has not read yet, oldest first; empty when
    /// the index is complete (always, in a build without it).
    pub fn correlation_backlog(&self, limit: u32) -> Result<Vec<BacklogObject>> {
        if !INDEXED {
            return Ok(Vec::new());
        }
        self.db.read(|c| {
            let done = indexed_through(c)?;
            c.query(
                "read backlog",
                "SELECT seq, collection_id, date_added, body FROM taxii_objects
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                &[Param::Int(done), Param::Int(i64::from(limit))],
            )?
            .iter()
            .map(|r| {
                Ok(BacklogObject {
                    seq: r.i64(0)?,
                    collection_id: r.str(1)?,
                    date_added: r.str(2)?,
                    body: r.str(3)?,
                })
            })
            .collect()
        })
    }

    /// Index the backlog page `first_seq..=through_seq` (each object with what the caller
    /// extracted; objects it could not read are left out) and move the indexer's position to
    /// `through_seq`, in one transaction. Returns false, writing nothing, when another indexer
    /// (another thread or hub) indexed part of the page since it was read.
    pub fn correlation_index(
        &self,
        objects: &[(BacklogObject, Indexed)],
        first_seq: i64,
        through_seq: i64,
    ) -> Result<bool> {
        if !INDEXED {
            return Ok(true);
        }
        self.db.write(|c| {
            let done = lock_position(c)?;
            if first_seq <= done {
                return Ok(false);
            }
            // Objects deleted since the page was read are not indexed (the index never names
            // an object that is not stored); a delete waits for the position's lock, so none
            // goes between this check and the commit.
            let mut stored = HashSet::new();
            for r in c.query(
                "still stored",
                "SELECT seq FROM taxii_objects WHERE seq >= ?1 AND seq <= ?2",
                &[Param::Int(first_seq), Param::Int(through_seq)],
            )? {
                stored.insert(r.i64(0)?);
            }
            let mut by_collection: BTreeMap<&str, Vec<(&Indexed, &str)>> = BTreeMap::new();
            for (b, o) in objects.iter().filter(|(b, _)| stored.contains(&b.seq)) {
                by_collection
                    .entry(b.collection_id.as_str())
                    .or_default()
                    .push((o, b.date_added.as_str()));
            }
            for (collection, items) in &by_collection {
                index_added(c, collection, items)?;
            }
            kv_set(c, INDEXED_THROUGH, &through_seq.to_string())?;
            Ok(true)
        })
    }

    /// Index the stored objects the index has not read yet, `page` objects a transaction,
    /// until none is left or `most` (when given) were read, with `extract` reading each one's
    /// values (`None`: it names none the index could hold; the object itself is untouched).
    /// With `most`, a backlog larger than that is left alone (a database being indexed again
    /// after an upgrade is the indexer's work, not a request's). Safe to run from several
    /// threads and hubs at once: each object is indexed once.
    ///
    /// A page the store refuses is written again object by object, and an object whose rows
    /// the database refuses as data ([`crate::StoreError::refuses_data`]) is passed over
    /// (logged, counted in `skipped`): one value the engine cannot hold must not stop the index
    /// for every later object. Any other error (a lost connection, a full disk) is returned
    /// with the position where it was, so nothing is passed over for it.
    pub fn correlation_catch_up(
        &self,
        page: u32,
        most: Option<u64>,
        extract: &mut dyn FnMut(&BacklogObject) -> Option<Indexed>,
    ) -> Result<CatchUp> {
        let mut out = CatchUp::default();
        if let Some(m) = most {
            let waiting = self.correlation_backlog_upto(m.saturating_add(1))?;
            if waiting > m {
                return Ok(out);
            }
            if waiting == 0 {
                out.complete = true;
                return Ok(out);
            }
        }
        let mut read = 0u64;
        loop {
            let backlog = self.correlation_backlog(page)?;
            let (Some(first), Some(last)) = (backlog.first(), backlog.last()) else {
                out.complete = true;
                return Ok(out);
            };
            if most.is_some_and(|m| read >= m) {
                return Ok(out);
            }
            let (first, last) = (first.seq, last.seq);
            let seqs: Vec<i64> = backlog.iter().map(|b| b.seq).collect();
            read += seqs.len() as u64;
            let items: Vec<(BacklogObject, Indexed)> = backlog
                .into_iter()
                .filter_map(|b| extract(&b).map(|o| (b, o)))
                .collect();
            match self.correlation_index(&items, first, last) {
                Ok(true) => out.indexed += seqs.len() as u64,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, first, last, "correlation index: a page was refused; writing it object by object");
                    self.index_one_by_one(&seqs, &items, &mut out)?;
                }
            }
        }
    }

    /// A refused page again, one object a transaction; an object whose data is refused alone
    /// is passed over by moving the position past it. Any other error is returned.
    fn index_one_by_one(
        &self,
        seqs: &[i64],
        items: &[(BacklogObject, Indexed)],
        out: &mut CatchUp,
    ) -> Result<()> {
        let mut items = items.iter().peekable();
        for &seq in seqs {
            let mine: Vec<(BacklogObject, Indexed)> = items
                .next_if(|(b, _)| b.seq == seq)
                .cloned()
                .into_iter()
                .collect();
            match self.correlation_index(&mine, seq, seq) {
                Ok(true) => out.indexed += 1,
                Ok(false) => {}
                Err(e) if e.refuses_data() => {
                    if self.correlation_index(&[], seq, seq)? {
                        tracing::warn!(error = %e, seq, "correlation index: the database refused an object's values; it is left out of the index");
                        out.skipped += 1;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// How many stored objects wait for the index, counting up to `most`.
    fn correlation_backlog_upto(&self, most: u64) -> Result<u64> {
        if !INDEXED {
            return Ok(0);
        }
        self.db.read(|c| {
            let done = indexed_through(c)?;
            let n = c
                .query_opt(
                    "count backlog",
                    "SELECT COUNT(*) FROM (SELECT 1 FROM taxii_objects WHERE seq > ?1 LIMIT ?2) b",
                    &[
                        Param::Int(done),
                        Param::Int(i64::try_from(most).unwrap_or(i64::MAX)),
                    ],
                )?
                .map(|r| r.u64(0))
                .transpose()?
                .unwrap_or(0);
            Ok(n)
        })
    }

    /// The indexed values matching a lookup (by key), and the objects naming them in the
    /// lookup's collections, newest first.
    ///
    /// Two statements that each walk the primary keys: the values (the exact keys, and the
    /// first `limit` keys of the range, as a union: with the two joined by `OR` in one
    /// condition both engines read every value of the kind), then the references of exactly
    /// those values.
    pub fn correlation_lookup(&self, q: &Lookup<'_>) -> Result<(Vec<ValueRow>, Vec<RefRow>)> {
        self.db.read(|c| {
            let mut params = vec![Param::text(q.kind), Param::Int(i64::from(q.limit))];
            let cols = "kind, key, value, reports, first_added, last_added";
            let mut parts = Vec::new();
            if !q.exact.is_empty() {
                let marks: Vec<String> = q
                    .exact
                    .iter()
                    .map(|k| {
                        params.push(Param::text(k));
                        format!("?{}", params.len())
                    })
                    .collect();
                parts.push(format!(
                    "SELECT {cols} FROM intel_values WHERE kind = ?1 AND key IN ({})",
                    marks.join(",")
                ));
            }
            if let Some((lo, hi)) = q.within {
                params.push(Param::text(lo));
                params.push(Param::text(hi));
                parts.push(format!(
                    "SELECT * FROM (SELECT {cols} FROM intel_values
                        WHERE kind = ?1 AND key >= ?{} AND key <= ?{} ORDER BY key LIMIT ?2) w",
                    params.len() - 1,
                    params.len()
                ));
            }
            if parts.is_empty() {
                return Ok((Vec::new(), Vec::new()));
            }
            let values = c
                .query(
                    "look up values",
                    &format!(
                        "SELECT {cols} FROM ({}) u ORDER BY key LIMIT ?2",
                        parts.join(" UNION ")
                    ),
                    &params,
                )?
                .iter()
                .map(value_row)
                .collect::<Result<Vec<_>>>()?;
            if values.is_empty() {
                return Ok((values, Vec::new()));
            }
            let mut params = vec![
                Param::text(q.kind),
                Param::Int(i64::from(q.limit)),
                Param::text(q.own_key.unwrap_or("")),
            ];
            let keys: Vec<String> = values
                .iter()
                .map(|v| {
                    params.push(Param::text(&v.key));
                    format!("?{}", params.len())
                })
                .collect();
            let mut filter = format!("r.kind = ?1 AND r.key IN ({})", keys.join(","));
            if let Some(cols) = q.collections {
                if cols.is_empty() {
                    return Ok((values, Vec::new()));
                }
                let marks: Vec<String> = cols
                    .iter()
                    .map(|id| {
                        params.push(Param::text(id));
                        format!("?{}", params.len())
                    })
                    .collect();
                filter.push_str(&format!(" AND r.collection_id IN ({})", marks.join(",")));
            }
            let refs = c
                .query(
                    "look up references",
                    &format!(
                        "SELECT r.kind, r.key, v.value, r.collection_id,
                                COALESCE(c.alias, c.title), r.object_id, r.object_type,
                                r.created_by, r.first_added, r.last_added
                         FROM intel_refs r
                         JOIN intel_values v ON v.kind = r.kind AND v.key = r.key
                         JOIN taxii_collections c ON c.id = r.collection_id
                         WHERE {filter}
                         ORDER BY CASE WHEN r.key = ?3 THEN 0 ELSE 1 END,
                                  r.last_added DESC, r.object_id LIMIT ?2"
                    ),
                    &params,
                )?
                .iter()
                .map(|r| {
                    Ok(RefRow {
                        kind: r.str(0)?,
                        key: r.str(1)?,
                        value: r.str(2)?,
                        collection_id: r.str(3)?,
                        collection: r.str(4)?,
                        object_id: r.str(5)?,
                        object_type: r.str(6)?,
                        created_by: r.opt_str(7)?,
                        first_added: r.str(8)?,
                        last_added: r.str(9)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((values, refs))
        })
    }

    /// What the telescope (live sensors and offline analyses) and the decoy saw of one
    /// address, as written in their records (`address` in the form they store: the
    /// address's standard text).
    pub fn correlation_sensor_seen(&self, address: &str) -> Result<SensorSeen> {
        self.db.read(|c| {
            let telescope = c
                .query(
                    "telescope sources of an address",
                    "SELECT m.sensor_id, COUNT(DISTINCT s.analysis_id), MIN(s.first_s),
                            MAX(s.last_s), CAST(SUM(s.packets) AS BIGINT), MAX(s.scanner)
                     FROM tel_sources s
                     LEFT JOIN sensor_minutes m ON m.analysis_id = s.analysis_id
                     WHERE s.address = ?1
                     GROUP BY m.sensor_id ORDER BY m.sensor_id",
                    &[Param::text(address)],
                )?
                .iter()
                .map(|r| {
                    Ok(TelescopeSeen {
                        sensor: r.opt_str(0)?,
                        analyses: r.u64(1)?,
                        first_s: r.i64(2)?,
                        last_s: r.i64(3)?,
                        packets: r.u64(4)?,
                        scanner: r.i64(5)? != 0,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let decoy = c
                .query_opt(
                    "decoy records of an address",
                    "SELECT COUNT(DISTINCT session), COUNT(*), MIN(ts), MAX(ts)
                     FROM decoy_events WHERE src_ip = ?1 HAVING COUNT(*) > 0",
                    &[Param::text(address)],
                )?
                .map(|r| {
                    Ok::<_, crate::StoreError>(DecoySeen {
                        sessions: r.u64(0)?,
                        records: r.u64(1)?,
                        first: r.str(2)?,
                        last: r.str(3)?,
                    })
                })
                .transpose()?;
            Ok(SensorSeen { telescope, decoy })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_statements_number_their_placeholders_row_by_row() {
        let values = values_sql(2);
        assert!(
            values.contains("VALUES (?1,?2,?3,?4,?5,?6),(?7,?8,?9,?10,?11,?12) ON CONFLICT"),
            "{values}"
        );
        // The collection (?1) in every row.
        let refs = refs_sql(2);
        assert!(
            refs.contains(
                "VALUES (?1,?2,?3,?4,?5,?6,?7,?8),(?1,?9,?10,?11,?12,?13,?14,?15) ON CONFLICT"
            ),
            "{refs}"
        );
        assert_eq!(statement(Table::Refs, CHUNK), refs_sql(CHUNK));
        assert!(refs_sql(CHUNK).contains(&format!("?{}", 1 + CHUNK * REF_WIDTH)));
        assert!(!refs_sql(CHUNK).contains(&format!("?{}", 2 + CHUNK * REF_WIDTH)));
    }
}
