//! Matching an application name and version against an OSV record. Pure: no I/O.
//!
//! OSV ranges are event lists (`introduced`, then `fixed` / `last_affected` / `limit`); each
//! introduced→end pair becomes a [`Range`] checked with the token comparator. `GIT` ranges
//! name commits, not versions, and are not evaluated. A device does not name an OSV ecosystem,
//! so any ecosystem's package of the same name is compared; the ecosystem is in the rule so
//! the reader can judge.

use super::finding::{Certainty, MatchRule};
use super::record::OsvRecord;
use super::version::{Check, Range};

/// Result of matching one OSV record: (certainty, reason when unknown, rule).
pub fn match_osv(
    rec: &OsvRecord,
    package: &str,
    version: Option<&str>,
    device_cpe: &str,
) -> Option<(Certainty, Option<String>, MatchRule)> {
    let mut best: Option<(Certainty, Option<String>, MatchRule)> = None;
    for (ai, a) in rec.affected.iter().enumerate() {
        if !a.name.eq_ignore_ascii_case(package) {
            continue;
        }
        let rule = |node: usize, range: String| MatchRule {
            configuration: ai,
            node,
            criteria: format!("{}/{}", a.ecosystem, a.name),
            range,
            device_cpe: device_cpe.to_string(),
        };
        let Some(v) = version else {
            if best.is_none() && (!a.ranges.is_empty() || !a.versions.is_empty()) {
                best = Some((
                    Certainty::Unknown,
                    Some("device version unknown".into()),
                    rule(0, "see record".into()),
                ));
            }
            continue;
        };
        if a.versions.iter().any(|x| x == v) {
            return Some((
                Certainty::Affected,
                None,
                rule(0, format!("= {v} (listed)")),
            ));
        }
        for (ri, r) in a.ranges.iter().enumerate() {
            if r.kind == "GIT" {
                continue;
            }
            for (lo, hi, hi_incl) in intervals(&r.events) {
                let range = Range {
                    start_including: (lo != "0").then_some(lo),
                    end_excluding: hi.filter(|_| !hi_incl),
                    end_including: hi.filter(|_| hi_incl),
                    ..Range::default()
                };
                let text = if range.is_unbounded() {
                    "all versions".to_string()
                } else {
                    range.describe()
                };
                match range.check(v) {
                    Check::Inside => return Some((Certainty::Affected, None, rule(ri, text))),
                    Check::Outside => {}
                    Check::Unknown(why) => {
                        if best.is_none() {
                            best = Some((Certainty::Unknown, Some(why), rule(ri, text)));
                        }
                    }
                }
            }
        }
    }
    best
}

/// (introduced, end, end is inclusive) for each introduced event and the end that follows it.
fn intervals(events: &[(String, String)]) -> Vec<(&str, Option<&str>, bool)> {
    let mut out = Vec::new();
    let mut open: Option<&str> = None;
    for (kind, v) in events {
        match kind.as_str() {
            "introduced" => {
                if let Some(lo) = open.take() {
                    out.push((lo, None, false));
                }
                open = Some(v.as_str());
            }
            "fixed" | "limit" => {
                if let Some(lo) = open.take() {
                    out.push((lo, Some(v.as_str()), false));
                }
            }
            "last_affected" => {
                if let Some(lo) = open.take() {
                    out.push((lo, Some(v.as_str()), true));
                }
            }
            _ => {}
        }
    }
    if let Some(lo) = open {
        out.push((lo, None, false));
    }
    out
}
