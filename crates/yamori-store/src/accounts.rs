//! Hub accounts and small server state: users, their tokens (hashes only) and per-collection
//! grants, plus a key/value table (the `next`-token key, sync positions). Written once for both engines.

use crate::db::{Conn, Param, Row};
use crate::taxii::objects as kv;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub collection_id: String,
    pub can_read: bool,
    pub can_write: bool,
}

fn user_row(r: &Row) -> Result<User> {
    Ok(User {
        name: r.str(0)?,
        password_hash: r.opt_str(1)?,
    })
}

fn strings(c: &mut dyn Conn, op: &'static str, sql: &str, params: &[Param]) -> Result<Vec<String>> {
    c.query(op, sql, params)?.iter().map(|r| r.str(0)).collect()
}

impl Store {
    pub fn taxii_put_user(&self, u: &User) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "put user",
                "INSERT INTO taxii_users (name, password_hash) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
                &[
                    Param::text(&u.name),
                    Param::OptText(u.password_hash.clone()),
                ],
            )
            .map(drop)
        })
    }

    pub fn taxii_user(&self, name: &str) -> Result<Option<User>> {
        self.db.read(|c| {
            c.query_opt(
                "get user",
                "SELECT name, password_hash FROM taxii_users WHERE name = ?1",
                &[Param::text(name)],
            )?
            .as_ref()
            .map(user_row)
            .transpose()
        })
    }

    pub fn taxii_users(&self) -> Result<Vec<User>> {
        self.db.read(|c| {
            c.query(
                "list users",
                "SELECT name, password_hash FROM taxii_users ORDER BY name",
                &[],
            )?
            .iter()
            .map(user_row)
            .collect()
        })
    }

    pub fn taxii_add_token(&self, token_id: &str, user: &str, hash: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "add token",
                "INSERT INTO taxii_tokens (id, user_name, hash) VALUES (?1, ?2, ?3)",
                &[Param::text(token_id), Param::text(user), Param::text(hash)],
            )
            .map(drop)
        })
    }

    /// (user, hash) of a token id.
    pub fn taxii_token(&self, token_id: &str) -> Result<Option<(String, String)>> {
        self.db.read(|c| {
            c.query_opt(
                "get token",
                "SELECT user_name, hash FROM taxii_tokens WHERE id = ?1",
                &[Param::text(token_id)],
            )?
            .map(|r| Ok((r.str(0)?, r.str(1)?)))
            .transpose()
        })
    }

    /// Hashes of all tokens of a user.
    pub fn taxii_tokens_of(&self, user: &str) -> Result<Vec<String>> {
        self.db.read(|c| {
            strings(
                c,
                "list tokens",
                "SELECT hash FROM taxii_tokens WHERE user_name = ?1 ORDER BY id",
                &[Param::text(user)],
            )
        })
    }

    /// Remove a user with their tokens, grants and dashboard sessions (by cascade); false if
    /// there was none.
    pub fn taxii_delete_user(&self, name: &str) -> Result<bool> {
        self.db.write(|c| {
            c.execute(
                "delete user",
                "DELETE FROM taxii_users WHERE name = ?1",
                &[Param::text(name)],
            )
            .map(|n| n > 0)
        })
    }

    /// Remove one token of `user` (by its id) or, with `None`, all of them; returns how many.
    pub fn taxii_delete_tokens(&self, user: &str, token_id: Option<&str>) -> Result<u64> {
        self.db.write(|c| match token_id {
            Some(t) => c.execute(
                "delete token",
                "DELETE FROM taxii_tokens WHERE user_name = ?1 AND id = ?2",
                &[Param::text(user), Param::text(t)],
            ),
            None => c.execute(
                "delete tokens",
                "DELETE FROM taxii_tokens WHERE user_name = ?1",
                &[Param::text(user)],
            ),
        })
    }

    /// Set the highest TLP level `user` may read (a level name, see `taxii_users.max_tlp`);
    /// `None` returns them to the default. False if there is no such user.
    pub fn taxii_set_user_tlp(&self, user: &str, max_tlp: Option<&str>) -> Result<bool> {
        self.db.write(|c| {
            c.execute(
                "set user tlp",
                "UPDATE taxii_users SET max_tlp = ?2 WHERE name = ?1",
                &[
                    Param::text(user),
                    Param::OptText(max_tlp.map(str::to_owned)),
                ],
            )
            .map(|n| n > 0)
        })
    }

    /// The highest TLP level `user` may read, as set; `None` for the default or no such user.
    pub fn taxii_user_tlp(&self, user: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            c.query_opt(
                "get user tlp",
                "SELECT max_tlp FROM taxii_users WHERE name = ?1",
                &[Param::text(user)],
            )?
            .map(|r| r.opt_str(0))
            .transpose()
            .map(Option::flatten)
        })
    }

    pub fn taxii_set_grant(&self, user: &str, g: &Grant) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "set grant",
                "INSERT INTO taxii_grants (user_name, collection_id, can_read, can_write)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_name, collection_id) DO UPDATE SET
                    can_read = excluded.can_read, can_write = excluded.can_write",
                &[
                    Param::text(user),
                    Param::text(&g.collection_id),
                    Param::Bool(g.can_read),
                    Param::Bool(g.can_write),
                ],
            )
            .map(drop)
        })
    }

    pub fn taxii_grants(&self, user: &str) -> Result<Vec<Grant>> {
        self.db.read(|c| {
            c.query(
                "list grants",
                "SELECT collection_id, can_read, can_write FROM taxii_grants
                 WHERE user_name = ?1 ORDER BY collection_id",
                &[Param::text(user)],
            )?
            .iter()
            .map(|r| {
                Ok(Grant {
                    collection_id: r.str(0)?,
                    can_read: r.bool(1)?,
                    can_write: r.bool(2)?,
                })
            })
            .collect()
        })
    }

    /// A small key/value table for server state (next-token key, sync positions).
    pub fn kv_get(&self, key: &str) -> Result<Option<String>> {
        self.db.read(|c| kv::kv_get(c, key))
    }

    pub fn kv_set(&self, key: &str, value: &str) -> Result<()> {
        self.db.write(|c| kv::kv_set(c, key, value))
    }

    /// Removes `key`; whether it was there.
    pub fn kv_delete(&self, key: &str) -> Result<bool> {
        self.db.write(|c| {
            c.execute(
                "delete kv",
                "DELETE FROM yamori_kv WHERE key = ?1",
                &[Param::text(key)],
            )
            .map(|n| n > 0)
        })
    }

    /// Adds one to the count kept under `key` (1 when missing) in one statement, so
    /// concurrent writers lose no change (read it with [`Store::kv_count`]).
    pub fn kv_count_up(&self, key: &str) -> Result<()> {
        self.db.write(|c| kv::kv_count_up(c, key))
    }

    /// The count [`Store::kv_count_up`] keeps under `key`; 0 when missing.
    pub fn kv_count(&self, key: &str) -> Result<u64> {
        match self.kv_get(key)? {
            None => Ok(0),
            Some(v) => v.parse().map_err(|_| {
                crate::StoreError::Other(format!("key/value {key}: {v:?} is not a count"))
            }),
        }
    }

    /// Key/value state whose key starts with `prefix` (e.g. `sync.` for sync positions).
    pub fn kv_prefixed(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        self.db.read(|c| {
            c.query(
                "list kv",
                "SELECT key, value FROM yamori_kv WHERE substr(key, 1, ?1) = ?2 ORDER BY key",
                &[
                    Param::count(prefix.chars().count() as u64),
                    Param::text(prefix),
                ],
            )?
            .iter()
            .map(|r| Ok((r.str(0)?, r.str(1)?)))
            .collect()
        })
    }
}
