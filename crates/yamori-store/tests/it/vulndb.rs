//! The vulnerability database: imports replace by id, lookups match alike on both engines.

use yamori_store::vulndb::{KevRow, NewCve, NewOsv, VulnDbCounts};

use crate::backends::each;

pub fn cve(id: &str, products: &[(&str, &str)], body: &str) -> NewCve {
    NewCve {
        id: id.to_string(),
        published: Some("2018-03-20T15:29:00.390".to_string()),
        last_modified: None,
        cvss_score: Some(8.8),
        severity: Some("HIGH".to_string()),
        products: products
            .iter()
            .map(|(v, p)| (v.to_string(), p.to_string()))
            .collect(),
        record_json: body.to_string(),
    }
}

pub fn kev(id: &str) -> KevRow {
    KevRow {
        cve_id: id.to_string(),
        vendor_project: "Huawei".to_string(),
        product: "HG532".to_string(),
        name: "Huawei HG532 Remote Code Execution".to_string(),
        date_added: "2022-03-25".to_string(),
        short_description: "d".to_string(),
        required_action: "a".to_string(),
        due_date: "2022-04-15".to_string(),
        ransomware_use: "Unknown".to_string(),
    }
}

#[test]
fn reimport_replaces_by_id_and_keeps_counts() {
    each(|s| {
        let items = vec![
            cve(
                "CVE-2017-17215",
                &[("huawei", "hg532_firmware"), ("huawei", "hg532")],
                "{\"v\":1}",
            ),
            cve(
                "CVE-2021-36260",
                &[("hikvision", "ds-2cd2026g2-iu\\/sl_firmware")],
                "{}",
            ),
        ];
        s.import_nvd_items(&items).expect("first import");
        s.import_kev(&[kev("CVE-2017-17215")]).expect("kev import");
        let first = s.vulndb_counts().expect("counts");
        // Same data again, one record changed: same counts, new body, no stale product rows.
        let mut again = items.clone();
        again[0] = cve(
            "CVE-2017-17215",
            &[("huawei", "hg532_firmware")],
            "{\"v\":2}",
        );
        s.import_nvd_items(&again).expect("second import");
        s.import_kev(&[kev("CVE-2017-17215")]).expect("kev again");
        assert_eq!(s.vulndb_counts().expect("counts"), first);
        assert_eq!(
            first,
            VulnDbCounts {
                cves: 2,
                kev: 1,
                osv: 0
            }
        );
        let found = s
            .find_by_cpe_prefix("Huawei", "HG532_firmware")
            .expect("lookup");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].record_json, "{\"v\":2}");
        assert_eq!(
            found[0].kev.as_ref().map(|k| k.date_added.as_str()),
            Some("2022-03-25")
        );
        // The hardware pair was dropped with the old record.
        assert!(s
            .find_by_cpe_prefix("huawei", "hg532")
            .expect("lookup")
            .is_empty());
    });
}
#[test]
fn wildcard_product_rows_match_any_lookup_and_others_do_not() {
    each(|s| {
        s.import_nvd_items(&[cve("CVE-2000-0001", &[("acme", "*")], "{}")])
            .expect("import");
        assert_eq!(
            s.find_by_cpe_prefix("acme", "router")
                .expect("lookup")
                .len(),
            1
        );
        assert!(s
            .find_by_cpe_prefix("other", "router")
            .expect("lookup")
            .is_empty());
        assert_eq!(s.get_kev("CVE-2000-0001").expect("kev lookup"), None);
    });
}
#[test]
fn osv_lookup_by_package_name_any_case() {
    each(|s| {
        let o = NewOsv {
            id: "ALPINE-CVE-2022-28391".to_string(),
            modified: None,
            packages: vec![("Alpine:v3.15".to_string(), "busybox".to_string())],
            record_json: "{}".to_string(),
        };
        s.import_osv(std::slice::from_ref(&o)).expect("import");
        s.import_osv(&[o]).expect("import again");
        assert_eq!(s.vulndb_counts().expect("counts").osv, 1);
        let found = s.find_osv_by_package("BusyBox").expect("lookup");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "ALPINE-CVE-2022-28391");
    });
}
