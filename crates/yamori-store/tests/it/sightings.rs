//! The bound on incoming sightings: per collection, indicator and source, new sighting
//! objects past the allowance are refused with the reason, in order among the rest; new
//! versions of stored ones always pass; a database from before the counts is backfilled.

use yamori_store::sightings::MAX_SIGHTINGS_PER_SOURCE;
use yamori_store::taxii::{AddOutcome, NewObject};
use yamori_store::Store;

use crate::backends::{each, pg, sqlite};
use crate::taxii::{obj, setup, C};

const OF: &str = "indicator--00000000-0000-4000-8000-0000000000aa";
const OTHER: &str = "indicator--00000000-0000-4000-8000-0000000000bb";
const A: &str = "identity--00000000-0000-4000-8000-00000000000a";
const B: &str = "identity--00000000-0000-4000-8000-00000000000b";

/// Sighting number `n` of `of` by `by`, at version `modified`.
fn sighting(n: u32, of: &str, by: Option<&str>, modified: &str) -> NewObject {
    let mut o = obj(n, "sighting", modified);
    o.sighting_of = Some(of.to_string());
    o.created_by = by.map(str::to_owned);
    o
}

fn add(s: &Store, objects: &[NewObject]) -> Vec<AddOutcome> {
    s.taxii_add_objects(C, objects, &mut |_| None).expect("add")
}

const T1: &str = "2026-01-01T00:00:00.000Z";
const T2: &str = "2026-01-02T00:00:00.000Z";

