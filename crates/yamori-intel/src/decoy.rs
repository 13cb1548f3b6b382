//! What a decoy saw → STIX 2.1 (same conventions as [`crate::telescope`]).
//!
//! Per download URL a bot asked a decoy to fetch (never fetched):
//! * an `indicator` with the pattern `[url:value = '…']`, `malicious-activity`: the URL serves
//!   malware to infected devices, which is what ISPs and blocklists act on;
//! * an `indicator` for its host, `[ipv4-addr:value = '…']`, `[ipv6-addr:value = '…']` or
//!   `[domain-name:value = '…']`: the distribution server (often the C&C too), shared by the
//!   URLs on it.
//!
//! And per malware family the sessions that named a URL give away (`decoy_family`: the
//! loader's `/bin/busybox <TOKEN>` probe, the build's file name): a `malware` object
//! (`is_family`), keyed by organisation and name only, so it is the same object as the
//! telescope's Mirai and the two sensors' findings meet on it, and a `relationship` URL
//! indicator —indicates→ malware.
//!
//! Per source address that attacked a decoy: the `ipv4-addr`/`ipv6-addr`, an `observed-data`
//! (its sessions, first and last), an `indicator` for the address (`malicious-activity` when it
//! ran a loader that named a download URL: the host is infected; `anomalous-activity` when it
//! only tried passwords), valid for [`SOURCE_VALID`] after the last session as the telescope's
//! scanners, a `sighting` of that indicator by the organisation, and `indicates` relationships
//! to the families its URLs gave away.
//!
//! Valid from the first time a decoy saw the URL until [`VALID_DAYS`] after the last: loaders
//! move their servers every few days to weeks. Ids derive from the organisation and the value,
//! so a re-publication with a later sighting is a new version (later `modified`) of the same
//! object, not a new object.

use std::collections::BTreeMap;
use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use crate::decoy_family::Family;
use crate::ids::generated_id;
use crate::model::{self, Bundle, Common};
use crate::producer::Producer;
use crate::telescope::{
    escape_pattern_string, ConvertError, Options, OrgIdentity, STATIC_OBJECTS_CREATED,
    STIX_COUNT_MAX,
};
use crate::timestamp::format_millis;

/// Days an indicator stays valid after the last sighting.
pub const VALID_DAYS: i64 = 30;

/// How long an attacking source's indicator stays valid after its last session: as the
/// telescope's scanners (infected hosts are cleaned or change address within days).
pub const SOURCE_VALID: Duration = crate::telescope::INDICATOR_VALIDITY;

/// Confidence in a URL a bot gave a decoy: it was typed by an infected host, not inferred.
const CONFIDENCE: u8 = 85;

/// One download URL and when decoys saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyDownload {
    pub url: String,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    /// Sessions that named it.
    pub sessions: u64,
    /// The malware families those sessions gave away (`decoy_family::recognise`).
    pub families: Vec<&'static Family>,
}

/// One source address that attacked a decoy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoySource {
    pub address: IpAddr,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    pub sessions: u64,
    /// Download URLs its sessions named.
    pub urls: Vec<String>,
    /// The families those URLs' sessions gave away.
    pub families: Vec<&'static Family>,
}

/// The host of a URL as a STIX observable: (object type, value). `None` when the URL names
/// no host.
pub fn url_host(url: &str) -> Option<(&'static str, String)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
    };
    if host.is_empty() {
        return None;
    }
    Some(match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => ("ipv4-addr", a.to_string()),
        Ok(IpAddr::V6(a)) => ("ipv6-addr", a.to_string()),
        Err(_) => ("domain-name", host.to_ascii_lowercase()),
    })
}

