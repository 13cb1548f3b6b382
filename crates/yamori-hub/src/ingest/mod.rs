//! From envelope to stored objects: parse, validate each object on its own, store in chunks
//! and keep the status resource in step (in the same transaction as each chunk).

mod validate;

use serde_json::value::RawValue;
use serde_json::Value;
use yamori_store::correlation::{BacklogObject, CatchUp, IndexValue, Indexed};
use yamori_store::taxii::{
    taxii_now, version_key, AddOutcome, Collection, NewObject, StatusDetail, TaxiiStatus,
};
use yamori_store::Store;

pub use validate::validate_object;

/// Version given to objects with neither `modified` nor `created` (SCOs): TAXII 2.1 §3.4.1
/// asks for "a value for the version that is consistent to the server"; SCOs are not versioned.
pub const UNVERSIONED: &str = "1970-01-01T00:00:00.000Z";

/// Check one raw object and extract its indexed fields; a failure names the reason.
pub fn prepare_object(raw: &str) -> Result<NewObject, StatusDetail> {
    let v: Value = serde_json::from_str(raw).map_err(|e| StatusDetail {
        id: String::new(),
        version: String::new(),
        message: Some(format!("not valid JSON: {e}")),
    })?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = field("id").unwrap_or_default();
    let version = field("modified")
        .or_else(|| field("created"))
        .unwrap_or_else(|| UNVERSIONED.to_string());
    let fail = |msg: String| StatusDetail {
        id: id.clone(),
        version: version.clone(),
        message: Some(msg),
    };
    if let Err(issues) = validate_object(&v) {
        let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
        return Err(fail(format!(
            "invalid STIX 2.1 object: {}",
            text.join("; ")
        )));
    }
    let key = version_key(&version).ok_or_else(|| fail("version is not a timestamp".into()))?;
    Ok(NewObject {
        kind: field("type").unwrap_or_default(),
        spec_version: field("spec_version").unwrap_or_else(|| "2.1".into()),
        id: id.clone(),
        version_key: key,
        version,
        body: raw.to_string(),
        created_by: field("created_by_ref"),
        sighting_of: sighting_of(&v),
    })
}

