//! The correlation index on both engines: following the stored objects, counted past the
//! per-value cap, looked up by exact keys and key ranges, filtered by collection, forgotten
//! with the object, and never naming an object deleted before it was indexed.

use yamori_store::correlation::{
    BacklogObject, CatchUp, IndexValue, Indexed, Lookup, MAX_REFS_PER_VALUE,
};
use yamori_store::decoy::NewDecoyEvent;
use yamori_store::taxii::{AddOutcome, Collection, NewObject, VersionFilter};
use yamori_store::Store;

use crate::backends::{same_on_each, stamp};
use crate::taxii::{obj, setup, C};

const D: &str = "99999999-2222-4333-8444-555555555555";

/// Keys as `yamori_intel::observables` writes them (the store treats them as opaque bytes).
fn v4(value: &str, key: &str) -> IndexValue {
    IndexValue {
        kind: "ipv4",
        key: key.into(),
        value: value.into(),
    }
}

const ADDR: (&str, &str) = ("198.51.100.7", "c6336407/032");
const NET: (&str, &str) = ("198.51.100.0/24", "c6336400/024");
const OTHER: (&str, &str) = ("198.51.100.200", "c63364c8/032");

fn named(n: u32, modified: &str, by: Option<&str>, values: &[(&str, &str)]) -> NewObject {
    let o = obj(n, "indicator", modified);
    named_id(&o.id, modified, by, values)
}

/// An indicator whose JSON text carries the values the index should hold, as (value, key)
/// pairs in `x_values`: the store reads values from stored objects through an extractor
/// ([`index`]), as the hub's reads them from patterns.
fn named_id(id: &str, modified: &str, by: Option<&str>, values: &[(&str, &str)]) -> NewObject {
    let mut o = obj(0, "indicator", modified);
    o.id = id.to_string();
    o.created_by = by.map(str::to_owned);
    o.body = serde_json::json!({
        "type": "indicator",
        "id": id,
        "modified": modified,
        "created_by_ref": by,
        "x_values": values,
    })
    .to_string();
    o
}

/// The test's extractor: the values in `x_values`; `None` (nothing to index) for an object
/// without them.
fn extract(b: &BacklogObject) -> Option<Indexed> {
    let v: serde_json::Value = serde_json::from_str(&b.body).ok()?;
    let values = v["x_values"]
        .as_array()?
        .iter()
        .filter_map(|p| Some(v4(p[0].as_str()?, p[1].as_str()?)))
        .collect();
    Some(Indexed {
        id: v["id"].as_str()?.to_string(),
        kind: v["type"].as_str()?.to_string(),
        created_by: v["created_by_ref"].as_str().map(str::to_owned),
        values,
    })
}

/// Bring the index up to every stored object, as the hub's indexer does; how many it read.
fn index(s: &Store) -> u64 {
    s.correlation_catch_up(1000, None, &mut extract)
        .expect("index")
        .indexed
}

fn both(s: &Store) {
    setup(s);
    s.taxii_put_collection(&Collection {
        id: D.into(),
        api_root: "api1".into(),
        alias: None,
        title: "Peer feed".into(),
        description: None,
    })
    .expect("collection");
}

fn lookup<'a>(
    kind: &'a str,
    exact: &'a [String],
    within: Option<(&'a str, &'a str)>,
) -> Lookup<'a> {
    Lookup {
        kind,
        exact,
        within,
        own_key: None,
        collections: None,
        limit: 100,
    }
}

