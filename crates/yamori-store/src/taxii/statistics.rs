//! When to refresh PostgreSQL's planner statistics of `taxii_objects` during bulk ingest.
//!
//! A bulk load (a sync pulling a million objects, a TAXII client posting them) outruns
//! autovacuum; with statistics that still say "empty table" PostgreSQL sorted the whole
//! collection for every TAXII page (100+ ms a page at 30,000 objects, growing). So the store
//! runs `ANALYZE` itself, but not on the request's path and not at a fixed interval: at a
//! million objects one ANALYZE reads its 30,000-row sample in a few hundred milliseconds, and
//! every 20,000 objects that was a tenth of the ingest's time. As autovacuum does, it waits
//! for a tenth of the table to be new (at least [`ANALYZE_EVERY`] objects), and it runs on its
//! own thread while the next envelopes are stored.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::ANALYZE_EVERY;
use crate::db::Db;

/// Objects stored since the last refresh, and the count that triggers the next.
pub(crate) struct AnalyzeSchedule {
    added: AtomicU64,
    threshold: AtomicU64,
    running: AtomicBool,
}

impl Default for AnalyzeSchedule {
    fn default() -> Self {
        AnalyzeSchedule {
            added: AtomicU64::new(0),
            threshold: AtomicU64::new(ANALYZE_EVERY),
            running: AtomicBool::new(false),
        }
    }
}

/// The next threshold after an ANALYZE that counted `rows`: a tenth of them, at least
/// [`ANALYZE_EVERY`].
pub(crate) fn next_threshold(rows: u64) -> u64 {
    (rows / 10).max(ANALYZE_EVERY)
}

impl AnalyzeSchedule {
    /// Counts `added` new objects; on PostgreSQL, starts a refresh when the threshold is passed
    /// and none is running. Best effort: stale statistics make pages slow, not wrong (and
    /// pages turn sorting off), so a failed ANALYZE is logged and the count goes on.
    pub(crate) fn count(self: &Arc<Self>, db: &Db, added: u64) {
        let total = self.added.fetch_add(added, Ordering::Relaxed) + added;
        if total < self.threshold.load(Ordering::Relaxed) {
            return;
        }
        let Some(pg) = db.postgres() else { return };
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.added.store(0, Ordering::Relaxed);
        let schedule = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("yamori-analyze".into())
            .spawn(move || {
                let rows = pg.read(|c| {
                    c.execute_batch("analyze objects", "ANALYZE taxii_objects")?;
                    c.query_opt(
                        "count analysed objects",
                        "SELECT GREATEST(reltuples, 0)::BIGINT FROM pg_class \
                         WHERE oid = 'taxii_objects'::regclass",
                        &[],
                    )?
                    .map(|r| r.u64(0))
                    .transpose()
                });
                match rows {
                    Ok(rows) => schedule
                        .threshold
                        .store(next_threshold(rows.unwrap_or(0)), Ordering::Relaxed),
                    Err(e) => {
                        tracing::warn!(error = %e, "refreshing the objects' statistics failed")
                    }
                }
                schedule.running.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.running.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenth_of_the_table_and_never_less_than_the_floor() {
        assert_eq!(next_threshold(0), ANALYZE_EVERY);
        assert_eq!(next_threshold(150_000), ANALYZE_EVERY);
        assert_eq!(next_threshold(1_000_000), 100_000);
    }
}
