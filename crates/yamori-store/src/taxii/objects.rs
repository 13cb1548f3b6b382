//! Collections and objects of the TAXII domain, written once for both engines.

use std::collections::HashSet;

use super::{
    build_delete, build_query, format_taxii, parse_timestamp, taxii_now, AddOutcome, Collection,
    NewObject, ObjectQuery, Page, StoredObject, TaxiiStatus, VersionFilter,
};
use crate::db::{Conn, Engine, Param, Row};
use crate::{Result, Store, StoreError};

/// Key of the last date_added handed out, so every insert gets a strictly later one.
const LAST_ADDED_KEY: &str = "taxii.last_date_added";

/// Advisory lock key serialising object inserts on PostgreSQL, so date_added values become
/// visible in increasing order (otherwise a reader could see T2 committed before T1 and skip T1
/// with `added_after`). SQLite gets the same from `BEGIN IMMEDIATE`.
const INSERT_LOCK: i64 = 0x7461_7869_6969; // "taxiii"

/// Takes [`INSERT_LOCK`] for the rest of the transaction on PostgreSQL (SQLite's write
/// transaction is one already): adding objects, and the backfills that update the same rows.
pub(crate) fn lock_inserts(c: &mut dyn Conn) -> Result<()> {
    if c.engine() == Engine::Postgres {
        c.execute(
            "insert lock",
            "SELECT pg_advisory_xact_lock(?1)",
            &[Param::Int(INSERT_LOCK)],
        )?;
    }
    Ok(())
}

/// Objects per multi-row INSERT: 8 parameters a row stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters a statement, and one statement a chunk is what makes bulk
/// ingest fast on PostgreSQL (one round trip per chunk instead of per object).
const INSERT_CHUNK: usize = 500;

/// Requests of at least this many objects go through COPY on PostgreSQL; below it the
/// staging table's extra statements cost more than the parameters they save.
const COPY_FROM: usize = 64;

/// PostgreSQL planner settings for a page of objects (see [`Store::taxii_query`]).
pub(super) const PAGE_PLANNER: &str = "SET LOCAL enable_sort = off";

/// A date_added strictly after `last` (if any) and not before now: a reader that saw
/// date_added T never later sees a new object at or before T.
fn next_date_added(last: Option<&str>) -> String {
    let now = time::OffsetDateTime::now_utc();
    let floor = last
        .and_then(parse_timestamp)
        .map(|t| t + time::Duration::microseconds(1));
    match floor {
        Some(f) if f > now => format_taxii(f),
        _ => taxii_now(),
    }
}

/// Whether two JSON texts hold the same value (key order and spacing aside).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn collection_row(r: &Row) -> Result<Collection> {
    Ok(Collection {
        id: r.str(0)?,
        api_root: r.str(1)?,
        alias: r.opt_str(2)?,
        title: r.str(3)?,
        description: r.opt_str(4)?,
    })
}

pub(crate) fn kv_get(c: &mut dyn Conn, key: &str) -> Result<Option<String>> {
    c.query_opt(
        "read kv",
        "SELECT value FROM yamori_kv WHERE key = ?1",
        &[Param::text(key)],
    )?
    .map(|r| r.str(0))
    .transpose()
}

/// Adds one to the count kept under `key` (1 when missing), in one statement.
pub(crate) fn kv_count_up(c: &mut dyn Conn, key: &str) -> Result<()> {
    c.execute(
        "count a change",
        "INSERT INTO yamori_kv (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(yamori_kv.value AS BIGINT) + 1 AS TEXT)",
        &[Param::text(key)],
    )?;
    Ok(())
}

pub(crate) fn kv_set(c: &mut dyn Conn, key: &str, value: &str) -> Result<()> {
    c.execute(
        "write kv",
        "INSERT INTO yamori_kv (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[Param::text(key), Param::text(value)],
    )?;
    Ok(())
}

