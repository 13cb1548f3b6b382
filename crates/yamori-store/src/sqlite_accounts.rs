//! Accounts and key/value state on SQLite.

use rusqlite::{params, OptionalExtension};

use crate::accounts::{AccountStore, Grant, User};
use crate::sqlite::{db, SqliteStore};
use crate::sqlite_taxii::{kv_get, kv_set};
use crate::Result;

impl AccountStore for SqliteStore {
    fn taxii_put_user(&self, u: &User) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO taxii_users (name, password_hash) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash",
                params![u.name, u.password_hash],
            )
            .map_err(db("put user"))?;
        Ok(())
    }

    fn taxii_user(&self, name: &str) -> Result<Option<User>> {
        self.read()
            .query_row(
                "SELECT name, password_hash FROM taxii_users WHERE name = ?1",
                [name],
                |r| {
                    Ok(User {
                        name: r.get(0)?,
                        password_hash: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(db("get user"))
    }

    fn taxii_users(&self) -> Result<Vec<User>> {
        let conn = self.lock();
        let mut q = conn
            .prepare("SELECT name, password_hash FROM taxii_users ORDER BY name")
            .map_err(db("list users"))?;
        let rows = q
            .query_map([], |r| {
                Ok(User {
                    name: r.get(0)?,
                    password_hash: r.get(1)?,
                })
            })
            .map_err(db("list users"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list users"))?;
        Ok(rows)
    }

    fn taxii_add_token(&self, token_id: &str, user: &str, hash: &str) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO taxii_tokens (id, user_name, hash) VALUES (?1, ?2, ?3)",
                [token_id, user, hash],
            )
            .map_err(db("add token"))?;
        Ok(())
    }

    fn taxii_token(&self, token_id: &str) -> Result<Option<(String, String)>> {
        self.read()
            .query_row(
                "SELECT user_name, hash FROM taxii_tokens WHERE id = ?1",
                [token_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db("get token"))
    }

    fn taxii_tokens_of(&self, user: &str) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut q = conn
            .prepare("SELECT hash FROM taxii_tokens WHERE user_name = ?1 ORDER BY id")
            .map_err(db("list tokens"))?;
        let rows = q
            .query_map([user], |r| r.get(0))
            .map_err(db("list tokens"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list tokens"))?;
        Ok(rows)
    }

    fn taxii_delete_user(&self, name: &str) -> Result<bool> {
        let n = self
            .lock()
            .execute("DELETE FROM taxii_users WHERE name = ?1", [name])
            .map_err(db("delete user"))?;
        Ok(n > 0)
    }

    fn taxii_delete_tokens(&self, user: &str, token_id: Option<&str>) -> Result<u64> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM taxii_tokens WHERE user_name = ?1 AND (?2 IS NULL OR id = ?2)",
                params![user, token_id],
            )
            .map_err(db("delete tokens"))?;
        Ok(n as u64)
    }

    fn taxii_set_grant(&self, user: &str, g: &Grant) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO taxii_grants (user_name, collection_id, can_read, can_write)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(user_name, collection_id) DO UPDATE SET
                    can_read = excluded.can_read, can_write = excluded.can_write",
                params![user, g.collection_id, g.can_read, g.can_write],
            )
            .map_err(db("set grant"))?;
        Ok(())
    }

    fn taxii_grants(&self, user: &str) -> Result<Vec<Grant>> {
        let conn = self.read();
        let mut q = conn
            .prepare(
                "SELECT collection_id, can_read, can_write FROM taxii_grants
                 WHERE user_name = ?1 ORDER BY collection_id",
            )
            .map_err(db("list grants"))?;
        let rows = q
            .query_map([user], |r| {
                Ok(Grant {
                    collection_id: r.get(0)?,
                    can_read: r.get(1)?,
                    can_write: r.get(2)?,
                })
            })
            .map_err(db("list grants"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("list grants"))?;
        Ok(rows)
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        kv_get(&self.read(), key)
    }

    fn kv_set(&self, key: &str, value: &str) -> Result<()> {
        kv_set(&self.lock(), key, value)
    }
}