/// The bundle for `downloads` and `sources`: the organisation's identity, the marking if one
/// is chosen, and the objects above.
pub fn decoy_bundle(
    downloads: &[DecoyDownload],
    sources: &[DecoySource],
    org: &OrgIdentity,
    options: &Options,
) -> Result<Bundle, ConvertError> {
    let (producer, head) = Producer::start(org, options.marking)?;
    let Producer {
        org_key,
        identity,
        markings,
    } = producer;
    // `created` is the first sighting and stays with the object; `modified` the last.
    let common = |object_type: &'static str, key: &str, created: &str, modified: &str| Common {
        object_type,
        spec_version: "2.1",
        id: generated_id(object_type, &format!("{org_key}\ndecoy {key}")),
        created_by_ref: Some(identity.clone()),
        created: created.to_string(),
        modified: modified.to_string(),
        confidence: Some(CONFIDENCE),
        object_marking_refs: markings.clone(),
    };
    let mut objects = head;
    // One malware object per family, before the relationships that point at it.
    let mut families: Vec<&'static Family> = Vec::new();
    let named = downloads.iter().flat_map(|d| d.families.iter().copied());
    for f in named.chain(sources.iter().flat_map(|s| s.families.iter().copied())) {
        if !families.iter().any(|g| g.name == f.name) {
            families.push(f);
        }
    }
    let family_id = |name: &str| generated_id("malware", &format!("{org_key}\n{name}"));
    for f in &families {
        objects.push(model::to_value(&model::Malware {
            common: Common {
                id: family_id(f.name),
                confidence: None,
                ..common(
                    "malware",
                    "",
                    STATIC_OBJECTS_CREATED,
                    STATIC_OBJECTS_CREATED,
                )
            },
            name: f.name,
            description: f.description,
            malware_types: vec!["bot", "worm"],
            is_family: true,
        }));
    }
    // Hosts gather the window of every URL on them.
    let mut hosts: BTreeMap<(&'static str, String), (OffsetDateTime, OffsetDateTime, Vec<&str>)> =
        BTreeMap::new();
    for (i, d) in downloads.iter().enumerate() {
        if d.last_seen < d.first_seen {
            return Err(ConvertError::BadWindow {
                field: format!("downloads[{i}]"),
            });
        }
        let stamp = format_millis(d.last_seen);
        objects.push(model::to_value(&model::Indicator {
            common: common("indicator", &format!("url {}", d.url), &format_millis(d.first_seen), &stamp),
            name: format!("Malware download URL {}", d.url),
            description: format!(
                "IoT bots logged into a decoy told it to download {} ({} session(s), first {}, last {}); the decoy never fetched it.",
                d.url,
                d.sessions,
                format_millis(d.first_seen),
                stamp
            ),
            indicator_types: vec!["malicious-activity"],
            pattern: format!("[url:value = '{}']", escape_pattern_string(&d.url)),
            pattern_type: "stix",
            pattern_version: "2.1",
            valid_from: format_millis(d.first_seen),
            valid_until: format_millis(d.last_seen + Duration::days(VALID_DAYS)),
        }));
        let url_indicator = common("indicator", &format!("url {}", d.url), "", "").id;
        for f in &d.families {
            objects.push(model::to_value(&model::Relationship {
                common: common(
                    "relationship",
                    &format!("url {} indicates {}", d.url, f.name),
                    &format_millis(d.first_seen),
                    &stamp,
                ),
                relationship_type: "indicates",
                source_ref: url_indicator.clone(),
                target_ref: family_id(f.name),
            }));
        }
        if let Some(host) = url_host(&d.url) {
            let e = hosts
                .entry(host)
                .or_insert((d.first_seen, d.last_seen, Vec::new()));
            e.0 = e.0.min(d.first_seen);
            e.1 = e.1.max(d.last_seen);
            e.2.push(&d.url);
        }
    }
    for ((object_type, value), (first, last, urls)) in hosts {
        let stamp = format_millis(last);
        objects.push(model::to_value(&model::Indicator {
            common: common(
                "indicator",
                &format!("host {object_type} {value}"),
                &format_millis(first),
                &stamp,
            ),
            name: format!("Malware distribution host {value}"),
            description: format!(
                "Host of malware download URLs IoT bots gave a decoy: {}.",
                urls.join(", ")
            ),
            indicator_types: vec!["malicious-activity"],
            pattern: format!(
                "[{object_type}:value = '{}']",
                escape_pattern_string(&value)
            ),
            pattern_type: "stix",
            pattern_version: "2.1",
            valid_from: format_millis(first),
            valid_until: format_millis(last + Duration::days(VALID_DAYS)),
        }));
    }
    for (i, s) in sources.iter().enumerate() {
        if s.last_seen < s.first_seen {
            return Err(ConvertError::BadWindow {
                field: format!("sources[{i}]"),
            });
        }
        let (sco_id, object_type, value, sco) = model::ip_sco(s.address, &markings);
        objects.push(sco);
        let key = format!("source {value}");
        let (first, last) = (format_millis(s.first_seen), format_millis(s.last_seen));
        let observed = common("observed-data", &key, &first, &last);
        let observed_id = observed.id.clone();
        objects.push(model::to_value(&model::ObservedData {
            common: observed,
            first_observed: first.clone(),
            last_observed: last.clone(),
            number_observed: s.sessions.clamp(1, STIX_COUNT_MAX),
            object_refs: vec![sco_id],
        }));
        let loader = !s.urls.is_empty();
        let indicator = common("indicator", &key, &first, &last);
        let indicator_id = indicator.id.clone();
        objects.push(model::to_value(&model::Indicator {
            common: indicator,
            name: if loader {
                format!("IoT bot {value}")
            } else {
                format!("Password-guessing host {value}")
            },
            description: if loader {
                format!(
                    "{value} logged into a decoy and ran a loader ({} session(s) between {first} and {last}); it named {}.",
                    s.sessions,
                    s.urls.join(", ")
                )
            } else {
                format!(
                    "{value} tried passwords on a decoy ({} session(s) between {first} and {last}) and named no download.",
                    s.sessions
                )
            },
            indicator_types: vec![if loader {
                "malicious-activity"
            } else {
                "anomalous-activity"
            }],
            pattern: format!("[{object_type}:value = '{}']", escape_pattern_string(&value)),
            pattern_type: "stix",
            pattern_version: "2.1",
            valid_from: first.clone(),
            valid_until: format_millis(s.last_seen + SOURCE_VALID),
        }));
        objects.push(model::to_value(&model::Sighting {
            common: common("sighting", &key, &first, &last),
            first_seen: first.clone(),
            last_seen: last.clone(),
            count: s.sessions.min(STIX_COUNT_MAX),
            sighting_of_ref: indicator_id.clone(),
            observed_data_refs: vec![observed_id],
            where_sighted_refs: vec![identity.clone()],
        }));
        for f in &s.families {
            objects.push(model::to_value(&model::Relationship {
                common: common(
                    "relationship",
                    &format!("{key} indicates {}", f.name),
                    &first,
                    &last,
                ),
                relationship_type: "indicates",
                source_ref: indicator_id.clone(),
                target_ref: family_id(f.name),
            }));
        }
    }
    Ok(Bundle {
        object_type: "bundle".into(),
        id: generated_id(
            "bundle",
            &format!(
                "{org_key}\ndecoy bundle {} {}",
                downloads.len(),
                sources.len()
            ),
        ),
        objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate_object;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).expect("in range")
    }

    #[test]
    fn hosts_are_typed_observables() {
        assert_eq!(
            url_host("http://198.51.100.7/x.sh"),
            Some(("ipv4-addr", "198.51.100.7".into()))
        );
        assert_eq!(
            url_host("tftp://[2001:db8::7]:69/m"),
            Some(("ipv6-addr", "2001:db8::7".into()))
        );
        assert_eq!(
            url_host("ftp://u:p@Evil.Example:21/m"),
            Some(("domain-name", "evil.example".into()))
        );
        assert_eq!(url_host("http:///x"), None);
        assert_eq!(url_host("nonsense"), None);
    }

    #[test]
    fn urls_and_hosts_become_valid_indicators() {
        let org = OrgIdentity {
            name: "Example ISP".into(),
            contact_information: None,
        };
        let downloads = [
            DecoyDownload {
                url: "http://198.51.100.7/x.sh".into(),
                first_seen: at(1_800_000_000),
                last_seen: at(1_800_000_100),
                sessions: 2,
                families: vec![],
            },
            DecoyDownload {
                url: "http://198.51.100.7/bins/m'ips".into(),
                first_seen: at(1_799_999_000),
                last_seen: at(1_800_000_000),
                sessions: 1,
                families: vec![],
            },
        ];
        let b = decoy_bundle(&downloads, &[], &org, &Options::default()).expect("converts");
        let patterns: Vec<&str> = b
            .objects
            .iter()
            .filter_map(|o| o["pattern"].as_str())
            .collect();
        assert_eq!(
            patterns,
            [
                "[url:value = 'http://198.51.100.7/x.sh']",
                "[url:value = 'http://198.51.100.7/bins/m\\'ips']",
                "[ipv4-addr:value = '198.51.100.7']",
            ]
        );
        for o in &b.objects {
            assert_eq!(validate_object(o), Ok(()), "{o}");
        }
        let host = &b.objects[3];
        assert_eq!(host["valid_from"], format_millis(at(1_799_999_000)));
        assert_eq!(
            host["valid_until"],
            format_millis(at(1_800_000_100) + Duration::days(VALID_DAYS))
        );
        // The same URL seen later is a new version of the same object.
        let later = [DecoyDownload {
            last_seen: at(1_800_100_000),
            ..downloads[0].clone()
        }];
        let b2 = decoy_bundle(&later, &[], &org, &Options::default()).expect("converts");
        assert_eq!(b2.objects[1]["id"], b.objects[1]["id"]);
        assert_ne!(b2.objects[1]["modified"], b.objects[1]["modified"]);
        assert_eq!(b2.objects[1]["created"], b.objects[1]["created"]);
        assert!(decoy_bundle(
            &downloads,
            &[],
            &OrgIdentity {
                name: " ".into(),
                contact_information: None
            },
            &Options::default()
        )
        .is_err());
    }

    #[test]
    fn a_recognised_family_is_one_malware_object_shared_with_the_telescope() {
        let org = OrgIdentity {
            name: "Example ISP".into(),
            contact_information: None,
        };
        let mirai = crate::decoy_family::recognise("http://198.51.100.7/bins/mirai.arm7", []);
        let downloads = [
            DecoyDownload {
                url: "http://198.51.100.7/bins/mirai.arm7".into(),
                first_seen: at(1_800_000_000),
                last_seen: at(1_800_000_100),
                sessions: 2,
                families: mirai.clone(),
            },
            DecoyDownload {
                url: "http://198.51.100.7/bins/mirai.mips".into(),
                first_seen: at(1_800_000_000),
                last_seen: at(1_800_000_000),
                sessions: 1,
                families: mirai,
            },
        ];
        let b = decoy_bundle(&downloads, &[], &org, &Options::default()).expect("converts");
        for o in &b.objects {
            assert_eq!(validate_object(o), Ok(()), "{o}");
        }
        let of = |t: &str| -> Vec<&serde_json::Value> {
            b.objects.iter().filter(|o| o["type"] == t).collect()
        };
        let malware = of("malware");
        assert_eq!(malware.len(), 1, "one object per family");
        assert_eq!(malware[0]["name"], "Mirai");
        assert_eq!(malware[0]["is_family"], true);
        let rels = of("relationship");
        assert_eq!(rels.len(), 2, "each URL indicates the family");
        let urls: Vec<&serde_json::Value> = of("indicator")
            .into_iter()
            .filter(|i| {
                i["pattern"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("[url:"))
            })
            .collect();
        for (r, u) in rels.iter().zip(&urls) {
            assert_eq!(r["relationship_type"], "indicates");
            assert_eq!(r["source_ref"], u["id"]);
            assert_eq!(r["target_ref"], malware[0]["id"]);
        }
        // The telescope keys its Mirai by organisation and name alike (`static_object`).
        assert_eq!(
            malware[0]["id"].as_str(),
            Some(generated_id("malware", &format!("{}\nMirai", org.key())).as_str())
        );
    }

    #[test]
    fn attacking_sources_are_sighted_indicators() {
        let org = OrgIdentity {
            name: "Example ISP".into(),
            contact_information: None,
        };
        let bot = DecoySource {
            address: "198.51.100.20".parse().expect("address"),
            first_seen: at(1_800_000_000),
            last_seen: at(1_800_000_600),
            sessions: 3,
            urls: vec!["http://203.0.113.66/bins/mirai.arm7".into()],
            families: crate::decoy_family::recognise("http://203.0.113.66/bins/mirai.arm7", []),
        };
        let guesser = DecoySource {
            address: "2001:db8::9".parse().expect("address"),
            urls: vec![],
            families: vec![],
            sessions: 1,
            ..bot.clone()
        };
        let b = decoy_bundle(&[], &[bot, guesser], &org, &Options::default()).expect("converts");
        for o in &b.objects {
            assert_eq!(validate_object(o), Ok(()), "{o}");
        }
        let of = |t: &str| -> Vec<&serde_json::Value> {
            b.objects.iter().filter(|o| o["type"] == t).collect()
        };
        let indicators = of("indicator");
        let summary: Vec<(&str, &str)> = indicators
            .iter()
            .map(|i| {
                (
                    i["pattern"].as_str().unwrap_or_default(),
                    i["indicator_types"][0].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("[ipv4-addr:value = '198.51.100.20']", "malicious-activity"),
                ("[ipv6-addr:value = '2001:db8::9']", "anomalous-activity"),
            ]
        );
        assert_eq!(
            indicators[0]["valid_until"],
            format_millis(at(1_800_000_600) + SOURCE_VALID)
        );
        let sightings = of("sighting");
        let observed = of("observed-data");
        assert_eq!((sightings.len(), observed.len()), (2, 2));
        assert_eq!(sightings[0]["sighting_of_ref"], indicators[0]["id"]);
        assert_eq!(sightings[0]["observed_data_refs"][0], observed[0]["id"]);
        assert_eq!(sightings[0]["count"], 3);
        assert_eq!(observed[0]["number_observed"], 3);
        assert_eq!(of("ipv4-addr")[0]["id"], observed[0]["object_refs"][0]);
        // the bot's URL gave Mirai away: one malware object, one relationship from the bot
        let malware = of("malware");
        assert_eq!(malware.len(), 1);
        let rels = of("relationship");
        assert_eq!(rels.len(), 1);
        assert_eq!(rels[0]["source_ref"], indicators[0]["id"]);
        assert_eq!(rels[0]["target_ref"], malware[0]["id"]);
    }
}
