//! `yamori publish`: turn an analysis report, a survey result (or a STIX bundle) into a STIX
//! 2.1 bundle and write it (`--out`, default stdout), post it to a TAXII 2.1 collection
//! (`--to`), or add it to a collection of the local hub store (`--local`). The input's kind is
//! told by its `schema` field (`type: bundle` for a bundle).
//!
//! The bundle is validated with `yamori_intel::validate_object` before it goes anywhere, and is
//! byte-for-byte the same each time for the same report and options (ids and timestamps come
//! from the data, not from the clock), so publishing twice is harmless: TAXII servers treat an
//! exact duplicate as success.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use yamori_intel::markings::Tlp2;
use yamori_intel::{survey_bundle, telescope_bundle_with, validate_object, Options, OrgIdentity};

use super::open_store;

/// Issues shown when a bundle is refused; the rest are counted.
const MAX_ISSUES_SHOWN: usize = 20;
/// Largest input read: far above any report or bundle we write (the hub's own limit is 10 MiB).
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;
/// Objects per TAXII envelope: a few hundred KiB of JSON, well under the hub's default 10 MiB
/// `max_content_length`.
const ENVELOPE_OBJECTS: usize = 500;
/// How long to wait for a server to finish one posted envelope.
const STATUS_WAIT: Duration = Duration::from_secs(300);

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `yamori analyze --json` output, `yamori survey --out` output, or a STIX 2.1 bundle to
    /// pass through after validation.
    pub input: PathBuf,
    /// Where to write the bundle (`-` for stdout).
    #[arg(long, short = 'o', default_value = "-")]
    pub out: PathBuf,
    /// The organisation that runs the sensor (STIX identity, creator of every object).
    #[arg(long, env = "YAMORI_ORG")]
    pub org: Option<String>,
    /// Contact information for the organisation's identity.
    #[arg(long)]
    pub contact: Option<String>,
    /// TLP 2.0 marking for every object: clear, green, amber, amber+strict or red. Survey
    /// results default to amber (they name exposed devices); reports to none.
    #[arg(long, value_parser = parse_tlp)]
    pub tlp: Option<Tlp2>,
    /// Collection (id, alias or title) for --to / --local; created locally if missing.
    /// Default: `survey` for a survey result, else `telescope`.
    #[arg(long)]
    pub collection: Option<String>,
    /// Post the bundle's objects to this TAXII 2.1 API root URL, e.g. https://hub:9443/api1/
    #[arg(long, conflicts_with = "local")]
    pub to: Option<String>,
    /// Credentials and trust for --to.
    #[command(flatten)]
    pub peer: super::sync::PeerAuth,
    /// Add the objects to a collection of the local hub store (data dir or --database).
    #[arg(long)]
    pub local: bool,
    /// API root of the local collection.
    #[arg(long, default_value = "api1")]
    pub local_api_root: String,
}

fn parse_tlp(s: &str) -> Result<Tlp2, String> {
    Tlp2::parse(s)
        .ok_or_else(|| format!("{s:?}: expected clear, green, amber, amber+strict or red"))
}

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let (bundle, kind) = build_bundle(&a)?;
    let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
    let collection = a.collection.clone().unwrap_or_else(|| kind.to_string());
    if let Some(url) = &a.to {
        return post(&a, url, &collection, &objects);
    }
    if a.local {
        return store_locally(g, &a, &collection, &objects);
    }
    let mut text = serde_json::to_vec_pretty(&bundle).context("serialising the bundle")?;
    text.push(b'\n');
    if a.out.as_os_str() == "-" {
        std::io::stdout()
            .lock()
            .write_all(&text)
            .context("writing the bundle to stdout")?;
    } else {
        std::fs::write(&a.out, &text).with_context(|| format!("writing {}", a.out.display()))?;
        tracing::info!(objects = objects.len(), path = %a.out.display(), "bundle written");
    }
    Ok(ExitCode::SUCCESS)
}

fn post(a: &Args, api_root: &str, name: &str, objects: &[Value]) -> anyhow::Result<ExitCode> {
    let posted = a
        .peer
        .client()?
        .publish(api_root, name, objects, ENVELOPE_OBJECTS, STATUS_WAIT)
        .with_context(|| format!("publishing to collection {name:?} at {api_root}"))?;
    for f in posted.failures.iter().take(MAX_ISSUES_SHOWN) {
        tracing::warn!(failure = %f, "object refused by the server");
    }
    eprintln!(
        "published {} objects to {} ({} refused)",
        posted.success_count, posted.url, posted.failure_count
    );
    Ok(if posted.failure_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_PARTIAL)
    })
}

