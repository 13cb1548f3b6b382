//! Indicator scores that fade with time: MISP's polynomial decaying model.
//!
//! `score(t) = base · (1 − (t/τ)^(1/δ))`, clamped to `[0, 100]`, where `t` is the time since the
//! indicator was last refreshed (reported again or sighted), `τ` the lifetime (the score is 0 from
//! `t = τ` on) and `δ` the decay speed (δ > 1: a fast drop early, then a long tail; δ < 1: the
//! score holds, then falls steeply near τ). An indicator is *expired* when its score is below the
//! model's threshold — MISP's `isDecayed` (`threshold > score`), so a score exactly at the
//! threshold is still live.
//!
//! This is MISP's `app/Model/DecayingModelsFormulas/Polynomial.php` (the formula of Mokaddem et
//! al., "Taxonomy driven indicator scoring in MISP threat intelligence platforms", arXiv
//! 1902.03914) with one deliberate difference: a refresh time in the future (a peer's clock
//! ahead of ours) counts as `t = 0` (full score, as OpenCTI's port of the formula does) where
//! MISP returns 0, which would expire a fresh indicator because of clock skew.
//!
//! The base score (what the curve starts from) is Yamori's own, since STIX carries neither
//! MISP's taxonomy weights nor trust in producers: see [`base_score`].

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Seconds in a day: MISP's `tau` and the decaying models' `lifetime` are in days.
const DAY_SECONDS: f64 = 86_400.0;

/// The longest lifetime a model may have: a century. Beyond it the decay is meaningless, and
/// the limit keeps every time the model computes within what a timestamp can hold.
pub const MAX_LIFETIME_DAYS: f64 = 36_500.0;

/// A polynomial decay model. Deserialises from MISP's names (`tau`, `delta`) or the names of
/// the decaying-models repository (`lifetime`, `decay_speed`); giving both spellings of one
/// parameter is an error (serde's "duplicate field").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawModel")]
pub struct DecayModel {
    /// τ: days after the last refresh at which the score reaches 0.
    pub lifetime_days: f64,
    /// δ: the decay speed (exponent `1/δ`).
    pub decay_speed: f64,
    /// Below this score (0–100) an indicator counts as expired.
    pub threshold: f64,
    /// The base score of an indicator whose reports carry no confidence (MISP's
    /// `default_base_score`).
    pub default_base_score: f64,
}

/// The configuration form, checked by `TryFrom` so a model that deserialises is valid.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(alias = "tau")]
    lifetime: f64,
    #[serde(alias = "delta")]
    decay_speed: f64,
    threshold: f64,
    #[serde(default = "default_base")]
    default_base_score: f64,
}

fn default_base() -> f64 {
    80.0
}

impl TryFrom<RawModel> for DecayModel {
    type Error = DecayModelError;
    fn try_from(raw: RawModel) -> Result<Self, Self::Error> {
        DecayModel::new(
            raw.lifetime,
            raw.decay_speed,
            raw.threshold,
            raw.default_base_score,
        )
    }
}

/// A decay model parameter out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecayModelError {
    #[error(
        "lifetime (tau) must be a number of days > 0 and at most {MAX_LIFETIME_DAYS}, got {0}"
    )]
    Lifetime(f64),
    #[error("decay_speed (delta) must be a finite number > 0, got {0}")]
    DecaySpeed(f64),
    #[error("threshold must be within 0..=100, got {0}")]
    Threshold(f64),
    #[error("default_base_score must be within 0..=100, got {0}")]
    BaseScore(f64),
}

/// The models MISP ships (github.com/MISP/misp-decaying-models, `models/*.json`) and OpenCTI's
/// built-in rules (δ = 3 × a "pound" of 1), by name.
pub const DEFAULT_MODELS: [(&str, DecayModel); 6] = [
    // models/nids-simple-model.json: lifetime 120, decay_speed 2, threshold 30, base 80.
    ("nids", DecayModel::unchecked(120.0, 2.0, 30.0, 80.0)),
    // models/phishing-model.json: lifetime 3, decay_speed 2.3, threshold 30, base 80.
    ("phishing", DecayModel::unchecked(3.0, 2.3, 30.0, 80.0)),
    // models/vishing-model.json: lifetime 10, decay_speed 2.3, threshold 30, base 80.
    ("vishing", DecayModel::unchecked(10.0, 2.3, 30.0, 80.0)),
    // OpenCTI IP_DECAY_RULE / URL_DECAY_RULE / FALLBACK_DECAY_RULE: lifetimes 60, 180, 365
    // days; they revoke at 0, we keep MISP's threshold of 30 so exports drop them earlier.
    ("ip", DecayModel::unchecked(60.0, 3.0, 30.0, 80.0)),
    ("url", DecayModel::unchecked(180.0, 3.0, 30.0, 80.0)),
    ("fallback", DecayModel::unchecked(365.0, 3.0, 30.0, 80.0)),
];

