//! Accounts and key/value state on PostgreSQL.

use crate::accounts::{AccountStore, Grant, User};
use crate::pg::{pg, PgStore};
use crate::pg_taxii::{kv_get, kv_set};
use crate::Result;

impl AccountStore for PgStore {
    fn taxii_put_user(&self, u: &User) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO taxii_users (name, password_hash) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
                &[&u.name, &u.password_hash],
            )
            .map_err(pg("put user"))?;
        Ok(())
    }

    fn taxii_user(&self, name: &str) -> Result<Option<User>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT name, password_hash FROM taxii_users WHERE name = $1",
                &[&name],
            )
            .map_err(pg("get user"))?
            .map(|r| User {
                name: r.get(0),
                password_hash: r.get(1),
            }))
    }

    fn taxii_users(&self) -> Result<Vec<User>> {
        Ok(self
            .conn()?
            .query(
                "SELECT name, password_hash FROM taxii_users ORDER BY name",
                &[],
            )
            .map_err(pg("list users"))?
            .iter()
            .map(|r| User {
                name: r.get(0),
                password_hash: r.get(1),
            })
            .collect())
    }

    fn taxii_add_token(&self, token_id: &str, user: &str, hash: &str) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO taxii_tokens (id, user_name, hash) VALUES ($1, $2, $3)",
                &[&token_id, &user, &hash],
            )
            .map_err(pg("add token"))?;
        Ok(())
    }

    fn taxii_token(&self, token_id: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT user_name, hash FROM taxii_tokens WHERE id = $1",
                &[&token_id],
            )
            .map_err(pg("get token"))?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn taxii_tokens_of(&self, user: &str) -> Result<Vec<String>> {
        Ok(self
            .conn()?
            .query(
                "SELECT hash FROM taxii_tokens WHERE user_name = $1 ORDER BY id",
                &[&user],
            )
            .map_err(pg("list tokens"))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn taxii_delete_user(&self, name: &str) -> Result<bool> {
        let n = self
            .conn()?
            .execute("DELETE FROM taxii_users WHERE name = $1", &[&name])
            .map_err(pg("delete user"))?;
        Ok(n > 0)
    }

    fn taxii_delete_tokens(&self, user: &str, token_id: Option<&str>) -> Result<u64> {
        self.conn()?
            .execute(
                "DELETE FROM taxii_tokens WHERE user_name = $1 AND ($2::TEXT IS NULL OR id = $2)",
                &[&user, &token_id],
            )
            .map_err(pg("delete tokens"))
    }

    fn taxii_set_grant(&self, user: &str, g: &Grant) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO taxii_grants (user_name, collection_id, can_read, can_write)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (user_name, collection_id) DO UPDATE SET
                    can_read = excluded.can_read, can_write = excluded.can_write",
                &[&user, &g.collection_id, &g.can_read, &g.can_write],
            )
            .map_err(pg("set grant"))?;
        Ok(())
    }

    fn taxii_grants(&self, user: &str) -> Result<Vec<Grant>> {
        Ok(self
            .conn()?
            .query(
                "SELECT collection_id, can_read, can_write FROM taxii_grants
                 WHERE user_name = $1 ORDER BY collection_id",
                &[&user],
            )
            .map_err(pg("list grants"))?
            .iter()
            .map(|r| Grant {
                collection_id: r.get(0),
                can_read: r.get(1),
                can_write: r.get(2),
            })
            .collect())
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        kv_get(&mut *self.conn()?, key)
    }

    fn kv_set(&self, key: &str, value: &str) -> Result<()> {
        kv_set(&mut *self.conn()?, key, value)
    }
}
