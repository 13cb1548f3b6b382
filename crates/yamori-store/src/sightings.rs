//! A bound on incoming sightings: per collection, indicator and source (`created_by_ref`),
//! at most [`MAX_SIGHTINGS_PER_SOURCE`] distinct sighting objects are stored, and per
//! collection and indicator at most [`MAX_SIGHTINGS_PER_INDICATOR`] over all sources; further
//! new ones are refused, each with the reason, in the transaction that would have added them.
//!
//! A sighting says "seen again"; one source seeing one indicator a million times is one
//! sighting with `count: 1000000`, or a few new versions of it, not a million objects. A peer
//! that sends a million for one indicator (by mistake, or naming a new source in each) would
//! otherwise grow the store and every walk over sightings without bound. The bound is on one
//! indicator: a sender that makes up indicators as well is limited by its write permission
//! and the request size, not here. New versions of a sighting already stored are always
//! accepted: they are how a source reports more. Nothing stored is touched; a refused object
//! is reported in the TAXII status as a failure, so the sender knows.
//!
//! The store does not read STIX: the caller hands in each sighting's `sighting_of_ref`
//! ([`crate::taxii::NewObject::sighting_of`]). Sightings stored before this table existed are
//! counted by a backfill ([`Store::sightings_backlog`], [`Store::sightings_backfill`]) that
//! the hub runs at start-up, as for the correlation index.

use std::collections::{HashMap, HashSet};

use crate::db::{Conn, Param};
use crate::taxii::NewObject;
use crate::{Result, Store};

/// Distinct sighting objects one source may have stored about one indicator in one
/// collection.
pub const MAX_SIGHTINGS_PER_SOURCE: u64 = 1000;

/// Distinct sighting objects all sources together may have stored about one indicator in one
/// collection (a sender naming a new source in each sighting meets this one).
pub const MAX_SIGHTINGS_PER_INDICATOR: u64 = 10_000;

/// Ids per `IN (...)` list.
const CHUNK: usize = 500;

/// The last sighting (by `seq`) stored before the counts existed, and the last one counted
/// since by the backfill. Both go when the backfill is done.
const BACKFILL: crate::backfill::Marks = crate::backfill::Marks {
    through: "sightings.backfill_through",
    done: "sightings.backfill_done",
};

/// Migrations of the `sightings` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE intel_sightings (
        collection_id TEXT NOT NULL,
        indicator_id TEXT NOT NULL,
        source TEXT NOT NULL,
        sightings {int} NOT NULL,
        PRIMARY KEY (collection_id, indicator_id, source)){without_rowid};
     INSERT INTO yamori_kv (key, value)
        SELECT 'sightings.backfill_through', CAST(MAX(seq) AS TEXT) FROM taxii_objects
        WHERE kind = 'sighting' HAVING COUNT(*) > 0;"];

/// The source key of a sighting: its `created_by_ref`, or the empty string for sightings
/// that name none (which share one allowance per indicator).
fn source_of(o: &NewObject) -> &str {
    o.created_by.as_deref().unwrap_or("")
}

/// Which of `ids` have a version stored in the collection.
fn stored_ids(c: &mut dyn Conn, collection_id: &str, ids: &[&str]) -> Result<HashSet<String>> {
    let mut stored = HashSet::new();
    for part in ids.chunks(CHUNK) {
        let marks: Vec<String> = (2..part.len() + 2).map(|n| format!("?{n}")).collect();
        let mut params = vec![Param::text(collection_id)];
        params.extend(part.iter().map(|id| Param::text(id)));
        let sql = format!(
            "SELECT DISTINCT object_id FROM taxii_objects
             WHERE collection_id = ?1 AND object_id IN ({})",
            marks.join(", ")
        );
        for r in c.query("stored sightings", &sql, &params)? {
            stored.insert(r.str(0)?);
        }
    }
    Ok(stored)
}