/// Insert one chunk with a multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`; the
/// (object id, version key) pairs it returns are the rows it added.
fn insert_chunk(
    c: &mut dyn Conn,
    collection_id: &str,
    date_added: &str,
    chunk: &[NewObject],
    added: &mut HashSet<(String, String)>,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, version, \
         spec_version, date_added, body) VALUES ",
    );
    let mut params = Vec::with_capacity(chunk.len() * 8);
    for (i, o) in chunk.iter().enumerate() {
        let b = i * 8;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "(?{},?{},?{},?{},?{},?{},?{},?{})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8
        ));
        params.extend([
            Param::text(collection_id),
            Param::text(&o.id),
            Param::text(&o.kind),
            Param::text(&o.version_key),
            Param::text(&o.version),
            Param::text(&o.spec_version),
            Param::text(date_added),
            Param::text(&o.body),
        ]);
    }
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING object_id, version_key");
    for r in c.query("insert objects", &sql, &params)? {
        added.insert((r.str(0)?, r.str(1)?));
    }
    Ok(())
}

/// The per-connection staging table of [`insert_copied`]: emptied at every commit, and its
/// identity column keeps the request's order.
const STAGING_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS taxii_ingest (
        pos BIGINT GENERATED ALWAYS AS IDENTITY,
        object_id TEXT NOT NULL, kind TEXT NOT NULL, version_key TEXT NOT NULL,
        version TEXT NOT NULL, spec_version TEXT NOT NULL, body TEXT NOT NULL
    ) ON COMMIT DELETE ROWS";

/// PostgreSQL: `COPY` the objects into a temporary table, then move them over with one
/// `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`. Bulk ingest spent most of its
/// database time parsing and binding 8 parameters an object; COPY streams them instead.
/// Ordered by position, so of two copies of one version in a request the first is inserted,
/// as with the multi-row INSERT.
fn insert_copied(
    c: &mut dyn Conn,
    collection_id: &str,
    date_added: &str,
    objects: &[NewObject],
    added: &mut HashSet<(String, String)>,
) -> Result<()> {
    // Commit empties the table; the DELETE (of nothing, in the usual case, so it costs next to
    // nothing, unlike a TRUNCATE) guards a second call within one transaction.
    c.execute_batch(
        "prepare staging table",
        &format!("{STAGING_TABLE}; DELETE FROM taxii_ingest"),
    )?;
    let mut cells = Vec::with_capacity(objects.len() * 6);
    for o in objects {
        cells.extend([
            o.id.as_str(),
            &o.kind,
            &o.version_key,
            &o.version,
            &o.spec_version,
            &o.body,
        ]);
    }
    c.copy_text_rows(
        "stage objects",
        "COPY taxii_ingest (object_id, kind, version_key, version, spec_version, body) \
         FROM STDIN (FORMAT binary)",
        6,
        &cells,
    )?;
    let rows = c.query(
        "insert staged objects",
        "INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, version, \
         spec_version, date_added, body) \
         SELECT ?1, object_id, kind, version_key, version, spec_version, ?2, body \
         FROM taxii_ingest ORDER BY pos \
         ON CONFLICT DO NOTHING RETURNING object_id, version_key",
        &[Param::text(collection_id), Param::text(date_added)],
    )?;
    for r in rows {
        added.insert((r.str(0)?, r.str(1)?));
    }
    Ok(())
}

/// The collection objects are added to must exist, and stays while the transaction runs. Once
/// per transaction, where PostgreSQL's foreign key checked (and locked) it once per object:
/// `FOR KEY SHARE` is the lock that check took. SQLite's write transaction excludes every
/// other writer already, and its foreign key stays as a second guard.
fn lock_collection(c: &mut dyn Conn, collection_id: &str) -> Result<()> {
    let sql = match c.engine() {
        Engine::Postgres => "SELECT 1 FROM taxii_collections WHERE id = ?1 FOR KEY SHARE",
        Engine::Sqlite => "SELECT 1 FROM taxii_collections WHERE id = ?1",
    };
    match c.query_opt("find collection", sql, &[Param::text(collection_id)])? {
        Some(_) => Ok(()),
        None => Err(StoreError::Other(format!(
            "no collection with id {collection_id}: create it before adding objects to it"
        ))),
    }
}

