//! The `vulndb` domain: offline vulnerability data (NVD CVE records, CISA KEV, OSV).
//!
//! The store keeps each record as the JSON document it was given (the normalised form the
//! parser in `yamori-survey::vuln` writes) and indexes only what lookups need: the
//! (vendor, product) pairs named by a CVE's CPE criteria, the (ecosystem, package) pairs of an
//! OSV record, and the KEV columns. It parses none of those documents.
//!
//! Every import replaces by primary key (CVE id, OSV id), so importing the same file twice
//! leaves the same rows.

use rusqlite::{params, Connection, OptionalExtension};

use crate::{Result, SqliteStore, StoreError};

fn db(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

/// Migrations of the `vulndb` domain, applied in order; never edit a released entry.
const VULNDB_MIGRATIONS: &[&str] = &[
    // 1: CVE records with their product index, KEV entries, OSV records with their packages.
    "CREATE TABLE vuln_cve (
        id TEXT PRIMARY KEY,
        published TEXT,
        last_modified TEXT,
        cvss_score REAL,
        severity TEXT,
        record_json TEXT NOT NULL
     );
     CREATE TABLE vuln_cve_product (
        cve_id TEXT NOT NULL REFERENCES vuln_cve(id) ON DELETE CASCADE,
        vendor TEXT NOT NULL,
        product TEXT NOT NULL,
        PRIMARY KEY (vendor, product, cve_id)
     );
     CREATE INDEX vuln_cve_product_cve ON vuln_cve_product(cve_id);
     CREATE TABLE vuln_kev (
        cve_id TEXT PRIMARY KEY,
        vendor_project TEXT NOT NULL,
        product TEXT NOT NULL,
        name TEXT NOT NULL,
        date_added TEXT NOT NULL,
        short_description TEXT NOT NULL,
        required_action TEXT NOT NULL,
        due_date TEXT NOT NULL,
        ransomware_use TEXT NOT NULL
     );
     CREATE TABLE vuln_osv (
        id TEXT PRIMARY KEY,
        modified TEXT,
        record_json TEXT NOT NULL
     );
     CREATE TABLE vuln_osv_package (
        osv_id TEXT NOT NULL REFERENCES vuln_osv(id) ON DELETE CASCADE,
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (name, ecosystem, osv_id)
     );
     CREATE INDEX vuln_osv_package_id ON vuln_osv_package(osv_id);",
];

/// One CVE record to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCve {
    pub id: String,
    pub published: Option<String>,
    pub last_modified: Option<String>,
    pub cvss_score: Option<f64>,
    pub severity: Option<String>,
    /// (vendor, product) of every CPE criteria in the record, lower-case, as written there
    /// (a `*` vendor or product is kept as `*` and found by every lookup).
    pub products: Vec<(String, String)>,
    /// The normalised record, opaque to the store.
    pub record_json: String,
}

/// One CISA KEV catalogue entry (all fields as strings, as the catalogue has them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevRow {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub short_description: String,
    pub required_action: String,
    pub due_date: String,
    /// `Known` or `Unknown` in the catalogue.
    pub ransomware_use: String,
}

/// One OSV record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOsv {
    pub id: String,
    pub modified: Option<String>,
    /// (ecosystem, package name) of every `affected[].package`.
    pub packages: Vec<(String, String)>,
    pub record_json: String,
}

/// A stored CVE record found by a lookup, with its KEV entry if the catalogue lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCve {
    pub id: String,
    pub record_json: String,
    pub kev: Option<KevRow>,
}

/// How many rows each table of the domain holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VulnDbCounts {
    pub cves: u64,
    pub kev: u64,
    pub osv: u64,
}

impl SqliteStore {
    /// Create or update the `vulndb` tables. Every method below calls it, so callers need not.
    pub fn migrate_vulndb(&self) -> Result<()> {
        self.migrate("vulndb", VULNDB_MIGRATIONS)
    }

