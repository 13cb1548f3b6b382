//! The survey statements, written once for both backends.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::doc::{address_key, parse_survey, unix_seconds};
use super::{Statement, SurveyPut};
use crate::db::{Binder, Conn, Param, Value};
use crate::{Result, StoreError};

/// `sort_key` = `KEV_WEIGHT` × (any KEV CVE) + highest CVSS in tenths (0..=100): one integer
/// that orders "KEV first, then highest CVSS" and can serve as a keyset cursor.
const KEV_WEIGHT: i64 = 1000;

/// One vulnerability of a service as the index keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyVuln {
    /// CVE id (or OSV id for OSV-only records).
    pub cve: String,
    pub kev: bool,
    pub cvss: Option<f64>,
}

/// One indexed service (the newest observation of its address, transport and port).
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyDevice {
    pub id: i64,
    pub run_id: String,
    /// Unix seconds of the run's `finished`.
    pub finished_s: i64,
    pub address: String,
    pub port: u16,
    pub transport: String,
    pub protocol: String,
    pub device_type: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub weak_credentials: bool,
    pub vulnerabilities: Vec<SurveyVuln>,
    pub kev: bool,
    pub max_cvss: Option<f64>,
    /// First half of the keyset cursor (see [`KEV_WEIGHT`]); `id` is the second.
    pub sort_key: i64,
}

/// Counts over the newest observation of every service, and over the runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveySummary {
    pub runs: u64,
    /// `finished` of the latest run (RFC 3339, as the document wrote it).
    pub last_finished: Option<String>,
    pub devices: u64,
    pub weak_credentials: u64,
    /// Services with at least one matched vulnerability.
    pub vulnerable: u64,
    /// Services with at least one CVE in CISA KEV.
    pub kev: u64,
    /// (device type, services), most first; `None` for services no fingerprint matched.
    pub by_device_type: Vec<(Option<String>, u64)>,
    /// (vendor, services), most first; `None` for services no fingerprint matched.
    pub by_vendor: Vec<(Option<String>, u64)>,
}

const SERVICE_COLS: [&str; 18] = [
    "run_id",
    "ordinal",
    "finished_s",
    "address",
    "addr_key",
    "port",
    "transport",
    "protocol",
    "device_type",
    "vendor",
    "product",
    "version",
    "weak_credentials",
    "vulnerabilities",
    "vulns",
    "kev",
    "max_cvss",
    "sort_key",
];

/// `INSERT … ON CONFLICT DO NOTHING` (SQLite ≥ 3.24 and PostgreSQL alike): a second put of
/// the same document, even one racing this one, writes nothing.
fn insert(table: &str, cols: &[&str], row: Vec<Param>) -> Statement {
    let mut q = Binder::new();
    let marks: Vec<String> = row.into_iter().map(|p| q.bind(p)).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
        cols.join(", "),
        marks.join(", ")
    );
    q.statement(sql)
}

fn opt_text(s: Option<&str>) -> Param {
    Param::OptText(s.map(str::to_string))
}

