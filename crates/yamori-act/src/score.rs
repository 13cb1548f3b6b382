//! The decayed, source-weighted score behind `--score decay`: the trust layer's model
//! (`yamori_trust::score_indicator`, MISP's polynomial decay) applied to one stored indicator.
//!
//! One indicator is one report: its `confidence` (or the model's default base score) weighed
//! by the trust the operator places in its `created_by_ref`, decaying from its `modified`
//! time (else `created`, else `valid_from`) or from the latest sighting of it, whichever is
//! later. The time is an input, so an export stays a function of its inputs.

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
}

fn time_of(f: &Field<'_>) -> Option<OffsetDateTime> {
    f.as_str()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

impl DecayScore {
    /// The full result for one indicator (base, decayed score, expiry), or `None` when it has
    /// no time to decay from.
    pub fn scored(&self, indicator: &Indicator<'_>) -> Option<yamori_trust::Scored> {
        let reported_at = time_of(&indicator.modified)
            .or_else(|| time_of(&indicator.created))
            .or_else(|| time_of(&indicator.valid_from))?;
        let confidence = match indicator.confidence {
            Field::Uint(c) => u8::try_from(c.min(100)).ok(),
            _ => None,
        };
        let report = Report {
            confidence,
            trust: self.trust.of(indicator.created_by.as_str()),
            reported_at,
        };
        let sighted: Vec<OffsetDateTime> = indicator
            .id
            .as_str()
            .and_then(|id| self.sightings.get(id))
            .copied()
            .into_iter()
            .collect();
        Some(score_indicator(&self.model, &[report], &sighted, self.now))
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
}
