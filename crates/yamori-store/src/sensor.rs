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
        counts: counts_at(r, 5)?,
    })
}

/// The eight counters in [`COUNTERS`] order, from column `at` on.
fn counts_at(r: &Row, at: usize) -> Result<MinuteCounts> {
    Ok(MinuteCounts {
        captured: r.u64(at)?,
        captured_bytes: r.u64(at + 1)?,
        undecodable: r.u64(at + 2)?,
        late: r.u64(at + 3)?,
        kernel_packets: r.u64(at + 4)?,
        kernel_drops: r.u64(at + 5)?,
        kernel_freezes: r.u64(at + 6)?,
        interface_drops: r.u64(at + 7)?,
    })
}

const COUNTERS: [&str; 8] = [
    "captured",
    "captured_bytes",
    "undecodable",
    "late",
    "kernel_packets",
    "kernel_drops",
    "kernel_freezes",
    "interface_drops",
];

const COLUMNS: &str = "sensor_id, minute_s, minute, partial, analysis_id, captured, \
    captured_bytes, undecodable, late, kernel_packets, kernel_drops, kernel_freezes, \
    interface_drops";

/// One sensor as the dashboard's health table shows it: its newest minute, and its counters
/// summed over the recent minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorHealth {
    pub sensor_id: String,
    /// Minutes stored, in all.
    pub minutes: u64,
    pub first_minute_s: i64,
    /// The newest minute (its start, Unix seconds) and that minute itself.
    pub last: SensorMinute,
    /// Minutes stored since the `since` asked for, and their counters summed.
    pub recent_minutes: u64,
    pub recent: MinuteCounts,
}

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

    /// Every sensor with a stored minute, by id: its newest minute, and the counters of its
    /// minutes that start at `since_s` or later summed (the dashboard's health table).
    pub fn sensor_health(&self, since_s: i64) -> Result<Vec<SensorHealth>> {
        let recent: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("CAST(SUM(CASE WHEN minute_s >= ?1 THEN {c} ELSE 0 END) AS BIGINT)"))
            .collect();
        let sums = format!(
            "SELECT sensor_id, COUNT(*), MIN(minute_s), \
             CAST(SUM(CASE WHEN minute_s >= ?1 THEN 1 ELSE 0 END) AS BIGINT), {} \
             FROM sensor_minutes GROUP BY sensor_id ORDER BY sensor_id",
            recent.join(", ")
        );
        let newest = format!(
            "SELECT {COLUMNS} FROM sensor_minutes m WHERE minute_s = \
             (SELECT MAX(minute_s) FROM sensor_minutes n WHERE n.sensor_id = m.sensor_id) \
             ORDER BY sensor_id"
        );
        self.db.read(|c| {
            let sums = c.query("sum sensor minutes", &sums, &[Param::Int(since_s)])?;
            let newest = c.query("newest sensor minutes", &newest, &[])?;
            let mut last: std::collections::HashMap<String, SensorMinute> = newest
                .iter()
                .map(|r| minute_of(r).map(|m| (m.sensor_id.clone(), m)))
                .collect::<Result<_>>()?;
            // The two reads are not one snapshot: a sensor whose minutes went between them
            // (replaced by an overlapping analysis) is left out of this answer.
            let mut out = Vec::with_capacity(sums.len());
            for r in &sums {
                let sensor_id = r.str(0)?;
                let Some(last) = last.remove(&sensor_id) else {
                    continue;
                };
                out.push(SensorHealth {
                    minutes: r.u64(1)?,
                    first_minute_s: r.i64(2)?,
                    recent_minutes: r.u64(3)?,
                    recent: counts_at(r, 4)?,
                    last,
                    sensor_id,
                });
            }
            Ok(out)
        })
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
