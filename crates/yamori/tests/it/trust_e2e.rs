//! The trust loop end to end, on real hubs over loopback: a partner's indicator for an address
//! is pulled from the partner's hub → our telescope sees the address → `yamori sightings`
//! creates a sighting of the partner's indicator → the decayed score rises and the export
//! lists it → weeks later it has decayed below the threshold and the export drops it → the
//! sighting is pushed back to the partner's hub, and running again adds nothing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::{json, Value};
use yamori_store::taxii::ObjectQuery;
use yamori_store::Store;

use crate::support::*;

const PARTNER: &str = "identity--00000000-0000-4000-8000-00000000beef";

/// `yamori serve` on a loopback port over plain HTTP; its API root URL.
struct Hub {
    child: Child,
    api_root: String,
}

impl Hub {
    fn start(data: &Path) -> Hub {
        let mut child = yamori()
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--danger-plain-http"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start yamori serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        let base = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|u| u.strip_suffix("taxii2/"))
            .unwrap_or_else(|| panic!("yamori serve did not start: {line:?}"))
            .to_string();
        Hub {
            child,
            api_root: format!("{base}api1/"),
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    run_ok(yamori().arg("--data-dir").arg(data).args(args), 0)
}

fn listed(data: &Path, now: &str) -> Vec<String> {
    let out = cli(
        data,
        &[
            "export",
            "--format",
            "txt",
            "--collection",
            "partner-feed",
            "--score",
            "decay",
            "--min-score",
            "30",
            "--no-warninglists",
            "--now",
            now,
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_partner_indicator_is_sighted_scored_decayed_and_its_sighting_pushed_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ours, theirs) = (dir.path().join("ours"), dir.path().join("partner"));
    // Our telescope: a generated capture, analysed and stored.
    let (pcap, _) = gen_with(
        dir.path(),
        "203.0.113.0/24",
        5,
        7,
        "dark.pcap",
        &["--start", "2026-11-20T00:00:00Z"],
    );
    let report = analyze(&ours, "203.0.113.0/24", &[&pcap], &[], 0);
    let seen = report["scanners"][0]["address"]
        .as_str()
        .expect("a scanner")
        .to_string();
    let last_packet = report["last_packet"]
        .as_str()
        .expect("last packet")
        .to_string();

    // The partner's hub shares an indicator for that address, reported 100 days earlier.
    let token = String::from_utf8_lossy(
        &cli(
            &theirs,
            &[
                "user",
                "add",
                "us",
                "--collection",
                "blocklist:r",
                "--collection",
                "inbox:w",
                // The partner's indicator is unmarked: it counts as TLP:AMBER, and the
                // partner has cleared us for it.
                "--tlp",
                "amber",
            ],
        )
        .stdout,
    )
    .trim()
    .to_string();
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-0000000000aa",
        "created": "2026-08-12T00:00:00.000Z", "modified": "2026-08-12T00:00:00.000Z",
        "created_by_ref": PARTNER, "confidence": 80,
        "pattern": format!("[ipv4-addr:value = '{seen}']"), "pattern_type": "stix",
        "valid_from": "2026-08-12T00:00:00Z", "indicator_types": ["malicious-activity"],
    });
    let bundle = dir.path().join("partner.json");
    std::fs::write(
        &bundle,
        json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
               "objects": [indicator]})
        .to_string(),
    )
    .expect("bundle");
    cli(
        &theirs,
        &[
            "publish",
            "--local",
            "--collection",
            "blocklist",
            bundle.to_str().expect("path"),
        ],
    );
    // `publish --local` stored the indicator without a hub, and so without indexing it; the
    // hub's indexer thread indexes it with nobody asking (docs/TRUST.md §6).
    let partner_store = Store::open_sqlite(&theirs.join("yamori.sqlite")).expect("partner store");
    assert!(!partner_store
        .correlation_backlog(1)
        .expect("backlog")
        .is_empty());
    let hub = Hub::start(&theirs);
    let indexed = (0..100).any(|_| {
        let empty = partner_store
            .correlation_backlog(1)
            .expect("backlog")
            .is_empty();
        if !empty {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        empty
    });
    assert!(
        indexed,
        "the hub's indexer did not index the published indicator in 10 s"
    );
    drop(partner_store);
    cli(
        &ours,
        &[
            "sync",
            "pull",
            &hub.api_root,
            "--token",
            &token,
            "--collection",
            "blocklist",
            "--into",
            "partner-feed",
        ],
    );
    cli(&ours, &["trust", "set", PARTNER, "100"]);

    // A day after the capture: 101 days old, 80 · (1 − √(101/120)) = 6.6, below 30.
    assert_eq!(listed(&ours, "2026-11-21T00:00:00Z"), Vec::<String>::new());
    // Our telescope saw it: a sighting of the partner's indicator.
    let out = cli(&ours, &["sightings", "--org", "Our CSIRT", "--json"]);
    let s: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(s["stored"], 1, "{s}");
    assert_eq!(
        s["sightings"][0]["indicator"],
        "indicator--00000000-0000-4000-8000-0000000000aa"
    );
    assert_eq!(s["sightings"][0]["seen_by"], "telescope");
    // Within the capture's five minutes, which the report's last packet ends.
    let last_seen = s["sightings"][0]["last_seen"].as_str().expect("time");
    assert!(last_seen.starts_with("2026-11-20T00:0"), "{last_seen}");
    assert!(last_packet.starts_with("2026-11-20T00:0"), "{last_packet}");
    // The clock restarted at the sighting: 80 · (1 − √(1/120)) = 72.
    assert_eq!(listed(&ours, "2026-11-21T00:00:00Z"), [seen]);
    // Sixty days on: 80 · (1 − √(60/120)) = 23, below the threshold: dropped.
    assert_eq!(listed(&ours, "2027-01-19T00:00:00Z"), Vec::<String>::new());
    // Again over the same data: the same sighting, nothing new.
    let again: Value =
        serde_json::from_slice(&cli(&ours, &["sightings", "--org", "Our CSIRT", "--json"]).stdout)
            .expect("json");
    assert_eq!(
        (again["stored"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1))
    );

    // Pushed back to the partner's inbox.
    cli(
        &ours,
        &[
            "sync",
            "push",
            &hub.api_root,
            "--token",
            &token,
            "--collection",
            "sightings",
            "--to",
            "inbox",
        ],
    );
    drop(hub);
    let store = Store::open_sqlite(&theirs.join("yamori.sqlite")).expect("partner store");
    let inbox = store
        .taxii_collection("api1", "inbox")
        .expect("collections")
        .expect("inbox");
    let mut q = ObjectQuery::new(&inbox.id, 100);
    q.types = vec!["sighting".into()];
    let got = store.taxii_query(&q).expect("query").objects;
    assert_eq!(got.len(), 1);
    let sighting: Value =
        serde_json::from_str(got[0].body.as_deref().expect("body")).expect("json");
    assert_eq!(
        sighting["sighting_of_ref"],
        "indicator--00000000-0000-4000-8000-0000000000aa"
    );
    assert!(sighting["count"].as_u64().expect("count") >= 1);
}
