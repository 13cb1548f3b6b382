//! Sources labelled by the imported warninglists: a scanner listed as a research scanner is
//! shown as a benign one, any listed address names its lists (docs/TRUST.md §2). Marked,
//! never hidden.

use std::sync::{Arc, Mutex};

use yamori_store::Store;
use yamori_trust::warninglist::{self, Warninglists};

use super::types::Source;
use super::{ApiError, ApiResult};
use crate::app::HandlerError;

/// The imported warninglists, read once per import: every import bumps a counter in the
/// store, so a request compares one number instead of parsing every list.
#[derive(Default)]
pub struct ListCache {
    loaded: Mutex<Option<(u64, Arc<Warninglists>)>>,
}

impl ListCache {
    /// The lists as stored now (blocking: call from the store's thread pool).
    pub fn current(&self, s: &Store) -> ApiResult<Arc<Warninglists>> {
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
            .map_err(|e| ApiError::internal(format!("reading the warninglists: {e}")))?;
        let lists = Arc::new(lists);
        *loaded = Some((imports, lists.clone()));
        Ok(lists)
    }
}

/// Sets `source.warninglists` and `source.benign_scanner` from `lists`.
pub fn label(source: &mut Source, lists: &Warninglists) {
    if lists.lists().is_empty() {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    let mut scanner_list = false;
    for m in lists.match_value(&source.address) {
        if let Some(info) = lists.list(m.list) {
            scanner_list |= info.lists_scanners();
            if !names.contains(&info.name) {
                names.push(info.name.clone());
            }
        }
    }
    source.benign_scanner = source.scanner && scanner_list;
    source.warninglists = names;
}
