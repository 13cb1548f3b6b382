//! Hub accounts and small server state: users, their tokens (hashes only) and per-collection
//! grants, plus a key/value table (the `next`-token key, sync positions). Kept apart from
//! [`crate::taxii::TaxiiStore`] so each trait stays about one thing.

use crate::Result;

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

/// Storage of users, tokens, grants and key/value state.
pub trait AccountStore {
    fn taxii_put_user(&self, u: &User) -> Result<()>;
    fn taxii_user(&self, name: &str) -> Result<Option<User>>;
    fn taxii_users(&self) -> Result<Vec<User>>;
    fn taxii_add_token(&self, token_id: &str, user: &str, hash: &str) -> Result<()>;
    /// (user, hash) of a token id.
    fn taxii_token(&self, token_id: &str) -> Result<Option<(String, String)>>;
    /// Hashes of all tokens of a user.
    fn taxii_tokens_of(&self, user: &str) -> Result<Vec<String>>;
    /// Remove a user with their tokens and grants (by cascade); false if there was none.
    fn taxii_delete_user(&self, name: &str) -> Result<bool>;
    /// Remove one token of `user` (by its id) or, with `None`, all of them; returns how many.
    fn taxii_delete_tokens(&self, user: &str, token_id: Option<&str>) -> Result<u64>;
    fn taxii_set_grant(&self, user: &str, g: &Grant) -> Result<()>;
    fn taxii_grants(&self, user: &str) -> Result<Vec<Grant>>;
    /// A small key/value table for server state (next-token key, sync positions).
    fn kv_get(&self, key: &str) -> Result<Option<String>>;
    fn kv_set(&self, key: &str, value: &str) -> Result<()>;
}
