//! The `vulndb` domain: offline vulnerability data (NVD CVE records, CISA KEV, OSV), on
//! either engine.
//!
//! The store keeps each record as the JSON document it was given (the normalised form the
//! parser in `yamori-vuln` writes) and indexes only what lookups need: the
//! (vendor, product) pairs named by a CVE's CPE criteria, the (ecosystem, package) pairs of an
//! OSV record, and the KEV columns. It parses none of those documents.
//!
//! Every import replaces by primary key (CVE id, OSV id), so importing the same file twice
//! leaves the same rows.

use crate::db::{Conn, Param, Row};
use crate::{Result, Store};

/// Migrations of the `vulndb` domain, applied in order; never edit a released entry.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: CVE records with their product index, KEV entries, OSV records with their packages.
    "CREATE TABLE vuln_cve (
        id TEXT PRIMARY KEY,
        published TEXT,
        last_modified TEXT,
        cvss_score {real},
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
    // 2: package lookups ignore case with lower() on both engines (SQLite's NOCASE collation
    // has no PostgreSQL twin); the expression index keeps them index lookups.
    "CREATE INDEX vuln_osv_package_lower ON vuln_osv_package(lower(name));",
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

const KEV_COLS: &str = "cve_id, vendor_project, product, name, date_added, short_description, \
     required_action, due_date, ransomware_use";

fn kev_row(r: &Row) -> Result<KevRow> {
    Ok(KevRow {
        cve_id: r.str(0)?,
        vendor_project: r.str(1)?,
        product: r.str(2)?,
        name: r.str(3)?,
        date_added: r.str(4)?,
        short_description: r.str(5)?,
        required_action: r.str(6)?,
        due_date: r.str(7)?,
        ransomware_use: r.str(8)?,
    })
}

fn kev_of(c: &mut dyn Conn, cve_id: &str) -> Result<Option<KevRow>> {
    c.query_opt(
        "get kev",
        &format!("SELECT {KEV_COLS} FROM vuln_kev WHERE cve_id = ?1"),
        &[Param::text(cve_id)],
    )?
    .as_ref()
    .map(kev_row)
    .transpose()
}

impl Store {
    /// Store CVE records in one transaction, each replacing any stored record with its id.
    /// Returns how many were written.
    pub fn import_nvd_items(&self, items: &[NewCve]) -> Result<usize> {
        let (mut ids, mut rows, mut products) = (Vec::new(), Vec::new(), Vec::new());
        for c in items {
            ids.push(vec![Param::text(&c.id)]);
            rows.push(vec![
                Param::text(&c.id),
                Param::OptText(c.published.clone()),
                Param::OptText(c.last_modified.clone()),
                Param::OptReal(c.cvss_score),
                Param::OptText(c.severity.clone()),
                Param::text(&c.record_json),
            ]);
            for (vendor, product) in &c.products {
                products.push(vec![
                    Param::text(&c.id),
                    Param::text(vendor),
                    Param::text(product),
                ]);
            }
        }
        self.db.write(|c| {
            c.execute_each("replace cve", "DELETE FROM vuln_cve WHERE id = ?1", &ids)?;
            c.execute_each(
                "insert cve",
                "INSERT INTO vuln_cve (id, published, last_modified, cvss_score, severity, record_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &rows,
            )?;
            c.execute_each(
                "insert cve product",
                "INSERT INTO vuln_cve_product (cve_id, vendor, product) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                &products,
            )?;
            Ok(items.len())
        })
    }

    /// Store KEV entries in one transaction, each replacing the entry with its CVE id.
    pub fn import_kev(&self, rows: &[KevRow]) -> Result<usize> {
        let params: Vec<Vec<Param>> = rows
            .iter()
            .map(|k| {
                [
                    &k.cve_id,
                    &k.vendor_project,
                    &k.product,
                    &k.name,
                    &k.date_added,
                    &k.short_description,
                    &k.required_action,
                    &k.due_date,
                    &k.ransomware_use,
                ]
                .into_iter()
                .map(|v| Param::text(v))
                .collect()
            })
            .collect();
        self.db.write(|c| {
            c.execute_each(
                "insert kev",
                &format!(
                    "INSERT INTO vuln_kev ({KEV_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (cve_id) DO UPDATE SET vendor_project = excluded.vendor_project,
                        product = excluded.product, name = excluded.name,
                        date_added = excluded.date_added,
                        short_description = excluded.short_description,
                        required_action = excluded.required_action,
                        due_date = excluded.due_date, ransomware_use = excluded.ransomware_use"
                ),
                &params,
            )?;
            Ok(rows.len())
        })
    }

