//! Sightings of other organisations' indicators by our own sensors → STIX 2.1.
//!
//! When the telescope or the decoy sees a value that a peer's indicator names, the peer wants
//! to know (MISP and CISA's AIS call this feedback): a `sighting` of the peer's indicator
//! (`sighting_of_ref`), seen where our organisation's identity is (`where_sighted_refs`), with
//! the first and last time and how often (`count`: packets for the telescope, records for the
//! decoy). Sightings raise the indicator's score on both sides (a sighting restarts its
//! decay; docs/TRUST.md §1).
//!
//! Ids derive from the organisation, the indicator and the sensor kind, and `modified` is
//! the last time seen: running again over the same data gives the identical object (stored as a
//! duplicate, not again), and over more data a new version of the same sighting.

use time::OffsetDateTime;

use crate::ids::generated_id;
use crate::model::{self, Bundle, Common};
use crate::producer::Producer;
use crate::telescope::{ConvertError, Options, OrgIdentity, STIX_COUNT_MAX};
use crate::timestamp::format_millis;

/// Which of our sensors saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeenBy {
    Telescope,
    Decoy,
}

impl SeenBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SeenBy::Telescope => "telescope",
            SeenBy::Decoy => "decoy",
        }
    }
}

/// One indicator our sensors saw the value of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenIndicator {
    pub indicator_id: String,
    pub seen_by: SeenBy,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    pub count: u64,
}

/// The bundle of sightings: the organisation's identity, the marking if one is chosen, one
/// `sighting` per seen indicator and sensor kind.
pub fn sightings_bundle(
    seen: &[SeenIndicator],
    org: &OrgIdentity,
    options: &Options,
) -> Result<Bundle, ConvertError> {
    let (producer, mut objects) = Producer::start(org, options.marking)?;
    for s in seen {
        let first = s.first_seen.min(s.last_seen);
        let common = Common {
            object_type: "sighting",
            spec_version: "2.1",
            id: generated_id(
                "sighting",
                &format!(
                    "{}\nsighting of {} by the {}",
                    producer.org_key,
                    s.indicator_id,
                    s.seen_by.as_str()
                ),
            ),
            created_by_ref: Some(producer.identity.clone()),
            created: format_millis(first),
            modified: format_millis(s.last_seen),
            confidence: None,
            object_marking_refs: producer.markings.clone(),
        };
        objects.push(model::to_value(&model::Sighting {
            common,
            first_seen: format_millis(first),
            last_seen: format_millis(s.last_seen),
            count: s.count.clamp(1, STIX_COUNT_MAX),
            sighting_of_ref: s.indicator_id.clone(),
            observed_data_refs: Vec::new(),
            where_sighted_refs: vec![producer.identity.clone()],
        }));
    }
    Ok(Bundle {
        object_type: "bundle".into(),
        id: generated_id(
            "bundle",
            &format!("{}\nsightings bundle {}", producer.org_key, seen.len()),
        ),
        objects,
    })
}

/// Makes a freshly written sighting a proper next version of the one already stored with its
/// id: `created` stays the stored one (STIX keeps it across versions), and when anything else
/// differs while `modified` would not move forward (older data analysed later raised the
/// count or moved `first_seen` back), `modified` becomes 1 ms after the stored one, or `now`
/// if later. An identical result stays identical, so storing it again is a duplicate.
pub fn as_next_version(
    new: &mut serde_json::Value,
    stored: &serde_json::Value,
    now: OffsetDateTime,
) {
    if let Some(created) = stored.get("created") {
        new["created"] = created.clone();
    }
    if new == stored {
        return;
    }
    let parse = |v: &serde_json::Value| {
        v.as_str().and_then(|t| {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let (Some(mine), Some(theirs)) = (parse(&new["modified"]), parse(&stored["modified"])) else {
        return;
    };
    if mine <= theirs {
        let next = (theirs + time::Duration::milliseconds(1)).max(now);
        new["modified"] = serde_json::Value::String(format_millis(next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("time")
    }

    #[test]
    fn sightings_are_valid_deterministic_and_versioned_by_their_last_time() {
        let org = OrgIdentity {
            name: "Example CSIRT".into(),
            contact_information: None,
        };
        let seen = |last: &str| SeenIndicator {
            indicator_id: "indicator--00000000-0000-4000-8000-000000000001".into(),
            seen_by: SeenBy::Telescope,
            first_seen: t("2026-12-01T00:00:00Z"),
            last_seen: t(last),
            count: 0,
        };
        let a = sightings_bundle(&[seen("2026-12-01T00:05:00Z")], &org, &Options::default())
            .expect("bundle");
        let again = sightings_bundle(&[seen("2026-12-01T00:05:00Z")], &org, &Options::default())
            .expect("bundle");
        let later = sightings_bundle(&[seen("2026-12-02T00:00:00Z")], &org, &Options::default())
            .expect("bundle");
        let sighting = |b: &Bundle| b.objects[1].clone();
        assert_eq!(sighting(&a), sighting(&again));
        assert_eq!(sighting(&a)["id"], sighting(&later)["id"]);
        assert_ne!(sighting(&a)["modified"], sighting(&later)["modified"]);
        let s = sighting(&a);
        assert_eq!(s["count"], 1, "a count is at least 1");
        assert_eq!(s["where_sighted_refs"][0], a.objects[0]["id"]);
        assert_eq!(s["created_by_ref"], a.objects[0]["id"]);
        assert!(s.get("observed_data_refs").is_none());
        for o in &a.objects {
            assert_eq!(crate::validate_object(o), Ok(()), "{o}");
        }
    }

    #[test]
    fn a_changed_sighting_with_the_same_last_time_is_a_later_version() {
        let stored = serde_json::json!({"id": "sighting--x", "created": "2026-12-01T00:00:00.000Z",
            "modified": "2026-12-01T00:05:00.000Z", "count": 3});
        let now = t("2026-12-07T00:00:00Z");
        // Same data: unchanged, so a duplicate when stored.
        let mut same = stored.clone();
        as_next_version(&mut same, &stored, now);
        assert_eq!(same, stored);
        // Older data raised the count and moved first_seen (created) back.
        let mut more = serde_json::json!({"id": "sighting--x", "created": "2026-11-30T00:00:00.000Z",
            "modified": "2026-12-01T00:05:00.000Z", "count": 5});
        as_next_version(&mut more, &stored, now);
        assert_eq!(more["created"], stored["created"]);
        assert_eq!(more["modified"], "2026-12-07T00:00:00.000Z");
        // Newer data moves modified forward by itself.
        let mut newer = serde_json::json!({"id": "sighting--x", "created": "2026-12-01T00:00:00.000Z",
            "modified": "2026-12-02T00:00:00.000Z", "count": 9});
        as_next_version(&mut newer, &stored, now);
        assert_eq!(newer["modified"], "2026-12-02T00:00:00.000Z");
    }
}