pub(super) fn put(c: &mut dyn Conn, json: &str) -> Result<SurveyPut> {
    let doc = parse_survey(json)?;
    let id = hex::encode(Sha256::digest(json.as_bytes()));
    let services = doc.hosts.iter().map(|h| h.services.len()).sum();
    let mut q = Binder::new();
    let sql = format!(
        "SELECT id FROM survey_runs WHERE id = {}",
        q.bind(Param::Text(id.clone()))
    );
    if !q.run(c, &sql)?.is_empty() {
        return Ok(SurveyPut {
            id,
            inserted: false,
            services,
        });
    }
    let finished_s = unix_seconds(&doc.finished, "finished")?;
    unix_seconds(&doc.started, "started")?;
    let mut statements = vec![insert(
        "survey_runs",
        &[
            "id",
            "stored_at",
            "started",
            "finished",
            "finished_s",
            "targets",
            "hosts",
            "document",
        ],
        vec![
            Param::Text(id.clone()),
            Param::Text(crate::taxii::taxii_now()),
            Param::Text(doc.started.clone()),
            Param::Text(doc.finished.clone()),
            Param::Int(finished_s),
            Param::Int(i64::try_from(doc.targets).unwrap_or(i64::MAX)),
            Param::Int(doc.hosts.len() as i64),
            Param::Text(json.to_string()),
        ],
    )];
    let mut ordinal = 0i64;
    for (hi, h) in doc.hosts.iter().enumerate() {
        let key = address_key(&h.address, &format!("hosts[{hi}].address"))?;
        for sv in &h.services {
            let vulns: Vec<SurveyVuln> = sv
                .vulnerabilities
                .iter()
                .map(|v| SurveyVuln {
                    cve: v.id.clone(),
                    kev: v.kev.is_some(),
                    cvss: v.cvss.as_ref().map(|c| c.score),
                })
                .collect();
            let kev = vulns.iter().any(|v| v.kev);
            let max_cvss = vulns.iter().filter_map(|v| v.cvss).reduce(f64::max);
            let tenths = max_cvss.map_or(0, |c| (c * 10.0).round().clamp(0.0, 100.0) as i64);
            let vulns_json = serde_json::to_string(&vulns)
                .map_err(|e| StoreError::Other(format!("survey vulnerabilities: {e}")))?;
            let d = sv.device.as_ref();
            statements.push(insert(
                "survey_services",
                &SERVICE_COLS,
                vec![
                    Param::Text(id.clone()),
                    Param::Int(ordinal),
                    Param::Int(finished_s),
                    Param::Text(h.address.clone()),
                    Param::Text(key.clone()),
                    Param::Int(i64::from(sv.port)),
                    Param::Text(sv.transport.clone()),
                    Param::Text(sv.protocol.clone()),
                    opt_text(d.map(|d| d.device_type.as_str())),
                    opt_text(d.map(|d| d.vendor.as_str())),
                    opt_text(d.map(|d| d.product.as_str())),
                    opt_text(d.and_then(|d| d.version.as_deref())),
                    Param::Int(i64::from(sv.weak_credential.is_some())),
                    Param::Text(vulns_json),
                    Param::Int(vulns.len() as i64),
                    Param::Int(i64::from(kev)),
                    Param::OptReal(max_cvss),
                    Param::Int(i64::from(kev) * KEV_WEIGHT + tenths),
                ],
            ));
            ordinal += 1;
        }
    }
    for (sql, params) in &statements {
        c.execute("survey write", sql, params)?;
    }
    Ok(SurveyPut {
        id,
        inserted: true,
        services,
    })
}

pub(super) fn document(c: &mut dyn Conn, id: &str) -> Result<Option<String>> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT document FROM survey_runs WHERE id = {}",
        q.bind(Param::Text(id.into()))
    );
    Ok(q.run(c, &sql)?.first().and_then(|r| r[0].text()))
}

/// Rows that are the newest observation of their endpoint (ties: the later-stored row).
pub(crate) const NEWEST: &str = "NOT EXISTS (SELECT 1 FROM survey_services n \
     WHERE n.addr_key = s.addr_key AND n.transport = s.transport AND n.port = s.port \
     AND (n.finished_s > s.finished_s OR (n.finished_s = s.finished_s AND n.id > s.id)))";

const DEVICE_COLS: &str = "s.id, s.run_id, s.finished_s, s.address, s.port, s.transport, \
     s.protocol, s.device_type, s.vendor, s.product, s.version, s.weak_credentials, \
     s.vulnerabilities, s.kev, s.max_cvss, s.sort_key";

