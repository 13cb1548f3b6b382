//! `GET /api/v1/sensors`: each sensor's newest minute, its status by lag, and its counters
//! summed over the window asked for.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;
use yamori_model::telescope::{Report, SCHEMA};
use yamori_store::sensor::{MinuteCounts, NewSensorMinute};

use crate::common::{hub, send, Hub};

fn now_minute() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    now - now.rem_euclid(60)
}

fn put(h: &Hub, sensor: &str, minute_s: i64, captured: u64, kernel_drops: u64) {
    let report = Report {
        schema: SCHEMA.into(),
        ..Report::default()
    };
    h.store
        .put_sensor_minute(&NewSensorMinute {
            sensor_id: sensor.into(),
            minute_s,
            partial: false,
            report_json: serde_json::to_string(&report).expect("json"),
            first_packet: None,
            last_packet: None,
            darknet_packets: captured,
            counts: MinuteCounts {
                captured,
                kernel_packets: captured + kernel_drops,
                kernel_drops,
                ..MinuteCounts::default()
            },
        })
        .expect("sensor minute");
}

async fn get(h: &Hub, uri: &str) -> Value {
    let req = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", h.bob))
        .body(Body::empty())
        .expect("request");
    let r = send(&h.app, req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn sensors_show_their_newest_minute_lag_status_and_recent_drops() {
    let h = hub();
    let empty = get(&h, "/api/v1/sensors").await;
    assert_eq!(empty["sensors"], serde_json::json!([]));
    // The test and the handler must see the same minute: not in a minute's last seconds.
    while time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .rem_euclid(60)
        >= 50
    {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let now = now_minute();
    // tokyo-1 writes every minute up to the one that just ended; osaka-1 stopped 5 minutes
    // ago; nagoya-1 an hour and a half ago.
    for back in 1..=90 {
        put(&h, "tokyo-1", now - 60 * back, 10, u64::from(back <= 2));
    }
    put(&h, "osaka-1", now - 60 * 6, 7, 0);
    put(&h, "nagoya-1", now - 60 * 91, 3, 0);

    let got = get(&h, "/api/v1/sensors").await;
    assert_eq!(got["window_minutes"], 60);
    let rows = got["sensors"].as_array().expect("sensors");
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["sensor_id"].as_str())
        .collect();
    assert_eq!(ids, ["nagoya-1", "osaka-1", "tokyo-1"]);
    let by = |id: &str| rows.iter().find(|r| r["sensor_id"] == id).expect("row");
    let tokyo = by("tokyo-1");
    assert_eq!(tokyo["status"], "live", "{tokyo}");
    assert!(
        tokyo["lag_seconds"].as_u64().is_some_and(|l| l < 120),
        "{tokyo}"
    );
    assert_eq!(tokyo["minutes"], 90);
    // The window is the last 60 whole minutes (and the current one, not stored here).
    assert_eq!(tokyo["recent_minutes"], 60);
    assert_eq!(tokyo["recent"]["captured"], 600);
    assert_eq!(tokyo["recent"]["kernel_drops"], 2);
    assert_eq!(tokyo["last"]["kernel_drops"], 1);
    assert_eq!(by("osaka-1")["status"], "late");
    let nagoya = by("nagoya-1");
    assert_eq!(nagoya["status"], "silent");
    assert_eq!(nagoya["recent_minutes"], 0);
    assert_eq!(nagoya["recent"]["captured"], 0);
    assert_eq!(nagoya["last"]["captured"], 3);

    // A week's window takes every minute in.
    let week = get(&h, "/api/v1/sensors?window=10080").await;
    let tokyo = &week["sensors"][2];
    assert_eq!(
        (&tokyo["recent_minutes"], &tokyo["recent"]["captured"]),
        (&90.into(), &900.into())
    );
}
