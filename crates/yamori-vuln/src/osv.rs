//! One OSV 1.x record (a whole file, or one element of an OSV API `vulns[]`) → [`OsvRecord`].
//! Field names from the OSV schema: `id`, `modified`, `aliases`, `summary`,
//! `affected[{package{ecosystem,name}, ranges[{type, events[{introduced|fixed|last_affected|limit}]}], versions}]`.

use serde::Deserialize;
use serde_json::Value;

use super::record::{OsvAffected, OsvRange, OsvRecord};
use super::ItemError;

#[derive(Deserialize)]
struct RawOsv {
    id: String,
    modified: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    withdrawn: Option<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<serde_json::Map<String, Value>>,
}

/// What one OSV record turned into.
#[derive(Debug)]
pub enum OsvItem {
    Record(OsvRecord),
    /// The record carries `withdrawn`: nothing to import.
    Withdrawn(String),
}

/// Convert one OSV record. `index` names it in errors (0 for a single-record file).
pub fn parse_item(index: usize, v: Value) -> Result<OsvItem, ItemError> {
    let id = v.get("id").and_then(Value::as_str).map(str::to_string);
    let err = |reason: String| ItemError {
        index,
        id: id.clone(),
        reason,
    };
    let r: RawOsv = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
    if r.withdrawn.is_some() {
        return Ok(OsvItem::Withdrawn(r.id));
    }
    let mut affected = Vec::with_capacity(r.affected.len());
    for (ai, a) in r.affected.into_iter().enumerate() {
        // Entries without a package (e.g. only a GIT repository range) name nothing a survey
        // can see; they are dropped, the record is kept.
        let Some(p) = a.package else { continue };
        let mut ranges = Vec::with_capacity(a.ranges.len());
        for (ri, rr) in a.ranges.into_iter().enumerate() {
            let mut events = Vec::with_capacity(rr.events.len());
            for ev in rr.events {
                let Some((k, val)) = ev.into_iter().next() else {
                    return Err(err(format!("affected {ai} range {ri}: empty event")));
                };
                let Some(s) = val.as_str() else {
                    return Err(err(format!(
                        "affected {ai} range {ri}: event {k} is not a string"
                    )));
                };
                events.push((k, s.to_string()));
            }
            ranges.push(OsvRange {
                kind: rr.kind,
                events,
            });
        }
        affected.push(OsvAffected {
            ecosystem: p.ecosystem,
            name: p.name,
            ranges,
            versions: a.versions,
        });
    }
    Ok(OsvItem::Record(OsvRecord {
        id: r.id,
        modified: r.modified,
        summary: r.summary,
        aliases: r.aliases,
        affected,
    }))
}
