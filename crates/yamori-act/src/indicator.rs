//! The fields of a stored indicator that selection reads, taken from its JSON text in one pass
//! without building a `serde_json::Value`: strings borrow from the text (an owned copy only
//! when a string holds an escape), every other member is skipped unread.
//!
//! Stored objects were validated at ingest, but an export still never trusts them: a member
//! of an unexpected JSON type reads as [`Field::Other`] (selection names the field in its
//! reason), a repeated member keeps its last value (as `serde_json::Value` does), and a text
//! that is not an object reads as an indicator with no members. Only text that is not JSON
//! at all is an error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::tlp::Tlp;

/// One member's value, as far as selection cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field<'a> {
    /// The member is missing.
    #[default]
    Absent,
    Null,
    Str(Cow<'a, str>),
    Bool(bool),
    /// A non-negative integer.
    Uint(u64),
    /// Any other JSON value (negative or fractional number, array, object).
    Other,
}

impl Field<'_> {
    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The members of an indicator that selection and scorers read.
#[derive(Debug, Clone, Default)]
pub struct Indicator<'a> {
    /// The object's whole JSON text, for a scorer that needs more than these members.
    pub body: &'a str,
    pub id: Field<'a>,
    /// The `type` member.
    pub kind: Field<'a>,
    pub revoked: Field<'a>,
    /// The most restrictive TLP marking among `object_marking_refs` and the `marking_ref`s of
    /// `granular_markings` (`None`: neither names a TLP marking). A granular marking counts
    /// for the whole indicator: an export shares it whole.
    pub marking: Option<Tlp>,
    pub created: Field<'a>,
    pub modified: Field<'a>,
    pub valid_from: Field<'a>,
    pub valid_until: Field<'a>,
    pub confidence: Field<'a>,
    pub name: Field<'a>,
    pub pattern: Field<'a>,
    pub pattern_type: Field<'a>,
    /// `created_by_ref`: the source a scorer weighs by its trust.
    pub created_by: Field<'a>,
}

impl<'a> Indicator<'a> {
    /// Reads `body`; an error only when it is not JSON.
    pub fn parse(body: &'a str) -> Result<Self, serde_json::Error> {
        let mut indicator: Indicator<'a> = serde_json::from_str(body)?;
        indicator.body = body;
        Ok(indicator)
    }

    /// The TLP level the indicator is shared at ([`Tlp::UNMARKED`] without a TLP marking).
    pub fn tlp(&self) -> Tlp {
        self.marking.unwrap_or(Tlp::UNMARKED)
    }
}

/// The members read, by name; every other member is skipped.
enum Key {
    Id,
    Kind,
    Revoked,
    Markings,
    Granular,
    Created,
    Modified,
    ValidFrom,
    ValidUntil,
    Confidence,
    Name,
    Pattern,
    PatternType,
    CreatedBy,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "id" => Key::Id,
                    "type" => Key::Kind,
                    "revoked" => Key::Revoked,
                    "object_marking_refs" => Key::Markings,
                    "granular_markings" => Key::Granular,
                    "created" => Key::Created,
                    "modified" => Key::Modified,
                    "valid_from" => Key::ValidFrom,
                    "valid_until" => Key::ValidUntil,
                    "confidence" => Key::Confidence,
                    "name" => Key::Name,
                    "pattern" => Key::Pattern,
                    "pattern_type" => Key::PatternType,
                    "created_by_ref" => Key::CreatedBy,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
        Ok(Field::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
        Ok(Field::Uint(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
        Ok(u64::try_from(v).map_or(Field::Other, Field::Uint))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_unit<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Null)
    }
    fn visit_none<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

/// `object_marking_refs`: the most restrictive TLP marking among its strings; anything else
/// in it (other markings, non-strings) is passed over, as is a member that is not an array.
struct Markings(Option<Tlp>);

impl<'de> Deserialize<'de> for Markings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MarkingsVisitor;
        impl<'de> Visitor<'de> for MarkingsVisitor {
            type Value = Markings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("marking definition ids")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Markings, A::Error> {
                let mut most = None;
                while let Some(f) = seq.next_element::<Field<'de>>()? {
                    if let Some(tlp) = f.as_str().and_then(Tlp::of_marking_id) {
                        most = most.max(Some(tlp));
                    }
                }
                Ok(Markings(most))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Markings, A::Error> {
                FieldVisitor.visit_map(map).map(|_| Markings(None))
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Markings, E> {
                Ok(Markings(None))
            }
            fn visit_unit<E>(self) -> Result<Markings, E> {
                Ok(Markings(None))
            }
        }
        d.deserialize_any(MarkingsVisitor)
    }
}

impl<'de> Deserialize<'de> for Indicator<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IndicatorVisitor)
    }
}

