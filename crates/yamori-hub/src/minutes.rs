//! Sensors' minutes consumed from NATS JetStream (yamori-bus) stored as `yamori sensor` stores
//! its own: one analysis and one `sensor_minutes` row per sensor and minute, so the dashboard
//! shows a remote sensor's minutes as it shows a local one's.

use std::sync::Arc;

use yamori_bus::consume::{MinuteSink, SinkError};
use yamori_bus::MinuteMessage;
use yamori_store::sensor::NewSensorMinute;
use yamori_store::{Store, StoreError};

/// The store as the consumer's sink. Writing a sensor's minute again replaces it, which is
/// what makes a redelivered minute count once.
pub struct StoreSink(pub Arc<Store>);

impl MinuteSink for StoreSink {
    fn store(&self, minutes: &[MinuteMessage]) -> Result<(), SinkError> {
        for (index, m) in minutes.iter().enumerate() {
            let new = NewSensorMinute {
                sensor_id: m.sensor_id.clone(),
                minute_s: m.minute_s,
                partial: m.partial,
                report_json: m.report.get().to_string(),
                first_packet: m.first_packet.clone(),
                last_packet: m.last_packet.clone(),
                darknet_packets: m.darknet_packets,
                counts: m.counts,
            };
            self.0.put_sensor_minute(&new).map_err(|e| {
                let reason = format!("minute {} of sensor {}: {e}", m.minute_s, m.sensor_id);
                match e {
                    // The minute itself is at fault: storing it again would fail again.
                    StoreError::Corrupt(_) | StoreError::Other(_) | StoreError::Conflict(_) => {
                        SinkError::Refused { index, reason }
                    }
                    _ => SinkError::Unavailable(reason),
                }
            })?;
        }
        Ok(())
    }
}