    /// Store OSV records in one transaction, each replacing any stored record with its id.
    pub fn import_osv(&self, items: &[NewOsv]) -> Result<usize> {
        let (mut ids, mut rows, mut packages) = (Vec::new(), Vec::new(), Vec::new());
        for o in items {
            ids.push(vec![Param::text(&o.id)]);
            rows.push(vec![
                Param::text(&o.id),
                Param::OptText(o.modified.clone()),
                Param::text(&o.record_json),
            ]);
            for (eco, name) in &o.packages {
                packages.push(vec![
                    Param::text(&o.id),
                    Param::text(eco),
                    Param::text(name),
                ]);
            }
        }
        self.db.write(|c| {
            c.execute_each("replace osv", "DELETE FROM vuln_osv WHERE id = ?1", &ids)?;
            c.execute_each(
                "insert osv",
                "INSERT INTO vuln_osv (id, modified, record_json) VALUES (?1, ?2, ?3)",
                &rows,
            )?;
            c.execute_each(
                "insert osv package",
                "INSERT INTO vuln_osv_package (osv_id, ecosystem, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                &packages,
            )?;
            Ok(items.len())
        })
    }

    /// CVE records whose CPE criteria name `vendor:product` (or a `*` in either place),
    /// compared case-insensitively, ordered by id, each with its KEV entry.
    pub fn find_by_cpe_prefix(&self, vendor: &str, product: &str) -> Result<Vec<StoredCve>> {
        self.db.read(|c| {
            let rows = c.query(
                "find cve by product",
                "SELECT DISTINCT c.id, c.record_json FROM vuln_cve_product p
                 JOIN vuln_cve c ON c.id = p.cve_id
                 WHERE p.vendor IN (?1, '*') AND p.product IN (?2, '*')
                 ORDER BY c.id",
                &[
                    Param::Text(vendor.to_ascii_lowercase()),
                    Param::Text(product.to_ascii_lowercase()),
                ],
            )?;
            rows.iter()
                .map(|r| {
                    let id = r.str(0)?;
                    Ok(StoredCve {
                        kev: kev_of(c, &id)?,
                        record_json: r.str(1)?,
                        id,
                    })
                })
                .collect()
        })
    }

    /// The KEV entry of one CVE, if the catalogue lists it.
    pub fn get_kev(&self, cve_id: &str) -> Result<Option<KevRow>> {
        self.db.read(|c| kev_of(c, cve_id))
    }

    /// OSV records naming package `name` (case-insensitive) in any ecosystem: (id, record).
    pub fn find_osv_by_package(&self, name: &str) -> Result<Vec<(String, String)>> {
        self.db.read(|c| {
            c.query(
                "find osv by package",
                "SELECT DISTINCT o.id, o.record_json FROM vuln_osv_package p
                 JOIN vuln_osv o ON o.id = p.osv_id
                 WHERE lower(p.name) = lower(?1) ORDER BY o.id",
                &[Param::text(name)],
            )?
            .iter()
            .map(|r| Ok((r.str(0)?, r.str(1)?)))
            .collect()
        })
    }

    /// Row counts of the domain's main tables.
    pub fn vulndb_counts(&self) -> Result<VulnDbCounts> {
        self.db.read(|c| {
            Ok(VulnDbCounts {
                cves: c.query_count("count vulndb", "SELECT COUNT(*) FROM vuln_cve", &[])?,
                kev: c.query_count("count vulndb", "SELECT COUNT(*) FROM vuln_kev", &[])?,
                osv: c.query_count("count vulndb", "SELECT COUNT(*) FROM vuln_osv", &[])?,
            })
        })
    }
}
