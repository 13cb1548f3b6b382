//! What exports and the hub's feeds read: a collection's latest indicators in export-sized
//! pages, and the collection's revision, a count of its changes kept in the transaction of
//! each change, which tells a feed cache that the collection is unchanged without reading it.

use super::objects::kv_get;
use crate::db::{Conn, Param};
use crate::{Result, Store};

/// Objects read per statement by [`Store::taxii_each_latest_indicator`] (exports and feeds):
/// large enough that a million indicators take a few hundred statements, small enough that a
/// page is a few megabytes.
pub const EXPORT_PAGE_SIZE: u32 = 5000;

/// Prefix of the key/value entry counting a collection's changes (see
/// [`Store::taxii_collection_revision`]).
const REVISION_KEY: &str = "taxii.revision.";

/// Counts one more change of a collection, in the transaction of the change. One upsert that
/// increments in SQL: concurrent writers on PostgreSQL wait for the row's lock and then add
/// to the committed value, so no change is lost.
pub(super) fn bump_revision(c: &mut dyn Conn, collection_id: &str) -> Result<()> {
    c.execute(
        "count collection change",
        "INSERT INTO yamori_kv (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(yamori_kv.value AS BIGINT) + 1 AS TEXT)",
        &[Param::text(&format!("{REVISION_KEY}{collection_id}"))],
    )?;
    Ok(())
}

impl Store {
    /// [`Store::taxii_each_latest_object`] for the indicators of a collection, in pages of
    /// [`EXPORT_PAGE_SIZE`]: what `yamori export` and the hub's feeds read.
    pub fn taxii_each_latest_indicator(
        &self,
        collection_id: &str,
        each: &mut dyn FnMut(&str),
    ) -> Result<u64> {
        self.taxii_each_latest_object(collection_id, &["indicator"], EXPORT_PAGE_SIZE, &mut |b| {
            each(b);
            Ok(())
        })
    }

    /// How many times the collection's objects changed (objects added, versions deleted),
    /// counted in the transaction of each change; 0 for a collection never changed. Equal
    /// revisions mean equal content, so a cache of something derived from the collection (the
    /// hub's feeds) reads this one row instead of the objects to know it is still current.
    pub fn taxii_collection_revision(&self, collection_id: &str) -> Result<u64> {
        let key = format!("{REVISION_KEY}{collection_id}");
        match self.db.read(|c| kv_get(c, &key))? {
            None => Ok(0),
            Some(v) => v.parse().map_err(|_| {
                crate::StoreError::Other(format!("key/value {key}: {v:?} is not a count"))
            }),
        }
    }
}
