use yamori_store::accounts::{Grant, User};
use yamori_store::taxii::{
    version_key, AddOutcome, Collection, Cursor, NewObject, ObjectQuery, StatusDetail, TaxiiStatus,
    VersionFilter,
};
use yamori_store::Store;

use crate::backends::each;

pub const C: &str = "11111111-2222-4333-8444-555555555555";

pub fn setup(s: &Store) {
    s.taxii_put_collection(&Collection {
        id: C.into(),
        api_root: "api1".into(),
        alias: Some("telescope".into()),
        title: "Telescope".into(),
        description: Some("d".into()),
    })
    .expect("collection");
}

pub fn obj(n: u32, kind: &str, modified: &str) -> NewObject {
    let id = format!("{kind}--00000000-0000-4000-8000-{n:012}");
    NewObject {
        body: format!("{{\"id\": \"{id}\",  \"type\":\"{kind}\",\"modified\":\"{modified}\"}}"),
        id,
        kind: kind.into(),
        version_key: version_key(modified).expect("timestamp"),
        version: modified.into(),
        spec_version: "2.1".into(),
        created_by: None,
        sighting_of: None,
    }
}

fn add(s: &Store, objs: &[NewObject]) -> Vec<AddOutcome> {
    s.taxii_add_objects(C, objs, &mut |_| None).expect("add")
}

fn ids(s: &Store, q: &ObjectQuery) -> Vec<String> {
    s.taxii_query(q)
        .expect("query")
        .objects
        .into_iter()
        .map(|o| format!("{}@{}", o.id.rsplit('-').next().unwrap_or(""), o.version))
        .collect()
}

#[test]
fn collections_by_id_and_alias() {
    each(|s| {
        setup(s);
        let by_alias = s
            .taxii_collection("api1", "telescope")
            .expect("get")
            .expect("found");
        assert_eq!(by_alias.id, C);
        assert_eq!(
            s.taxii_collection("api1", C).expect("get").map(|c| c.title),
            Some("Telescope".into())
        );
        assert!(s.taxii_collection("api2", C).expect("get").is_none());
        assert_eq!(s.taxii_collections("api1").expect("list").len(), 1);
    });
}

#[test]
fn add_outcomes_and_byte_exact_bodies() {
    each(|s| {
        setup(s);
        let a = obj(1, "indicator", "2024-01-01T00:00:00.000Z");
        let mut dup = a.clone();
        dup.body = dup.body.replace(",  ", ", "); // same JSON value, other spacing
        let mut conflict = a.clone();
        conflict.body = conflict
            .body
            .replace("indicator\",", "indicator\",\"x\":1,");
        assert_eq!(
            add(s, &[a.clone(), dup, conflict]),
            vec![
                AddOutcome::Added,
                AddOutcome::Duplicate,
                AddOutcome::Conflict
            ]
        );
        let page = s.taxii_query(&ObjectQuery::new(C, 10)).expect("query");
        assert_eq!(page.objects.len(), 1);
        assert_eq!(page.objects[0].body.as_deref(), Some(a.body.as_str()));
        assert!(!page.more);
    });
}

/// A request large enough for the bulk path (COPY on PostgreSQL, several multi-row INSERTs on
/// SQLite): new objects, a second copy within the request, a stored duplicate and a stored
/// conflict keep their order and outcomes, and bodies with every awkward byte survive exactly.
#[test]
fn objects_for_a_missing_collection_are_refused_and_nothing_is_stored() {
    each(|s| {
        setup(s);
        let missing = "99999999-2222-4333-8444-555555555555";
        let t = "2024-01-01T00:00:00.000Z";
        // Both paths: PostgreSQL COPYs requests of 64 objects and more.
        for n in [1, 100] {
            let objs: Vec<NewObject> = (0..n).map(|i| obj(i, "indicator", t)).collect();
            let err = s
                .taxii_add_objects(missing, &objs, &mut |_| None)
                .expect_err("no such collection");
            assert!(
                err.to_string()
                    .contains(&format!("no collection with id {missing}")),
                "{err}"
            );
        }
        let mut q = ObjectQuery::new(missing, 10);
        q.ids = vec![obj(0, "indicator", t).id];
        assert!(s.taxii_query(&q).expect("query").objects.is_empty());
        assert_eq!(add(s, &[obj(0, "indicator", t)]), vec![AddOutcome::Added]);
    });
}

