//! The dashboard's SELECTs, written once for both backends.

use crate::db::{Binder, Conn, Param, Value};
use crate::Result;

/// The span of stored minutes: [first_s, end_s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub first_s: i64,
    pub end_s: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesBucket {
    /// Bucket start, Unix seconds.
    pub t: i64,
    /// Packets per category, in `Category::ALL` order.
    pub counts: [u64; 10],
}

/// Totals of the analyses overlapping a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub analyses: u64,
    pub packets: u64,
    pub bytes: u64,
    pub sources: u64,
    pub scanners: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetSum {
    pub key: String,
    pub packets: u64,
    pub sources: u64,
}

/// Which sources to list. Times are Unix seconds; a source is in [from, to) when its
/// first..=last span overlaps it.
#[derive(Debug, Clone, Default)]
pub struct SourceFilter {
    pub from: i64,
    pub to: i64,
    pub country: Option<String>,
    pub tool: Option<String>,
    pub scanners_only: bool,
    pub located_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    pub id: i64,
    pub analysis_id: String,
    pub address: String,
    pub packets: u64,
    pub bytes: u64,
    pub first_s: i64,
    pub last_s: i64,
    pub scanner: bool,
    pub tool: String,
    pub kind: String,
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The report's JSON of this source (`SourceSummary`).
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttackRow {
    pub id: i64,
    pub analysis_id: String,
    pub victim: String,
    pub start_s: i64,
    pub end_s: i64,
    pub packets: u64,
    /// The report's JSON of this attack.
    pub detail: String,
}

fn u(v: &Value) -> u64 {
    u64::try_from(v.int()).unwrap_or(0)
}

pub(super) fn bounds(c: &mut dyn Conn) -> Result<Option<Bounds>> {
    let rows = Binder::new().run(c, "SELECT MIN(minute), MAX(minute) FROM tel_minutes")?;
    Ok(rows.first().and_then(|r| match (&r[0], &r[1]) {
        (Value::Int(a), Value::Int(b)) => Some(Bounds {
            first_s: *a,
            end_s: b + 60,
        }),
        _ => None,
    }))
}

pub(super) fn series(
    c: &mut dyn Conn,
    from: i64,
    to: i64,
    bucket: i64,
) -> Result<Vec<SeriesBucket>> {
    let b = bucket.max(60);
    let sums: Vec<String> = (0..10)
        .map(|i| format!("CAST(SUM(c{i}) AS BIGINT)"))
        .collect();
    let mut q = Binder::new();
    // `b` is an integer we computed, inlined so both backends group by the same expression.
    let sql = format!(
        "SELECT (minute / {b}) * {b} AS t, {} FROM tel_minutes \
         WHERE minute >= {} AND minute < {} GROUP BY (minute / {b}) * {b} ORDER BY t",
        sums.join(", "),
        q.int(from),
        q.int(to)
    );
    Ok(q.run(c, &sql)?
        .iter()
        .map(|r| {
            let mut counts = [0u64; 10];
            for (i, c) in counts.iter_mut().enumerate() {
                *c = u(&r[i + 1]);
            }
            SeriesBucket {
                t: r[0].int(),
                counts,
            }
        })
        .collect())
}

pub(super) fn totals(c: &mut dyn Conn, from: i64, to: i64) -> Result<Totals> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(packets), 0) AS BIGINT), \
         CAST(COALESCE(SUM(bytes), 0) AS BIGINT), CAST(COALESCE(SUM(sources), 0) AS BIGINT), \
         CAST(COALESCE(SUM(scanners), 0) AS BIGINT) FROM tel_analyses \
         WHERE last_s >= {} AND first_s < {}",
        q.int(from),
        q.int(to)
    );
    let rows = q.run(c, &sql)?;
    Ok(rows
        .first()
        .map(|r| Totals {
            analyses: u(&r[0]),
            packets: u(&r[1]),
            bytes: u(&r[2]),
            sources: u(&r[3]),
            scanners: u(&r[4]),
        })
        .unwrap_or_default())
}