/// A sighting's `sighting_of_ref` (validation has checked that a sighting has one).
fn sighting_of(v: &Value) -> Option<String> {
    if v.get("type").and_then(Value::as_str) != Some("sighting") {
        return None;
    }
    v.get("sighting_of_ref")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The values correlation indexes for an object (`yamori_intel::observables`). Values the
/// object names beyond the index's per-object cap, or of kinds it does not index, are left
/// out of the index only: the object is stored as received either way.
fn index_values(v: &Value) -> Vec<IndexValue> {
    yamori_intel::observables::of_object(v)
        .values
        .into_iter()
        // A NUL character is valid in JSON text and in a STIX string, but PostgreSQL's text
        // cannot hold it; no real address, domain, URL or hash has one.
        .filter(|o| !o.value.contains('\0') && !o.key.contains('\0'))
        .map(|o| IndexValue {
            kind: o.kind.as_str(),
            key: o.key,
            value: o.value,
        })
        .collect()
}

/// A fresh status with every object pending, failures from preparation already recorded.
pub fn new_status(api_root: &str, owner: &str, total: usize) -> TaxiiStatus {
    TaxiiStatus {
        id: uuid::Uuid::new_v4().to_string(),
        api_root: api_root.to_string(),
        owner: owner.to_string(),
        request_timestamp: taxii_now(),
        total_count: total as u64,
        successes: Vec::new(),
        failures: Vec::new(),
        pendings: Vec::new(),
    }
}

/// Split raw objects into prepared ones (pending in `status`) and failures (in `status`).
pub fn prepare_all(raws: &[&RawValue], status: &mut TaxiiStatus) -> Vec<NewObject> {
    let mut ok = Vec::with_capacity(raws.len());
    for r in raws {
        match prepare_object(r.get()) {
            Ok(o) => {
                status.pendings.push(StatusDetail {
                    id: o.id.clone(),
                    version: o.version.clone(),
                    message: None,
                });
                ok.push(o);
            }
            Err(f) => status.failures.push(f),
        }
    }
    ok
}

/// Store prepared objects chunk by chunk; after each chunk the status moves those objects
/// from pending to success/failure in the same transaction. On a store error the rest is
/// marked failed (and the error returned).
pub fn store_objects(
    store: &Store,
    collection_id: &str,
    objects: &[NewObject],
    status: &mut TaxiiStatus,
    chunk: usize,
) -> yamori_store::Result<()> {
    for part in objects.chunks(chunk.max(1)) {
        let mut next = status.clone();
        let res = store.taxii_add_objects(collection_id, part, &mut |outcomes| {
            settle(&mut next, part, outcomes);
            Some(next.clone())
        });
        match res {
            Ok(_) => *status = next,
            Err(e) => {
                let msg = format!("not stored: {e}");
                let pend = std::mem::take(&mut status.pendings);
                status.failures.extend(pend.into_iter().map(|mut d| {
                    d.message = Some(msg.clone());
                    d
                }));
                // Best effort: the status must not stay pending forever.
                let _ = store.taxii_put_status(status);
                return Err(e);
            }
        }
    }
    Ok(())
}

fn settle(status: &mut TaxiiStatus, part: &[NewObject], outcomes: &[AddOutcome]) {
    // Pendings are in object order, so this chunk's objects are the first `part.len()`.
    let n = part.len().min(status.pendings.len());
    status.pendings.drain(..n);
    for (o, out) in part.iter().zip(outcomes) {
        let d = |m: Option<&str>| StatusDetail {
            id: o.id.clone(),
            version: o.version.clone(),
            message: m.map(str::to_owned),
        };
        match out {
            AddOutcome::Added => status.successes.push(d(None)),
            AddOutcome::Duplicate => status
                .successes
                .push(d(Some("already stored (identical object)"))),
            AddOutcome::Conflict => status.failures.push(d(Some(
                "a different object with this id and version is already stored",
            ))),
            AddOutcome::Refused(reason) => status.failures.push(d(Some(reason))),
        }
    }
}

/// Add objects to a collection directly through the store (no HTTP), e.g. for `yamori
/// publish` on the hub's own machine. Each object succeeds or fails on its own; the returned
/// status says which (it is also stored, readable by `owner`).
pub fn add_objects(
    store: &Store,
    api_root: &str,
    collection_id: &str,
    owner: &str,
    objects: &[Value],
) -> yamori_store::Result<TaxiiStatus> {
    let texts: Vec<String> = objects.iter().map(Value::to_string).collect();
    let raws: Vec<Box<RawValue>> = texts
        .into_iter()
        .filter_map(|t| RawValue::from_string(t).ok())
        .collect();
    let refs: Vec<&RawValue> = raws.iter().map(AsRef::as_ref).collect();
    let mut status = new_status(api_root, owner, objects.len());
    let prepared = prepare_all(&refs, &mut status);
    store.taxii_put_status(&status)?;
    store_objects(store, collection_id, &prepared, &mut status, 500)?;
    Ok(status)
}

/// Owner of the statuses [`publish_local`] stores.
pub const PUBLISH_OWNER: &str = "publish";

/// What [`publish_local`] did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The collection the objects went to.
    pub collection: Collection,
    /// Whether the collection was created for them.
    pub created: bool,
    /// Each object's outcome (also stored as a status owned by [`PUBLISH_OWNER`]).
    pub status: TaxiiStatus,
}

/// `yamori publish --local`: add objects to the collection `name` (id or alias) of
/// `api_root` in the hub's own store, creating it (alias and title `name`) when missing. The
/// same ingest as a TAXII POST without HTTP: each object is validated and stored on its own,
/// in chunks, with its status kept in step; an exact duplicate counts as a success, so
/// publishing the same bundle twice is harmless.
pub fn publish_local(
    store: &Store,
    api_root: &str,
    name: &str,
    objects: &[Value],
) -> yamori_store::Result<Published> {
    let (collection, created) = match store.taxii_collection(api_root, name)? {
        Some(c) => (c, false),
        None => {
            let c = Collection {
                // TAXII 2.1 §5.2.1: collection ids are UUIDs.
                id: uuid::Uuid::new_v4().to_string(),
                api_root: api_root.to_string(),
                alias: Some(name.to_string()),
                title: name.to_string(),
                description: Some("published by yamori publish".into()),
            };
            store.taxii_put_collection(&c)?;
            (c, true)
        }
    };
    let status = add_objects(store, api_root, &collection.id, PUBLISH_OWNER, objects)?;
    Ok(Published {
        collection,
        created,
        status,
    })
}

/// Objects per transaction of the correlation indexer: several envelopes' worth when it is
/// behind, so values reported in many of them are upserted once.
const INDEX_PAGE: u32 = 4000;

/// Objects per page of the sightings' backfill.
const BACKFILL_PAGE: u32 = 1000;

/// Indexes for correlation every stored object the index has not read yet (see
/// [`yamori_store::correlation`]) and returns how many this call indexed. The hub runs it
/// in a loop beside ingest; a reader that must see every object stored so far (a lookup, an
/// export) runs it first. Safe to run from several threads and hubs at once. Objects that no
/// longer parse are skipped (they name no value the index could hold), never lost: the object
/// itself is not touched.
pub fn index_correlation(store: &Store) -> yamori_store::Result<CatchUp> {
    store.correlation_catch_up(INDEX_PAGE, None, &mut indexed)
}