fn store_locally(
    g: &crate::GlobalArgs,
    a: &Args,
    name: &str,
    objects: &[Value],
) -> anyhow::Result<ExitCode> {
    let store = open_store(g)?;
    let done = yamori_hub::ingest::publish_local(store.as_ref(), &a.local_api_root, name, objects)?;
    if done.created {
        eprintln!(
            "created collection {} (alias {}) in API root {}",
            done.collection.id, name, a.local_api_root
        );
    }
    let status = &done.status;
    for f in status.failures.iter().take(MAX_ISSUES_SHOWN) {
        tracing::warn!(id = %f.id, message = ?f.message, "object not stored");
    }
    eprintln!(
        "stored {} objects in collection {} ({} refused)",
        status.successes.len(),
        name,
        status.failures.len()
    );
    Ok(if status.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_PARTIAL)
    })
}

/// Reads the input and returns a validated bundle as JSON, with the default collection for
/// its kind.
fn build_bundle(a: &Args) -> anyhow::Result<(Value, &'static str)> {
    let file =
        std::fs::File::open(&a.input).with_context(|| format!("opening {}", a.input.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    anyhow::ensure!(
        size <= MAX_INPUT_BYTES,
        "{} is larger than {MAX_INPUT_BYTES} bytes",
        a.input.display()
    );
    let value: Value = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("{} is not JSON", a.input.display()))?;
    let schema = value.get("schema").and_then(Value::as_str);
    let org = || -> anyhow::Result<OrgIdentity> {
        Ok(OrgIdentity {
            name: a.org.clone().context(
                "--org (or YAMORI_ORG) is required to publish a report or survey result: it names the STIX identity",
            )?,
            contact_information: a.contact.clone(),
        })
    };
    let (bundle, kind) = if value.get("type").and_then(Value::as_str) == Some("bundle") {
        (value, "telescope")
    } else if schema == Some(yamori_survey::model::SCHEMA_ID) {
        let result: yamori_survey::model::SurveyResult = serde_json::from_value(value)
            .with_context(|| format!("{} is not a valid survey result", a.input.display()))?;
        let bundle = survey_bundle(&result, &org()?, &Options { marking: a.tlp })
            .with_context(|| format!("converting {}", a.input.display()))?;
        (
            serde_json::to_value(&bundle).context("serialising the bundle")?,
            "survey",
        )
    } else if schema == Some(yamori_telescope::report::SCHEMA) {
        let report: yamori_telescope::Report = serde_json::from_value(value)
            .with_context(|| format!("{} is not a valid telescope report", a.input.display()))?;
        let bundle = telescope_bundle_with(&report, &org()?, &Options { marking: a.tlp })
            .with_context(|| format!("converting {}", a.input.display()))?;
        (
            serde_json::to_value(&bundle).context("serialising the bundle")?,
            "telescope",
        )
    } else {
        anyhow::bail!(
            "{}: neither a STIX bundle, a telescope report (schema {:?}) nor a survey result \
             (schema {:?}); its schema field is {schema:?}",
            a.input.display(),
            yamori_telescope::report::SCHEMA,
            yamori_survey::model::SCHEMA_ID
        );
    };
    if let Err(issues) = validate_object(&bundle) {
        let shown: Vec<String> = issues
            .iter()
            .take(MAX_ISSUES_SHOWN)
            .map(ToString::to_string)
            .collect();
        anyhow::bail!(
            "{}: not a valid STIX 2.1 bundle ({} issues): {}",
            a.input.display(),
            issues.len(),
            shown.join("; ")
        );
    }
    Ok((bundle, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yamori_telescope::report::{PortCount, Report, SourceSummary, Tool, SCHEMA};

    fn report_file(dir: &std::path::Path) -> PathBuf {
        let report = Report {
            schema: SCHEMA.into(),
            last_packet: Some("2026-11-20T06:00:00Z".into()),
            scanners: vec![SourceSummary {
                address: "198.51.100.7".into(),
                packets: 500,
                bytes: 30_000,
                first_seen: "2026-11-20T01:00:00Z".into(),
                last_seen: "2026-11-20T05:00:00Z".into(),
                destinations: 250,
                destination_ports: 1,
                top_ports: vec![PortCount {
                    port: 23,
                    packets: 500,
                }],
                ttl_min: 64,
                ttl_max: 64,
                syn_probes: 500,
                fingerprint_matches: Default::default(),
                tool: Tool::Mirai,
                scan: None,
                scanner_windows: vec![],
                country: None,
                asn: None,
                as_org: None,
                location: None,
            }],
            ..Report::default()
        };
        let path = dir.join("report.json");
        std::fs::write(
            &path,
            serde_json::to_vec(&report).expect("report serialises"),
        )
        .expect("write report");
        path
    }

    fn args(input: PathBuf, org: Option<&str>) -> Args {
        Args {
            input,
            out: "-".into(),
            org: org.map(str::to_string),
            contact: None,
            tlp: Some(Tlp2::Green),
            collection: None,
            to: None,
            peer: Default::default(),
            local: false,
            local_api_root: "api1".into(),
        }
    }

    #[test]
    fn report_becomes_the_same_valid_bundle_every_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = report_file(dir.path());
        let (a, kind) = build_bundle(&args(input.clone(), Some("Example Org"))).expect("converts");
        assert_eq!(kind, "telescope");
        let (b, _) = build_bundle(&args(input, Some("Example Org"))).expect("converts");
        assert_eq!(a, b);
        let types: Vec<&str> = a["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .map(|o| o["type"].as_str().expect("type"))
            .collect();
        for t in [
            "identity",
            "marking-definition",
            "indicator",
            "sighting",
            "malware",
            "relationship",
            "ipv4-addr",
            "observed-data",
        ] {
            assert!(types.contains(&t), "{t} missing from {types:?}");
        }
        // A bundle given as input passes through unchanged.
        let bundle_path = dir.path().join("bundle.json");
        std::fs::write(&bundle_path, serde_json::to_vec(&a).expect("json")).expect("write");
        assert_eq!(
            build_bundle(&args(bundle_path, None))
                .expect("valid bundle")
                .0,
            a
        );
    }

    #[test]
    fn refusals_say_why() {
        let dir = tempfile::tempdir().expect("temp dir");
        let no_org = build_bundle(&args(report_file(dir.path()), None)).expect_err("needs --org");
        assert!(no_org.to_string().contains("--org"), "{no_org:#}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator"}]}"#).expect("write");
        let e = format!("{:#}", build_bundle(&args(bad, None)).expect_err("invalid"));
        assert!(e.contains("/objects/0/id"), "{e}");
        let other = dir.path().join("other.json");
        std::fs::write(&other, b"{\"hello\": 1}").expect("write");
        assert!(format!(
            "{:#}",
            build_bundle(&args(other, None)).expect_err("unknown")
        )
        .contains("neither"));
        assert_eq!(parse_tlp("TLP:AMBER+STRICT"), Ok(Tlp2::AmberStrict));
        assert!(parse_tlp("white").is_err());
    }

    /// A survey result with devices, a weak credential and an unidentified service.
    const SURVEY_FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../yamori-notify/tests/fixtures/survey.json"
    );

    #[test]
    fn survey_result_becomes_an_amber_bundle_for_the_survey_collection() {
        let mut a = args(SURVEY_FIXTURE.into(), Some("Example CSIRT"));
        a.tlp = None;
        let (bundle, kind) = build_bundle(&a).expect("converts");
        assert_eq!(kind, "survey");
        let objects = bundle["objects"].as_array().expect("objects");
        let amber = Tlp2::Amber.id();
        assert!(objects.iter().any(|o| o["id"] == amber));
        for t in ["infrastructure", "software", "note", "relationship"] {
            assert!(objects.iter().any(|o| o["type"] == t), "{t} missing");
        }
        a.tlp = Some(Tlp2::Red);
        let (red, _) = build_bundle(&a).expect("converts");
        assert!(!serde_json::to_string(&red).expect("json").contains(amber));
        let no_org = build_bundle(&args(SURVEY_FIXTURE.into(), None)).expect_err("needs --org");
        assert!(no_org.to_string().contains("--org"), "{no_org:#}");
        let dir = tempfile::tempdir().expect("temp dir");
        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, br#"{"schema":"yamori.survey.result/1","hosts":3}"#)
            .expect("write");
        let e = format!(
            "{:#}",
            build_bundle(&args(broken, Some("X"))).expect_err("bad")
        );
        assert!(e.contains("not a valid survey result"), "{e}");
    }

    #[test]
    fn local_publish_stores_every_object_once_and_is_repeatable() {
        use yamori_store::taxii::ObjectQuery;
        let dir = tempfile::tempdir().expect("temp dir");
        let g = crate::GlobalArgs {
            data_dir: dir.path().join("data"),
            database: None,
            config: None,
            verbose: 0,
            quiet: true,
            log_json: false,
        };
        let mut a = args(report_file(dir.path()), Some("Example Org"));
        a.local = true;
        let objects = build_bundle(&a).expect("converts").0["objects"]
            .as_array()
            .cloned()
            .expect("objects");
        for _ in 0..2 {
            let code = store_locally(&g, &a, "telescope", &objects).expect("stored");
            assert_eq!(
                code,
                ExitCode::SUCCESS,
                "a re-publication is an exact duplicate, not a failure"
            );
        }
        let store = open_store(&g).expect("store");
        let collection = store
            .taxii_collection("api1", "telescope")
            .expect("query")
            .expect("created");
        let page = store
            .taxii_query(&ObjectQuery::new(&collection.id, 1000))
            .expect("query");
        assert_eq!(page.objects.len(), objects.len());
        let stored_ids: std::collections::BTreeSet<&str> =
            page.objects.iter().map(|o| o.id.as_str()).collect();
        for o in &objects {
            assert!(stored_ids.contains(o["id"].as_str().expect("id")));
        }
    }
}
