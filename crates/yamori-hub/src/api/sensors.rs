//! `GET /api/v1/sensors`: each live sensor's health, for the dashboard's Sensors page.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use yamori_store::sensor::SensorHealth;

use super::params::{fmt_time, Params};
use super::types::{SensorRow, Sensors};
use super::{caller, ok, ApiResult};
use crate::app::HubState;

/// A running sensor's minute is stored seconds after it ends (2 s by the sensor's clock, plus
/// NATS and the hub's batch when it goes through them): up to this lag a sensor is `live`.
const LIVE_LAG_S: u64 = 120;
/// Past this lag a sensor is `silent` (stopped, cut off, or its clock is wrong); between the
/// two, `late`.
const SILENT_LAG_S: u64 = 600;

pub async fn sensors(
    State(state): State<HubState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        caller(&state, &headers).await?;
        let p = Params::parse(q.as_deref(), &["window"])?;
        let window = p.int("window", 60, 1, 10_080)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // The last `window` whole minutes, and the current one if a minute of it is stored
        // already (a sensor stopped in it).
        let since = now - now.rem_euclid(60) - 60 * i64::from(window);
        let health = state
            .blocking(move |s| -> ApiResult<_> { Ok(s.sensor_health(since)?) })
            .await?;
        ok(&Sensors {
            now: fmt_time(now),
            window_minutes: window,
            sensors: health.into_iter().map(|h| row(h, now)).collect(),
        })
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}

fn row(h: SensorHealth, now: i64) -> SensorRow {
    let lag = u64::try_from(now - (h.last.minute_s + 60)).unwrap_or(0);
    SensorRow {
        status: status(lag),
        lag_seconds: lag,
        minutes: h.minutes,
        first_minute: fmt_time(h.first_minute_s),
        last_minute: fmt_time(h.last.minute_s),
        last_partial: h.last.partial,
        last: h.last.counts,
        recent_minutes: h.recent_minutes,
        recent: h.recent,
        sensor_id: h.sensor_id,
    }
}

/// `live`, `late` or `silent` by the time since the newest minute ended.
pub fn status(lag_s: u64) -> &'static str {
    if lag_s <= LIVE_LAG_S {
        "live"
    } else if lag_s <= SILENT_LAG_S {
        "late"
    } else {
        "silent"
    }
}