struct IndicatorVisitor;

/// The most restrictive TLP marking among the `marking_ref`s of a `granular_markings` value.
fn granular_tlp(v: &serde_json::Value) -> Option<Tlp> {
    v.as_array()?
        .iter()
        .filter_map(|g| g.get("marking_ref")?.as_str())
        .filter_map(Tlp::of_marking_id)
        .max()
}

impl<'de> Visitor<'de> for IndicatorVisitor {
    type Value = Indicator<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Indicator<'de>, A::Error> {
        let mut o = Indicator::default();
        let mut granular = None;
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Markings => {
                    o.marking = map.next_value::<Markings>()?.0;
                    continue;
                }
                Key::Granular => {
                    // Rare, and nested: read as a value rather than with a visitor of its own.
                    granular = granular_tlp(&map.next_value::<serde_json::Value>()?);
                    continue;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                Key::Id => &mut o.id,
                Key::Kind => &mut o.kind,
                Key::Revoked => &mut o.revoked,
                Key::Created => &mut o.created,
                Key::Modified => &mut o.modified,
                Key::ValidFrom => &mut o.valid_from,
                Key::ValidUntil => &mut o.valid_until,
                Key::Confidence => &mut o.confidence,
                Key::Name => &mut o.name,
                Key::Pattern => &mut o.pattern,
                Key::PatternType => &mut o.pattern_type,
                Key::CreatedBy => &mut o.created_by,
            };
            *slot = map.next_value()?;
        }
        o.marking = o.marking.max(granular);
        Ok(o)
    }
    // Text that is JSON but not an object has none of the members.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Indicator<'de>, A::Error> {
        FieldVisitor.visit_seq(seq).map(|_| Indicator::default())
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
    fn visit_unit<E>(self) -> Result<Indicator<'de>, E> {
        Ok(Indicator::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_borrow_repeats_keep_the_last_and_odd_types_are_other() {
        let body = r#"{"id": "indicator--1", "type": "indic\u0061tor", "confidence": 70,
            "name": 5, "revoked": false, "created": [1], "valid_until": null, "x": {"a": [1, {"b": 2}]},
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", 3],
            "pattern": "[a]", "pattern": "[ipv4-addr:value = '198.51.100.1']"}"#;
        let o = Indicator::parse(body).expect("JSON");
        assert!(matches!(o.id, Field::Str(Cow::Borrowed("indicator--1"))));
        assert_eq!(o.kind.as_str(), Some("indicator"));
        assert_eq!(o.confidence, Field::Uint(70));
        assert_eq!(o.name, Field::Uint(5));
        assert_eq!(o.revoked, Field::Bool(false));
        assert_eq!(o.valid_until, Field::Null);
        assert_eq!(o.valid_from, Field::Absent);
        assert_eq!(o.created, Field::Other);
        assert_eq!(o.tlp(), Tlp::Green);
        assert_eq!(
            o.pattern.as_str(),
            Some("[ipv4-addr:value = '198.51.100.1']")
        );
        assert_eq!(o.body, body);
    }

    #[test]
    fn granular_markings_count_for_the_whole_indicator() {
        let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
        let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
        let both = format!(
            r#"{{"granular_markings": [{{"selectors": ["pattern"], "marking_ref": "{amber}"}}, 7],
                "object_marking_refs": ["{green}"]}}"#
        );
        assert_eq!(Indicator::parse(&both).expect("JSON").tlp(), Tlp::Amber);
        let only = format!(r#"{{"granular_markings": [{{"marking_ref": "{green}"}}]}}"#);
        assert_eq!(Indicator::parse(&only).expect("JSON").tlp(), Tlp::Green);
        let odd = r#"{"granular_markings": {"marking_ref": 3}}"#;
        assert_eq!(Indicator::parse(odd).expect("JSON").tlp(), Tlp::UNMARKED);
    }

    #[test]
    fn other_json_has_no_members_and_non_json_is_an_error() {
        for body in ["[1, 2]", "\"x\"", "null", "-1.5", r#"{"confidence": -3}"#] {
            let o = Indicator::parse(body).expect(body);
            assert_eq!(o.kind, Field::Absent, "{body}");
            assert_eq!(o.tlp(), Tlp::UNMARKED, "{body}");
            assert!(
                matches!(o.confidence, Field::Absent | Field::Other),
                "{body}"
            );
        }
        for body in ["", "{", "{\"id\": }", "[1] x"] {
            assert!(Indicator::parse(body).is_err(), "{body}");
        }
    }
}