impl Default for DecayModel {
    /// MISP's NIDS model (τ 120 days, δ 2, threshold 30, base 80): addresses, domains, URLs.
    fn default() -> Self {
        DEFAULT_MODELS[0].1.clone()
    }
}

impl DecayModel {
    /// A model with every parameter checked.
    pub fn new(
        lifetime_days: f64,
        decay_speed: f64,
        threshold: f64,
        default_base_score: f64,
    ) -> Result<DecayModel, DecayModelError> {
        if !(lifetime_days > 0.0 && lifetime_days <= MAX_LIFETIME_DAYS) {
            return Err(DecayModelError::Lifetime(lifetime_days));
        }
        if !(decay_speed.is_finite() && decay_speed > 0.0) {
            return Err(DecayModelError::DecaySpeed(decay_speed));
        }
        if !(0.0..=100.0).contains(&threshold) {
            return Err(DecayModelError::Threshold(threshold));
        }
        if !(0.0..=100.0).contains(&default_base_score) {
            return Err(DecayModelError::BaseScore(default_base_score));
        }
        Ok(DecayModel::unchecked(
            lifetime_days,
            decay_speed,
            threshold,
            default_base_score,
        ))
    }

    /// For the constants above, whose values are in range by inspection (and by a test).
    const fn unchecked(
        lifetime_days: f64,
        decay_speed: f64,
        threshold: f64,
        default_base_score: f64,
    ) -> DecayModel {
        DecayModel {
            lifetime_days,
            decay_speed,
            threshold,
            default_base_score,
        }
    }

    /// A model of [`DEFAULT_MODELS`] by name.
    pub fn named(name: &str) -> Option<DecayModel> {
        DEFAULT_MODELS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.clone())
    }

    /// The score `elapsed` after the last refresh of an indicator whose base score is `base`.
    /// Negative `elapsed` counts as 0 (see the module notes).
    pub fn score_after(&self, base: f64, elapsed: Duration) -> f64 {
        let base = clamp_score(base);
        let t = elapsed.as_seconds_f64().max(0.0);
        let tau = self.lifetime_days * DAY_SECONDS;
        if t >= tau {
            return 0.0;
        }
        // (t/τ) ∈ [0, 1): the power stays in [0, 1] for every δ > 0, also when 1/δ overflows
        // to infinity (x^∞ = 0 for x < 1).
        let fraction = (t / tau).powf(1.0 / self.decay_speed);
        clamp_score(base * (1.0 - fraction))
    }

    /// Whether a score counts as expired under this model (`score < threshold`).
    pub fn is_expired(&self, score: f64) -> bool {
        score < self.threshold
    }

    /// How long after a refresh the score of an indicator with base score `base` stays at or
    /// above the threshold: `τ · (1 − threshold/base)^δ`. `None` when it never is (base below
    /// the threshold), `Some(τ)` for a zero threshold.
    pub fn live_for(&self, base: f64) -> Option<Duration> {
        let base = clamp_score(base);
        if base < self.threshold || base == 0.0 {
            return None;
        }
        let days = self.lifetime_days * (1.0 - self.threshold / base).powf(self.decay_speed);
        Some(Duration::seconds_f64(days * DAY_SECONDS))
    }
}

/// Clamps into `[0, 100]`; NaN becomes 0 so a broken input never ranks above a real one.
fn clamp_score(score: f64) -> f64 {
    if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 100.0)
    }
}

/// Trust in a source (one of our sensors, a sync peer, an identity), 0–100, configured by the
/// operator: how far Yamori believes what that source says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Trust(u8);

impl Trust {
    /// Full trust (our own sensors by default).
    pub const FULL: Trust = Trust(100);