#[test]
fn bulk_request_outcomes_in_order() {
    each(|s| {
        setup(s);
        let t = "2024-01-01T00:00:00.000Z";
        let stored = [obj(1, "indicator", t), obj(2, "indicator", t)];
        assert_eq!(add(s, &stored), vec![AddOutcome::Added; 2]);
        let mut batch: Vec<NewObject> = (10..1210).map(|n| obj(n, "indicator", t)).collect();
        batch[7].body = batch[7].body.replace(
            "indicator\",",
            "indicator\",\"name\":\"tab\\t nl\\n \\\\ é 家守\",",
        );
        let tricky = batch[7].body.clone();
        batch.insert(3, stored[0].clone()); // duplicate of a stored object
        let mut conflict = stored[1].clone();
        conflict.body = conflict
            .body
            .replace("indicator\",", "indicator\",\"x\":1,");
        batch.insert(600, conflict); // same id and version, other content
        batch.push(batch[0].clone()); // a second copy within the request
        let out = add(s, &batch);
        assert_eq!(out.len(), batch.len());
        assert_eq!(out[3], AddOutcome::Duplicate);
        assert_eq!(out[600], AddOutcome::Conflict);
        assert_eq!(out[batch.len() - 1], AddOutcome::Duplicate);
        let added = out.iter().filter(|o| **o == AddOutcome::Added).count();
        assert_eq!(added, 1200);
        let mut q = ObjectQuery::new(C, 2000);
        q.ids = vec![batch[8].id.clone()];
        let page = s.taxii_query(&q).expect("query");
        assert_eq!(page.objects.len(), 1);
        assert_eq!(page.objects[0].body.as_deref(), Some(tricky.as_str()));
        assert_eq!(
            s.taxii_query(&ObjectQuery::new(C, 2000))
                .expect("all")
                .objects
                .len(),
            1202
        );
    });
}

#[test]
fn version_filters_and_delete() {
    each(|s| {
        setup(s);
        let v = [
            "2024-01-01T00:00:00Z",
            "2024-02-01T00:00:00.5Z",
            "2024-03-01T00:00:00.000Z",
        ];
        add(s, &[obj(1, "indicator", v[1])]);
        add(s, &[obj(1, "indicator", v[0]), obj(2, "malware", v[0])]);
        add(s, &[obj(1, "indicator", v[2])]);
        let mut q = ObjectQuery::new(C, 10);
        assert_eq!(
            ids(s, &q),
            vec![
                format!("000000000002@{}", v[0]),
                format!("000000000001@{}", v[2])
            ]
        );
        q.versions = VersionFilter {
            first: true,
            ..Default::default()
        };
        assert_eq!(
            ids(s, &q),
            vec![
                format!("000000000001@{}", v[0]),
                format!("000000000002@{}", v[0])
            ]
        );
        q.versions = VersionFilter::all();
        q.types = vec!["indicator".into()];
        assert_eq!(ids(s, &q).len(), 3);
        // Exact version matches across precisions.
        q.versions = VersionFilter {
            exact: vec![version_key("2024-02-01T00:00:00.500Z").expect("ts")],
            ..Default::default()
        };
        assert_eq!(ids(s, &q), vec![format!("000000000001@{}", v[1])]);
        q.types.clear();
        q.ids = vec!["malware--00000000-0000-4000-8000-000000000002".into()];
        q.versions = VersionFilter::last();
        assert_eq!(ids(s, &q).len(), 1);
        q.spec_versions = vec!["2.0".into()];
        assert_eq!(ids(s, &q).len(), 0);
        // Delete the first version only, then everything.
        let id1 = "indicator--00000000-0000-4000-8000-000000000001";
        let first = VersionFilter {
            first: true,
            ..Default::default()
        };
        assert_eq!(
            s.taxii_delete_object(C, id1, &first, &[]).expect("delete"),
            1
        );
        assert_eq!(
            s.taxii_delete_object(C, id1, &VersionFilter::all(), &["2.0".into()])
                .expect("delete"),
            0
        );
        // A version the check refuses (the newest) stops the whole deletion.
        let refuse_newest = |body: &str| !body.contains(v[2]);
        assert_eq!(
            s.taxii_delete_object_admitted(C, id1, &VersionFilter::all(), &[], &refuse_newest)
                .expect("delete"),
            0
        );
        assert_eq!(
            s.taxii_delete_object(C, id1, &VersionFilter::all(), &[])
                .expect("delete"),
            2
        );
        let mut q = ObjectQuery::new(C, 10);
        q.versions = VersionFilter::all();
        assert_eq!(ids(s, &q).len(), 1);
        // The latest body by id: the malware's only version; nothing for a deleted or
        // unknown id.
        let malware = "malware--00000000-0000-4000-8000-000000000002".to_string();
        let bodies = s
            .taxii_latest_bodies(C, &[id1.to_string(), malware.clone(), "x--1".into()])
            .expect("bodies");
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0].0, malware);
        assert!(bodies[0].1.contains(v[0]), "{}", bodies[0].1);
        add(s, &[obj(2, "malware", v[2])]);
        let bodies = s.taxii_latest_bodies(C, &[malware]).expect("bodies");
        assert!(bodies[0].1.contains(v[2]), "{}", bodies[0].1);
    });
}

