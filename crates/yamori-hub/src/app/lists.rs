//! The imported warninglists, shared by every request that uses them (the dashboard's labels,
//! the feeds).

use std::sync::{Arc, Mutex};

use yamori_store::Store;
use yamori_trust::warninglist::{self, Warninglists};

/// What reading the stored lists gave: the lists, or why they do not read.
type Loaded = Result<Arc<Warninglists>, String>;

/// The imported warninglists, read once per import: every import bumps a counter in the
/// store, so a request compares one number instead of parsing every list. A failure to read
/// them is kept too, so it is not retried (and logged) on every request.
#[derive(Default)]
pub struct ListCache {
    loaded: Mutex<Option<(u64, Loaded)>>,
}

impl ListCache {
    /// The lists as stored now (blocking: call from the store's thread pool). The outer error
    /// is the store's; the inner one says which stored list does not read.
    pub fn current(&self, s: &Store) -> Result<Loaded, yamori_store::StoreError> {
        let imports = s.kv_count(warninglist::STORE_IMPORTS_KEY)?;
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, lists)) = loaded.as_ref() {
            if *at == imports {
                return Ok(lists.clone());
            }
        }
        let stored = s.kv_prefixed(warninglist::STORE_KEY_PREFIX)?;
        let lists = warninglist::from_stored(stored)
            .and_then(Warninglists::new)
            .map(Arc::new)
            .map_err(|e| {
                let message = format!("the stored warninglists do not read: {e}");
                tracing::error!("{message}");
                message
            });
        *loaded = Some((imports, lists.clone()));
        Ok(lists)
    }
}