impl Store {
    /// Insert a collection, or update title/description/alias of an existing id.
    pub fn taxii_put_collection(&self, col: &Collection) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "put collection",
                "INSERT INTO taxii_collections (id, api_root, alias, title, description)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, title = excluded.title,
                    description = excluded.description",
                &[
                    Param::text(&col.id),
                    Param::text(&col.api_root),
                    Param::OptText(col.alias.clone()),
                    Param::text(&col.title),
                    Param::OptText(col.description.clone()),
                ],
            )
            .map(drop)
        })
    }

    pub fn taxii_collections(&self, api_root: &str) -> Result<Vec<Collection>> {
        self.db.read(|c| {
            c.query(
                "list collections",
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = ?1 ORDER BY title, id",
                &[Param::text(api_root)],
            )?
            .iter()
            .map(collection_row)
            .collect()
        })
    }

    /// Find by id or, failing that, by alias.
    pub fn taxii_collection(
        &self,
        api_root: &str,
        id_or_alias: &str,
    ) -> Result<Option<Collection>> {
        self.db.read(|c| {
            c.query_opt(
                "get collection",
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = ?1 AND (id = ?2 OR alias = ?2)
                 ORDER BY CASE WHEN id = ?2 THEN 0 ELSE 1 END LIMIT 1",
                &[Param::text(api_root), Param::text(id_or_alias)],
            )?
            .as_ref()
            .map(collection_row)
            .transpose()
        })
    }

    /// Add objects in one transaction, all with one date_added. `status`, if given, is
    /// computed from the outcomes and written in the same transaction, so a status that
    /// reports success never names an object that is not stored.
    pub fn taxii_add_objects(
        &self,
        collection_id: &str,
        objects: &[NewObject],
        status: &mut dyn FnMut(&[AddOutcome]) -> Option<TaxiiStatus>,
    ) -> Result<Vec<AddOutcome>> {
        let outcomes = self.db.write(|c| {
            lock_inserts(c)?;
            lock_collection(c, collection_id)?;
            let date_added = next_date_added(kv_get(c, LAST_ADDED_KEY)?.as_deref());
            kv_set(c, LAST_ADDED_KEY, &date_added)?;
            let admission = crate::sightings::admit(c, collection_id, objects)?;
            // Cloned only when the bound refuses some (rare): the others are stored.
            let kept: Vec<NewObject>;
            let admitted: &[NewObject] = if admission.any_refused() {
                kept = objects
                    .iter()
                    .zip(&admission.refused)
                    .filter(|(_, r)| r.is_none())
                    .map(|(o, _)| o.clone())
                    .collect();
                &kept
            } else {
                objects
            };
            let mut added = HashSet::with_capacity(objects.len());
            if c.engine() == Engine::Postgres && admitted.len() >= COPY_FROM {
                insert_copied(c, collection_id, &date_added, admitted, &mut added)?;
            } else {
                for chunk in admitted.chunks(INSERT_CHUNK) {
                    insert_chunk(c, collection_id, &date_added, chunk, &mut added)?;
                }
            }
            if !added.is_empty() {
                super::exports::bump_revision(c, collection_id)?;
            }
            crate::sightings::count_admitted(c, collection_id, &admission)?;
            let mut outcomes = Vec::with_capacity(objects.len());
            for (o, refused) in objects.iter().zip(admission.refused) {
                if let Some(reason) = refused {
                    outcomes.push(AddOutcome::Refused(reason));
                    continue;
                }
                // `remove`: a second copy of one id and version in the same request was not
                // the one inserted; it is compared with the first below.
                if added.remove(&(o.id.clone(), o.version_key.clone())) {
                    outcomes.push(AddOutcome::Added);
                    continue;
                }
                let old = c
                    .query_opt(
                        "find object",
                        "SELECT body FROM taxii_objects
                             WHERE collection_id = ?1 AND object_id = ?2 AND version_key = ?3",
                        &[
                            Param::text(collection_id),
                            Param::text(&o.id),
                            Param::text(&o.version_key),
                        ],
                    )?
                    .map(|r| r.str(0))
                    .transpose()?
                    .unwrap_or_default();
                outcomes.push(if same_json(&old, &o.body) {
                    AddOutcome::Duplicate
                } else {
                    AddOutcome::Conflict
                });
            }
            if let Some(s) = status(&outcomes) {
                super::status::put(c, &s)?;
            }
            Ok(outcomes)
        })?;
        let added = outcomes.iter().filter(|o| **o == AddOutcome::Added).count() as u64;
        self.analyze.count(&self.db, added);
        Ok(outcomes)
    }

    /// The JSON text of the latest version of each of `ids` stored in a collection, as (id,
    /// body); ids not stored are left out. One search of the (collection, object, version)
    /// index per id: for a few ids in a large collection, where [`Store::taxii_query`]'s
    /// filters walk the collection's pages.
    pub fn taxii_latest_bodies(
        &self,
        collection_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        self.db.read(|c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row = c.query_opt(
                    "latest body",
                    "SELECT body FROM taxii_objects
                     WHERE collection_id = ?1 AND object_id = ?2
                     ORDER BY version_key DESC LIMIT 1",
                    &[Param::text(collection_id), Param::text(id)],
                )?;
                if let Some(r) = row {
                    out.push((id.clone(), r.str(0)?));
                }
            }
            Ok(out)
        })
    }

    pub fn taxii_query(&self, q: &ObjectQuery) -> Result<Page> {
        let (sql, params) = build_query(q);
        // PostgreSQL estimates the latest-version filters as very selective (0.5 % each), so
        // past the last statistics bucket of a big collection it read every remaining row and
        // sorted them instead of walking the (collection_id, date_added, seq) index and
        // stopping at the page's end: 114 ms instead of 9 ms a page at 100,000 objects
        // (EXPLAIN ANALYZE). A page always has an index in its order, so sorting is turned off
        // for this one statement.
        let rows = self
            .db
            .read_planned(PAGE_PLANNER, |c| c.query("query objects", &sql, &params))?;
        let mut objects = rows
            .iter()
            .map(|r| {
                Ok(StoredObject {
                    seq: r.i64(0)?,
                    id: r.str(1)?,
                    kind: r.str(2)?,
                    version: r.str(3)?,
                    spec_version: r.str(4)?,
                    date_added: r.str(5)?,
                    body: r.opt_str(6)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let more = objects.len() > q.limit as usize;
        objects.truncate(q.limit as usize);
        Ok(Page { objects, more })
    }

    /// Calls `each` with the JSON text of the latest version of every object of `kinds` (all
    /// kinds when empty) in a collection, in the order they were added, reading
    /// `page_size` objects per statement: exports read a million indicators in bounded
    /// memory, through the same keyset pages as TAXII (stable while objects are added).
    /// `each` may stop the walk by returning an error, which is passed on.
    pub fn taxii_each_latest_object(
        &self,
        collection_id: &str,
        kinds: &[&str],
        page_size: u32,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<u64> {
        let mut q = ObjectQuery::new(collection_id, page_size.max(1));
        q.types = kinds.iter().map(|k| k.to_string()).collect();
        let mut seen = 0u64;
        loop {
            let page = self.taxii_query(&q)?;
            for o in &page.objects {
                each(o.body.as_deref().unwrap_or(""))?;
                seen += 1;
            }
            match (page.more, page.objects.last()) {
                (true, Some(last)) => q.after = Some(last.cursor()),
                _ => return Ok(seen),
            }
        }
    }

    /// Delete the versions of one object selected by `versions` and `spec_versions`.
    pub fn taxii_delete_object(
        &self,
        collection_id: &str,
        object_id: &str,
        versions: &VersionFilter,
        spec_versions: &[String],
    ) -> Result<u64> {
        self.taxii_delete_object_admitted(
            collection_id,
            object_id,
            versions,
            spec_versions,
            &|_| true,
        )
    }

    /// As [`Store::taxii_delete_object`], but only when `admit` accepts the JSON text of every
    /// version the filters match; otherwise nothing is deleted and 0 returned. Checked and
    /// deleted in one transaction, so a version added meanwhile is checked too.
    pub fn taxii_delete_object_admitted(
        &self,
        collection_id: &str,
        object_id: &str,
        versions: &VersionFilter,
        spec_versions: &[String],
        admit: &dyn Fn(&str) -> bool,
    ) -> Result<u64> {
        let (matching, match_params) =
            super::build_matching(collection_id, object_id, versions, spec_versions);
        let (sql, params) = build_delete(collection_id, object_id, versions, spec_versions);
        self.db.write(|c| {
            // Before the index's indexer may check that objects it read are still stored.
            crate::correlation::lock_position(c)?;
            let bodies = c.query(
                "check before delete",
                &format!("SELECT o.body {matching}"),
                &match_params,
            )?;
            for r in &bodies {
                if !admit(&r.str(0)?) {
                    return Ok(0);
                }
            }
            let deleted = c.execute("delete object", &sql, &params)?;
            if deleted > 0 {
                super::exports::bump_revision(c, collection_id)?;
                crate::correlation::forget_if_gone(c, collection_id, object_id)?;
            }
            Ok(deleted)
        })
    }
}