pub(super) fn facet(
    c: &mut dyn Conn,
    facet: &str,
    from: i64,
    to: i64,
    limit: u32,
) -> Result<Vec<FacetSum>> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT f.key, CAST(SUM(f.packets) AS BIGINT), CAST(SUM(f.sources) AS BIGINT) \
         FROM tel_facets f JOIN tel_analyses a ON a.analysis_id = f.analysis_id \
         WHERE f.facet = {} AND a.last_s >= {} AND a.first_s < {} \
         GROUP BY f.key ORDER BY 2 DESC, f.key LIMIT {}",
        q.bind(Param::Text(facet.into())),
        q.int(from),
        q.int(to),
        q.int(i64::from(limit))
    );
    Ok(q.run(c, &sql)?
        .iter()
        .map(|r| FacetSum {
            key: r[0].text().unwrap_or_default(),
            packets: u(&r[1]),
            sources: u(&r[2]),
        })
        .collect())
}

const SOURCE_COLS: &str = "id, analysis_id, address, packets, bytes, first_s, last_s, scanner, \
                           tool, kind, country, asn, lat, lon, detail";

fn source_row(r: &[Value]) -> SourceRow {
    SourceRow {
        id: r[0].int(),
        analysis_id: r[1].text().unwrap_or_default(),
        address: r[2].text().unwrap_or_default(),
        packets: u(&r[3]),
        bytes: u(&r[4]),
        first_s: r[5].int(),
        last_s: r[6].int(),
        scanner: r[7].int() != 0,
        tool: r[8].text().unwrap_or_default(),
        kind: r[9].text().unwrap_or_default(),
        country: r[10].text(),
        asn: match r[11] {
            Value::Int(a) => u32::try_from(a).ok(),
            _ => None,
        },
        latitude: r[12].real(),
        longitude: r[13].real(),
        detail: r[14].text().unwrap_or_default(),
    }
}

pub(super) fn sources(
    c: &mut dyn Conn,
    f: &SourceFilter,
    after: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<SourceRow>> {
    let mut q = Binder::new();
    let mut sql = format!(
        "SELECT {SOURCE_COLS} FROM tel_sources WHERE last_s >= {} AND first_s < {}",
        q.int(f.from),
        q.int(f.to)
    );
    if let Some(c) = &f.country {
        sql.push_str(&format!(
            " AND country = {}",
            q.bind(Param::Text(c.clone()))
        ));
    }
    if f.scanners_only || f.tool.is_some() {
        sql.push_str(" AND scanner = 1");
    }
    if let Some(t) = &f.tool {
        sql.push_str(&format!(" AND tool = {}", q.bind(Param::Text(t.clone()))));
    }
    if f.located_only {
        sql.push_str(" AND lat IS NOT NULL");
    }
    if let Some((packets, id)) = after {
        let (p1, p2, i) = (q.int(packets), q.int(packets), q.int(id));
        sql.push_str(&format!(
            " AND (packets < {p1} OR (packets = {p2} AND id > {i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY packets DESC, id LIMIT {}",
        q.int(i64::from(limit))
    ));
    Ok(q.run(c, &sql)?.iter().map(|r| source_row(r)).collect())
}

pub(super) fn source(c: &mut dyn Conn, address: &str) -> Result<Vec<SourceRow>> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM tel_sources WHERE address = {} ORDER BY first_s, id",
        q.bind(Param::Text(address.into()))
    );
    Ok(q.run(c, &sql)?.iter().map(|r| source_row(r)).collect())
}

const ATTACK_COLS: &str = "id, analysis_id, victim, start_s, end_s, packets, detail";

fn attack_row(r: &[Value]) -> AttackRow {
    AttackRow {
        id: r[0].int(),
        analysis_id: r[1].text().unwrap_or_default(),
        victim: r[2].text().unwrap_or_default(),
        start_s: r[3].int(),
        end_s: r[4].int(),
        packets: u(&r[5]),
        detail: r[6].text().unwrap_or_default(),
    }
}

