//! The message a sensor publishes for each minute: its analysis report (as the JSON text the
//! sensor wrote) and its capture counters, never packets. Pure encoding and checking, so the
//! hub's defence against bad messages is tested (and fuzzed) without a server.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use yamori_model::sensor::SensorCounts;

/// The `schema` every minute message carries; a hub refuses any other.
pub const SCHEMA: &str = "yamori.sensor.minute/1";
/// Subjects are `yamori.minutes.<sensor id>`: a NATS account can then allow each sensor to
/// publish on its own subject only, and the hub checks that a message's sensor is its subject's.
pub const SUBJECT_PREFIX: &str = "yamori.minutes";
/// Largest message a hub accepts by default: NATS's own default `max_payload` (1 MiB). Large
/// minutes are sent gzip-compressed (see [`COMPRESS_ABOVE`]), about a tenth of their JSON.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Messages whose JSON is larger than this are sent gzip-compressed: a darknet minute with
/// thousands of scanners is megabytes of JSON, over NATS's default payload limit.
pub const COMPRESS_ABOVE: usize = 16 << 10;
/// Largest JSON a compressed message may expand to: a bound against a small message that
/// inflates to gigabytes.
pub const MAX_DECOMPRESSED_BYTES: usize = 64 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
pub use yamori_model::sensor::MAX_SENSOR_ID_LEN;

/// One minute of one sensor, as published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinuteMessage {
    pub schema: String,
    pub sensor_id: String,
    /// Unix seconds of the minute's start (a multiple of 60).
    pub minute_s: i64,
    /// The minute ended early (the sensor started or stopped inside it).
    pub partial: bool,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub darknet_packets: u64,
    pub counts: SensorCounts,
    /// The telescope report of the minute (schema `yamori.telescope.report/1`).
    pub report: Box<RawValue>,
}

/// Why a message was refused. Each names the field at fault, for the hub's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadMessage {
    #[error("{size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("gzip-compressed message does not inflate: {0}")]
    Gzip(String),
    #[error("not a minute message: {0}")]
    Json(String),
    #[error("schema {0:?}, expected {SCHEMA:?}")]
    Schema(String),
    #[error("sensor_id {0:?}: use 1 to {MAX_SENSOR_ID_LEN} letters, digits, '-' or '_'")]
    SensorId(String),
    #[error("sensor_id {sensor_id:?} published on subject {subject:?}, which is not its own")]
    Subject { sensor_id: String, subject: String },
    #[error("sensor {0:?} is not one this hub accepts (--accept-sensor)")]
    NotAccepted(String),
    #[error("minute_s {0} is not the start of a minute")]
    Minute(i64),
    #[error("report is not a JSON object")]
    Report,
}

/// True for the sensor ids the store and the subjects accept: the store's, without `.` (a
/// subject's token separator).
pub fn valid_sensor_id(id: &str) -> bool {
    yamori_model::sensor::valid_sensor_id(id) && !id.contains('.')
}

/// The subject a sensor publishes on.
pub fn subject_for(sensor_id: &str) -> String {
    format!("{SUBJECT_PREFIX}.{sensor_id}")
}

impl MinuteMessage {
    /// A message for one minute; `report_json` is the report as the sensor serialised it.
    pub fn new(
        sensor_id: &str,
        minute_s: i64,
        partial: bool,
        counts: SensorCounts,
        summary: ReportSummary,
        report_json: String,
    ) -> Result<MinuteMessage, BadMessage> {
        let report =
            RawValue::from_string(report_json).map_err(|e| BadMessage::Json(e.to_string()))?;
        let m = MinuteMessage {
            schema: SCHEMA.to_string(),
            sensor_id: sensor_id.to_string(),
            minute_s,
            partial,
            first_packet: summary.first_packet,
            last_packet: summary.last_packet,
            darknet_packets: summary.darknet_packets,
            counts,
            report,
        };
        m.check()?;
        Ok(m)
    }