#[test]
fn keyset_paging_and_added_after() {
    each(|s| {
        setup(s);
        let batch1: Vec<_> = (0..7)
            .map(|n| obj(n, "indicator", "2024-01-01T00:00:00Z"))
            .collect();
        add(s, &batch1);
        let mut q = ObjectQuery::new(C, 3);
        let mut seen = Vec::new();
        let mut after: Option<Cursor> = None;
        let mut added_more = false;
        loop {
            q.after = after.clone();
            let page = s.taxii_query(&q).expect("page");
            seen.extend(page.objects.iter().map(|o| o.id.clone()));
            if !added_more {
                add(
                    s,
                    &(7..9)
                        .map(|n| obj(n, "indicator", "2024-01-01T00:00:00Z"))
                        .collect::<Vec<_>>(),
                );
                added_more = true;
            }
            match page.objects.last() {
                Some(l) if page.more => after = Some(l.cursor()),
                _ => break,
            }
        }
        let want: Vec<String> = (0..9)
            .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
            .collect();
        assert_eq!(seen, want);
        // date_added strictly increases between batches; added_after is exclusive.
        let all = s
            .taxii_query(&ObjectQuery::new(C, 100))
            .expect("all")
            .objects;
        assert!(all[6].date_added < all[7].date_added);
        assert_eq!(all[0].date_added, all[6].date_added);
        let mut q = ObjectQuery::new(C, 100);
        q.added_after = Some(all[6].date_added.clone());
        assert_eq!(s.taxii_query(&q).expect("q").objects.len(), 2);
    });
}

#[test]
fn statuses_users_grants_kv() {
    each(|s| {
        let d = |id: &str| StatusDetail {
            id: id.into(),
            version: "v".into(),
            message: None,
        };
        let mut st = TaxiiStatus {
            id: "s1".into(),
            api_root: "api1".into(),
            owner: "alice".into(),
            request_timestamp: "2024-01-01T00:00:00.000000Z".into(),
            total_count: 2,
            successes: vec![],
            failures: vec![],
            pendings: vec![d("a"), d("b")],
        };
        s.taxii_put_status(&st).expect("put");
        assert_eq!(
            s.taxii_pending_statuses().expect("pending"),
            vec!["s1".to_string()]
        );
        st.successes = vec![d("a")];
        st.failures = vec![StatusDetail {
            message: Some("bad".into()),
            ..d("b")
        }];
        st.pendings.clear();
        s.taxii_put_status(&st).expect("update");
        assert_eq!(s.taxii_status("s1").expect("get"), Some(st));
        assert!(s.taxii_pending_statuses().expect("pending").is_empty());
        assert_eq!(
            s.taxii_purge_statuses("2023-01-01T00:00:00Z")
                .expect("purge"),
            0
        );
        assert_eq!(
            s.taxii_purge_statuses("2025-01-01T00:00:00Z")
                .expect("purge"),
            1
        );
        assert!(s.taxii_status("s1").expect("get").is_none());

        s.taxii_put_user(&User {
            name: "alice".into(),
            password_hash: None,
        })
        .expect("user");
        s.taxii_add_token("t1", "alice", "hash").expect("token");
        assert_eq!(
            s.taxii_token("t1").expect("get"),
            Some(("alice".into(), "hash".into()))
        );
        assert_eq!(
            s.taxii_tokens_of("alice").expect("list"),
            vec!["hash".to_string()]
        );
        let g = Grant {
            collection_id: C.into(),
            can_read: true,
            can_write: false,
        };
        s.taxii_set_grant("alice", &g).expect("grant");
        s.taxii_set_grant(
            "alice",
            &Grant {
                can_write: true,
                ..g.clone()
            },
        )
        .expect("regrant");
        assert_eq!(
            s.taxii_grants("alice").expect("grants"),
            vec![Grant {
                can_write: true,
                ..g
            }]
        );
        assert_eq!(s.taxii_users().expect("users").len(), 1);
        // A TLP clearance: unset by default, kept when the password changes, unset again.
        assert_eq!(s.taxii_user_tlp("alice").expect("tlp"), None);
        assert!(s.taxii_set_user_tlp("alice", Some("amber")).expect("set"));
        assert!(!s.taxii_set_user_tlp("nobody", Some("amber")).expect("set"));
        s.taxii_put_user(&User {
            name: "alice".into(),
            password_hash: Some("h".into()),
        })
        .expect("user");
        assert_eq!(
            s.taxii_user_tlp("alice").expect("tlp").as_deref(),
            Some("amber")
        );
        assert!(s.taxii_set_user_tlp("alice", None).expect("unset"));
        assert_eq!(s.taxii_user_tlp("alice").expect("tlp"), None);
        assert_eq!(s.kv_get("k").expect("kv"), None);
        s.kv_set("k", "1").expect("kv");
        s.kv_set("k", "2").expect("kv");
        assert_eq!(s.kv_get("k").expect("kv").as_deref(), Some("2"));
        s.kv_set("sync.pull|u|c", "p").expect("kv");
        assert_eq!(
            s.kv_prefixed("sync.").expect("prefixed"),
            vec![("sync.pull|u|c".to_string(), "p".to_string())]
        );

        // Revoking: one token by id, then all; removing the user takes its grants along.
        s.taxii_add_token("t2", "alice", "hash2").expect("token");
        s.taxii_add_token("t3", "alice", "hash3").expect("token");
        assert_eq!(
            s.taxii_delete_tokens("alice", Some("t2")).expect("revoke"),
            1
        );
        assert_eq!(s.taxii_delete_tokens("bob", Some("t3")).expect("revoke"), 0);
        assert!(s.taxii_token("t2").expect("get").is_none());
        assert_eq!(s.taxii_delete_tokens("alice", None).expect("revoke all"), 2);
        assert!(s.taxii_tokens_of("alice").expect("list").is_empty());
        assert!(s.taxii_delete_user("alice").expect("delete"));
        assert!(!s.taxii_delete_user("alice").expect("again"));
        assert!(s.taxii_grants("alice").expect("grants").is_empty());
        assert!(s.taxii_users().expect("users").is_empty());
    });
}

