//! The TAXII domain on PostgreSQL. Same semantics as `sqlite_taxii`; object inserts take a
//! transaction-scoped advisory lock so date_added values become visible in increasing order
//! (otherwise a reader could see T2 committed before T1 and skip T1 with `added_after`).

use ::postgres::types::ToSql;
use ::postgres::GenericClient;

use crate::pg::{pg, PgStore};
use crate::sqlite_taxii::{next_date_added, same_json, LAST_ADDED_KEY};
use crate::taxii::{
    build_delete, build_query, AddOutcome, Collection, NewObject, ObjectQuery, Page, Param,
    StatusDetails, StoredObject, TaxiiStatus, TaxiiStore, VersionFilter,
};
use crate::{Result, StoreError};

/// Advisory lock key serialising object inserts.
const INSERT_LOCK: i64 = 0x7461_7869_6969; // "taxiii"

/// Migrations of the `taxii` domain on PostgreSQL; never edit a released entry.
/// Sort keys use the "C" collation so text order is byte order, as in SQLite.
pub(crate) const TAXII_MIGRATIONS: &[&str] = &[
    "CREATE TABLE taxii_collections (
        id TEXT PRIMARY KEY,
        api_root TEXT NOT NULL,
        alias TEXT,
        title TEXT NOT NULL,
        description TEXT
     );
     CREATE UNIQUE INDEX taxii_collections_alias ON taxii_collections(api_root, alias);
     CREATE TABLE taxii_objects (
        seq BIGSERIAL PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE,
        object_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        version_key TEXT COLLATE \"C\" NOT NULL,
        version TEXT NOT NULL,
        spec_version TEXT COLLATE \"C\" NOT NULL,
        date_added TEXT COLLATE \"C\" NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (collection_id, object_id, version_key)
     );
     CREATE INDEX taxii_objects_added ON taxii_objects(collection_id, date_added, seq);
     CREATE INDEX taxii_objects_kind ON taxii_objects(collection_id, kind, date_added, seq);
     CREATE TABLE taxii_statuses (
        id TEXT PRIMARY KEY,
        api_root TEXT NOT NULL,
        owner TEXT NOT NULL,
        request_timestamp TEXT COLLATE \"C\" NOT NULL,
        total_count BIGINT NOT NULL,
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
        can_read BOOLEAN NOT NULL,
        can_write BOOLEAN NOT NULL,
        PRIMARY KEY (user_name, collection_id)
     );
     CREATE TABLE yamori_kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );",
    // 2: find statuses left pending by a crash without reading every status.
    "ALTER TABLE taxii_statuses ADD COLUMN pending_count BIGINT NOT NULL DEFAULT 0;
     CREATE INDEX taxii_statuses_pending ON taxii_statuses(pending_count);",
];

pub(crate) fn boxed(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
                Param::OptText(s) => Box::new(s.clone()),
                Param::OptInt(i) => Box::new(*i),
                Param::OptReal(f) => Box::new(*f),
            }
        })
        .collect()
}

pub(crate) fn refs(b: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    b.iter().map(|x| x.as_ref()).collect()
}

fn collection_row(r: &::postgres::Row) -> Collection {
    Collection {
        id: r.get(0),
        api_root: r.get(1),
        alias: r.get(2),
        title: r.get(3),
        description: r.get(4),
    }
}

pub(crate) fn kv_get(c: &mut impl GenericClient, key: &str) -> Result<Option<String>> {
    Ok(
        c.query_opt("SELECT value FROM yamori_kv WHERE key = $1", &[&key])
            .map_err(pg("read kv"))?
            .map(|r| r.get(0)),
    )
}

