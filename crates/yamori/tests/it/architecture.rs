//! Architecture invariants that the dependency graph can show (ARCHITECTURE.md), checked
//! with `cargo metadata` over the resolved graph of normal (non-dev, non-build) dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The target triple rustc builds for by default here (`host:` of `rustc -vV`).
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names its host")
        .trim()
        .to_string()
}

/// package name → names of its normal dependencies (resolved, all features in use).
fn normal_deps() -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        // The host's graph only: a build fetches the crates of the platform it builds for, so
        // other platforms' crates (Windows, wasm) may be missing from a machine's cache.
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
        ])
        .arg(host_triple())
        .current_dir(&root)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let workspace: BTreeSet<String> = meta["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|id| name_of[id.as_str().expect("id")].to_string())
        .collect();
    let mut graph = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve nodes") {
        let name = name_of[node["id"].as_str().expect("id")].to_string();
        let deps: BTreeSet<String> = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .is_some_and(|ks| ks.iter().any(|k| k["kind"].is_null()))
            })
            .map(|d| name_of[d["pkg"].as_str().expect("pkg")].to_string())
            .collect();
        graph.entry(name).or_insert_with(BTreeSet::new).extend(deps);
    }
    (graph, workspace)
}

/// Everything `from` pulls in through normal dependencies.
fn closure(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    closure_except(graph, from, &[])
}