#[test]
fn each_latest_object_walks_every_page_and_only_the_latest_versions() {
    each(|s| {
        setup(s);
        // Five indicators (the second in two versions) and a sighting, added in two batches.
        let mut first: Vec<NewObject> = (1..=3)
            .map(|n| obj(n, "indicator", "2024-01-01T00:00:00Z"))
            .collect();
        first.push(obj(9, "sighting", "2024-01-01T00:00:00Z"));
        add(s, &first);
        add(
            s,
            &[
                obj(2, "indicator", "2024-02-01T00:00:00Z"),
                obj(4, "indicator", "2024-01-01T00:00:00Z"),
                obj(5, "indicator", "2024-01-01T00:00:00Z"),
            ],
        );
        let mut seen = Vec::new();
        let n = s
            .taxii_each_latest_object(C, &["indicator"], 2, &mut |body| {
                let v: serde_json::Value = serde_json::from_str(body).expect("stored JSON");
                let id = v["id"].as_str().unwrap_or("");
                seen.push(format!(
                    "{}@{}",
                    id.rsplit('-').next().unwrap_or(""),
                    v["modified"].as_str().unwrap_or("")
                ));
                Ok(())
            })
            .expect("walk");
        assert_eq!(n, 5);
        assert_eq!(
            seen,
            [
                "000000000001@2024-01-01T00:00:00Z",
                "000000000003@2024-01-01T00:00:00Z",
                "000000000002@2024-02-01T00:00:00Z",
                "000000000004@2024-01-01T00:00:00Z",
                "000000000005@2024-01-01T00:00:00Z",
            ]
        );
        // All kinds, and an error from the callback stops the walk and is returned.
        let mut count = 0;
        let stopped = s.taxii_each_latest_object(C, &[], 1, &mut |_| {
            count += 1;
            if count == 3 {
                return Err(yamori_store::StoreError::Other("enough".into()));
            }
            Ok(())
        });
        assert!(matches!(stopped, Err(yamori_store::StoreError::Other(m)) if m == "enough"));
        assert_eq!(count, 3);
        let all = s
            .taxii_each_latest_object(C, &[], 100, &mut |_| Ok(()))
            .expect("all kinds");
        assert_eq!(all, 6);
    });
}

