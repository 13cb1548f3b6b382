//! The TAXII domain on SQLite.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

use crate::sqlite::{db, SqliteStore};
use crate::taxii::{
    build_delete, build_query, format_taxii, parse_timestamp, taxii_now, AddOutcome, Collection,
    NewObject, ObjectQuery, Page, Param, StatusDetails, StoredObject, TaxiiStatus, TaxiiStore,
    VersionFilter,
};
use crate::{Result, StoreError};

/// Migrations of the `taxii` domain on SQLite; never edit a released entry.
pub(crate) const TAXII_MIGRATIONS: &[&str] = &[
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
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE,
        object_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        version_key TEXT NOT NULL,
        version TEXT NOT NULL,
        spec_version TEXT NOT NULL,
        date_added TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (collection_id, object_id, version_key)
     );
     CREATE INDEX taxii_objects_added ON taxii_objects(collection_id, date_added, seq);
     CREATE INDEX taxii_objects_kind ON taxii_objects(collection_id, kind, date_added, seq);
     CREATE TABLE taxii_statuses (
        id TEXT PRIMARY KEY,
        api_root TEXT NOT NULL,
        owner TEXT NOT NULL,
        request_timestamp TEXT NOT NULL,
        total_count INTEGER NOT NULL,
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
        can_read INTEGER NOT NULL,
        can_write INTEGER NOT NULL,
        PRIMARY KEY (user_name, collection_id)
     );
     CREATE TABLE yamori_kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );",
    // 2: find statuses left pending by a crash without reading every status.
    "ALTER TABLE taxii_statuses ADD COLUMN pending_count INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX taxii_statuses_pending ON taxii_statuses(pending_count);",
];

/// Key of the last date_added handed out, so every insert gets a strictly later one.
pub(crate) const LAST_ADDED_KEY: &str = "taxii.last_date_added";

/// A date_added strictly after `last` (if any) and not before now: a reader that saw
/// date_added T never later sees a new object at or before T (SQLite serialises writers).
pub(crate) fn next_date_added(last: Option<&str>) -> String {
    let now = time::OffsetDateTime::now_utc();
    let floor = last
        .and_then(parse_timestamp)
        .map(|t| t + time::Duration::microseconds(1));
    match floor {
        Some(f) if f > now => format_taxii(f),
        _ => taxii_now(),
    }
}

pub(crate) fn bind(p: &Param) -> &dyn rusqlite::ToSql {
    match p {
        Param::Text(s) => s,
        Param::Int(i) => i,
        Param::OptText(s) => s,
        Param::OptInt(i) => i,
        Param::OptReal(f) => f,
    }
}

fn collection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection {
        id: r.get(0)?,
        api_root: r.get(1)?,
        alias: r.get(2)?,
        title: r.get(3)?,
        description: r.get(4)?,
    })
}

/// Whether two JSON texts hold the same value (key order and spacing aside).
pub(crate) fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

pub(crate) fn kv_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM yamori_kv WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
    .map_err(db("read kv"))
}

pub(crate) fn kv_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO yamori_kv (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map_err(db("write kv"))?;
    Ok(())
}

fn put_status(conn: &Connection, s: &TaxiiStatus) -> Result<()> {
    let details = serde_json::to_string(&StatusDetails {
        successes: s.successes.clone(),
        failures: s.failures.clone(),
        pendings: s.pendings.clone(),
    })
    .map_err(|e| StoreError::Other(format!("encode status details: {e}")))?;
    conn.execute(
        "INSERT INTO taxii_statuses (id, api_root, owner, request_timestamp, total_count, details,
            pending_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET total_count = excluded.total_count,
            details = excluded.details, pending_count = excluded.pending_count",
        params![
            s.id,
            s.api_root,
            s.owner,
            s.request_timestamp,
            s.total_count as i64,
            details,
            s.pendings.len() as i64
        ],
    )
    .map_err(db("write status"))?;
    Ok(())
}

