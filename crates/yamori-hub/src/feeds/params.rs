//! A feed's query parameters: the options of `yamori export`, by the same names with `_`
//! (`min_score`, `max_tlp`, `max_age`, `type`, `name`, `rpz_zone`, `rpz_serial`, `org`,
//! `now`) and `api_root`. Anything else is refused (400) rather than ignored: a misspelt
//! `min_scor=90` must not quietly serve the whole list.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_act::{Criteria, Format, Options, Request, Tlp};

use super::error::{FeedError, FeedResult};

/// The parameters a feed takes (in the order the 400 message lists them).
const KNOWN: [&str; 10] = [
    "min_score",
    "max_tlp",
    "max_age",
    "type",
    "name",
    "rpz_zone",
    "rpz_serial",
    "org",
    "now",
    "api_root",
];

/// Observable types an export can list (`type`).
const TYPES: [&str; 4] = ["ipv4-addr", "ipv6-addr", "domain-name", "url"];

/// Longest query string read: the parameters above fit in far less; a longer one is refused
/// before any parsing.
const MAX_QUERY: usize = 2048;

/// A feed's options, checked, with `yamori export`'s defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedParams {
    pub min_score: u8,
    pub max_tlp: Tlp,
    pub max_age: Option<time::Duration>,
    /// Sorted and without repeats (their order does not change the output).
    pub types: Vec<String>,
    pub name: String,
    pub rpz_zone: String,
    pub rpz_serial: Option<u32>,
    pub org: String,
    /// `None`: the time of each generation.
    pub now: Option<OffsetDateTime>,
    pub api_root: String,
}