/// The export walk skips the latest-version filters when no object has a second version, and
/// must hand out the very objects, in the very order, of the filtered walk either way.
#[test]
fn each_latest_indicator_reads_what_the_filtered_walk_reads() {
    fn filtered(s: &Store) -> Vec<String> {
        let mut bodies = Vec::new();
        s.taxii_each_latest_object(C, &["indicator"], 777, &mut |b| {
            bodies.push(b.to_string());
            Ok(())
        })
        .expect("filtered walk");
        bodies
    }
    fn export(s: &Store) -> Vec<String> {
        let mut bodies = Vec::new();
        let n = s
            .taxii_each_latest_indicator(C, &mut |b| bodies.push(b.to_string()))
            .expect("export walk");
        assert_eq!(n, bodies.len() as u64);
        bodies
    }
    each(|s| {
        setup(s);
        // More than one export page, in two batches (one date_added each), and a sighting.
        let total = yamori_store::taxii::EXPORT_PAGE_SIZE + 3;
        let day = "2024-01-01T00:00:00Z";
        let mut first: Vec<NewObject> = (1..=2600).map(|n| obj(n, "indicator", day)).collect();
        first.push(obj(9_999_999, "sighting", day));
        add(s, &first);
        let rest: Vec<NewObject> = (2601..=total).map(|n| obj(n, "indicator", day)).collect();
        add(s, &rest);
        let one_version = export(s);
        assert_eq!(one_version.len(), total as usize);
        assert!(one_version[0].contains("-000000000001\""));
        assert!(one_version[2600].contains("-000000002601\""));
        assert_eq!(one_version, filtered(s));
        // A second version of indicator 7: now the filters matter, and the old one goes.
        add(s, &[obj(7, "indicator", "2024-02-01T00:00:00Z")]);
        let two_versions = export(s);
        assert_eq!(two_versions.len(), total as usize);
        assert_eq!(two_versions, filtered(s));
        assert!(two_versions[total as usize - 1].contains("2024-02-01"));
        assert_eq!(
            two_versions
                .iter()
                .filter(|b| b.contains("-000000000007\""))
                .count(),
            1
        );
    });
}

#[test]
fn a_collection_revision_counts_every_change_and_only_changes() {
    each(|s| {
        setup(s);
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 0);
        add(s, &[obj(1, "indicator", "2024-01-01T00:00:00Z")]);
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 1);
        // The same object again adds nothing: no change.
        add(s, &[obj(1, "indicator", "2024-01-01T00:00:00Z")]);
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 1);
        add(
            s,
            &[
                obj(1, "indicator", "2024-02-01T00:00:00Z"),
                obj(2, "indicator", "2024-01-01T00:00:00Z"),
            ],
        );
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 2);
        let gone = s
            .taxii_delete_object(
                C,
                "indicator--00000000-0000-4000-8000-000000000001",
                &VersionFilter::all(),
                &[],
            )
            .expect("delete");
        assert_eq!(gone, 2);
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 3);
        // Deleting what is not there is no change; other collections count on their own.
        s.taxii_delete_object(
            C,
            "indicator--00000000-0000-4000-8000-000000000001",
            &VersionFilter::all(),
            &[],
        )
        .expect("delete nothing");
        assert_eq!(s.taxii_collection_revision(C).expect("revision"), 3);
        assert_eq!(s.taxii_collection_revision("other").expect("other"), 0);
        let mut bodies = 0;
        let n = s
            .taxii_each_latest_indicator(C, &mut |_| bodies += 1)
            .expect("walk");
        assert_eq!((n, bodies), (1, 1));
    });
}

/// A bulk load refreshes PostgreSQL's statistics of the objects on its own (autovacuum is
/// too slow for it), on a thread of its own: the insert that passes the threshold does not
/// wait for it.
#[test]
fn a_bulk_load_refreshes_the_objects_statistics_on_postgresql() {
    let db = crate::backends::pg();
    let s = db.store.as_ref().expect("store is set until drop");
    setup(s);
    let t = "2024-01-01T00:00:00.000Z";
    let mut client = postgres::Client::connect(&db.db.url, postgres::NoTls).expect("connect");
    let analysed = |c: &mut postgres::Client| -> bool {
        c.query_one(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'taxii_objects'",
            &[],
        )
        .expect("statistics")
        .get(0)
    };
    for base in (0..20_000).step_by(1000) {
        assert!(!analysed(&mut client), "analysed before the threshold");
        let objs: Vec<NewObject> = (base..base + 1000)
            .map(|n| obj(n, "indicator", t))
            .collect();
        add(s, &objs);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !analysed(&mut client) {
        assert!(
            std::time::Instant::now() < deadline,
            "no ANALYZE of taxii_objects within 60 s of 20,000 new objects"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