/// Everything `from` pulls in through normal dependencies that do not pass through `via`
/// (those packages and what only they pull in are left out).
fn closure_except(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    via: &[&str],
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(p) = todo.pop() {
        for d in graph.get(&p).into_iter().flatten() {
            if !via.contains(&d.as_str()) && seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

/// The network stack and the scanner's heavier parts, which crates that only read and write
/// documents must not pull in.
const NETWORK_STACK: [&str; 6] = [
    "tokio",
    "socket2",
    "rustls",
    "etherparse",
    "minijinja",
    "x509-parser",
];

/// The packages of [`NETWORK_STACK`] in `deps`, but for those in `allowed`.
fn network_stack_in(deps: &BTreeSet<String>, allowed: &[&str]) -> Vec<&'static str> {
    NETWORK_STACK
        .into_iter()
        .filter(|p| !allowed.contains(p) && deps.contains(*p))
        .collect()
}

#[test]
fn only_the_binary_and_its_sources_depend_on_the_analyzer_and_the_scanner() {
    let (graph, workspace) = normal_deps();
    // The analyzer's input side plugs into it (the generator writes its captures' truth in
    // its terms; the enricher implements its lookup trait); everything that reads documents
    // depends on yamori-model instead. The scanner: the binary, and the lab (its emulated web
    // servers read requests with the scanner's parsers; its binary runs the library survey).
    // The lab's listeners: the binary (`yamori demo`); the scanner's tests use it as a
    // dev-dependency only. The live sensor (`yamori-sensor`) feeds the analyzer as the
    // binary's file reading does, and only the binary runs it.
    let allowed = |user: &str, dep: &str| match dep {
        "yamori-telescope" => {
            ["yamori", "yamori-gen", "yamori-enrich", "yamori-sensor"].contains(&user)
        }
        // The live sensor: only the binary runs it.
        "yamori-sensor" => user == "yamori",
        "yamori-decoy" => user == "yamori",
        "yamori-survey" => ["yamori", "yamori-lab"].contains(&user),
        "yamori-lab" => user == "yamori",
        _ => true,
    };
    let mut wrong = Vec::new();
    for user in &workspace {
        for dep in graph.get(user).into_iter().flatten() {
            if !allowed(user, dep) {
                wrong.push(format!("{user} → {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against ARCHITECTURE.md: {wrong:?}"
    );
    for reader in ["yamori-store", "yamori-hub", "yamori-intel"] {
        assert!(
            graph[reader].contains("yamori-model"),
            "{reader} reads documents through yamori-model"
        );
    }
}

#[test]
fn the_stix_crate_builds_without_the_network_stack() {
    let (graph, _) = normal_deps();
    let intel = closure(&graph, "yamori-intel");
    let heavy = network_stack_in(&intel, &[]);
    assert!(heavy.is_empty(), "yamori-intel pulls in {heavy:?}");
    assert!(
        intel.len() < 60,
        "yamori-intel pulls in {} packages: {intel:?}",
        intel.len()
    );
}

/// Notices and vulnerability matching read documents; neither carries the scanner or a
/// network stack of its own. The notices pull in no tokio or socket2 at all (their templates
/// are theirs: minijinja is allowed there). The vulnerability crate reaches tokio and socket2
/// only through `yamori-store` (whose PostgreSQL client is async underneath); without that
/// edge its closure holds none of the network stack.
#[test]
fn notices_and_vulnerability_matching_build_without_the_scanner() {
    let (graph, _) = normal_deps();
    let notify = closure(&graph, "yamori-notify");
    let heavy = network_stack_in(&notify, &["minijinja"]);
    assert!(heavy.is_empty(), "yamori-notify pulls in {heavy:?}");
    let vuln = closure(&graph, "yamori-vuln");
    let vuln_own = closure_except(&graph, "yamori-vuln", &["yamori-store"]);
    let heavy = network_stack_in(&vuln_own, &[]);
    assert!(
        heavy.is_empty(),
        "yamori-vuln pulls in {heavy:?} other than through yamori-store"
    );
    for (name, deps) in [("yamori-notify", &notify), ("yamori-vuln", &vuln)] {
        for crate_ in ["yamori-survey", "yamori-lab", "yamori-telescope"] {
            assert!(!deps.contains(crate_), "{name} depends on {crate_}");
        }
    }
    assert!(
        !notify.contains("yamori-store") && !notify.contains("yamori-vuln"),
        "yamori-notify reads survey results through yamori-model only"
    );
}

/// ARCHITECTURE.md: the release binary holds the product only. The benchmark harness and its
/// reference design live in `yamori-bench`, which nothing depends on, and neither it nor the
/// benchmark and test helpers are among the binary's normal dependencies.
#[test]
fn the_product_binary_carries_no_benchmark_harness() {
    let (graph, workspace) = normal_deps();
    assert!(
        workspace.contains("yamori-bench"),
        "the harness is a workspace member: {workspace:?}"
    );
    let users: Vec<&String> = graph
        .iter()
        .filter(|(_, deps)| deps.contains("yamori-bench"))
        .map(|(user, _)| user)
        .collect();
    assert!(users.is_empty(), "{users:?} depend on yamori-bench");
    let product = closure(&graph, "yamori");
    let harness: Vec<&str> = ["yamori-bench", "criterion", "tempfile"]
        .into_iter()
        .filter(|p| product.contains(*p))
        .collect();
    assert!(harness.is_empty(), "the yamori binary pulls in {harness:?}");
}

/// Exports are a function of the objects handed in: `yamori-act` reads neither the store nor
/// the hub, and carries no network stack (ARCHITECTURE.md).
#[test]
fn exports_build_without_the_store_the_hub_or_the_network_stack() {
    let (graph, _) = normal_deps();
    let act = closure(&graph, "yamori-act");
    let heavy = network_stack_in(&act, &[]);
    assert!(heavy.is_empty(), "yamori-act pulls in {heavy:?}");
    for crate_ in [
        "yamori-store",
        "yamori-hub",
        "yamori-survey",
        "yamori-telescope",
        "yamori-lab",
    ] {
        assert!(!act.contains(crate_), "yamori-act depends on {crate_}");
    }
    assert!(
        act.contains("yamori-intel"),
        "STIX facts come from yamori-intel"
    );
    // The hub serves the exports as feeds over the store: it depends on both, never the
    // other way round (above).
    for dep in ["yamori-act", "yamori-store"] {
        assert!(
            graph["yamori-hub"].contains(dep),
            "the hub's feeds use {dep}"
        );
    }
}

/// ARCHITECTURE.md: `yamori-trust` (scoring, warninglists, pseudonymisation, k-anonymity) is
/// pure computation over values: it depends on no other Yamori crate — so the STIX crate, the
/// hub, the exports and the binary can all call it without a cycle — and on no network stack.
#[test]
fn the_trust_crate_is_a_leaf_without_the_network_stack() {
    let (graph, workspace) = normal_deps();
    let trust = closure(&graph, "yamori-trust");
    let ours: Vec<&String> = trust.iter().filter(|d| workspace.contains(*d)).collect();
    assert!(ours.is_empty(), "yamori-trust depends on {ours:?}");
    let heavy = network_stack_in(&trust, &[]);
    assert!(heavy.is_empty(), "yamori-trust pulls in {heavy:?}");
}

/// ARCHITECTURE.md: the live sensor captures, filters and cuts minutes; it knows nothing of
/// storage, HTTP or the scanner (the binary stores its minutes).
#[test]
fn the_sensor_captures_without_the_store_the_hub_or_the_scanner() {
    let (graph, _) = normal_deps();
    let sensor = closure(&graph, "yamori-sensor");
    for crate_ in [
        "yamori-store",
        "yamori-hub",
        "yamori-survey",
        "yamori-lab",
        "tokio",
    ] {
        assert!(
            !sensor.contains(crate_),
            "yamori-sensor depends on {crate_}"
        );
    }
    assert!(
        sensor.contains("yamori-telescope"),
        "the same analyzer as `analyze`"
    );
}

/// ARCHITECTURE.md: the bus carries minutes between sensors and hubs; it knows the minute's
/// counters (yamori-model) and NATS, not the capture, the analyzer, the store or the hub (the
/// hub implements its sink, the binary feeds its publisher).
#[test]
fn the_bus_carries_minutes_without_capture_analysis_store_or_hub() {
    let (graph, _) = normal_deps();
    let bus = closure(&graph, "yamori-bus");
    for crate_ in [
        "yamori-sensor",
        "yamori-telescope",
        "yamori-store",
        "yamori-hub",
        "yamori-survey",
    ] {
        assert!(!bus.contains(crate_), "yamori-bus depends on {crate_}");
    }
    assert!(
        bus.contains("async-nats"),
        "NATS through the maintained client"
    );
    let sensor = closure(&graph, "yamori-sensor");
    assert!(
        !sensor.contains("yamori-bus"),
        "the sensor hands minutes to the binary"
    );
}

/// ARCHITECTURE.md: the decoy is a leaf beside the others: it depends on no other Yamori
/// crate (its records are its own Cowrie-format JSON), and only the binary depends on it.
#[test]
fn the_decoy_is_a_leaf_only_the_binary_uses() {
    let (graph, workspace) = normal_deps();
    let decoy = closure(&graph, "yamori-decoy");
    let ours: Vec<&String> = decoy.iter().filter(|d| workspace.contains(*d)).collect();
    assert!(ours.is_empty(), "yamori-decoy depends on {ours:?}");
    for crate_ in ["yamori-survey", "rustls", "reqwest", "hyper"] {
        assert!(!decoy.contains(crate_), "yamori-decoy pulls in {crate_}");
    }
    let users: Vec<&String> = graph
        .iter()
        .filter(|(_, deps)| deps.contains("yamori-decoy"))
        .map(|(user, _)| user)
        .collect();
    assert_eq!(users, [&"yamori".to_string()]);
}