#[test]
fn values_and_their_reports_are_indexed_with_the_objects_alike_on_both_engines() {
    let got = same_on_each(|s| {
        both(s);
        let t1 = "2026-12-01T00:00:00.000Z";
        let t2 = "2026-12-02T00:00:00.000Z";
        let out = s
            .taxii_add_objects(
                C,
                &[
                    named(1, t1, None, &[ADDR, NET]),
                    named(2, t1, None, &[OTHER]),
                ],
                &mut |_| None,
            )
            .expect("add");
        assert_eq!(out, [AddOutcome::Added, AddOutcome::Added]);
        let by = Some("identity--00000000-0000-4000-8000-000000000001");
        s.taxii_add_objects(D, &[named(3, t1, by, &[ADDR])], &mut |_| None)
            .expect("add");
        // A new version of object 1 is a report more; the same version again is not.
        s.taxii_add_objects(
            C,
            &[
                named(1, t2, None, &[ADDR]),
                named(1, t1, None, &[ADDR, NET]),
            ],
            &mut |_| None,
        )
        .expect("add");
        // Nothing is indexed until the indexer reads the objects: four rows, once.
        let before = s.correlation_backlog(100).expect("backlog").len();
        assert_eq!((before, index(s), index(s)), (4, 4, 0));
        let exact = vec![
            ADDR.1.to_string(),
            NET.1.to_string(),
            "00000000/000".to_string(),
        ];
        let (values, refs) = s
            .correlation_lookup(&lookup("ipv4", &exact, None))
            .expect("lookup");
        let values: Vec<_> = values
            .into_iter()
            .map(|v| (v.capped(), v))
            .map(|(c, v)| {
                (
                    v.value,
                    v.reports,
                    c,
                    stamp(&v.first_added),
                    stamp(&v.last_added),
                )
            })
            .collect();
        let refs: Vec<_> = refs
            .into_iter()
            .map(|r| (r.value, r.collection, r.object_id, r.created_by))
            .collect();
        // The /24 finds the three values inside it by their key range; a collection filter
        // keeps the reports of that collection only.
        let (_, inside) = s
            .correlation_lookup(&lookup("ipv4", &[], Some(("c6336400/", "c63364ff/~"))))
            .expect("range");
        let only_d = [D.to_string()];
        let mut q = lookup("ipv4", &exact, None);
        q.collections = Some(&only_d);
        let (_, in_d) = s.correlation_lookup(&q).expect("filtered");
        let none: [String; 0] = [];
        q.collections = Some(&none);
        let (_, in_nothing) = s.correlation_lookup(&q).expect("no collections");
        (values, refs, inside.len(), in_d.len(), in_nothing.len())
    });
    let id = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
    assert_eq!(
        got.0,
        [
            (
                "198.51.100.0/24".to_string(),
                1,
                false,
                stamp("2026-12-01T00:00:00.000000Z"),
                stamp("2026-12-01T00:00:00.000000Z")
            ),
            (
                "198.51.100.7".to_string(),
                3,
                false,
                stamp("2026-12-01T00:00:00.000000Z"),
                stamp("2026-12-01T00:00:00.000000Z")
            ),
        ]
    );
    // Newest report first: object 1's second version came last.
    assert_eq!(
        got.1[0],
        ("198.51.100.7".into(), "telescope".into(), id(1), None)
    );
    assert!(got.1.contains(&(
        "198.51.100.7".into(),
        "Peer feed".into(),
        id(3),
        Some("identity--00000000-0000-4000-8000-000000000001".into())
    )));
    assert!(got
        .1
        .contains(&("198.51.100.0/24".into(), "telescope".into(), id(1), None)));
    assert_eq!(got.1.len(), 3);
    assert_eq!((got.2, got.3, got.4), (4, 1, 0));
}

#[test]
fn a_popular_value_is_counted_past_the_cap_without_more_rows() {
    let got = same_on_each(|s| {
        both(s);
        let t = "2026-12-01T00:00:00.000Z";
        let objects: Vec<NewObject> = (0..MAX_REFS_PER_VALUE as u32 + 7)
            .map(|n| named(n, t, None, &[ADDR]))
            .collect();
        let (a, b) = objects.split_at(600);
        // Two pages of the indexer: the second counts past the cap the first filled.
        s.taxii_add_objects(C, a, &mut |_| None).expect("add");
        index(s);
        s.taxii_add_objects(C, b, &mut |_| None).expect("add");
        index(s);
        let exact = [ADDR.1.to_string()];
        let mut q = lookup("ipv4", &exact, None);
        q.limit = 5000;
        let (values, refs) = s.correlation_lookup(&q).expect("lookup");
        (values[0].reports, values[0].capped(), refs.len())
    });
    assert_eq!(
        got,
        (MAX_REFS_PER_VALUE + 7, true, MAX_REFS_PER_VALUE as usize)
    );
}