impl TaxiiStore for SqliteStore {
    fn taxii_put_collection(&self, c: &Collection) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO taxii_collections (id, api_root, alias, title, description)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET alias = excluded.alias, title = excluded.title,
                    description = excluded.description",
                params![c.id, c.api_root, c.alias, c.title, c.description],
            )
            .map_err(db("put collection"))?;
        Ok(())
    }

    fn taxii_collections(&self, api_root: &str) -> Result<Vec<Collection>> {
        let conn = self.read();
        let mut q = conn
            .prepare(
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = ?1 ORDER BY title, id",
            )
            .map_err(db("list collections"))?;
        let rows = q
            .query_map([api_root], collection_row)
            .map_err(db("list collections"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list collections"))?;
        Ok(rows)
    }

    fn taxii_collection(&self, api_root: &str, id_or_alias: &str) -> Result<Option<Collection>> {
        self.read()
            .query_row(
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = ?1 AND (id = ?2 OR alias = ?2) ORDER BY id = ?2 DESC LIMIT 1",
                [api_root, id_or_alias],
                collection_row,
            )
            .optional()
            .map_err(db("get collection"))
    }

    fn taxii_add_objects(
        &self,
        collection_id: &str,
        objects: &[NewObject],
        status: &mut dyn FnMut(&[AddOutcome]) -> Option<TaxiiStatus>,
    ) -> Result<Vec<AddOutcome>> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin add objects"))?;
        let date_added = next_date_added(kv_get(&tx, LAST_ADDED_KEY)?.as_deref());
        kv_set(&tx, LAST_ADDED_KEY, &date_added)?;
        let mut outcomes = Vec::with_capacity(objects.len());
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, version,
                        spec_version, date_added, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                )
                .map_err(db("insert object"))?;
            let mut existing = tx
                .prepare_cached(
                    "SELECT body FROM taxii_objects
                     WHERE collection_id = ?1 AND object_id = ?2 AND version_key = ?3",
                )
                .map_err(db("find object"))?;
            for o in objects {
                let n = ins
                    .execute(params![
                        collection_id,
                        o.id,
                        o.kind,
                        o.version_key,
                        o.version,
                        o.spec_version,
                        date_added,
                        o.body
                    ])
                    .map_err(db("insert object"))?;
                outcomes.push(if n == 1 {
                    AddOutcome::Added
                } else {
                    let old: String = existing
                        .query_row(params![collection_id, o.id, o.version_key], |r| r.get(0))
                        .map_err(db("find object"))?;
                    if same_json(&old, &o.body) {
                        AddOutcome::Duplicate
                    } else {
                        AddOutcome::Conflict
                    }
                });
            }
        }
        if let Some(s) = status(&outcomes) {
            put_status(&tx, &s)?;
        }
        tx.commit().map_err(db("commit objects"))?;
        Ok(outcomes)
    }

    fn taxii_query(&self, q: &ObjectQuery) -> Result<Page> {
        let (sql, params) = build_query(q, &|n| format!("?{n}"));
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&sql).map_err(db("query objects"))?;
        let mut objects = stmt
            .query_map(params_from_iter(params.iter().map(bind)), |r| {
                Ok(StoredObject {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    version: r.get(3)?,
                    spec_version: r.get(4)?,
                    date_added: r.get(5)?,
                    body: r.get(6)?,
                })
            })
            .map_err(db("query objects"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("query objects"))?;
        let more = objects.len() > q.limit as usize;
        objects.truncate(q.limit as usize);
        Ok(Page { objects, more })
    }

    fn taxii_delete_object(
        &self,
        collection_id: &str,
        object_id: &str,
        versions: &VersionFilter,
        spec_versions: &[String],
    ) -> Result<u64> {
        let (sql, params) = build_delete(collection_id, object_id, versions, spec_versions, &|n| {
            format!("?{n}")
        });
        let n = self
            .lock()
            .execute(&sql, params_from_iter(params.iter().map(bind)))
            .map_err(db("delete object"))?;
        Ok(n as u64)
    }

    fn taxii_put_status(&self, s: &TaxiiStatus) -> Result<()> {
        put_status(&self.lock(), s)
    }

    fn taxii_status(&self, id: &str) -> Result<Option<TaxiiStatus>> {
        let row = self
            .read()
            .query_row(
                "SELECT id, api_root, owner, request_timestamp, total_count, details
                 FROM taxii_statuses WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(db("get status"))?;
        let Some((id, api_root, owner, request_timestamp, total, details)) = row else {
            return Ok(None);
        };
        let d: StatusDetails = serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("status {id} details: {e}")))?;
        Ok(Some(TaxiiStatus {
            id,
            api_root,
            owner,
            request_timestamp,
            total_count: total as u64,
            successes: d.successes,
            failures: d.failures,
            pendings: d.pendings,
        }))
    }

    fn taxii_pending_statuses(&self) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut q = conn
            .prepare("SELECT id FROM taxii_statuses WHERE pending_count > 0 ORDER BY id")
            .map_err(db("list pending statuses"))?;
        let rows = q
            .query_map([], |r| r.get(0))
            .map_err(db("list pending statuses"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list pending statuses"))?;
        Ok(rows)
    }

    fn taxii_purge_statuses(&self, before: &str) -> Result<u64> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM taxii_statuses WHERE request_timestamp < ?1",
                [before],
            )
            .map_err(db("purge statuses"))?;
        Ok(n as u64)
    }
}
