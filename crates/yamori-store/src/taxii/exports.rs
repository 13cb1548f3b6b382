//! What exports and the hub's feeds read: a collection's latest indicators in export-sized
//! pages, and the collection's revision, a count of its changes kept in the transaction of
//! each change, which tells a feed cache that the collection is unchanged without reading it.

use super::objects::PAGE_PLANNER;
use crate::db::{Conn, Param, RowRef};
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
    super::objects::kv_count_up(c, &format!("{REVISION_KEY}{collection_id}"))
}

/// Whether some object of the collection has more than one version stored (of any kind: an
/// object's versions share its id, and so its type). A walk of the unique
/// (collection_id, object_id, version_key) index that stops at the first such object; it
/// reads no object.
fn has_second_versions(c: &mut dyn Conn, collection_id: &str) -> Result<bool> {
    let found = c.query_opt(
        "look for second versions",
        "SELECT 1 FROM taxii_objects WHERE collection_id = ?1
         GROUP BY object_id HAVING COUNT(*) > 1 LIMIT 1",
        &[Param::text(collection_id)],
    )?;
    Ok(found.is_some())
}

/// Up to `limit` indicators (seq, date_added, body) after the cursor (date_added, seq), in
/// that order. Two index walks rather than one row-value comparison: a bulk insert shares one
/// date_added, and SQLite turns `(date_added, seq) > (?, ?)` into a range on date_added alone,
/// so every page of a million-object insert read again from the insert's first object (a
/// quadratic walk: 25 s for a million). Here the rest of the cursor's date_added is an
/// equality and a seq range, and the later ones a date_added range. The seq range is closed
/// by the date_added's last seq (one index look-up): SQLite walks it by rowid, and open-ended
/// it would read on through every later object once the date_added's run is over.
fn export_page(
    c: &mut dyn Conn,
    collection_id: &str,
    after: Option<&(String, i64)>,
    limit: usize,
    each: &mut dyn FnMut(RowRef<'_, '_>) -> Result<()>,
) -> Result<usize> {
    const COLUMNS: &str = "SELECT seq, date_added, body FROM taxii_objects \
         WHERE collection_id = ?1 AND kind = 'indicator'";
    let limit_of = |n: usize| Param::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let Some((date_added, seq)) = after else {
        let n = c.query_each(
            "read indicators",
            &format!("{COLUMNS} ORDER BY date_added, seq LIMIT ?2"),
            &[Param::text(collection_id), limit_of(limit)],
            each,
        )?;
        return Ok(n as usize);
    };
    let mut n = c.query_each(
        "read indicators",
        &format!(
            "{COLUMNS} AND date_added = ?2 AND seq > ?3 AND seq <= (SELECT MAX(seq) \
             FROM taxii_objects WHERE collection_id = ?1 AND kind = 'indicator' \
             AND date_added = ?2) ORDER BY seq LIMIT ?4"
        ),
        &[
            Param::text(collection_id),
            Param::text(date_added),
            Param::Int(*seq),
            limit_of(limit),
        ],
        each,
    )? as usize;
    if n < limit {
        n += c.query_each(
            "read indicators",
            &format!("{COLUMNS} AND date_added > ?2 ORDER BY date_added, seq LIMIT ?3"),
            &[
                Param::text(collection_id),
                Param::text(date_added),
                limit_of(limit - n),
            ],
            each,
        )? as usize;
    }
    Ok(n)
}

impl Store {
    /// Calls `each` with the JSON text of the latest version of every indicator of a
    /// collection, in the order they were added, [`EXPORT_PAGE_SIZE`] objects per statement:
    /// what `yamori export` and the hub's feeds read. The same objects in the same order as
    /// [`Store::taxii_each_latest_object`].
    ///
    /// TAXII's latest-version and latest-spec-version filters are two correlated look-ups per
    /// object, which cost more than reading the objects: 3.8 s instead of 1.7 s for a
    /// million indicators in `sqlite3`. They can only leave an object out when another
    /// version of it is stored. Indicators are rarely revised, so first one walk of the index
    /// of versions (0.25 s for a million objects) asks whether any object of the collection
    /// has a second version; when none has, every stored indicator is its own latest version
    /// and the pages are read without the filters. As with any walk in pages, objects added
    /// while it runs may or may not be seen.
    pub fn taxii_each_latest_indicator(
        &self,
        collection_id: &str,
        each: &mut dyn FnMut(&str),
    ) -> Result<u64> {
        if self.db.read(|c| has_second_versions(c, collection_id))? {
            return self.taxii_each_latest_object(
                collection_id,
                &["indicator"],
                EXPORT_PAGE_SIZE,
                &mut |b| {
                    each(b);
                    Ok(())
                },
            );
        }
        let page = EXPORT_PAGE_SIZE as usize;
        let mut after: Option<(String, i64)> = None;
        let mut seen = 0u64;
        loop {
            // Rows are handed to `each` as the engine reads them; the page's last row is the
            // next page's cursor, and one row more than a page says there is a next page.
            let mut in_page = 0usize;
            let mut cursor = None;
            let read = self.db.read_planned(PAGE_PLANNER, |c| {
                export_page(c, collection_id, after.as_ref(), page + 1, &mut |r| {
                    in_page += 1;
                    if in_page <= page {
                        each(r.text(2)?);
                        seen += 1;
                    }
                    if in_page == page {
                        cursor = Some((r.text(1)?.to_string(), r.i64(0)?));
                    }
                    Ok(())
                })
            })?;
            match cursor {
                Some(next) if read > page => after = Some(next),
                _ => return Ok(seen),
            }
        }
    }

    /// How many times the collection's objects changed (objects added, versions deleted),
    /// counted in the transaction of each change; 0 for a collection never changed. Equal
    /// revisions mean equal content, so a cache of something derived from the collection (the
    /// hub's feeds) reads this one row instead of the objects to know it is still current.
    pub fn taxii_collection_revision(&self, collection_id: &str) -> Result<u64> {
        self.kv_count(&format!("{REVISION_KEY}{collection_id}"))
    }
}
