//! Dashboard login sessions: one row per session with its user and expiry, keyed by the
//! SHA-256 of the session id (the cookie's secret never reaches the database). Expired rows
//! are removed whenever a session is created; logout deletes its row; deleting a user ends
//! their sessions by cascade.

use crate::db::{Conn, Param};
use crate::{Result, Store};

/// Migrations of the `sessions` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE hub_sessions (
        id_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES taxii_users(name) ON DELETE CASCADE,
        expires_s {int} NOT NULL
     );
     CREATE INDEX hub_sessions_expiry ON hub_sessions(expires_s);
     CREATE INDEX hub_sessions_user ON hub_sessions(user_name);"];

/// Sessions were once kept in the key/value table as `session.<hash>` = `user\texpiry`.
const OLD_KV_PREFIX: &str = "session.";

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    /// Unix seconds.
    pub expires_s: i64,
}

fn purge_expired(c: &mut dyn Conn, now_s: i64) -> Result<u64> {
    c.execute(
        "remove expired sessions",
        "DELETE FROM hub_sessions WHERE expires_s <= ?1",
        &[Param::Int(now_s)],
    )
}

impl Store {
    /// Record a new session (and remove the expired ones).
    pub fn session_create(
        &self,
        id_hash: &str,
        user: &str,
        expires_s: i64,
        now_s: i64,
    ) -> Result<()> {
        self.db.write(|c| {
            purge_expired(c, now_s)?;
            c.execute(
                "create session",
                "INSERT INTO hub_sessions (id_hash, user_name, expires_s) VALUES (?1, ?2, ?3)",
                &[
                    Param::text(id_hash),
                    Param::text(user),
                    Param::Int(expires_s),
                ],
            )
            .map(drop)
        })
    }

    /// The session, if it exists and has not expired at `now_s`.
    pub fn session(&self, id_hash: &str, now_s: i64) -> Result<Option<Session>> {
        self.db.read(|c| {
            c.query_opt(
                "get session",
                "SELECT user_name, expires_s FROM hub_sessions WHERE id_hash = ?1 AND expires_s > ?2",
                &[Param::text(id_hash), Param::Int(now_s)],
            )?
            .map(|r| {
                Ok(Session {
                    user: r.str(0)?,
                    expires_s: r.i64(1)?,
                })
            })
            .transpose()
        })
    }

    /// End one session (logout); false if there was none.
    pub fn session_delete(&self, id_hash: &str) -> Result<bool> {
        self.db.write(|c| {
            c.execute(
                "delete session",
                "DELETE FROM hub_sessions WHERE id_hash = ?1",
                &[Param::text(id_hash)],
            )
            .map(|n| n > 0)
        })
    }

    /// End every session of `user`; returns how many.
    pub fn sessions_end_user(&self, user: &str) -> Result<u64> {
        self.db.write(|c| {
            c.execute(
                "end user sessions",
                "DELETE FROM hub_sessions WHERE user_name = ?1",
                &[Param::text(user)],
            )
        })
    }

    /// Move sessions kept in the key/value table by older versions into `hub_sessions`, so an
    /// upgrade logs nobody out; each moved key is removed from the key/value table.
    pub(crate) fn migrate_kv_sessions(&self) -> Result<()> {
        let old = self.kv_prefixed(OLD_KV_PREFIX)?;
        if old.is_empty() {
            return Ok(());
        }
        self.db.write(|c| {
            for (key, value) in &old {
                let id_hash = &key[OLD_KV_PREFIX.len()..];
                // A logged-out session was stored as an empty value: nothing to keep.
                if let Some((user, expires)) = value.split_once('\t') {
                    let expires_s = expires.parse::<i64>().unwrap_or(0);
                    c.execute(
                        "move session",
                        "INSERT INTO hub_sessions (id_hash, user_name, expires_s)
                         SELECT ?1, name, ?3 FROM taxii_users WHERE name = ?2
                         ON CONFLICT DO NOTHING",
                        &[
                            Param::text(id_hash),
                            Param::text(user),
                            Param::Int(expires_s),
                        ],
                    )?;
                }
                c.execute(
                    "move session",
                    "DELETE FROM yamori_kv WHERE key = ?1",
                    &[Param::text(key)],
                )?;
            }
            Ok(())
        })
    }
}
