//! Matching a device identity against an NVD CVE's configurations. Pure: no I/O.
//!
//! Semantics (NVD CVE API 2.0 configurations):
//! - a CVE applies if any configuration holds; a configuration combines its nodes with its
//!   `operator` (AND for "firmware X running on hardware Y"), a node its `cpeMatch` entries;
//!   `negate` inverts a node or configuration;
//! - a `cpeMatch` holds when one of the identity's CPEs has its part, vendor and product, its
//!   other attributes are compatible and its version is in the range;
//! - three-valued (Kleene) logic: a condition that cannot be decided is *unknown*; AND of a
//!   false and an unknown is false, OR of a true and an unknown is true; negating unknown is
//!   unknown;
//! - a configuration that holds counts only if a `vulnerable: true` entry contributed to it
//!   (platform entries alone say nothing).
//!
//! Version `-` (NA) in criteria is how NVD writes "no version distinguished" for firmware and
//! hardware, so it matches every device version; this is NVD usage, not the strict CPE name
//! matching of NISTIR 7696 (where NA only matches NA).

use super::cpe::{Component, Cpe};
use super::finding::{Certainty, MatchRule};
use super::identity::Identity;
use super::record::{CpeMatch, CveRecord, Operator};
use super::version::{self, Check};

/// Three-valued truth, ordered so that `max` is OR and `min` is AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tri {
    No,
    Unknown,
    Yes,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::No => Tri::Yes,
            Tri::Yes => Tri::No,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

#[derive(Debug, Clone)]
struct Hit {
    node: usize,
    vulnerable: bool,
    tri: Tri,
    criteria: String,
    range: String,
    device_cpe: String,
    reason: Option<String>,
}

#[derive(Debug, Clone)]
struct Outcome {
    tri: Tri,
    hits: Vec<Hit>,
}

/// The result of matching one CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveMatch {
    pub certainty: Certainty,
    pub unknown_reason: Option<String>,
    pub rule: MatchRule,
    pub platform: Vec<MatchRule>,
}

/// Does `cve` apply to `identity`? `None` when no configuration holds or may hold.
pub fn match_cve(cve: &CveRecord, identity: &Identity) -> Option<CveMatch> {
    let mut best: Option<(Tri, usize, Vec<Hit>)> = None;
    for (ci, conf) in cve.configurations.iter().enumerate() {
        let nodes: Vec<Outcome> = conf
            .nodes
            .iter()
            .enumerate()
            .map(|(ni, n)| {
                let entries = n
                    .cpe_match
                    .iter()
                    .map(|m| match_entry(ni, m, identity))
                    .collect();
                negate(combine(n.operator, entries), n.negate)
            })
            .collect();
        let out = negate(combine(conf.operator, nodes), conf.negate);
        if out.tri == Tri::No || !out.hits.iter().any(|h| h.vulnerable) {
            continue;
        }
        if best.as_ref().is_none_or(|(t, _, _)| out.tri > *t) {
            best = Some((out.tri, ci, out.hits));
        }
    }
    let (tri, ci, hits) = best?;
    let rule_of = |h: &Hit| MatchRule {
        configuration: ci,
        node: h.node,
        criteria: h.criteria.clone(),
        range: h.range.clone(),
        device_cpe: h.device_cpe.clone(),
    };
    let main = hits
        .iter()
        .filter(|h| h.vulnerable)
        .max_by_key(|h| (h.tri, std::cmp::Reverse(h.node)))?;
    Some(CveMatch {
        certainty: if tri == Tri::Yes {
            Certainty::Affected
        } else {
            Certainty::Unknown
        },
        unknown_reason: hits.iter().find_map(|h| h.reason.clone()),
        rule: rule_of(main),
        platform: hits.iter().filter(|h| !h.vulnerable).map(rule_of).collect(),
    })
}

fn negate(o: Outcome, negated: bool) -> Outcome {
    if !negated {
        return o;
    }
    // What held inside a negation is not evidence of the match.
    Outcome {
        tri: o.tri.not(),
        hits: Vec::new(),
    }
}

fn combine(op: Operator, parts: Vec<Outcome>) -> Outcome {
    let tri = match op {
        Operator::And => parts.iter().map(|p| p.tri).min(),
        Operator::Or => parts.iter().map(|p| p.tri).max(),
    }
    .unwrap_or(Tri::No);
    if tri == Tri::No {
        return Outcome {
            tri,
            hits: Vec::new(),
        };
    }
    let hits = parts
        .into_iter()
        .filter(|p| op == Operator::And || p.tri == tri)
        .flat_map(|p| p.hits)
        .collect();
    Outcome { tri, hits }
}