    pub fn new(value: u8) -> Result<Trust, TrustError> {
        if value > 100 {
            return Err(TrustError(value));
        }
        Ok(Trust(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The operator's trust per source (a STIX identity id, as in `created_by_ref`), with the
/// trust of every source not listed and of objects that name no source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTrust {
    /// Sources not listed, and objects without `created_by_ref`.
    pub default: Trust,
    pub by_source: std::collections::HashMap<String, Trust>,
}

impl SourceTrust {
    /// Trust [`SourceTrust::DEFAULT`] everyone until the operator says otherwise.
    pub const DEFAULT: Trust = Trust(50);

    /// From stored values (0–100): the default, when set, and each listed source.
    pub fn from_values(
        default: Option<u8>,
        sources: impl IntoIterator<Item = (String, u8)>,
    ) -> Result<SourceTrust, TrustError> {
        let mut t = SourceTrust::default();
        if let Some(d) = default {
            t.default = Trust::new(d)?;
        }
        for (source, value) in sources {
            t.by_source.insert(source, Trust::new(value)?);
        }
        Ok(t)
    }

    pub fn of(&self, source: Option<&str>) -> Trust {
        source
            .and_then(|s| self.by_source.get(s))
            .copied()
            .unwrap_or(self.default)
    }
}

impl Default for SourceTrust {
    fn default() -> Self {
        SourceTrust {
            default: SourceTrust::DEFAULT,
            by_source: Default::default(),
        }
    }
}

/// A trust value above 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("trust must be within 0..=100, got {0}")]
pub struct TrustError(pub u8);

impl TryFrom<u8> for Trust {
    type Error = TrustError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Trust::new(value)
    }
}

impl From<Trust> for u8 {
    fn from(t: Trust) -> u8 {
        t.0
    }
}

/// One source's report of an indicator: its STIX `confidence` (0–100, absent when the object
/// has none), the trust we place in the source, and when it was last reported (its `modified`,
/// or `valid_from`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub confidence: Option<u8>,
    pub trust: Trust,
    pub reported_at: OffsetDateTime,
}

/// The base score of an indicator from its reports.
///
/// Each report gives `b = confidence × trust / 100` (confidence absent: the model's
/// `default_base_score`; confidence above 100 counts as 100). Independent reports corroborate
/// each other: the base is `100 · (1 − Π (1 − bᵢ/100))` (a "noisy OR": two sources at 50 give
/// 75, one source at 100 gives 100, a source at 0 adds nothing). No reports: 0.
pub fn base_score(model: &DecayModel, reports: &[Report]) -> f64 {
    if reports.is_empty() {
        return 0.0;
    }
    let disbelief: f64 = reports
        .iter()
        .map(|r| {
            let confidence = r
                .confidence
                .map_or(model.default_base_score, |c| f64::from(c.min(100)));
            1.0 - confidence * f64::from(r.trust.get()) / 10_000.0
        })
        .product();
    clamp_score(100.0 * (1.0 - disbelief))
}

/// An indicator's score at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// What the curve starts from ([`base_score`]).
    pub base: f64,
    /// The decayed score now.
    pub score: f64,
    /// `score < threshold`.
    pub expired: bool,
    /// The latest report or sighting: the clock of the decay starts here.
    pub refreshed_at: Option<OffsetDateTime>,
    /// When the score falls below the threshold (`None`: never live, or no reports).
    pub expires_at: Option<OffsetDateTime>,
}

/// Scores an indicator at `now` from its reports and the times it was sighted.
///
/// As in MISP, a sighting resets the clock: the decay runs from the latest report or sighting,
/// whichever is later, and starts again from the full base score. Sightings do not raise the
/// base itself; a sighting from a source that also reports the indicator should be passed as a
/// [`Report`] of that source as well.
pub fn score_indicator(
    model: &DecayModel,
    reports: &[Report],
    sightings: &[OffsetDateTime],
    now: OffsetDateTime,
) -> Scored {
    let base = base_score(model, reports);
    let refreshed_at = reports
        .iter()
        .map(|r| r.reported_at)
        .chain(sightings.iter().copied())
        .max();
    let Some(refreshed) = refreshed_at.filter(|_| !reports.is_empty()) else {
        return Scored {
            base,
            score: 0.0,
            expired: true,
            refreshed_at,
            expires_at: None,
        };
    };
    let score = model.score_after(base, now - refreshed);
    Scored {
        base,
        score,
        expired: model.is_expired(score),
        refreshed_at,
        expires_at: model
            .live_for(base)
            .and_then(|live| refreshed.checked_add(live)),
    }
}