#[test]
fn deleted_objects_leave_the_index_and_are_never_indexed_after() {
    let got = same_on_each(|s| {
        both(s);
        let t1 = "2026-12-01T00:00:00.000Z";
        let t2 = "2026-12-02T00:00:00.000Z";
        s.taxii_add_objects(
            C,
            &[
                named(1, t1, None, &[ADDR]),
                named(1, t2, None, &[ADDR]),
                named(2, t1, None, &[ADDR]),
            ],
            &mut |_| None,
        )
        .expect("add");
        index(s);
        let exact = [ADDR.1.to_string()];
        let count = |s: &Store| {
            s.correlation_lookup(&lookup("ipv4", &exact, None))
                .expect("lookup")
                .1
                .len()
        };
        let all = count(s);
        // One version of object 1 gone: it still names the value.
        let id = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
        let first = VersionFilter {
            first: true,
            ..VersionFilter::default()
        };
        s.taxii_delete_object(C, &id(1), &first, &[])
            .expect("delete");
        let one_version_left = count(s);
        s.taxii_delete_object(C, &id(1), &VersionFilter::all(), &[])
            .expect("delete");
        let gone = count(s);
        // Deleted before the indexer read it: never indexed.
        s.taxii_add_objects(C, &[named(3, t1, None, &[ADDR])], &mut |_| None)
            .expect("add");
        s.taxii_delete_object(C, &id(3), &VersionFilter::all(), &[])
            .expect("delete");
        index(s);
        let deleted_first = count(s);
        // Deleted after the indexer read it, before it wrote: left out as well, and the
        // position still moves past it.
        s.taxii_add_objects(
            C,
            &[named(4, t1, None, &[ADDR]), named(5, t1, None, &[ADDR])],
            &mut |_| None,
        )
        .expect("add");
        let page = s.correlation_backlog(10).expect("backlog");
        s.taxii_delete_object(C, &id(4), &VersionFilter::all(), &[])
            .expect("delete");
        let items: Vec<_> = page
            .iter()
            .map(|b| (b.clone(), extract(b).expect("extract")))
            .collect();
        let (lo, hi) = (page[0].seq, page[page.len() - 1].seq);
        let wrote = s.correlation_index(&items, lo, hi).expect("index");
        let read_then_deleted = count(s);
        // A page another indexer has written is not written again.
        let again = s.correlation_index(&items, lo, hi).expect("again");
        let backlog = s.correlation_backlog(10).expect("backlog").len();
        (
            (all, one_version_left, gone, deleted_first),
            (
                page.len(),
                wrote,
                read_then_deleted,
                again,
                backlog,
                count(s),
            ),
        )
    });
    assert_eq!(got, ((2, 2, 1, 1), (2, true, 2, false, 0, 2)));
}

#[test]
fn a_reader_leaves_a_large_backlog_to_the_indexer() {
    let got = same_on_each(|s| {
        both(s);
        let t = "2026-12-01T00:00:00.000Z";
        let three: Vec<NewObject> = (1..=3).map(|n| named(n, t, None, &[ADDR])).collect();
        s.taxii_add_objects(C, &three, &mut |_| None).expect("add");
        let too_many = s
            .correlation_catch_up(1000, Some(2), &mut extract)
            .expect("bounded");
        let enough = s
            .correlation_catch_up(1000, Some(3), &mut extract)
            .expect("bounded");
        (too_many, enough)
    });
    assert_eq!(
        got,
        (
            CatchUp::default(),
            CatchUp {
                indexed: 3,
                skipped: 0,
                complete: true
            }
        )
    );
}

