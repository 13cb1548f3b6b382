//! The decay model against MISP's formula and shipped models.
//!
//! Sources: the formula is MISP's `app/Model/DecayingModelsFormulas/Polynomial.php`
//! (`base * (1 - pow(t / (tau*86400), 1/delta))`, 0 below zero, decayed when
//! `threshold > score`); the parameters are those of the models MISP ships in
//! github.com/MISP/misp-decaying-models `models/nids-simple-model.json` (lifetime 120,
//! decay_speed 2, threshold 30, default_base_score 80), `models/phishing-model.json` (3, 2.3,
//! 30, 80) and `models/vishing-model.json` (10, 2.3, 30, 80). MISP publishes no table of
//! scores; the expected values below are those parameters put through that formula by hand
//! (e.g. NIDS after 30 days: 80 · (1 − (30/120)^(1/2)) = 80 · (1 − 0.5) = 40), so the test
//! fails if our curve, units (days) or parameter mapping differ from MISP's.

use time::macros::datetime;
use time::Duration;
use yamori_trust::decay::{
    base_score, score_indicator, DecayModel, DecayModelError, Report, Trust, DEFAULT_MODELS,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn nids() -> DecayModel {
    DecayModel::named("nids").expect("nids model")
}

#[test]
fn nids_model_reproduces_misp_values() {
    let m = nids();
    assert_eq!(
        (
            m.lifetime_days,
            m.decay_speed,
            m.threshold,
            m.default_base_score
        ),
        (120.0, 2.0, 30.0, 80.0)
    );
    // 80·(1 − √(t/120)): 30 d → 40; 60 d → 80·(1 − √½) = 23.4314575…; 1 d → 72.6970325…
    assert!(close(m.score_after(80.0, Duration::days(30)), 40.0));
    assert!(close(
        m.score_after(80.0, Duration::days(60)),
        80.0 * (1.0 - 0.5f64.sqrt())
    ));
    assert!((m.score_after(80.0, Duration::days(1)) - 72.697_032_566).abs() < 1e-6);
    // Expires when 80·(1 − √(t/120)) < 30, i.e. after 120·(5/8)² = 46.875 days.
    let live = m.live_for(80.0).expect("live");
    assert_eq!(live, Duration::seconds_f64(46.875 * 86_400.0));
    assert!(!m.is_expired(m.score_after(80.0, Duration::hours(46 * 24 + 20))));
    assert!(m.is_expired(m.score_after(80.0, Duration::hours(46 * 24 + 22))));
}

#[test]
fn phishing_and_vishing_models_reproduce_misp_values() {
    let p = DecayModel::named("phishing").expect("phishing");
    // 80·(1 − (1/3)^(1/2.3)) = 30.3812335…: one day in, a phishing site barely holds.
    assert!((p.score_after(80.0, Duration::days(1)) - 30.381_233_557).abs() < 1e-6);
    assert!((p.score_after(80.0, Duration::hours(12)) - 43.291_777_419).abs() < 1e-6);
    // Threshold 30 reached after 3·(1 − 30/80)^2.3 = 1.01776 days.
    let live = p.live_for(80.0).expect("live").as_seconds_f64() / 86_400.0;
    assert!((live - 1.017_759_804).abs() < 1e-6);
    let v = DecayModel::named("vishing").expect("vishing");
    assert!((v.score_after(80.0, Duration::days(5)) - 20.815_582_147).abs() < 1e-6);
}

#[test]
fn edges_t_zero_lifetime_and_future() {
    let m = nids();
    assert_eq!(m.score_after(80.0, Duration::ZERO), 80.0);
    assert_eq!(m.score_after(80.0, Duration::days(120)), 0.0);
    assert_eq!(m.score_after(80.0, Duration::days(10_000)), 0.0);
    // A refresh in the future (clock skew) counts as now, not as expired.
    assert_eq!(m.score_after(80.0, Duration::days(-2)), 80.0);
    // Bases out of range are clamped; NaN ranks lowest.
    assert_eq!(m.score_after(250.0, Duration::ZERO), 100.0);
    assert_eq!(m.score_after(-5.0, Duration::ZERO), 0.0);
    assert_eq!(m.score_after(f64::NAN, Duration::ZERO), 0.0);
    // Exactly at the threshold is still live (MISP: `threshold > score`).
    assert!(!m.is_expired(30.0));
    assert!(m.is_expired(29.999));
    // A base under the threshold is never live.
    assert_eq!(m.live_for(20.0), None);
}

#[test]
fn extreme_decay_speeds_stay_in_range() {
    // δ → 0: the score holds at the base until τ, then drops to 0 (x^(1/δ) → 0 for x < 1).
    let step = DecayModel::new(10.0, 1e-300, 30.0, 80.0).expect("model");
    assert_eq!(step.score_after(80.0, Duration::days(9)), 80.0);
    assert_eq!(step.score_after(80.0, Duration::days(10)), 0.0);
    // δ huge: everything but t = 0 is worth ~0.
    let cliff = DecayModel::new(10.0, 1e300, 30.0, 80.0).expect("model");
    assert_eq!(cliff.score_after(80.0, Duration::ZERO), 80.0);
    assert!(cliff.score_after(80.0, Duration::seconds(1)) < 1e-6);
    // δ = 1: linear.
    let linear = DecayModel::new(10.0, 1.0, 30.0, 80.0).expect("model");
    assert!(close(linear.score_after(80.0, Duration::days(5)), 40.0));
    for model in [step, cliff, linear, nids()] {
        for days in [0, 1, 3, 9, 10, 11, 500] {
            let s = model.score_after(100.0, Duration::days(days));
            assert!((0.0..=100.0).contains(&s), "{model:?} {days} d: {s}");
        }
    }
}

#[test]
fn invalid_models_are_refused_with_the_parameter_named() {
    assert_eq!(
        DecayModel::new(0.0, 2.0, 30.0, 80.0),
        Err(DecayModelError::Lifetime(0.0))
    );
    assert!(matches!(
        DecayModel::new(f64::INFINITY, 2.0, 30.0, 80.0),
        Err(DecayModelError::Lifetime(_))
    ));
    assert!(matches!(
        DecayModel::new(10.0, f64::NAN, 30.0, 80.0),
        Err(DecayModelError::DecaySpeed(_))
    ));
    assert_eq!(
        DecayModel::new(10.0, -1.0, 30.0, 80.0),
        Err(DecayModelError::DecaySpeed(-1.0))
    );
    assert_eq!(
        DecayModel::new(10.0, 2.0, 101.0, 80.0),
        Err(DecayModelError::Threshold(101.0))
    );
    assert_eq!(
        DecayModel::new(10.0, 2.0, 30.0, -1.0),
        Err(DecayModelError::BaseScore(-1.0))
    );
    for (name, model) in DEFAULT_MODELS {
        let checked = DecayModel::new(
            model.lifetime_days,
            model.decay_speed,
            model.threshold,
            model.default_base_score,
        );
        assert_eq!(checked.as_ref(), Ok(&model), "{name}");
    }
}

#[test]
fn config_accepts_misp_and_decaying_model_names() {
    let misp: DecayModel =
        serde_json::from_str(r#"{"tau": 120, "delta": 2, "threshold": 30}"#).expect("misp names");
    let models: DecayModel = serde_json::from_str(
        r#"{"lifetime": 120, "decay_speed": 2, "threshold": 30, "default_base_score": 80}"#,
    )
    .expect("decaying-model names");
    assert_eq!(misp, models);
    assert_eq!(misp, nids());
    assert_eq!(DecayModel::default(), nids());
    let both = serde_json::from_str::<DecayModel>(
        r#"{"tau": 120, "lifetime": 100, "delta": 2, "threshold": 30}"#,
    )
    .expect_err("tau and lifetime together");
    assert!(both.to_string().contains("duplicate field"), "{both}");
    let bad = serde_json::from_str::<DecayModel>(r#"{"tau": -1, "delta": 2, "threshold": 30}"#)
        .expect_err("negative lifetime");
    assert!(bad.to_string().contains("lifetime (tau)"), "{bad}");
    let unknown =
        serde_json::from_str::<DecayModel>(r#"{"tau": 1, "delta": 2, "threshold": 30, "tua": 3}"#)
            .expect_err("typo");
    assert!(unknown.to_string().contains("tua"), "{unknown}");
}

fn report(confidence: Option<u8>, trust: u8, at: time::OffsetDateTime) -> Report {
    Report {
        confidence,
        trust: Trust::new(trust).expect("trust"),
        reported_at: at,
    }
}

#[test]
fn base_score_from_confidence_and_trust() {
    let m = nids();
    let at = datetime!(2026-01-01 00:00 UTC);
    assert_eq!(base_score(&m, &[]), 0.0);
    // No confidence: the model's default base (80) times full trust.
    assert!(close(base_score(&m, &[report(None, 100, at)]), 80.0));
    // confidence 85 ("High" on the STIX scale) from a peer trusted at 60: 51.
    assert!(close(base_score(&m, &[report(Some(85), 60, at)]), 51.0));
    // Two independent sources at 50 corroborate to 75; a source at trust 0 adds nothing.
    let two = [report(Some(50), 100, at), report(Some(100), 50, at)];
    assert!(close(base_score(&m, &two), 75.0));
    let with_zero = [report(Some(50), 100, at), report(Some(100), 0, at)];
    assert!(close(base_score(&m, &with_zero), 50.0));
    assert!(Trust::new(101).is_err());
}

#[test]
fn a_sighting_resets_the_clock_as_in_misp() {
    let m = nids();
    let reported = datetime!(2026-01-01 00:00 UTC);
    let reports = [report(None, 100, reported)];
    let now = reported + Duration::days(60);
    let unsighted = score_indicator(&m, &reports, &[], now);
    assert!(close(unsighted.score, 80.0 * (1.0 - 0.5f64.sqrt())));
    assert!(unsighted.expired);
    assert_eq!(
        unsighted.expires_at,
        Some(reported + Duration::seconds_f64(46.875 * 86_400.0))
    );
    // Sighted 30 days before `now`: the decay restarts from the full base at the sighting.
    let sighted_at = now - Duration::days(30);
    let sighted = score_indicator(&m, &reports, &[sighted_at], now);
    assert_eq!(sighted.refreshed_at, Some(sighted_at));
    assert!(close(sighted.score, 40.0));
    assert!(!sighted.expired);
    // An older sighting than the report changes nothing.
    let old = score_indicator(&m, &reports, &[reported - Duration::days(5)], now);
    assert_eq!(old, unsighted);
    // Sightings without any report give no score.
    let orphan = score_indicator(&m, &[], &[now], now);
    assert_eq!((orphan.score, orphan.expired), (0.0, true));
}