impl FeedParams {
    /// Reads the query string; `api_root` defaults to the hub's first.
    pub fn parse(query: Option<&str>, default_root: &str) -> FeedResult<Self> {
        let mut p = FeedParams {
            min_score: 0,
            max_tlp: Tlp::AmberStrict,
            max_age: None,
            types: Vec::new(),
            name: "block".into(),
            rpz_zone: "rpz.yamori".into(),
            rpz_serial: None,
            org: "Yamori".into(),
            now: None,
            api_root: default_root.to_string(),
        };
        let query = query.unwrap_or("");
        if query.len() > MAX_QUERY {
            return Err(FeedError::bad_request(format!(
                "the query is longer than {MAX_QUERY} bytes"
            )));
        }
        let mut seen = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let Some(known) = KNOWN.iter().find(|k| **k == key) else {
                return Err(FeedError::bad_request(format!(
                    "unknown parameter {key:?}; a feed takes {}",
                    KNOWN.join(", ")
                )));
            };
            if *known != "type" {
                if seen.contains(known) {
                    return Err(FeedError::bad_request(format!("{known} given twice")));
                }
                seen.push(*known);
            }
            let bad = |why: String| FeedError::bad_request(format!("{known}={value:?}: {why}"));
            match *known {
                "min_score" => {
                    p.min_score = value
                        .parse::<u8>()
                        .ok()
                        .filter(|s| *s <= 100)
                        .ok_or_else(|| bad("expected 0 to 100".into()))?;
                }
                "max_tlp" => {
                    p.max_tlp = Tlp::parse(&value)
                        .ok_or_else(|| bad("expected clear, green, amber, amber+strict".into()))?;
                    // TLP:RED is for the named recipients only: a feed is fetched by any
                    // account that reads the collection, so it never serves RED.
                    if p.max_tlp == Tlp::Red {
                        return Err(bad(
                            "a feed never serves TLP:RED; the most it serves is amber+strict"
                                .into(),
                        ));
                    }
                }
                "max_age" => p.max_age = Some(yamori_act::parse_age(&value).map_err(bad)?),
                "type" => {
                    for t in value.split(',') {
                        if !TYPES.contains(&t) {
                            return Err(bad(format!("types are {}", TYPES.join(", "))));
                        }
                        p.types.push(t.to_string());
                    }
                }
                "name" => p.name = value.into_owned(),
                "rpz_zone" => p.rpz_zone = value.into_owned(),
                "rpz_serial" => {
                    p.rpz_serial = Some(
                        value
                            .parse()
                            .map_err(|_| bad("expected 0 to 4294967295".into()))?,
                    );
                }
                "org" => p.org = value.into_owned(),
                "now" => {
                    p.now = Some(
                        OffsetDateTime::parse(&value, &Rfc3339)
                            .map_err(|e| bad(format!("not an RFC 3339 time ({e})")))?,
                    );
                }
                _ => p.api_root = value.into_owned(),
            }
        }
        p.types.sort();
        p.types.dedup();
        // The list and zone names are checked before any work, with the writers' own rule.
        p.options(String::new(), OffsetDateTime::UNIX_EPOCH)
            .check()
            .map_err(|e| FeedError::bad_request(e.to_string()))?;
        Ok(p)
    }

    /// The cache key of this feed of `format` from collection `collection_id`, asked for as
    /// `asked` (the name goes into the output): every input of the output but the store's
    /// content (which the revision stands for) and the clock.
    pub fn key(&self, collection_id: &str, asked: &str, format: Format) -> String {
        let now = self.now.and_then(|t| t.format(&Rfc3339).ok());
        format!(
            "{}\n{collection_id}\n{asked}\n{}\n{}\n{}\n{:?}\n{}\n{}\n{}\n{:?}\n{}\n{:?}",
            self.api_root,
            format.name(),
            self.min_score,
            self.max_tlp.name(),
            self.max_age.map(|a| a.whole_seconds()),
            self.types.join(","),
            self.name,
            self.rpz_zone,
            self.rpz_serial,
            self.org,
            now,
        )
    }

    /// The export this feed is, for `collection` (its name as asked for: headers and MISP
    /// event titles carry it, as `yamori export --collection` does) at `now`.
    pub fn request(&self, format: Format, collection: String, now: OffsetDateTime) -> Request {
        let now = self.now.unwrap_or(now);
        Request {
            format,
            criteria: Criteria {
                now,
                min_score: self.min_score,
                max_tlp: self.max_tlp,
                max_age: self.max_age,
                types: self.types.clone(),
                warninglists: None,
            },
            options: self.options(collection, now),
        }
    }

    fn options(&self, collection: String, now: OffsetDateTime) -> Options {
        Options {
            list_name: self.name.clone(),
            collection,
            now,
            rpz_zone: self.rpz_zone.clone(),
            rpz_serial: self.rpz_serial,
            org_name: self.org.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_export_commands() {
        let p = FeedParams::parse(None, "api1").expect("no query");
        assert_eq!(p.max_tlp, Tlp::AmberStrict);
        assert_eq!((p.min_score, p.name.as_str()), (0, "block"));
    }

    #[test]
    fn the_same_options_in_any_order_are_one_key() {
        let a = FeedParams::parse(Some("type=url,ipv4-addr&min_score=50"), "api1").expect("a");
        let b = FeedParams::parse(Some("min_score=50&type=ipv4-addr&type=url"), "api1").expect("b");
        assert_eq!(a.key("c", "t", Format::Txt), b.key("c", "t", Format::Txt));
        assert_ne!(a.key("c", "t", Format::Txt), a.key("c", "t", Format::Csv));
        assert_ne!(a.key("c", "t", Format::Txt), a.key("c", "c", Format::Txt));
    }

    #[test]
    fn unknown_repeated_and_bad_values_are_refused_by_name() {
        for (q, needle) in [
            ("min_scor=9", "unknown parameter \"min_scor\""),
            ("min_score=1&min_score=2", "min_score given twice"),
            ("min_score=101", "min_score=\"101\""),
            ("max_tlp=purple", "max_tlp"),
            ("max_age=3w", "max_age"),
            ("type=email-addr", "type"),
            ("now=yesterday", "now"),
            ("name=Bad-Name", "list name"),
            ("rpz_zone=bad..zone", "RPZ zone"),
        ] {
            let e = FeedParams::parse(Some(q), "api1").expect_err(q);
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{q}");
            assert!(e.message.contains(needle), "{q}: {}", e.message);
        }
    }
}