#[test]
fn a_value_the_engine_refuses_is_left_out_without_stopping_the_index() {
    // PostgreSQL's text cannot hold a NUL character (SQLite's can): the page is refused, then
    // written object by object, and only the object naming that value is left out (an object
    // naming nothing, between them, moves the position like the others).
    let pg = crate::backends::pg();
    let s = pg.store.as_ref().expect("store");
    both(s);
    let t = "2026-12-01T00:00:00.000Z";
    s.taxii_add_objects(
        C,
        &[
            named(1, t, None, &[ADDR]),
            obj(4, "identity", t),
            named(2, t, None, &[("198.51.100.8\u{0}", "c6336408\u{0}/032")]),
            named(3, t, None, &[OTHER]),
        ],
        &mut |_| None,
    )
    .expect("add");
    let done = s
        .correlation_catch_up(1000, None, &mut extract)
        .expect("index");
    assert_eq!(
        done,
        CatchUp {
            indexed: 3,
            skipped: 1,
            complete: true
        }
    );
    let exact = [ADDR.1.to_string(), OTHER.1.to_string()];
    let (values, refs) = s
        .correlation_lookup(&lookup("ipv4", &exact, None))
        .expect("lookup");
    assert_eq!((values.len(), refs.len()), (2, 2));
    assert!(s.correlation_backlog(10).expect("backlog").is_empty());
}

#[test]
fn an_error_that_is_not_about_the_data_passes_nothing_over() {
    // The index's table gone (as a lost connection or a full disk, a failure of the database,
    // not of a value): the catch-up fails and every object still waits.
    let pg = crate::backends::pg();
    let s = pg.store.as_ref().expect("store");
    both(s);
    let t = "2026-12-01T00:00:00.000Z";
    let three: Vec<NewObject> = (1..=3).map(|n| named(n, t, None, &[ADDR])).collect();
    s.taxii_add_objects(C, &three, &mut |_| None).expect("add");
    yamori_store::pg_execute_admin(&pg.db.url, "DROP TABLE intel_refs").expect("drop");
    let err = s
        .correlation_catch_up(1000, None, &mut extract)
        .expect_err("no table to write");
    assert!(!err.refuses_data(), "{err}");
    assert_eq!(s.correlation_backlog(10).expect("backlog").len(), 3);
}

#[test]
fn the_sensors_seen_by_an_address_include_the_decoy() {
    let got = same_on_each(|s| {
        let ev = |session: &str, ts: &str| NewDecoyEvent {
            session: session.into(),
            eventid: "cowrie.login.failed".into(),
            src_ip: "203.0.113.9".into(),
            timestamp: ts.into(),
            url: None,
            record: "{}".into(),
        };
        s.decoy_add_events(&[
            ev("s1", "2026-12-01T00:00:00Z"),
            ev("s1", "2026-12-01T00:00:05Z"),
            ev("s2", "2026-12-02T00:00:00Z"),
        ])
        .expect("decoy");
        // The telescope saw 192.0.2.1 (100 packets) on two days.
        crate::dashboard::put(s, "a", &crate::dashboard::report(20, 100));
        crate::dashboard::put(s, "b", &crate::dashboard::report(21, 50));
        both(s);
        let t = "2026-12-01T00:00:00.000Z";
        let addr = |id: &str, v: &str, k: &str| {
            named_id(
                &format!("indicator--00000000-0000-4000-8000-0000000000{id}"),
                t,
                None,
                &[(v, k)],
            )
        };
        let prefix = named(9, t, None, &[("192.0.2.0/24", "c0000200/024")]);
        let decoy_prefix = named(8, t, None, &[("203.0.113.0/25", "cb007100/025")]);
        let unseen = named(7, t, None, &[("10.0.0.0/8", "0a000000/008")]);
        s.taxii_add_objects(
            D,
            &[
                addr("d1", "203.0.113.9", "cb007109/032"),
                addr("d2", "192.0.2.1", "c0000201/032"),
                prefix,
                decoy_prefix,
                unseen,
            ],
            &mut |_| None,
        )
        .expect("add");
        s.taxii_add_objects(C, &[addr("c1", "192.0.2.1", "c0000201/032")], &mut |_| None)
            .expect("add");
        index(s);
        let indicators: Vec<_> = s
            .correlation_seen_indicators(&[C.to_string()])
            .expect("seen indicators")
            .into_iter()
            .map(|r| (r.object_id, r.value, r.sensor, r.first, r.last, r.count))
            .collect();
        let seen = s.correlation_sensor_seen("203.0.113.9").expect("seen");
        let nothing = s.correlation_sensor_seen("203.0.113.10").expect("seen");
        let bot = s.correlation_sensor_seen("192.0.2.1").expect("seen");
        (
            seen.telescope.len(),
            seen.decoy.map(|d| (d.sessions, d.records, d.first, d.last)),
            nothing.decoy,
            bot.telescope
                .into_iter()
                .map(|t| (t.sensor, t.analyses, t.packets, t.scanner))
                .collect::<Vec<_>>(),
            indicators,
        )
    });
    assert_eq!(
        (got.0, got.1.clone(), got.2.clone(), got.3.clone()),
        (
            0,
            Some((
                2,
                3,
                "2026-12-01T00:00:00Z".into(),
                "2026-12-02T00:00:00Z".into()
            )),
            None,
            vec![(None, 2, 150, true)]
        )
    );
    // Our own collection's indicator is not among the peer's seen ones; the peer's prefix
    // is, by the address inside it.
    let d = |n: &str| format!("indicator--00000000-0000-4000-8000-0000000000{n}");
    assert_eq!(
        got.4,
        [
            (
                d("09"),
                "192.0.2.1".into(),
                "telescope",
                "2026-11-20T00:00:00Z".into(),
                "2026-11-21T00:00:59Z".into(),
                150
            ),
            (
                d("d2"),
                "192.0.2.1".into(),
                "telescope",
                "2026-11-20T00:00:00Z".into(),
                "2026-11-21T00:00:59Z".into(),
                150
            ),
            (
                d("08"),
                "203.0.113.9".into(),
                "decoy",
                "2026-12-01T00:00:00Z".into(),
                "2026-12-02T00:00:00Z".into(),
                3
            ),
            (
                d("d1"),
                "203.0.113.9".into(),
                "decoy",
                "2026-12-01T00:00:00Z".into(),
                "2026-12-02T00:00:00Z".into(),
                3
            ),
        ]
    );
}