#[test]
fn new_sightings_past_the_allowance_are_refused_and_new_versions_pass() {
    each(|s| {
        setup(s);
        let max = u32::try_from(MAX_SIGHTINGS_PER_SOURCE).expect("small");
        // The allowance, in two requests (the second repeats one object: a duplicate).
        let first: Vec<NewObject> = (0..600).map(|n| sighting(n, OF, Some(A), T1)).collect();
        assert!(add(s, &first).iter().all(|o| *o == AddOutcome::Added));
        let mut second: Vec<NewObject> = (600..max).map(|n| sighting(n, OF, Some(A), T1)).collect();
        second.push(sighting(0, OF, Some(A), T1));
        let out = add(s, &second);
        assert_eq!(out.last(), Some(&AddOutcome::Duplicate));
        assert_eq!(
            s.sightings_counts(C, OF).expect("counts"),
            vec![(A.to_string(), MAX_SIGHTINGS_PER_SOURCE)]
        );

        // Past it: a new sighting of A is refused, in its place among objects that pass.
        let mixed = vec![
            obj(1, "indicator", T1),
            sighting(max, OF, Some(A), T1),
            sighting(5, OF, Some(A), T2), // a new version of a stored one
            sighting(max + 1, OF, Some(B), T1), // another source
            sighting(max + 2, OTHER, Some(A), T1), // another indicator
            sighting(max + 3, OF, None, T1), // no source: an allowance of its own
        ];
        let out = add(s, &mixed);
        assert_eq!(out[0], AddOutcome::Added);
        match &out[1] {
            AddOutcome::Refused(reason) => {
                assert!(reason.contains(A) && reason.contains(OF), "{reason}");
                assert!(reason.contains("new version"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(out[2..].to_vec(), vec![AddOutcome::Added; 4]);
        // The refused one is not stored; nothing stored before is lost.
        let mut q = yamori_store::taxii::ObjectQuery::new(C, 10);
        q.ids = vec![mixed[1].id.clone(), first[0].id.clone()];
        let ids: Vec<String> = s
            .taxii_query(&q)
            .expect("query")
            .objects
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(ids, vec![first[0].id.clone()]);
        assert_eq!(
            s.sightings_counts(C, OF).expect("counts"),
            vec![
                (String::new(), 1),
                (A.to_string(), MAX_SIGHTINGS_PER_SOURCE),
                (B.to_string(), 1)
            ]
        );
        // Two copies of one new id in a request count once.
        let twice = vec![
            sighting(max + 4, OTHER, Some(B), T1),
            sighting(max + 4, OTHER, Some(B), T2),
        ];
        assert_eq!(add(s, &twice), vec![AddOutcome::Added; 2]);
        assert_eq!(
            s.sightings_counts(C, OTHER).expect("counts"),
            vec![(A.to_string(), 1), (B.to_string(), 1)]
        );
    });
}

/// Turn `store`'s database into one from before the counts existed: their table and its
/// migration record go, so the next open migrates again and marks the backlog.
fn forget_counts(sql: impl Fn(&str)) {
    sql("DROP TABLE intel_sightings; DELETE FROM yamori_migrations WHERE domain = 'sightings'");
}

fn backfill_all(s: &Store, source_of: impl Fn(&str) -> Option<&'static str>) -> u64 {
    let mut read = 0;
    loop {
        let page = s.sightings_backlog(3).expect("backlog");
        let (Some(first), Some(last)) = (page.first().map(|b| b.seq), page.last().map(|b| b.seq))
        else {
            return read;
        };
        read += page.len() as u64;
        let items: Vec<_> = page
            .into_iter()
            .map(|b| {
                let by = source_of(&b.object_id).unwrap_or_default().to_string();
                (b, OF.to_string(), by)
            })
            .collect();
        if !s.sightings_backfill(&items, first, last).expect("backfill") {
            return read;
        }
    }
}

#[test]
fn a_database_from_before_the_counts_is_backfilled_once() {
    let seed = |s: &Store| {
        setup(s);
        // Five sightings by A (one of them in two versions), two by B.
        let mut objects: Vec<NewObject> = (0..5).map(|n| sighting(n, OF, Some(A), T1)).collect();
        objects.push(sighting(2, OF, Some(A), T2));
        objects.extend((5..7).map(|n| sighting(n, OF, Some(B), T1)));
        objects.push(obj(9, "indicator", T1));
        add(s, &objects);
    };
    let source_of = |id: &str| -> Option<&'static str> {
        let n: u32 = id.rsplit('-').next()?.parse().ok()?;
        Some(if n < 5 { A } else { B })
    };
    let check = |s: &Store| {
        assert_eq!(s.sightings_backlog(100).expect("backlog").len(), 8);
        assert!(s.sightings_counts(C, OF).expect("counts").is_empty());
        assert_eq!(backfill_all(s, source_of), 8);
        assert!(s.sightings_backlog(100).expect("backlog").is_empty());
        assert_eq!(backfill_all(s, source_of), 0, "done once");
        assert_eq!(
            s.sightings_counts(C, OF).expect("counts"),
            vec![(A.to_string(), 5), (B.to_string(), 2)]
        );
    };

    let (dir, s) = sqlite();
    seed(&s);
    drop(s);
    let path = dir.path().join("t.sqlite");
    forget_counts(|sql| {
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch(sql)
            .expect("sql");
    });
    check(&Store::open_sqlite(&path).expect("reopen"));

    let mut db = pg();
    seed(db.store.as_ref().expect("store"));
    db.store.take();
    forget_counts(|sql| yamori_store::pg_execute_admin(&db.db.url, sql).expect("sql"));
    let s = Store::connect_postgres(&db.db.url).expect("reconnect");
    check(&s);
    drop(s);
}

#[test]
fn sources_together_are_bounded_per_indicator_also_on_the_bulk_path() {
    use yamori_store::sightings::MAX_SIGHTINGS_PER_INDICATOR;
    each(|s| {
        setup(s);
        let total = u32::try_from(MAX_SIGHTINGS_PER_INDICATOR).expect("small");
        // A new source in every sighting: each source stays far below its own allowance.
        let source = |n: u32| format!("identity--00000000-0000-4000-8000-{n:012}");
        let flood: Vec<NewObject> = (0..total)
            .map(|n| sighting(n, OF, Some(&source(n)), T1))
            .collect();
        for part in flood.chunks(2500) {
            assert!(add(s, part).iter().all(|o| *o == AddOutcome::Added));
        }
        // One request large enough for PostgreSQL's COPY path: indicators and refused
        // sightings interleaved, outcomes in order, the indicators stored.
        let mixed: Vec<NewObject> = (0..100u32)
            .map(|n| {
                if n % 2 == 0 {
                    obj(n, "indicator", T1)
                } else {
                    sighting(total + n, OF, Some(&source(total + n)), T1)
                }
            })
            .collect();
        let out = add(s, &mixed);
        for (n, o) in out.iter().enumerate() {
            if n % 2 == 0 {
                assert_eq!(*o, AddOutcome::Added, "{n}");
            } else {
                assert!(
                    matches!(o, AddOutcome::Refused(r) if r.contains("all sources together")),
                    "{n}: {o:?}"
                );
            }
        }
        let mut q = yamori_store::taxii::ObjectQuery::new(C, 1000);
        q.types = vec!["indicator".into()];
        assert_eq!(s.taxii_query(&q).expect("query").objects.len(), 50);
        // Another indicator is not affected.
        assert_eq!(
            add(s, &[sighting(total + 500, OTHER, Some(A), T1)]),
            vec![AddOutcome::Added]
        );
    });
}