/// One `cpeMatch` against every identity CPE; the best result wins.
fn match_entry(node: usize, m: &CpeMatch, identity: &Identity) -> Outcome {
    let Ok(crit) = Cpe::parse(&m.criteria) else {
        // Validated at import; a record edited by hand since then simply does not match.
        return Outcome {
            tri: Tri::No,
            hits: Vec::new(),
        };
    };
    let best = identity
        .cpes
        .iter()
        .map(|dev| (dev, match_one(&crit, m, &dev.cpe)))
        .max_by_key(|(_, (tri, _, _))| *tri);
    match best {
        Some((dev, (tri, range, reason))) if tri != Tri::No => Outcome {
            tri,
            hits: vec![Hit {
                node,
                vulnerable: m.vulnerable,
                tri,
                criteria: m.criteria.clone(),
                range,
                device_cpe: dev.to_string(),
                reason,
            }],
        },
        _ => Outcome {
            tri: Tri::No,
            hits: Vec::new(),
        },
    }
}

/// Criteria against one device CPE: (truth, range description, reason when unknown).
pub(crate) fn match_one(crit: &Cpe, m: &CpeMatch, dev: &Cpe) -> (Tri, String, Option<String>) {
    let no = (Tri::No, String::new(), None);
    if crit.part != super::cpe::Part::Any && crit.part != dev.part {
        return no;
    }
    for (c, d) in [(&crit.vendor, &dev.vendor), (&crit.product, &dev.product)] {
        match d.as_literal() {
            Some(lit) if c.matches_literal(&lit) => {}
            _ => return no,
        }
    }
    let mut unknown: Option<String> = None;
    let others = [
        ("update", &crit.update, &dev.update),
        ("edition", &crit.edition, &dev.edition),
        ("language", &crit.language, &dev.language),
        ("sw_edition", &crit.sw_edition, &dev.sw_edition),
        ("target_sw", &crit.target_sw, &dev.target_sw),
        ("target_hw", &crit.target_hw, &dev.target_hw),
        ("other", &crit.other, &dev.other),
    ];
    for (name, c, d) in others {
        if matches!(c, Component::Any | Component::Na) {
            continue;
        }
        match d.as_literal() {
            Some(lit) if c.matches_literal(&lit) => {}
            Some(_) => return no,
            None => {
                unknown.get_or_insert_with(|| {
                    format!("criteria requires {name} {c}; the device's is unknown")
                });
            }
        }
    }
    let (tri, range, reason) = match_version(crit, m, dev);
    match (tri, unknown) {
        (Tri::No, _) => no,
        (Tri::Yes, Some(u)) => (Tri::Unknown, range, Some(u)),
        (t, u) => (t, range, reason.or(u)),
    }
}

fn match_version(crit: &Cpe, m: &CpeMatch, dev: &Cpe) -> (Tri, String, Option<String>) {
    let range = m.range();
    let dev_version = dev.version.as_literal();
    let unknown_dev = |what: String| {
        (
            Tri::Unknown,
            what.clone(),
            Some(format!("device version unknown; criteria needs {what}")),
        )
    };
    // A fixed version in the criteria itself ("= 5.4.0").
    if let Component::Value(_) = crit.version {
        let want = crit.version.to_string();
        let Some(have) = dev_version else {
            return unknown_dev(format!("= {want}"));
        };
        let tri = if crit.version.matches_literal(&have) {
            Tri::Yes
        } else {
            match crit
                .version
                .as_literal()
                .and_then(|w| version::compare(&have, &w))
            {
                Some(std::cmp::Ordering::Equal) => Tri::Yes,
                Some(_) => Tri::No,
                None if crit.version.as_literal().is_none() => Tri::No,
                None => {
                    return (
                        Tri::Unknown,
                        format!("= {want}"),
                        Some(format!("version {have:?} cannot be compared with {want:?}")),
                    )
                }
            }
        };
        return (tri, format!("= {want}"), None);
    }
    if range.is_unbounded() {
        let what = if crit.version == Component::Na {
            "all versions (NVD version `-`)"
        } else {
            "all versions"
        };
        return (Tri::Yes, what.to_string(), None);
    }
    let what = range.describe();
    let Some(have) = dev_version else {
        return unknown_dev(what);
    };
    match range.check(&have) {
        Check::Inside => (Tri::Yes, what, None),
        Check::Outside => (Tri::No, what, None),
        Check::Unknown(reason) => (Tri::Unknown, what, Some(reason)),
    }
}