/// The stored counts of (indicator, source) for the indicators in `indicators`.
fn counts(
    c: &mut dyn Conn,
    collection_id: &str,
    indicators: &[&str],
) -> Result<HashMap<(String, String), u64>> {
    let mut out = HashMap::new();
    for part in indicators.chunks(CHUNK) {
        let marks: Vec<String> = (2..part.len() + 2).map(|n| format!("?{n}")).collect();
        let mut params = vec![Param::text(collection_id)];
        params.extend(part.iter().map(|id| Param::text(id)));
        let sql = format!(
            "SELECT indicator_id, source, sightings FROM intel_sightings
             WHERE collection_id = ?1 AND indicator_id IN ({})",
            marks.join(", ")
        );
        for r in c.query("sighting counts", &sql, &params)? {
            out.insert((r.str(0)?, r.str(1)?), r.u64(2)?);
        }
    }
    Ok(out)
}

/// What the bound says of one request's objects, in their order.
pub(crate) struct Admission {
    /// Per object: `Some(reason)` when it is refused.
    pub refused: Vec<Option<String>>,
    /// New sightings per (indicator, source), to count once they are stored.
    new: HashMap<(String, String), u64>,
}

impl Admission {
    pub fn any_refused(&self) -> bool {
        self.refused.iter().any(Option::is_some)
    }
}