/// Objects a request indexes before it reads the index ([`index_before_reading`]): about a
/// second's work.
const INDEX_BEFORE_READING: u64 = 20_000;

/// As [`index_correlation`], for a request about to read the index: the indexer's lag, which
/// is a page or two, is indexed first, so the answer includes every object stored before it;
/// a backlog larger than [`INDEX_BEFORE_READING`] objects (a database being indexed again
/// after an upgrade) is left to the indexer, and the answer says it is incomplete.
pub fn index_before_reading(store: &Store) -> BeforeReading {
    BeforeReading(store.correlation_catch_up(INDEX_PAGE, Some(INDEX_BEFORE_READING), &mut indexed))
}

/// What [`index_before_reading`] did, for the reader's answer.
#[must_use]
pub struct BeforeReading(yamori_store::Result<CatchUp>);

impl BeforeReading {
    /// Whether the index held every stored object. A store error is logged, not returned:
    /// the reader answers from the index as it is (which is never wrong, only behind), and
    /// says so.
    pub fn is_complete(self) -> bool {
        match self.0 {
            Ok(done) => done.complete,
            Err(e) => {
                tracing::warn!(error = %e, "correlation index: catching up before a read failed; answering from the index as it is");
                false
            }
        }
    }
}

/// How long the indexer sleeps once the index is complete, and after an error.
const INDEXER_IDLE: std::time::Duration = std::time::Duration::from_millis(100);
const INDEXER_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// The hub's indexer: [`index_correlation`] for as long as the process runs. New objects are
/// indexed within [`INDEXER_IDLE`] of their commit once it has caught up; when the store
/// fails it says so once and tries again every [`INDEXER_RETRY`].
pub fn run_indexer(store: &Store) {
    let mut failing = false;
    loop {
        match index_correlation(store) {
            Ok(done) => {
                if failing || done.indexed >= 100_000 {
                    tracing::info!(objects = done.indexed, "correlation index caught up");
                }
                failing = false;
                std::thread::sleep(INDEXER_IDLE);
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "correlation indexer: the store failed; trying again every 5 s");
                }
                failing = true;
                std::thread::sleep(INDEXER_RETRY);
            }
        }
    }
}

/// What the index keeps of one stored object, read from its JSON text.
fn indexed(b: &BacklogObject) -> Option<Indexed> {
    let v: Value = serde_json::from_str(&b.body).ok()?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(Indexed {
        id: field("id")?,
        kind: field("type").unwrap_or_default(),
        created_by: field("created_by_ref"),
        values: index_values(&v),
    })
}

/// Counts for their bound ([`yamori_store::sightings`]) the sightings stored before the
/// counts existed, a page per transaction, and returns how many it read. Safe to run from
/// several hubs at once and to interrupt. A sighting that no
/// longer parses is left uncounted, never touched.
pub fn backfill_sightings(store: &Store) -> yamori_store::Result<u64> {
    let mut read = 0u64;
    loop {
        let page = store.sightings_backlog(BACKFILL_PAGE)?;
        let (Some(first), Some(last)) = (page.first().map(|b| b.seq), page.last().map(|b| b.seq))
        else {
            return Ok(read);
        };
        read += page.len() as u64;
        // A short page is the last: the rest of the backlog may have been deleted.
        let through = if page.len() < BACKFILL_PAGE as usize {
            i64::MAX
        } else {
            last
        };
        let items: Vec<_> = page
            .into_iter()
            .filter_map(|b| {
                let v: Value = serde_json::from_str(&b.body).ok()?;
                let of = sighting_of(&v)?;
                let source = v
                    .get("created_by_ref")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Some((b, of, source))
            })
            .collect();
        if !store.sightings_backfill(&items, first, through)? {
            return Ok(read);
        }
    }
}

/// After a crash, statuses with pending objects will never finish: mark those objects failed
/// ("not stored; send again"). Objects already reported as successes were committed together
/// with that report, so they stay successes. Call once at start-up, only when this process is
/// the only hub on the database (always true for the embedded SQLite file).
pub fn fail_orphaned(store: &Store) -> yamori_store::Result<usize> {
    let ids = store.taxii_pending_statuses()?;
    for id in &ids {
        if let Some(mut s) = store.taxii_status(id)? {
            let pend = std::mem::take(&mut s.pendings);
            s.failures.extend(pend.into_iter().map(|mut d| {
                d.message = Some(
                    "not stored: the server stopped before this object was stored; send it again"
                        .into(),
                );
                d
            }));
            store.taxii_put_status(&s)?;
        }
    }
    Ok(ids.len())
}
