//! Per-minute results of live sensors.
//!
//! A sensor's minute is an analysis like any other (its report goes through
//! [`crate::analysis`], so the dashboard indexes it as it indexes `yamori analyze`), plus one
//! row in `sensor_minutes` with what only a live capture knows: which sensor and minute, and
//! the drop counters. The minute's analysis is identified by sensor and minute (its one
//! "file" is the label `sensor <id> <minute>` with the SHA-256 of that label as digest), so
//! writing a minute again replaces it instead of counting it twice.

use crate::analysis::{FileDigest, NewAnalysis};
use crate::db::{Conn, Param, Row};
use crate::{Result, Store, StoreError};

/// Migrations of the `sensor` domain; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &["CREATE TABLE sensor_minutes (
        sensor_id TEXT NOT NULL,
        minute_s {int} NOT NULL,
        minute TEXT NOT NULL,
        partial {bool} NOT NULL,
        analysis_id TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        captured {int} NOT NULL,
        captured_bytes {int} NOT NULL,
        undecodable {int} NOT NULL,
        late {int} NOT NULL,
        kernel_packets {int} NOT NULL,
        kernel_drops {int} NOT NULL,
        kernel_freezes {int} NOT NULL,
        interface_drops {int} NOT NULL,
        PRIMARY KEY (sensor_id, minute_s)
     );
     CREATE INDEX sensor_minutes_minute ON sensor_minutes(minute_s);"];

pub use yamori_model::sensor::MAX_SENSOR_ID_LEN;

/// A minute's counters beside its analysis: the sensor's own type.
pub use yamori_model::sensor::SensorCounts as MinuteCounts;

/// One minute to store.
#[derive(Debug, Clone)]
pub struct NewSensorMinute {
    pub sensor_id: String,
    /// Unix seconds of the minute's start (a multiple of 60).
    pub minute_s: i64,
    /// The minute ended early (the sensor stopped or lost its interface).
    pub partial: bool,
    /// The minute's report (schema `yamori.telescope.report/1`), stored as given.
    pub report_json: String,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub darknet_packets: u64,
    pub counts: MinuteCounts,
}

/// A stored minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorMinute {
    pub sensor_id: String,
    pub minute_s: i64,
    /// The minute's start, RFC 3339.
    pub minute: String,
    pub partial: bool,
    /// The analysis holding the minute's report ([`Store::get_analysis`]).
    pub analysis_id: String,
    pub counts: MinuteCounts,
}

fn rfc3339_minute(minute_s: i64) -> Result<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(minute_s)
        .map_err(|_| StoreError::Other(format!("minute {minute_s} is not a valid time")))?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

fn check(m: &NewSensorMinute) -> Result<()> {
    if !yamori_model::sensor::valid_sensor_id(&m.sensor_id) {
        return Err(StoreError::Other(format!(
            "sensor id {:?}: use 1 to {MAX_SENSOR_ID_LEN} letters, digits, '-', '_' or '.'",
            m.sensor_id
        )));
    }
    if m.minute_s % 60 != 0 {
        return Err(StoreError::Other(format!(
            "minute {} does not start a minute",
            m.minute_s
        )));
    }
    Ok(())
}

fn minute_of(r: &Row) -> Result<SensorMinute> {
    Ok(SensorMinute {
        sensor_id: r.str(0)?,
        minute_s: r.i64(1)?,
        minute: r.str(2)?,
        partial: r.bool(3)?,
        analysis_id: r.str(4)?,
        counts: MinuteCounts {
            captured: r.u64(5)?,
            captured_bytes: r.u64(6)?,
            undecodable: r.u64(7)?,
            late: r.u64(8)?,
            kernel_packets: r.u64(9)?,
            kernel_drops: r.u64(10)?,
            kernel_freezes: r.u64(11)?,
            interface_drops: r.u64(12)?,
        },
    })
}

const COLUMNS: &str = "sensor_id, minute_s, minute, partial, analysis_id, captured, \
    captured_bytes, undecodable, late, kernel_packets, kernel_drops, kernel_freezes, \
    interface_drops";

impl Store {
    /// Store one minute of a sensor: its analysis (indexed for the dashboard) and its counters,
    /// in one transaction. Writing the same sensor and minute again replaces both. Returns
    /// the analysis id.
    pub fn put_sensor_minute(&self, m: &NewSensorMinute) -> Result<String> {
        check(m)?;
        let minute = rfc3339_minute(m.minute_s)?;
        let label = format!("sensor {} {minute}", m.sensor_id);
        let digest = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(label.as_bytes()))
        };
        let analysis = NewAnalysis {
            files: vec![FileDigest {
                name: label,
                sha256: digest,
                bytes: m.counts.captured_bytes,
            }],
            report_json: m.report_json.clone(),
            first_packet: m.first_packet.clone(),
            last_packet: m.last_packet.clone(),
            darknet_packets: m.darknet_packets,
            replace_overlapping: false,
        };
        self.db.write(|c| put(c, m, &minute, &analysis))
    }

    /// The stored minutes of `sensor_id`, oldest first.
    pub fn sensor_minutes(&self, sensor_id: &str) -> Result<Vec<SensorMinute>> {
        self.db.read(|c| {
            c.query(
                "list sensor minutes",
                &format!(
                    "SELECT {COLUMNS} FROM sensor_minutes WHERE sensor_id = ?1 ORDER BY minute_s"
                ),
                &[Param::text(sensor_id)],
            )?
            .iter()
            .map(minute_of)
            .collect()
        })
    }
}

fn put(c: &mut dyn Conn, m: &NewSensorMinute, minute: &str, a: &NewAnalysis) -> Result<String> {
    let outcome = crate::analysis::put(c, a)?;
    let id = match outcome {
        crate::PutOutcome::Inserted { id }
        | crate::PutOutcome::Replaced { id }
        | crate::PutOutcome::Superseded { id, .. } => id,
    };
    c.execute(
        "replace sensor minute",
        "DELETE FROM sensor_minutes WHERE sensor_id = ?1 AND minute_s = ?2",
        &[Param::text(&m.sensor_id), Param::Int(m.minute_s)],
    )?;
    let k = &m.counts;
    c.execute(
        "insert sensor minute",
        &format!(
            "INSERT INTO sensor_minutes ({COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ),
        &[
            Param::text(&m.sensor_id),
            Param::Int(m.minute_s),
            Param::text(minute),
            Param::Bool(m.partial),
            Param::text(&id),
            Param::count(k.captured),
            Param::count(k.captured_bytes),
            Param::count(k.undecodable),
            Param::count(k.late),
            Param::count(k.kernel_packets),
            Param::count(k.kernel_drops),
            Param::count(k.kernel_freezes),
            Param::count(k.interface_drops),
        ],
    )?;
    Ok(id)
}
