//! The decayed, source-weighted score behind `--score decay`: the trust layer's model
//! (`yamori_trust::score_indicator`, MISP's polynomial decay) applied to one stored indicator.
//!
//! An indicator is its own report: its `confidence` (or the model's default base score)
//! weighed by the trust the operator places in its `created_by_ref`, decaying from its
//! `modified` time (else `created`, else `valid_from`) or from the latest sighting of it,
//! whichever is later. Indicators of *other* sources naming the same value corroborate it
//! ([`corroboration`]): their reports join its own in the base score's noisy OR, and the
//! latest of them restarts its clock. The time is an input, so an export stays a function of
//! its inputs.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_trust::{score_indicator, DecayModel, Report, SourceTrust};

use crate::indicator::{Field, Indicator};
use crate::select::Scorer;

/// Scores indicators at `now` by `model`, weighed by `trust`, refreshed by `sightings` (the
/// latest sighting time per indicator id).
#[derive(Debug, Clone)]
pub struct DecayScore {
    pub model: DecayModel,
    pub trust: SourceTrust,
    pub now: OffsetDateTime,
    pub sightings: HashMap<String, OffsetDateTime>,
    /// Other sources' reports per indicator id ([`corroboration`]); empty: none counted.
    pub corroboration: HashMap<String, Vec<Report>>,
}

/// What one source reported of one value: its highest confidence and latest time.
#[derive(Clone, Copy)]
struct SourceReport {
    confidence: Option<u8>,
    reported_at: OffsetDateTime,
}

impl SourceReport {
    /// Keeps the higher confidence (no confidence counting as `default`, the model's base
    /// score, as the score does) and the later time.
    fn merge(&mut self, other: SourceReport, default: f64) {
        let effective = |c: Option<u8>| c.map_or(default, f64::from);
        if effective(other.confidence) > effective(self.confidence) {
            self.confidence = other.confidence;
        }
        self.reported_at = self.reported_at.max(other.reported_at);
    }
}

/// Whether `body`'s latest version still names the value (`kind`, `key`): the index keeps the
/// values of every version, and a value a later version dropped corroborates nothing.
fn still_names(body: &str, kind: &str, key: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| {
        yamori_intel::observables::of_object(&v)
            .values
            .iter()
            .any(|o| o.kind.as_str() == kind && o.key == key)
    })
}