fn device_row(r: &[Value]) -> Result<SurveyDevice> {
    let vulns_text = r[12].text().unwrap_or_default();
    let vulnerabilities = serde_json::from_str(&vulns_text).map_err(|e| {
        StoreError::Corrupt(format!(
            "survey_services {} vulnerabilities: {e}",
            r[0].int()
        ))
    })?;
    Ok(SurveyDevice {
        id: r[0].int(),
        run_id: r[1].text().unwrap_or_default(),
        finished_s: r[2].int(),
        address: r[3].text().unwrap_or_default(),
        port: u16::try_from(r[4].int()).unwrap_or(0),
        transport: r[5].text().unwrap_or_default(),
        protocol: r[6].text().unwrap_or_default(),
        device_type: r[7].text(),
        vendor: r[8].text(),
        product: r[9].text(),
        version: r[10].text(),
        weak_credentials: r[11].int() != 0,
        vulnerabilities,
        kev: r[13].int() != 0,
        max_cvss: r[14].real(),
        sort_key: r[15].int(),
    })
}

pub(super) fn devices(
    c: &mut dyn Conn,
    after: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<SurveyDevice>> {
    let mut q = Binder::new();
    let mut sql = format!("SELECT {DEVICE_COLS} FROM survey_services s WHERE {NEWEST}");
    if let Some((sort_key, id)) = after {
        // The cursor names a row; its address key and port continue the order within a
        // sort key. A cursor whose row is gone (never, today: runs are not deleted) ends.
        let mut cq = Binder::new();
        let csql = format!(
            "SELECT addr_key, port FROM survey_services WHERE id = {}",
            cq.int(id)
        );
        let Some(row) = cq.run(c, &csql)?.into_iter().next() else {
            return Ok(Vec::new());
        };
        let addr = row[0].text().unwrap_or_default();
        let port = row[1].int();
        sql.push_str(&format!(
            " AND (s.sort_key < {k1} OR (s.sort_key = {k2} AND (s.addr_key > {a1} \
             OR (s.addr_key = {a2} AND (s.port > {p1} OR (s.port = {p2} AND s.id > {i}))))))",
            k1 = q.int(sort_key),
            k2 = q.int(sort_key),
            a1 = q.bind(Param::Text(addr.clone())),
            a2 = q.bind(Param::Text(addr)),
            p1 = q.int(port),
            p2 = q.int(port),
            i = q.int(id),
        ));
    }
    sql.push_str(&format!(
        " ORDER BY s.sort_key DESC, s.addr_key, s.port, s.id LIMIT {}",
        q.int(i64::from(limit))
    ));
    q.run(c, &sql)?.iter().map(|r| device_row(r)).collect()
}

fn count(v: &Value) -> u64 {
    u64::try_from(v.int()).unwrap_or(0)
}

fn grouped(c: &mut dyn Conn, column: &str) -> Result<Vec<(Option<String>, u64)>> {
    // `column` is one of two names written in this file, never input.
    let sql = format!(
        "SELECT s.{column}, COUNT(*) FROM survey_services s WHERE {NEWEST} \
         GROUP BY s.{column} \
         ORDER BY 2 DESC, CASE WHEN s.{column} IS NULL THEN 1 ELSE 0 END, s.{column}"
    );
    Ok(Binder::new()
        .run(c, &sql)?
        .iter()
        .map(|r| (r[0].text(), count(&r[1])))
        .collect())
}

pub(super) fn summary(c: &mut dyn Conn) -> Result<SurveySummary> {
    let runs = Binder::new().run(
        c,
        "SELECT COUNT(*), (SELECT finished FROM survey_runs \
         ORDER BY finished_s DESC, id LIMIT 1) FROM survey_runs",
    )?;
    let totals = Binder::new().run(
        c,
        &format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(s.weak_credentials), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN s.vulns > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(s.kev), 0) AS BIGINT) FROM survey_services s WHERE {NEWEST}"
        ),
    )?;
    let mut out = SurveySummary {
        by_device_type: grouped(c, "device_type")?,
        by_vendor: grouped(c, "vendor")?,
        ..SurveySummary::default()
    };
    if let Some(r) = runs.first() {
        out.runs = count(&r[0]);
        out.last_finished = r[1].text();
    }
    if let Some(r) = totals.first() {
        out.devices = count(&r[0]);
        out.weak_credentials = count(&r[1]);
        out.vulnerable = count(&r[2]);
        out.kev = count(&r[3]);
    }
    Ok(out)
}