#[test]
fn values_that_two_sources_name_are_read_with_each_indicators_latest_body() {
    let got = same_on_each(|s| {
        both(s);
        let (a, b) = (Some("identity--a"), Some("identity--b"));
        let t1 = "2026-01-01T00:00:00.000Z";
        let t2 = "2026-01-02T00:00:00.000Z";
        s.taxii_add_objects(
            C,
            &[
                named(1, t1, a, &[ADDR]),
                named(1, t2, a, &[ADDR]), // a second version: its body is the one read
                named(2, t1, a, &[OTHER]),
                named(3, t1, a, &[NET]),
            ],
            &mut |_| None,
        )
        .expect("add");
        s.taxii_add_objects(
            D,
            &[named(4, t1, b, &[ADDR]), named(5, t1, a, &[OTHER])],
            &mut |_| None,
        )
        .expect("add");
        index(s);
        let rows = |c: Option<&[String]>| -> Vec<(String, String, String, bool)> {
            s.correlation_shared_values(c)
                .expect("shared")
                .into_iter()
                .map(|r| (r.key, r.object_id, r.collection_id, r.body.contains(t2)))
                .collect()
        };
        let of: Vec<_> = s
            .correlation_shared_values_of(
                None,
                &[
                    ("ipv4".into(), OTHER.1.into()),
                    ("ipv4".into(), ADDR.1.into()),
                    ("ipv4".into(), ADDR.1.into()),
                ],
            )
            .expect("shared of")
            .into_iter()
            .map(|r| (r.key, r.object_id, r.collection_id, r.body.contains(t2)))
            .collect();
        (rows(None), rows(Some(&[C.to_string()])), of)
    });
    let id = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
    // Only ADDR has two sources (OTHER has two objects of one source, NET one object).
    assert_eq!(
        got.0,
        vec![
            (ADDR.1.to_string(), id(1), C.to_string(), true),
            (ADDR.1.to_string(), id(4), D.to_string(), false),
        ]
    );
    // Within C alone, no value has two sources.
    assert_eq!(got.1, vec![]);
    // The same for the values asked about (each once; OTHER has one source).
    assert_eq!(got.2, got.0);
}