/// The reports that corroborate each indicator, keyed by its id: for every value it names,
/// the indicators of *other* sources naming that value, one report per source (its highest
/// confidence, its latest time, the trust in it). `rows` are ((kind, key), indicator JSON)
/// grouped by value, as `Store::correlation_shared_values` reads them.
///
/// Nothing corroborates that is revoked, expired at `now` (`valid_until`), without a time,
/// from a source trusted 0, or whose latest version no longer names the value; a time after
/// `now` counts as `now`, so a source's clock cannot hold other sources' indicators fresh. A
/// source never corroborates itself, however many objects it sent.
pub fn corroboration<'a>(
    rows: impl IntoIterator<Item = ((&'a str, &'a str), &'a str)>,
    model: &DecayModel,
    trust: &SourceTrust,
    now: OffsetDateTime,
) -> HashMap<String, Vec<Report>> {
    let default = model.default_base_score;
    // Per indicator: the other sources' reports, merged over its values.
    let mut by_indicator: HashMap<String, HashMap<String, SourceReport>> = HashMap::new();
    let mut flush = |group: &mut Vec<(String, String, Option<SourceReport>)>| {
        let mut sources: HashMap<&str, SourceReport> = HashMap::new();
        for (_, source, report) in group.iter() {
            if let Some(r) = report {
                sources
                    .entry(source.as_str())
                    .and_modify(|e| e.merge(*r, default))
                    .or_insert(*r);
            }
        }
        for (id, own, _) in group.iter() {
            let mine = by_indicator.entry(id.clone()).or_default();
            for (source, r) in sources.iter().filter(|(s, _)| **s != own.as_str()) {
                mine.entry((*source).to_string())
                    .and_modify(|e| e.merge(*r, default))
                    .or_insert(*r);
            }
        }
        group.clear();
    };
    let mut value: Option<(&str, &str)> = None;
    let mut group = Vec::new();
    for ((kind, key), body) in rows {
        if value != Some((kind, key)) {
            flush(&mut group);
            value = Some((kind, key));
        }
        let Ok(i) = Indicator::parse(body) else {
            continue;
        };
        let Some(id) = i.id.as_str() else {
            continue;
        };
        if !still_names(body, kind, key) {
            continue;
        }
        let source = i.created_by.as_str().unwrap_or_default().to_string();
        let expired = time_of(&i.valid_until).is_some_and(|until| until <= now);
        let distrusted = trust.of(i.created_by.as_str()).get() == 0;
        let report = (i.revoked != Field::Bool(true) && !expired && !distrusted)
            .then(|| reported_at(&i))
            .flatten()
            .map(|reported_at| SourceReport {
                confidence: confidence(&i),
                reported_at: reported_at.min(now),
            });
        group.push((id.to_string(), source, report));
    }
    flush(&mut group);
    by_indicator
        .into_iter()
        .filter(|(_, sources)| !sources.is_empty())
        .map(|(id, sources)| {
            let mut reports: Vec<(String, Report)> = sources
                .into_iter()
                .map(|(source, r)| {
                    let report = Report {
                        confidence: r.confidence,
                        trust: trust.of((!source.is_empty()).then_some(source.as_str())),
                        reported_at: r.reported_at,
                    };
                    (source, report)
                })
                .collect();
            // A stable order: the base is a product, but its floating point is not exact.
            reports.sort_by(|a, b| a.0.cmp(&b.0));
            (id, reports.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

/// When an indicator was reported: `modified`, else `created`, else `valid_from`.
fn reported_at(i: &Indicator<'_>) -> Option<OffsetDateTime> {
    time_of(&i.modified)
        .or_else(|| time_of(&i.created))
        .or_else(|| time_of(&i.valid_from))
}

/// Its `confidence`, when it is a whole number (above 100 counts as 100).
fn confidence(i: &Indicator<'_>) -> Option<u8> {
    match i.confidence {
        Field::Uint(c) => u8::try_from(c.min(100)).ok(),
        _ => None,
    }
}

fn time_of(f: &Field<'_>) -> Option<OffsetDateTime> {
    f.as_str()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

impl DecayScore {
    /// The full result for one indicator (base, decayed score, expiry), or `None` when it has
    /// no time to decay from.
    pub fn scored(&self, indicator: &Indicator<'_>) -> Option<yamori_trust::Scored> {
        let report = Report {
            confidence: confidence(indicator),
            trust: self.trust.of(indicator.created_by.as_str()),
            reported_at: reported_at(indicator)?,
        };
        let mut reports = vec![report];
        if let Some(others) = indicator
            .id
            .as_str()
            .and_then(|id| self.corroboration.get(id))
        {
            reports.extend_from_slice(others);
        }
        let sighted: Vec<OffsetDateTime> = indicator
            .id
            .as_str()
            .and_then(|id| self.sightings.get(id))
            .copied()
            .into_iter()
            .collect();
        Some(score_indicator(&self.model, &reports, &sighted, self.now))
    }
}

impl Scorer for DecayScore {
    fn score(&self, indicator: &Indicator) -> Option<u8> {
        // Rounded down: an indicator shown as 30 is not below a threshold of 30. The epsilon
        // keeps an exact score that floating point lands just under (45 · 100 / 100 =
        // 44.999…) at its value.
        self.scored(indicator)
            .map(|s| (s.score + 1e-9).floor().clamp(0.0, 100.0) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yamori_trust::Trust;

    fn scorer(now: &str) -> DecayScore {
        let mut trust = SourceTrust::default();
        trust
            .by_source
            .insert("identity--peer".into(), Trust::new(100).expect("trust"));
        DecayScore {
            model: DecayModel::default(),
            trust,
            now: OffsetDateTime::parse(now, &Rfc3339).expect("time"),
            sightings: HashMap::from([(
                "indicator--sighted".to_string(),
                OffsetDateTime::parse("2026-03-01T00:00:00Z", &Rfc3339).expect("time"),
            )]),
            corroboration: HashMap::new(),
        }
    }

    fn score(s: &DecayScore, body: &str) -> Option<u8> {
        s.score(&Indicator::parse(body).expect("json"))
    }

    #[test]
    fn confidence_times_trust_decays_from_the_latest_report_or_sighting() {
        let s = scorer("2026-01-31T00:00:00Z");
        // NIDS (τ 120 d, δ 2): after 30 days 80 · (1 − (30/120)^½) = 40.
        let trusted = r#"{"id": "indicator--a", "modified": "2026-01-01T00:00:00Z",
            "confidence": 80, "created_by_ref": "identity--peer"}"#;
        assert_eq!(score(&s, trusted), Some(40));
        // An unlisted source gets the default trust (50): half the base.
        let other = r#"{"id": "indicator--b", "modified": "2026-01-01T00:00:00Z",
            "confidence": 80, "created_by_ref": "identity--someone"}"#;
        assert_eq!(score(&s, other), Some(20));
        // No confidence: the model's default base score (80) at the default trust.
        let bare = r#"{"id": "indicator--c", "modified": "2026-01-31T00:00:00Z"}"#;
        assert_eq!(score(&s, bare), Some(40));
        // Exact products stay whole: 45 at full trust, fresh, is 45 (not 44.999… → 44).
        let s = scorer("2026-01-01T00:00:00Z");
        let exact = r#"{"id": "indicator--e", "modified": "2026-01-01T00:00:00Z",
            "confidence": 45, "created_by_ref": "identity--peer"}"#;
        assert_eq!(score(&s, exact), Some(45));
        // A sighting restarts the clock.
        let s = scorer("2026-03-01T00:00:00Z");
        let sighted = r#"{"id": "indicator--sighted", "modified": "2026-01-01T00:00:00Z",
            "confidence": 80, "created_by_ref": "identity--peer"}"#;
        assert_eq!(score(&s, sighted), Some(80));
        // Past τ: 0. No time at all: no score.
        let s = scorer("2026-06-01T00:00:00Z");
        assert_eq!(score(&s, trusted), Some(0));
        assert_eq!(
            score(&s, r#"{"id": "indicator--d", "confidence": 80}"#),
            None
        );
    }

    #[test]
    fn other_sources_naming_a_value_corroborate_and_refresh_it() {
        let mut s = scorer("2026-01-01T00:00:00Z");
        for (source, t) in [("identity--other", 100), ("identity--zero", 0)] {
            s.trust
                .by_source
                .insert(source.into(), yamori_trust::Trust::new(t).expect("t"));
        }
        // Indicators of 198.51.100.7 (index key c6336407/032).
        let ind = |id: &str, by: &str, modified: &str, confidence: u8, extra: &str| {
            format!(
                r#"{{"id": "indicator--{id}", "type": "indicator", "modified": "{modified}",
                "confidence": {confidence}, "created_by_ref": "{by}", "pattern_type": "stix",
                "pattern": "[ipv4-addr:value = '198.51.100.7']"{extra}}}"#
            )
        };
        let t = "2026-01-01T00:00:00Z";
        let a = ind("a", "identity--peer", t, 50, "");
        let a2 = ind("a2", "identity--peer", "2025-06-01T00:00:00Z", 90, "");
        let b = ind("b", "identity--other", t, 50, "");
        let revoked = ind("r", "identity--x", t, 100, r#", "revoked": true"#);
        let expired = ind(
            "e",
            "identity--y",
            t,
            100,
            r#", "valid_until": "2025-12-31T00:00:00Z""#,
        );
        let untrusted = ind("z", "identity--zero", "2099-01-01T00:00:00Z", 100, "");
        let moved = ind("m", "identity--w", t, 100, "").replace("198.51.100.7", "198.51.100.8");
        let key = ("ipv4", "c6336407/032");
        let rows = [&a, &a2, &b, &revoked, &expired, &untrusted, &moved];
        s.corroboration = corroboration(
            rows.iter().map(|b| (key, b.as_str())),
            &s.model,
            &s.trust,
            s.now,
        );
        // Two sources at full trust, confidence 50 each, fresh: 100 · (1 − ½ · ½) = 75.
        assert_eq!(score(&s, &a), Some(75));
        // b is corroborated by peer once, at peer's best: 1 − ½ · (1 − 0.9) = 95.
        assert_eq!(score(&s, &b), Some(95));
        // A source does not corroborate itself; revoked, expired, trusted-0 and moved-on
        // indicators corroborate nothing (but are corroborated).
        assert_eq!(s.corroboration["indicator--a"].len(), 1);
        assert_eq!(s.corroboration["indicator--b"].len(), 1);
        assert_eq!(s.corroboration["indicator--r"].len(), 2);
        assert!(!s.corroboration.contains_key("indicator--m"));
        // A newer report by another source restarts the clock of an old one; a report from
        // the future counts as now, not later.
        let s30 = DecayScore {
            now: OffsetDateTime::parse("2026-01-31T00:00:00Z", &Rfc3339).expect("time"),
            ..s.clone()
        };
        let alone = DecayScore {
            corroboration: HashMap::new(),
            ..s30.clone()
        };
        assert!(score(&s30, &a2) > score(&alone, &a2));
        assert!(s.corroboration["indicator--a"]
            .iter()
            .all(|r| r.reported_at <= s.now));
    }
}
