//! Sources labelled by the imported warninglists: a scanner listed as a research scanner is
//! shown as a benign one, any listed address names its lists (docs/TRUST.md §2). Marked,
//! never hidden. Stored lists that do not read cost the labels (the cache logs why), not the
//! pages.

use yamori_trust::warninglist::Warninglists;

use super::types::Source;

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