    /// The message as JSON (what the message id of a partial minute digests).
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings, numbers and already-valid JSON cannot fail to serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The bytes published: the JSON, gzip-compressed when over [`COMPRESS_ABOVE`].
    pub fn encode_wire(&self) -> Vec<u8> {
        wire(self.encode())
    }

    /// The subject this message is published on.
    pub fn subject(&self) -> String {
        subject_for(&self.sensor_id)
    }

    /// `Nats-Msg-Id`: sensor and minute, so that JetStream drops a replay of a whole minute
    /// inside its duplicate window. A partial minute adds a digest of its bytes: a sensor that
    /// stops and starts again inside one minute sends two different partial minutes, and the
    /// second must not be dropped as a replay of the first.
    pub fn msg_id(&self, encoded: &[u8]) -> String {
        if self.partial {
            let d = Sha256::digest(encoded);
            format!(
                "{}/{}/p{}",
                self.sensor_id,
                self.minute_s,
                hex::encode(&d[..8])
            )
        } else {
            format!("{}/{}", self.sensor_id, self.minute_s)
        }
    }

    fn check(&self) -> Result<(), BadMessage> {
        if self.schema != SCHEMA {
            return Err(BadMessage::Schema(self.schema.clone()));
        }
        if !valid_sensor_id(&self.sensor_id) {
            return Err(BadMessage::SensorId(self.sensor_id.clone()));
        }
        if self.minute_s < 0 || self.minute_s % 60 != 0 {
            return Err(BadMessage::Minute(self.minute_s));
        }
        if !self.report.get().trim_start().starts_with('{') {
            return Err(BadMessage::Report);
        }
        Ok(())
    }
}

/// The bytes published for a message's JSON ([`MinuteMessage::encode`]): the JSON itself, or
/// gzip of it when over [`COMPRESS_ABOVE`]. Takes the JSON so that a caller that also needs
/// it (for the message id) serialises once.
pub fn wire(json: Vec<u8>) -> Vec<u8> {
    if json.len() <= COMPRESS_ABOVE {
        return json;
    }
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 8),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    match gz.write_all(&json).and_then(|()| gz.finish()) {
        Ok(bytes) => bytes,
        Err(_) => json,
    }
}

/// What the store indexes a minute by, taken from its report by the sensor.
#[derive(Debug, Clone, Default)]
pub struct ReportSummary {
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub darknet_packets: u64,
}

/// Check a received message (plain or gzip-compressed JSON): its size, its JSON, its schema, its sensor against the subject it
/// came on and against the sensors a hub accepts (`None`: any).
pub fn decode(
    subject: &str,
    payload: &[u8],
    max_bytes: usize,
    accept: Option<&std::collections::BTreeSet<String>>,
) -> Result<MinuteMessage, BadMessage> {
    if payload.len() > max_bytes {
        return Err(BadMessage::TooLarge {
            size: payload.len(),
            limit: max_bytes,
        });
    }
    let inflated;
    let json = if payload.starts_with(&GZIP_MAGIC) {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(payload)
            .take(MAX_DECOMPRESSED_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| BadMessage::Gzip(e.to_string()))?;
        if out.len() > MAX_DECOMPRESSED_BYTES {
            return Err(BadMessage::TooLarge {
                size: out.len(),
                limit: MAX_DECOMPRESSED_BYTES,
            });
        }
        inflated = out;
        &inflated[..]
    } else {
        payload
    };
    let m: MinuteMessage =
        serde_json::from_slice(json).map_err(|e| BadMessage::Json(e.to_string()))?;
    m.check()?;
    if subject != m.subject() {
        return Err(BadMessage::Subject {
            sensor_id: m.sensor_id,
            subject: subject.to_string(),
        });
    }
    if let Some(set) = accept {
        if !set.contains(&m.sensor_id) {
            return Err(BadMessage::NotAccepted(m.sensor_id));
        }
    }
    Ok(m)
}
