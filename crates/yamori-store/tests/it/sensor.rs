//! Sensor minutes: a minute is an analysis (indexed for the dashboard) plus its counters,
//! replaced when written again, listed per sensor in time order, alike on both engines.

use yamori_store::sensor::{MinuteCounts, NewSensorMinute, SensorMinute};

use crate::backends::same_on_each;

/// 2026-11-20 00:00:00 UTC, a minute start.
const T: i64 = 1_795_132_800;

fn minute(sensor: &str, minute_s: i64, captured: u64, drops: u64) -> NewSensorMinute {
    let report = crate::dashboard::report(20, captured);
    NewSensorMinute {
        sensor_id: sensor.into(),
        minute_s,
        partial: false,
        report_json: serde_json::to_string(&report).expect("serialise"),
        first_packet: report.first_packet.clone(),
        last_packet: report.last_packet.clone(),
        darknet_packets: captured,
        counts: MinuteCounts {
            captured,
            captured_bytes: captured * 60,
            undecodable: 1,
            late: 2,
            kernel_packets: captured + drops,
            kernel_drops: drops,
            kernel_freezes: u64::from(drops > 0),
            interface_drops: 3,
        },
    }
}

#[test]
fn minutes_are_stored_replaced_and_listed_alike_on_both_engines() {
    let got = same_on_each(|s| {
        let a = s
            .put_sensor_minute(&minute("tokyo-1", T, 100, 0))
            .expect("put");
        let b = s
            .put_sensor_minute(&minute("tokyo-1", T + 60, 200, 5))
            .expect("put");
        s.put_sensor_minute(&minute("osaka-1", T, 7, 0))
            .expect("put");
        assert_ne!(a, b, "each minute has an analysis of its own");
        // The same sensor and minute again: replaced, not added.
        let mut again = minute("tokyo-1", T, 150, 1);
        again.partial = true;
        let a2 = s.put_sensor_minute(&again).expect("replace");
        assert_eq!(a, a2, "the analysis id is the sensor's and the minute's");
        assert_eq!(s.list_analyses().expect("list").len(), 3);
        let stored = s.get_analysis(&a).expect("get").expect("stored");
        assert_eq!(stored.meta.darknet_packets, 150);
        assert_eq!(
            stored.meta.files[0].name,
            "sensor tokyo-1 2026-11-20T00:00:00Z"
        );
        // The dashboard indexes the minute's report like any analysis.
        assert!(s.dash_bounds().expect("bounds").is_some());
        s.sensor_minutes("tokyo-1").expect("list")
    });
    assert_eq!(
        got,
        vec![
            SensorMinute {
                sensor_id: "tokyo-1".into(),
                minute_s: T,
                minute: "2026-11-20T00:00:00Z".into(),
                partial: true,
                analysis_id: got[0].analysis_id.clone(),
                counts: minute("tokyo-1", T, 150, 1).counts,
            },
            SensorMinute {
                sensor_id: "tokyo-1".into(),
                minute_s: T + 60,
                minute: "2026-11-20T00:01:00Z".into(),
                partial: false,
                analysis_id: got[1].analysis_id.clone(),
                counts: MinuteCounts {
                    captured: 200,
                    captured_bytes: 12_000,
                    undecodable: 1,
                    late: 2,
                    kernel_packets: 205,
                    kernel_drops: 5,
                    kernel_freezes: 1,
                    interface_drops: 3,
                },
            },
        ]
    );
}

#[test]
fn bad_sensor_ids_and_minutes_are_refused() {
    same_on_each(|s| {
        for id in ["", "a b", "x/../y", &"n".repeat(65)] {
            let err = s
                .put_sensor_minute(&minute(id, T, 1, 0))
                .expect_err("refused");
            assert!(err.to_string().contains("sensor id"), "{err}");
        }
        let err = s
            .put_sensor_minute(&minute("s1", T + 30, 1, 0))
            .expect_err("refused");
        assert!(err.to_string().contains("does not start a minute"), "{err}");
        assert!(s.list_analyses().expect("list").is_empty());
        s.sensor_minutes("s1").expect("list").len()
    });
}

#[test]
fn health_has_each_sensors_newest_minute_and_recent_sums_alike_on_both_engines() {
    let got = same_on_each(|s| {
        assert!(s.sensor_health(T).expect("health").is_empty());
        for (i, captured) in [100, 200, 300].into_iter().enumerate() {
            let t = T + 60 * i as i64;
            s.put_sensor_minute(&minute("tokyo-1", t, captured, i as u64))
                .expect("put");
        }
        let mut late = minute("osaka-1", T + 600, 7, 0);
        late.partial = true;
        s.put_sensor_minute(&late).expect("put");
        // Since the second minute: tokyo-1's last two minutes, osaka-1's one.
        s.sensor_health(T + 60).expect("health")
    });
    let ids: Vec<&str> = got.iter().map(|h| h.sensor_id.as_str()).collect();
    assert_eq!(ids, ["osaka-1", "tokyo-1"]);
    let (osaka, tokyo) = (&got[0], &got[1]);
    assert_eq!((osaka.minutes, osaka.recent_minutes), (1, 1));
    assert!(osaka.last.partial);
    assert_eq!(osaka.last.minute_s, T + 600);
    assert_eq!(osaka.first_minute_s, T + 600);
    assert_eq!((tokyo.minutes, tokyo.recent_minutes), (3, 2));
    assert_eq!(tokyo.first_minute_s, T);
    assert_eq!(tokyo.last.minute_s, T + 120);
    assert_eq!(tokyo.last.counts.captured, 300);
    assert_eq!(
        tokyo.recent,
        MinuteCounts {
            captured: 500,
            captured_bytes: 30_000,
            undecodable: 2,
            late: 4,
            kernel_packets: 503,
            kernel_drops: 3,
            kernel_freezes: 2,
            interface_drops: 6,
        }
    );
}