pub(crate) fn kv_set(c: &mut impl GenericClient, key: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO yamori_kv (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .map_err(pg("write kv"))?;
    Ok(())
}

fn put_status(c: &mut impl GenericClient, s: &TaxiiStatus) -> Result<()> {
    let details = serde_json::to_string(&StatusDetails {
        successes: s.successes.clone(),
        failures: s.failures.clone(),
        pendings: s.pendings.clone(),
    })
    .map_err(|e| StoreError::Other(format!("encode status details: {e}")))?;
    c.execute(
        "INSERT INTO taxii_statuses (id, api_root, owner, request_timestamp, total_count, details,
            pending_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET total_count = excluded.total_count,
            details = excluded.details, pending_count = excluded.pending_count",
        &[
            &s.id,
            &s.api_root,
            &s.owner,
            &s.request_timestamp,
            &(s.total_count as i64),
            &details,
            &(s.pendings.len() as i64),
        ],
    )
    .map_err(pg("write status"))?;
    Ok(())
}

impl TaxiiStore for PgStore {
    fn taxii_put_collection(&self, c: &Collection) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO taxii_collections (id, api_root, alias, title, description)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, title = excluded.title,
                    description = excluded.description",
                &[&c.id, &c.api_root, &c.alias, &c.title, &c.description],
            )
            .map_err(pg("put collection"))?;
        Ok(())
    }

    fn taxii_collections(&self, api_root: &str) -> Result<Vec<Collection>> {
        let rows = self
            .conn()?
            .query(
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = $1 ORDER BY title, id",
                &[&api_root],
            )
            .map_err(pg("list collections"))?;
        Ok(rows.iter().map(collection_row).collect())
    }

    fn taxii_collection(&self, api_root: &str, id_or_alias: &str) -> Result<Option<Collection>> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT id, api_root, alias, title, description FROM taxii_collections
                 WHERE api_root = $1 AND (id = $2 OR alias = $2) ORDER BY (id = $2) DESC LIMIT 1",
                &[&api_root, &id_or_alias],
            )
            .map_err(pg("get collection"))?;
        Ok(row.as_ref().map(collection_row))
    }

    fn taxii_add_objects(
        &self,
        collection_id: &str,
        objects: &[NewObject],
        status: &mut dyn FnMut(&[AddOutcome]) -> Option<TaxiiStatus>,
    ) -> Result<Vec<AddOutcome>> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg("begin add objects"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INSERT_LOCK])
            .map_err(pg("insert lock"))?;
        let date_added = next_date_added(kv_get(&mut tx, LAST_ADDED_KEY)?.as_deref());
        kv_set(&mut tx, LAST_ADDED_KEY, &date_added)?;
        let ins = tx
            .prepare(
                "INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, version,
                    spec_version, date_added, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .map_err(pg("insert object"))?;
        let mut outcomes = Vec::with_capacity(objects.len());
        for o in objects {
            let n = tx
                .execute(
                    &ins,
                    &[
                        &collection_id,
                        &o.id,
                        &o.kind,
                        &o.version_key,
                        &o.version,
                        &o.spec_version,
                        &date_added,
                        &o.body,
                    ],
                )
                .map_err(pg("insert object"))?;
            outcomes.push(if n == 1 {
                AddOutcome::Added
            } else {
                let old: String = tx
                    .query_one(
                        "SELECT body FROM taxii_objects
                         WHERE collection_id = $1 AND object_id = $2 AND version_key = $3",
                        &[&collection_id, &o.id, &o.version_key],
                    )
                    .map_err(pg("find object"))?
                    .get(0);
                if same_json(&old, &o.body) {
                    AddOutcome::Duplicate
                } else {
                    AddOutcome::Conflict
                }
            });
        }
        if let Some(s) = status(&outcomes) {
            put_status(&mut tx, &s)?;
        }
        tx.commit().map_err(pg("commit objects"))?;
        let added = outcomes.iter().filter(|o| **o == AddOutcome::Added).count() as u64;
        let before = self
            .added_since_analyze
            .fetch_add(added, std::sync::atomic::Ordering::Relaxed);
        if before + added >= crate::pg::ANALYZE_EVERY {
            self.added_since_analyze
                .store(0, std::sync::atomic::Ordering::Relaxed);
            // Best effort: stale statistics make pages slow, not wrong, so a failed ANALYZE
            // must not fail the insert that has already committed.
            let _ = c.batch_execute("ANALYZE taxii_objects");
        }
        Ok(outcomes)
    }

    fn taxii_query(&self, q: &ObjectQuery) -> Result<Page> {
        let (sql, params) = build_query(q, &|n| format!("${n}"));
        let b = boxed(&params);
        let rows = self
            .conn()?
            .query(&sql, &refs(&b))
            .map_err(pg("query objects"))?;
        let mut objects: Vec<StoredObject> = rows
            .iter()
            .map(|r| StoredObject {
                seq: r.get(0),
                id: r.get(1),
                kind: r.get(2),
                version: r.get(3),
                spec_version: r.get(4),
                date_added: r.get(5),
                body: r.get(6),
            })
            .collect();
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
            format!("${n}")
        });
        let b = boxed(&params);
        self.conn()?
            .execute(&sql, &refs(&b))
            .map_err(pg("delete object"))
    }

    fn taxii_put_status(&self, s: &TaxiiStatus) -> Result<()> {
        put_status(&mut *self.conn()?, s)
    }

    fn taxii_status(&self, id: &str) -> Result<Option<TaxiiStatus>> {
        let Some(r) = self
            .conn()?
            .query_opt(
                "SELECT id, api_root, owner, request_timestamp, total_count, details
                 FROM taxii_statuses WHERE id = $1",
                &[&id],
            )
            .map_err(pg("get status"))?
        else {
            return Ok(None);
        };
        let id: String = r.get(0);
        let d: StatusDetails = serde_json::from_str(r.get::<_, &str>(5))
            .map_err(|e| StoreError::Corrupt(format!("status {id} details: {e}")))?;
        Ok(Some(TaxiiStatus {
            id,
            api_root: r.get(1),
            owner: r.get(2),
            request_timestamp: r.get(3),
            total_count: r.get::<_, i64>(4) as u64,
            successes: d.successes,
            failures: d.failures,
            pendings: d.pendings,
        }))
    }

    fn taxii_pending_statuses(&self) -> Result<Vec<String>> {
        Ok(self
            .conn()?
            .query(
                "SELECT id FROM taxii_statuses WHERE pending_count > 0 ORDER BY id",
                &[],
            )
            .map_err(pg("list pending statuses"))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn taxii_purge_statuses(&self, before: &str) -> Result<u64> {
        self.conn()?
            .execute(
                "DELETE FROM taxii_statuses WHERE request_timestamp < $1",
                &[&before],
            )
            .map_err(pg("purge statuses"))
    }
}
