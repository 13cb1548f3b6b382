//! The position of a backfill: work over the objects stored before a table existed (the
//! sightings' counts), a page per transaction, kept in `yamori_kv` as
//! two numbers: `through`, the last object (`seq`) stored before the table existed (set by
//! the table's migration), and `done`, the last one handled since. Both go when it ends.

use crate::db::{Conn, Param};
use crate::taxii::objects::{kv_get, kv_set, lock_inserts};
use crate::{Engine, Result};

/// The two `yamori_kv` keys of one backfill.
pub(crate) struct Marks {
    pub through: &'static str,
    pub done: &'static str,
}

fn number(v: Option<String>) -> Option<i64> {
    v.and_then(|t| t.parse::<i64>().ok())
}

impl Marks {
    /// `(done, through)` for reading the next page; `None` when there is no backlog.
    pub fn read(&self, c: &mut dyn Conn) -> Result<Option<(i64, i64)>> {
        let Some(through) = number(kv_get(c, self.through)?) else {
            return Ok(None);
        };
        Ok(Some((number(kv_get(c, self.done)?).unwrap_or(0), through)))
    }

    /// As [`Marks::read`], in the writing transaction of a page, under ingest's lock and (on
    /// PostgreSQL, where several hubs may run the backfill at once) a row lock on the
    /// position: an envelope and a backfill page update the same rows, in orders that could
    /// deadlock, and a page another hub has handled must not be handled again.
    pub fn lock(&self, c: &mut dyn Conn) -> Result<Option<(i64, i64)>> {
        lock_inserts(c)?;
        if c.engine() == Engine::Postgres {
            c.query_opt(
                "lock backfill",
                "SELECT value FROM yamori_kv WHERE key = ?1 FOR UPDATE",
                &[Param::text(self.through)],
            )?;
        }
        self.read(c)
    }

    /// Record that everything up to `through_seq` is handled; the backfill ends when that
    /// reaches `through`. Returns whether objects remain.
    pub fn advance(&self, c: &mut dyn Conn, through_seq: i64, through: i64) -> Result<bool> {
        if through_seq >= through {
            c.execute(
                "end backfill",
                "DELETE FROM yamori_kv WHERE key = ?1 OR key = ?2",
                &[Param::text(self.through), Param::text(self.done)],
            )?;
            return Ok(false);
        }
        kv_set(c, self.done, &through_seq.to_string())?;
        Ok(true)
    }
}