    /// Store CVE records in one transaction, each replacing any stored record with its id.
    /// Returns how many were written.
    pub fn import_nvd_items(&self, items: &[NewCve]) -> Result<usize> {
        self.migrate_vulndb()?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("begin import_nvd_items"))?;
        {
            let mut del = tx
                .prepare_cached("DELETE FROM vuln_cve WHERE id = ?1")
                .map_err(db("prepare cve delete"))?;
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO vuln_cve (id, published, last_modified, cvss_score, severity, record_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(db("prepare cve insert"))?;
            let mut prod = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO vuln_cve_product (cve_id, vendor, product) VALUES (?1, ?2, ?3)",
                )
                .map_err(db("prepare cve product insert"))?;
            for c in items {
                del.execute([&c.id]).map_err(db("replace cve"))?;
                ins.execute(params![
                    c.id,
                    c.published,
                    c.last_modified,
                    c.cvss_score,
                    c.severity,
                    c.record_json
                ])
                .map_err(db("insert cve"))?;
                for (vendor, product) in &c.products {
                    prod.execute(params![c.id, vendor, product])
                        .map_err(db("insert cve product"))?;
                }
            }
        }
        tx.commit().map_err(db("commit import_nvd_items"))?;
        Ok(items.len())
    }

    /// Store KEV entries in one transaction, each replacing the entry with its CVE id.
    pub fn import_kev(&self, rows: &[KevRow]) -> Result<usize> {
        self.migrate_vulndb()?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("begin import_kev"))?;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO vuln_kev (cve_id, vendor_project, product, name, date_added,
                        short_description, required_action, due_date, ransomware_use)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db("prepare kev insert"))?;
            for k in rows {
                ins.execute(params![
                    k.cve_id,
                    k.vendor_project,
                    k.product,
                    k.name,
                    k.date_added,
                    k.short_description,
                    k.required_action,
                    k.due_date,
                    k.ransomware_use
                ])
                .map_err(db("insert kev"))?;
            }
        }
        tx.commit().map_err(db("commit import_kev"))?;
        Ok(rows.len())
    }

    /// Store OSV records in one transaction, each replacing any stored record with its id.
    pub fn import_osv(&self, items: &[NewOsv]) -> Result<usize> {
        self.migrate_vulndb()?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("begin import_osv"))?;
        {
            let mut del = tx
                .prepare_cached("DELETE FROM vuln_osv WHERE id = ?1")
                .map_err(db("prepare osv delete"))?;
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO vuln_osv (id, modified, record_json) VALUES (?1, ?2, ?3)",
                )
                .map_err(db("prepare osv insert"))?;
            let mut pkg = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO vuln_osv_package (osv_id, ecosystem, name) VALUES (?1, ?2, ?3)",
                )
                .map_err(db("prepare osv package insert"))?;
            for o in items {
                del.execute([&o.id]).map_err(db("replace osv"))?;
                ins.execute(params![o.id, o.modified, o.record_json])
                    .map_err(db("insert osv"))?;
                for (eco, name) in &o.packages {
                    pkg.execute(params![o.id, eco, name])
                        .map_err(db("insert osv package"))?;
                }
            }
        }
        tx.commit().map_err(db("commit import_osv"))?;
        Ok(items.len())
    }

    /// CVE records whose CPE criteria name `vendor:product` (or a `*` in either place),
    /// compared case-insensitively, ordered by id, each with its KEV entry.
    pub fn find_by_cpe_prefix(&self, vendor: &str, product: &str) -> Result<Vec<StoredCve>> {
        self.migrate_vulndb()?;
        let conn = self.lock();
        let mut q = conn
            .prepare_cached(
                "SELECT DISTINCT c.id, c.record_json FROM vuln_cve_product p
                 JOIN vuln_cve c ON c.id = p.cve_id
                 WHERE p.vendor IN (?1, '*') AND p.product IN (?2, '*')
                 ORDER BY c.id",
            )
            .map_err(db("find cve by product"))?;
        let rows = q
            .query_map(
                params![vendor.to_ascii_lowercase(), product.to_ascii_lowercase()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(db("find cve by product"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("find cve by product"))?;
        drop(q);
        rows.into_iter()
            .map(|(id, record_json)| {
                let kev = kev_of(&conn, &id)?;
                Ok(StoredCve {
                    id,
                    record_json,
                    kev,
                })
            })
            .collect()
    }

    /// The KEV entry of one CVE, if the catalogue lists it.
    pub fn get_kev(&self, cve_id: &str) -> Result<Option<KevRow>> {
        self.migrate_vulndb()?;
        kev_of(&self.lock(), cve_id)
    }

    /// OSV records naming package `name` (case-insensitive) in any ecosystem: (id, record).
    pub fn find_osv_by_package(&self, name: &str) -> Result<Vec<(String, String)>> {
        self.migrate_vulndb()?;
        let conn = self.lock();
        let mut q = conn
            .prepare_cached(
                "SELECT DISTINCT o.id, o.record_json FROM vuln_osv_package p
                 JOIN vuln_osv o ON o.id = p.osv_id
                 WHERE p.name = ?1 COLLATE NOCASE ORDER BY o.id",
            )
            .map_err(db("find osv by package"))?;
        let rows = q
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db("find osv by package"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("find osv by package"))?;
        Ok(rows)
    }

    /// Row counts of the domain's main tables.
    pub fn vulndb_counts(&self) -> Result<VulnDbCounts> {
        self.migrate_vulndb()?;
        let conn = self.lock();
        let count = |sql: &str| -> Result<u64> {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as u64)
                .map_err(db("count vulndb"))
        };
        Ok(VulnDbCounts {
            cves: count("SELECT COUNT(*) FROM vuln_cve")?,
            kev: count("SELECT COUNT(*) FROM vuln_kev")?,
            osv: count("SELECT COUNT(*) FROM vuln_osv")?,
        })
    }
}

fn kev_of(conn: &Connection, cve_id: &str) -> Result<Option<KevRow>> {
    conn.query_row(
        "SELECT cve_id, vendor_project, product, name, date_added, short_description,
                required_action, due_date, ransomware_use
         FROM vuln_kev WHERE cve_id = ?1",
        [cve_id],
        |r| {
            Ok(KevRow {
                cve_id: r.get(0)?,
                vendor_project: r.get(1)?,
                product: r.get(2)?,
                name: r.get(3)?,
                date_added: r.get(4)?,
                short_description: r.get(5)?,
                required_action: r.get(6)?,
                due_date: r.get(7)?,
                ransomware_use: r.get(8)?,
            })
        },
    )
    .optional()
    .map_err(db("get kev"))
}

#[cfg(test)]
mod tests;
