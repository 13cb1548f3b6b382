use std::collections::BTreeSet;

use yamori_bus::message::{decode, subject_for, BadMessage, DEFAULT_MAX_MESSAGE_BYTES};
use yamori_bus::{MinuteMessage, ReportSummary};
use yamori_model::sensor::SensorCounts;

fn minute(sensor: &str, minute_s: i64, partial: bool) -> MinuteMessage {
    let counts = SensorCounts {
        captured: 12,
        ..SensorCounts::default()
    };
    MinuteMessage::new(
        sensor,
        minute_s,
        partial,
        counts,
        ReportSummary::default(),
        r#"{"schema":"yamori.telescope.report/1","totals":{"darknet_packets":12}}"#.into(),
    )
    .expect("a valid minute")
}

#[test]
fn a_minute_survives_the_trip_byte_for_byte() {
    let m = minute("tokyo-1", 1_767_225_600, false);
    let bytes = m.encode();
    let back = decode(&m.subject(), &bytes, DEFAULT_MAX_MESSAGE_BYTES, None).expect("decode");
    assert_eq!(back.sensor_id, "tokyo-1");
    assert_eq!(back.minute_s, 1_767_225_600);
    assert_eq!(back.counts.captured, 12);
    assert_eq!(
        back.report.get(),
        m.report.get(),
        "the report is carried as written"
    );
    assert_eq!(back.encode(), bytes);
    assert_eq!(m.subject(), "yamori.minutes.tokyo-1");
}

#[test]
fn whole_minutes_are_named_by_sensor_and_minute_partial_ones_also_by_their_bytes() {
    let whole = minute("s1", 600, false);
    assert_eq!(whole.msg_id(&whole.encode()), "s1/600");
    let a = minute("s1", 600, true);
    let mut b = minute("s1", 600, true);
    b.counts.captured = 13;
    let (ia, ib) = (a.msg_id(&a.encode()), b.msg_id(&b.encode()));
    assert!(ia.starts_with("s1/600/p"), "{ia}");
    assert_ne!(ia, ib, "two partial parts of one minute are two messages");
    assert_eq!(
        ia,
        a.msg_id(&a.encode()),
        "a replay of one part keeps its id"
    );
}

/// A subject, a payload, and what the refusal must be.
type Case = (String, Vec<u8>, fn(&BadMessage) -> bool);

#[test]
fn bad_messages_are_refused_naming_what_is_wrong() {
    let good = minute("s1", 600, false).encode();
    let subject = subject_for("s1");
    let text = String::from_utf8(good.clone()).expect("utf-8");
    let cases: Vec<Case> = vec![
        (subject.clone(), b"".to_vec(), |e| {
            matches!(e, BadMessage::Json(_))
        }),
        (subject.clone(), b"{\"schema\":".to_vec(), |e| {
            matches!(e, BadMessage::Json(_))
        }),
        (
            subject.clone(),
            text.replace("yamori.sensor.minute/1", "other/1")
                .into_bytes(),
            |e| matches!(e, BadMessage::Schema(_)),
        ),
        (
            subject.clone(),
            text.replace("\"minute_s\":600", "\"minute_s\":601")
                .into_bytes(),
            |e| matches!(e, BadMessage::Minute(601)),
        ),
        (
            subject.clone(),
            text.replace("\"minute_s\":600", "\"minute_s\":-60")
                .into_bytes(),
            |e| matches!(e, BadMessage::Minute(-60)),
        ),
        (subject_for("s2"), good.clone(), |e| {
            matches!(e, BadMessage::Subject { .. })
        }),
        (
            "yamori.minutes.a.b".into(),
            text.replace("\"s1\"", "\"a.b\"").into_bytes(),
            |e| matches!(e, BadMessage::SensorId(_)),
        ),
        (
            subject.clone(),
            text.replace("\"s1\"", "\"\"").into_bytes(),
            |e| matches!(e, BadMessage::SensorId(_)),
        ),
        (
            subject.clone(),
            text.replacen(
                "{\"schema\":\"yamori.telescope",
                "[{\"schema\":\"yamori.telescope",
                1,
            )
            .replace("12}}}", "12}}]}")
            .into_bytes(),
            |e| matches!(e, BadMessage::Report),
        ),
        (
            subject.clone(),
            text.replace("\"partial\":false", "\"partial\":false,\"extra\":1")
                .into_bytes(),
            |e| matches!(e, BadMessage::Json(_)),
        ),
    ];
    for (i, (subj, payload, want)) in cases.iter().enumerate() {
        let err = decode(subj, payload, DEFAULT_MAX_MESSAGE_BYTES, None)
            .expect_err(&format!("case {i} must be refused"));
        assert!(want(&err), "case {i}: unexpected error {err}");
        assert!(!err.to_string().is_empty());
    }
    let err = decode(&subject, &good, 10, None).expect_err("too large");
    assert_eq!(
        err,
        BadMessage::TooLarge {
            size: good.len(),
            limit: 10
        }
    );
    let accept: BTreeSet<String> = ["s2".to_string()].into();
    let err = decode(&subject, &good, DEFAULT_MAX_MESSAGE_BYTES, Some(&accept)).expect_err("x");
    assert_eq!(err, BadMessage::NotAccepted("s1".into()));
}

/// A minute with a report of `n` bytes of padding (a darknet minute with many scanners).
fn large(n: usize) -> MinuteMessage {
    let report = format!(
        r#"{{"schema":"yamori.telescope.report/1","warnings":["{}"]}}"#,
        "scanner ".repeat(n / 8)
    );
    MinuteMessage::new(
        "s1",
        600,
        false,
        SensorCounts::default(),
        ReportSummary::default(),
        report,
    )
    .expect("valid")
}

#[test]
fn large_minutes_travel_compressed_and_arrive_whole() {
    let m = large(3 << 20);
    let wire = m.encode_wire();
    assert_eq!(&wire[..2], &[0x1f, 0x8b], "gzip");
    assert!(
        wire.len() < DEFAULT_MAX_MESSAGE_BYTES,
        "{} bytes",
        wire.len()
    );
    let back = decode(&m.subject(), &wire, DEFAULT_MAX_MESSAGE_BYTES, None).expect("decode");
    assert_eq!(back.report.get(), m.report.get());
    let small = minute("s1", 600, false);
    assert_eq!(
        small.encode_wire(),
        small.encode(),
        "small minutes travel as plain JSON"
    );
}

#[test]
fn compressed_messages_that_inflate_too_far_or_not_at_all_are_refused() {
    let m = large(80 << 20);
    let wire = m.encode_wire();
    assert!(wire.len() < DEFAULT_MAX_MESSAGE_BYTES);
    let err = decode(&m.subject(), &wire, DEFAULT_MAX_MESSAGE_BYTES, None).expect_err("bomb");
    assert!(matches!(err, BadMessage::TooLarge { .. }), "{err}");
    let mut broken = large(1 << 20).encode_wire();
    broken.truncate(broken.len() / 2);
    let err = decode(&subject_for("s1"), &broken, DEFAULT_MAX_MESSAGE_BYTES, None)
        .expect_err("truncated");
    assert!(matches!(err, BadMessage::Gzip(_)), "{err}");
}
