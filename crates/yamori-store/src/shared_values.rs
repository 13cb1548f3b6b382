//! Values that indicators of more than one source name: what corroboration in scores reads
//! (docs/TRUST.md §1, "The base score"). From the correlation index, so the cost follows the
//! shared values, not the number of indicators.

use crate::db::Param;
use crate::{Result, Store};

/// One indicator naming a value that indicators of another source name too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedValueRow {
    /// The value's kind and index key: the indicators of one key corroborate each other.
    pub kind: String,
    pub key: String,
    pub object_id: String,
    pub collection_id: String,
    /// The JSON text of the object's latest version, for the caller to read its source,
    /// confidence and time (the store does not read STIX).
    pub body: String,
}

impl Store {
    /// Every indicator (latest version) naming a value that indicators of at least two
    /// sources (`created_by_ref`, none counting as one source) name, in the collections given
    /// (all when `None`), ordered by value. A value's indicators beyond the index's cap
    /// ([`crate::correlation::MAX_REFS_PER_VALUE`]) are not among them.
    pub fn correlation_shared_values(
        &self,
        collections: Option<&[String]>,
    ) -> Result<Vec<SharedValueRow>> {
        self.db.read(|c| {
            let mut params = Vec::new();
            let filter = |alias: &str, params: &mut Vec<Param>| match collections {
                None => String::new(),
                Some(ids) => {
                    let marks: Vec<String> = ids
                        .iter()
                        .map(|id| {
                            params.push(Param::text(id));
                            format!("?{}", params.len())
                        })
                        .collect();
                    if marks.is_empty() {
                        " AND 1 = 0".to_string()
                    } else {
                        format!(" AND {alias}.collection_id IN ({})", marks.join(", "))
                    }
                }
            };
            let inner = filter("i", &mut params);
            let outer = filter("r", &mut params);
            let sql = format!(
                "SELECT r.kind, r.key, r.object_id, r.collection_id, o.body
                 FROM intel_refs r
                 JOIN (SELECT i.kind, i.key FROM intel_refs i
                       WHERE i.object_type = 'indicator'{inner}
                       GROUP BY i.kind, i.key
                       HAVING COUNT(DISTINCT COALESCE(i.created_by, '')) > 1) s
                   ON s.kind = r.kind AND s.key = r.key
                 JOIN taxii_objects o
                   ON o.collection_id = r.collection_id AND o.object_id = r.object_id
                  AND o.version_key = (SELECT MAX(m.version_key) FROM taxii_objects m
                       WHERE m.collection_id = r.collection_id AND m.object_id = r.object_id)
                 WHERE r.object_type = 'indicator'{outer}
                 ORDER BY r.kind, r.key, r.object_id, r.collection_id"
            );
            c.query("shared values", &sql, &params)?
                .iter()
                .map(|r| {
                    Ok(SharedValueRow {
                        kind: r.str(0)?,
                        key: r.str(1)?,
                        object_id: r.str(2)?,
                        collection_id: r.str(3)?,
                        body: r.str(4)?,
                    })
                })
                .collect()
        })
    }
}
