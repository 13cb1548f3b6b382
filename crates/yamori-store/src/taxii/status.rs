//! TAXII status resources, written once for both engines.

use super::{StatusDetails, TaxiiStatus};
use crate::db::{Conn, Param};
use crate::{Result, Store, StoreError};

pub(super) fn put(c: &mut dyn Conn, s: &TaxiiStatus) -> Result<()> {
    write(c, s, true).map(drop)
}

/// Writes `s`; an existing status of that id is replaced when `replace`, else left as it is.
/// True when a row was written.
fn write(c: &mut dyn Conn, s: &TaxiiStatus, replace: bool) -> Result<bool> {
    let details = serde_json::to_string(&StatusDetails {
        successes: s.successes.clone(),
        failures: s.failures.clone(),
        pendings: s.pendings.clone(),
    })
    .map_err(|e| StoreError::Other(format!("encode status details: {e}")))?;
    let on_conflict = if replace {
        "DO UPDATE SET total_count = excluded.total_count, details = excluded.details,
            pending_count = excluded.pending_count"
    } else {
        "DO NOTHING"
    };
    let n = c.execute(
        "write status",
        &format!(
            "INSERT INTO taxii_statuses (id, api_root, owner, request_timestamp, total_count,
                details, pending_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) {on_conflict}"
        ),
        &[
            Param::text(&s.id),
            Param::text(&s.api_root),
            Param::text(&s.owner),
            Param::text(&s.request_timestamp),
            Param::count(s.total_count),
            Param::Text(details),
            Param::count(s.pendings.len() as u64),
        ],
    )?;
    Ok(n > 0)
}

impl Store {
    pub fn taxii_put_status(&self, s: &TaxiiStatus) -> Result<()> {
        self.db.write(|c| put(c, s))
    }

    /// Writes `s` unless a status of that id exists already; true when it was written. For a
    /// status that a concurrent writer may already have moved on (the hub's background
    /// ingest): the later state must not be replaced by this earlier one.
    pub fn taxii_put_status_if_absent(&self, s: &TaxiiStatus) -> Result<bool> {
        self.db.write(|c| write(c, s, false))
    }

    pub fn taxii_status(&self, id: &str) -> Result<Option<TaxiiStatus>> {
        let Some(r) = self.db.read(|c| {
            c.query_opt(
                "get status",
                "SELECT id, api_root, owner, request_timestamp, total_count, details
                 FROM taxii_statuses WHERE id = ?1",
                &[Param::text(id)],
            )
        })?
        else {
            return Ok(None);
        };
        let id = r.str(0)?;
        let d: StatusDetails = serde_json::from_str(&r.str(5)?)
            .map_err(|e| StoreError::Corrupt(format!("status {id} details: {e}")))?;
        Ok(Some(TaxiiStatus {
            id,
            api_root: r.str(1)?,
            owner: r.str(2)?,
            request_timestamp: r.str(3)?,
            total_count: r.u64(4)?,
            successes: d.successes,
            failures: d.failures,
            pendings: d.pendings,
        }))
    }

    /// Ids of statuses that still have pending objects (after a crash, these will not finish).
    pub fn taxii_pending_statuses(&self) -> Result<Vec<String>> {
        self.db.read(|c| {
            c.query(
                "list pending statuses",
                "SELECT id FROM taxii_statuses WHERE pending_count > 0 ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| r.str(0))
            .collect()
        })
    }

    /// Remove statuses requested before `before`; returns how many.
    pub fn taxii_purge_statuses(&self, before: &str) -> Result<u64> {
        self.db.write(|c| {
            c.execute(
                "purge statuses",
                "DELETE FROM taxii_statuses WHERE request_timestamp < ?1",
                &[Param::text(before)],
            )
        })
    }
}