pub(super) fn attacks(
    c: &mut dyn Conn,
    from: i64,
    to: i64,
    after: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<AttackRow>> {
    let mut q = Binder::new();
    let mut sql = format!(
        "SELECT {ATTACK_COLS} FROM tel_attacks WHERE end_s >= {} AND start_s < {}",
        q.int(from),
        q.int(to)
    );
    if let Some((start, id)) = after {
        let (s1, s2, i) = (q.int(start), q.int(start), q.int(id));
        sql.push_str(&format!(
            " AND (start_s < {s1} OR (start_s = {s2} AND id > {i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY start_s DESC, id LIMIT {}",
        q.int(i64::from(limit))
    ));
    Ok(q.run(c, &sql)?.iter().map(|r| attack_row(r)).collect())
}

pub(super) fn top_attacks(
    c: &mut dyn Conn,
    from: i64,
    to: i64,
    limit: u32,
) -> Result<Vec<AttackRow>> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT {ATTACK_COLS} FROM tel_attacks WHERE end_s >= {} AND start_s < {} \
         ORDER BY packets DESC, id LIMIT {}",
        q.int(from),
        q.int(to),
        q.int(i64::from(limit))
    );
    Ok(q.run(c, &sql)?.iter().map(|r| attack_row(r)).collect())
}

pub(super) fn attack_count(c: &mut dyn Conn, from: i64, to: i64) -> Result<u64> {
    let mut q = Binder::new();
    let sql = format!(
        "SELECT COUNT(*) FROM tel_attacks WHERE end_s >= {} AND start_s < {}",
        q.int(from),
        q.int(to)
    );
    Ok(q.run(c, &sql)?.first().map(|r| u(&r[0])).unwrap_or(0))
}

/// `LIKE` pattern matching `s` literally anywhere (escape character `\\`).
fn like_anywhere(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn in_list(q: &mut Binder, vals: &[String]) -> String {
    let marks: Vec<String> = vals
        .iter()
        .map(|v| q.bind(Param::Text(v.clone())))
        .collect();
    marks.join(", ")
}

/// Newest version of each object only.
const LATEST: &str = "o.version_key = (SELECT MAX(o2.version_key) FROM taxii_objects o2 \
                      WHERE o2.collection_id = o.collection_id AND o2.object_id = o.object_id)";

pub(super) fn objects_mentioning(
    c: &mut dyn Conn,
    collections: &[String],
    kind: &str,
    needle: &str,
    limit: u32,
) -> Result<Vec<String>> {
    if collections.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Binder::new();
    let sql = format!(
        "SELECT o.body FROM taxii_objects o WHERE o.collection_id IN ({}) AND o.kind = {} \
         AND o.body LIKE {} ESCAPE '\\' AND {LATEST} ORDER BY o.date_added DESC, o.seq DESC \
         LIMIT {}",
        in_list(&mut q, collections),
        q.bind(Param::Text(kind.into())),
        q.bind(Param::Text(like_anywhere(needle))),
        q.int(i64::from(limit))
    );
    Ok(q.run(c, &sql)?.iter().filter_map(|r| r[0].text()).collect())
}

pub(super) fn recent_objects(
    c: &mut dyn Conn,
    collections: &[String],
    kind: &str,
    limit: u32,
) -> Result<Vec<(String, String)>> {
    if collections.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Binder::new();
    let sql = format!(
        "SELECT o.collection_id, o.body FROM taxii_objects o WHERE o.collection_id IN ({}) \
         AND o.kind = {} AND {LATEST} ORDER BY o.date_added DESC, o.seq DESC LIMIT {}",
        in_list(&mut q, collections),
        q.bind(Param::Text(kind.into())),
        q.int(i64::from(limit))
    );
    Ok(q.run(c, &sql)?
        .iter()
        .map(|r| {
            (
                r[0].text().unwrap_or_default(),
                r[1].text().unwrap_or_default(),
            )
        })
        .collect())
}