/// Decide, inside the adding transaction, which sightings of `objects` the bound refuses: a
/// sighting whose id the collection does not hold yet is new, and a new one past the
/// allowance of its (indicator, source) is refused. Objects that are not sightings, or
/// that name no indicator, pass.
pub(crate) fn admit(
    c: &mut dyn Conn,
    collection_id: &str,
    objects: &[NewObject],
) -> Result<Admission> {
    let mut refused = vec![None; objects.len()];
    let mut new = HashMap::new();
    let sightings: Vec<&NewObject> = objects.iter().filter(|o| o.sighting_of.is_some()).collect();
    if sightings.is_empty() {
        return Ok(Admission { refused, new });
    }
    let mut ids: Vec<&str> = sightings.iter().map(|o| o.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut known = stored_ids(c, collection_id, &ids)?;
    let mut indicators: Vec<&str> = sightings
        .iter()
        .filter_map(|o| o.sighting_of.as_deref())
        .collect();
    indicators.sort_unstable();
    indicators.dedup();
    let mut have = counts(c, collection_id, &indicators)?;
    let mut totals: HashMap<String, u64> = HashMap::new();
    for ((indicator, _), n) in &have {
        *totals.entry(indicator.clone()).or_insert(0) += n;
    }
    for (i, o) in objects.iter().enumerate() {
        let Some(of) = o.sighting_of.as_deref() else {
            continue;
        };
        if known.contains(&o.id) {
            continue;
        }
        let key = (of.to_string(), source_of(o).to_string());
        let total = totals.entry(of.to_string()).or_insert(0);
        let n = have.entry(key.clone()).or_insert(0);
        if *n >= MAX_SIGHTINGS_PER_SOURCE {
            let who = match source_of(o) {
                "" => "sightings without a created_by_ref".to_string(),
                s => s.to_string(),
            };
            refused[i] = Some(format!(
                "refused: {who} already has {MAX_SIGHTINGS_PER_SOURCE} sightings of {of} in \
                 this collection, the most one source may have of one indicator; report more \
                 as a new version of one of them (a higher count, a later last_seen)"
            ));
            continue;
        }
        if *total >= MAX_SIGHTINGS_PER_INDICATOR {
            refused[i] = Some(format!(
                "refused: {of} already has {MAX_SIGHTINGS_PER_INDICATOR} sightings in this \
                 collection, the most all sources together may have of one indicator; report \
                 more as new versions of stored ones"
            ));
            continue;
        }
        *n += 1;
        *total += 1;
        *new.entry(key).or_insert(0) += 1;
        // A second copy of the same new id in this request is that sighting again.
        known.insert(o.id.clone());
    }
    Ok(Admission { refused, new })
}

/// Add the new sightings an admission let through to the counts (after they are stored, in
/// the same transaction).
pub(crate) fn count_admitted(c: &mut dyn Conn, collection_id: &str, a: &Admission) -> Result<()> {
    add_counts(c, collection_id, &a.new)
}

fn add_counts(
    c: &mut dyn Conn,
    collection_id: &str,
    new: &HashMap<(String, String), u64>,
) -> Result<()> {
    for ((indicator, source), n) in new {
        bump(c, collection_id, indicator, source, *n)?;
    }
    Ok(())
}

/// Count `n` more sightings of `indicator` by `source`.
fn bump(
    c: &mut dyn Conn,
    collection_id: &str,
    indicator: &str,
    source: &str,
    n: u64,
) -> Result<()> {
    c.execute(
        "count sightings",
        "INSERT INTO intel_sightings (collection_id, indicator_id, source, sightings)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (collection_id, indicator_id, source)
         DO UPDATE SET sightings = intel_sightings.sightings + excluded.sightings",
        &[
            Param::text(collection_id),
            Param::text(indicator),
            Param::text(source),
            Param::count(n),
        ],
    )
    .map(drop)
}

/// A sighting stored before the counts existed, for the caller to read its
/// `sighting_of_ref` and hand back to [`Store::sightings_backfill`].
#[derive(Debug, Clone)]
pub struct BacklogSighting {
    pub seq: i64,
    pub collection_id: String,
    pub object_id: String,
    pub body: String,
}

impl Store {
    /// Distinct sighting objects stored about `indicator_id` in a collection, per source
    /// (`""`: sightings without a `created_by_ref`), as the bound counts them.
    pub fn sightings_counts(
        &self,
        collection_id: &str,
        indicator_id: &str,
    ) -> Result<Vec<(String, u64)>> {
        self.db.read(|c| {
            c.query(
                "sighting counts of one",
                "SELECT source, sightings FROM intel_sightings
                 WHERE collection_id = ?1 AND indicator_id = ?2 ORDER BY source",
                &[Param::text(collection_id), Param::text(indicator_id)],
            )?
            .iter()
            .map(|r| Ok((r.str(0)?, r.u64(1)?)))
            .collect()
        })
    }

    /// The next page (up to `limit`) of sightings stored before the counts existed; empty when
    /// the backfill is done.
    pub fn sightings_backlog(&self, limit: u32) -> Result<Vec<BacklogSighting>> {
        self.db.read(|c| {
            let Some((done, through)) = BACKFILL.read(c)? else {
                return Ok(Vec::new());
            };
            c.query(
                "read sighting backlog",
                "SELECT seq, collection_id, object_id, body FROM taxii_objects
                 WHERE kind = 'sighting' AND seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
                &[
                    Param::Int(done),
                    Param::Int(through),
                    Param::Int(i64::from(limit)),
                ],
            )?
            .iter()
            .map(|r| {
                Ok(BacklogSighting {
                    seq: r.i64(0)?,
                    collection_id: r.str(1)?,
                    object_id: r.str(2)?,
                    body: r.str(3)?,
                })
            })
            .collect()
        })
    }

    /// Count the backlog page `first_seq..=through_seq` (each sighting with the indicator and
    /// source the caller read from it) and record that everything up to `through_seq` is
    /// done, in one transaction; the last page ends the backfill (a caller whose page came
    /// back short passes `i64::MAX`: nothing is left). A sighting counts once, at its first
    /// stored version. Returns whether sightings remain.
    pub fn sightings_backfill(
        &self,
        items: &[(BacklogSighting, String, String)],
        first_seq: i64,
        through_seq: i64,
    ) -> Result<bool> {
        self.db.write(|c| {
            let Some((done, through)) = BACKFILL.lock(c)? else {
                return Ok(false);
            };
            if first_seq <= done {
                // Another hub counted this page since it was read.
                return Ok(true);
            }
            for (b, indicator, source) in items {
                let earlier = c.query_opt(
                    "earlier sighting version",
                    "SELECT 1 FROM taxii_objects
                     WHERE collection_id = ?1 AND object_id = ?2 AND seq < ?3 LIMIT 1",
                    &[
                        Param::text(&b.collection_id),
                        Param::text(&b.object_id),
                        Param::Int(b.seq),
                    ],
                )?;
                if earlier.is_none() {
                    bump(c, &b.collection_id, indicator, source, 1)?;
                }
            }
            BACKFILL.advance(c, through_seq, through)
        })
    }
}
