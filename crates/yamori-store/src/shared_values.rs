//! Values that indicators of more than one source name: what corroboration in scores reads
//! (docs/TRUST.md §1, "Corroboration"). From the correlation index: for every value, one pass
//! over the indicators' index rows grouped by value, then the latest bodies of the indicators
//! of shared values only; for a few given values (the dashboard's page), one primary-key
//! search per value.

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
        self.shared_rows(collections, None)
    }

    /// As [`Store::correlation_shared_values`], for the values (kind, key) given only.
    pub fn correlation_shared_values_of(
        &self,
        collections: Option<&[String]>,
        values: &[(String, String)],
    ) -> Result<Vec<SharedValueRow>> {
        let mut values = values.to_vec();
        values.sort();
        values.dedup();
        self.shared_rows(collections, Some(&values))
    }

    fn shared_rows(
        &self,
        collections: Option<&[String]>,
        values: Option<&[(String, String)]>,
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
            if let Some(values) = values {
                // One search of the primary key per value; shared when two sources name it.
                let filter = filter("r", &mut params);
                let sql = format!(
                    "SELECT r.kind, r.key, r.object_id, r.collection_id,
                            COALESCE(r.created_by, ''), o.body
                     FROM intel_refs r
                     JOIN taxii_objects o
                       ON o.collection_id = r.collection_id AND o.object_id = r.object_id
                      AND o.version_key = (SELECT MAX(m.version_key) FROM taxii_objects m
                           WHERE m.collection_id = r.collection_id
                             AND m.object_id = r.object_id)
                     WHERE r.kind = ?{k} AND r.key = ?{v} AND r.object_type = 'indicator'{filter}
                     ORDER BY r.object_id, r.collection_id",
                    k = params.len() + 1,
                    v = params.len() + 2,
                );
                let mut out = Vec::new();
                for (kind, key) in values {
                    let mut p = params.clone();
                    p.extend([Param::text(kind), Param::text(key)]);
                    let rows = c.query("shared value", &sql, &p)?;
                    let sources: std::collections::HashSet<String> =
                        rows.iter().map(|r| r.str(4)).collect::<Result<_>>()?;
                    if sources.len() < 2 {
                        continue;
                    }
                    for r in &rows {
                        out.push(SharedValueRow {
                            kind: r.str(0)?,
                            key: r.str(1)?,
                            object_id: r.str(2)?,
                            collection_id: r.str(3)?,
                            body: r.str(5)?,
                        });
                    }
                }
                return Ok(out);
            }
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
