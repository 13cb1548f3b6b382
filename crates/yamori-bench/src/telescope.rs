//! Telescope benchmark scenarios (see docs/BENCHMARKS.md).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::{median, time_command, warm_cache, which, Sample};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which scenarios: `small` (5 M packets, 5,000 sources, vs tcpdump and tshark),
    /// `large` (20 M packets, 2 M sources, vs a plain `HashMap` of per-source structs, with
    /// counters only and with exact sets, and vs tcpdump), or `all`.
    #[arg(long, default_value = "all")]
    pub scenario: String,
    /// Timed runs per tool (medians reported). tshark runs once: it is ~100× slower.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Where generated captures are kept between runs.
    #[arg(long, default_value = "target/bench-data")]
    pub dir: PathBuf,
    /// Skip tshark (it takes about a minute on the small scenario).
    #[arg(long)]
    pub no_tshark: bool,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
}

const DARKNET: &str = "10.128.0.0/16";

#[derive(Serialize)]
struct ToolResult {
    tool: String,
    command: String,
    runs: usize,
    median_wall_secs: f64,
    packets_per_sec: f64,
    max_rss_mib: f64,
}

#[derive(Serialize)]
struct ScenarioResult {
    scenario: String,
    packets: u64,
    sources: u64,
    file_bytes: u64,
    tools: Vec<ToolResult>,
    /// Yamori's wall time / the anchor's (small: the faster of 1 and 2 threads; large: one
    /// thread, as its goal is per core); < 1 means Yamori is faster.
    ratios: Vec<(String, f64)>,
}

fn capture(dir: &Path, packets: u64, sources: u64) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("bench-{packets}p-{sources}s.pcap"));
    if path.exists() {
        return Ok(path);
    }
    eprintln!(
        "generating {} ({packets} packets, {sources} sources)…",
        path.display()
    );
    let cfg = yamori_gen::GenConfig {
        darknets: vec![DARKNET.parse()?],
        scale: yamori_gen::Scale::Bench { packets, sources },
        ..yamori_gen::GenConfig::default()
    };
    let tmp = path.with_extension("pcap.part");
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
    yamori_gen::generate(&cfg, out).context("generating the benchmark capture")?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn measure(
    tool: &str,
    program: &Path,
    args: Vec<String>,
    runs: usize,
    packets: u64,
) -> anyhow::Result<ToolResult> {
    let mut samples: Vec<Sample> = Vec::new();
    for i in 0..runs {
        let s = time_command(program, &args)?;
        eprintln!(
            "  {tool} run {}: {:.3} s, {} MiB",
            i + 1,
            s.wall_secs,
            s.max_rss_kib / 1024
        );
        samples.push(s);
    }
    let wall = median(samples.iter().map(|s| s.wall_secs).collect());
    let rss = median(samples.iter().map(|s| s.max_rss_kib as f64).collect());
    Ok(ToolResult {
        tool: tool.to_string(),
        command: format!("{} {}", program.display(), args.join(" ")),
        runs,
        median_wall_secs: wall,
        packets_per_sec: packets as f64 / wall,
        max_rss_mib: rss / 1024.0,
    })
}

fn yamori_args(file: &Path, threads: usize) -> Vec<String> {
    vec![
        "--quiet".into(),
        "analyze".into(),
        "--darknet".into(),
        DARKNET.into(),
        "--no-store".into(),
        "--json".into(),
        "--threads".into(),
        threads.to_string(),
        file.display().to_string(),
    ]
}

/// The anchors a scenario is measured against.
#[derive(Clone, Copy)]
struct Anchors {
    /// The reference design of `yamori-bench plain-map` (counters only, and with exact sets).
    plain_map: bool,
    /// `tcpdump` applying one filter: the floor of reading the capture with a mature tool.
    tcpdump: bool,
    /// `tshark -z io,phs` (protocol hierarchy); ~100× slower, so it runs once.
    tshark: bool,
    /// Which Yamori time the ratios use: the faster of 1 and 2 threads (false), or one
    /// thread (true: the goal is per core).
    one_thread: bool,
}

fn scenario(
    yamori: &Path,
    name: &str,
    packets: u64,
    sources: u64,
    anchors: Anchors,
    a: &Args,
) -> anyhow::Result<ScenarioResult> {
    let file = capture(&a.dir, packets, sources)?;
    warm_cache(&file)?;
    // The reference design runs in this binary, the product in its own.
    let me = std::env::current_exe()?;
    let mut tools = Vec::new();
    eprintln!("scenario {name}: {}", file.display());
    tools.push(measure(
        "yamori (1 thread)",
        yamori,
        yamori_args(&file, 1),
        a.runs,
        packets,
    )?);
    tools.push(measure(
        "yamori (2 threads)",
        yamori,
        yamori_args(&file, 2),
        a.runs,
        packets,
    )?);
    let (mine, mine_name) = if anchors.one_thread {
        (tools[0].median_wall_secs, "yamori (1 thread)")
    } else {
        (
            tools[1].median_wall_secs.min(tools[0].median_wall_secs),
            "yamori",
        )
    };
    if anchors.plain_map {
        // Counters only (the leanest plain design), then with exact sets (what the analysis
        // keeps per source); the latter is ~5x slower and runs once, like tshark.
        for (tool, extra, runs) in [
            ("plain map, counters", Some("--no-sets"), a.runs),
            ("plain map, sets", None, 1),
        ] {
            let mut args: Vec<String> = vec!["plain-map".into()];
            args.extend(extra.map(String::from));
            args.extend([
                "--darknet".into(),
                DARKNET.into(),
                file.display().to_string(),
            ]);
            tools.push(measure(tool, &me, args, runs, packets)?);
        }
    }
    if anchors.tcpdump {
        if let Some(tcpdump) = which("tcpdump") {
            let args = vec![
                "-n".into(),
                "-r".into(),
                file.display().to_string(),
                "-w".into(),
                "/dev/null".into(),
                "tcp[13]==2".into(),
            ];
            tools.push(measure("tcpdump filter", &tcpdump, args, a.runs, packets)?);
        } else {
            eprintln!("tcpdump not installed: skipped (apt-get install tcpdump)");
        }
    }
    if anchors.tshark && !a.no_tshark {
        if let Some(tshark) = which("tshark") {
            let args = vec![
                "-r".into(),
                file.display().to_string(),
                "-q".into(),
                "-z".into(),
                "io,phs".into(),
            ];
            tools.push(measure("tshark io,phs", &tshark, args, 1, packets)?);
        } else {
            eprintln!("tshark not installed: skipped (apt-get install tshark)");
        }
    }
    let ratios = tools
        .iter()
        .skip(2)
        .map(|t| {
            (
                format!("{mine_name} / {}", t.tool),
                mine / t.median_wall_secs,
            )
        })
        .collect();
    Ok(ScenarioResult {
        scenario: name.to_string(),
        packets,
        sources,
        file_bytes: std::fs::metadata(&file)?.len(),
        tools,
        ratios,
    })
}

pub fn run(yamori: &Path, a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(a.runs >= 1, "--runs must be at least 1");
    let mut results = Vec::new();
    if matches!(a.scenario.as_str(), "small" | "all") {
        results.push(scenario(
            yamori,
            "small: 5M packets, 5k sources",
            5_000_000,
            5_000,
            Anchors {
                plain_map: false,
                tcpdump: true,
                tshark: true,
                one_thread: false,
            },
            &a,
        )?);
    }
    if matches!(a.scenario.as_str(), "large" | "all") {
        results.push(scenario(
            yamori,
            "large: 20M packets, 2M sources",
            20_000_000,
            2_000_000,
            Anchors {
                plain_map: true,
                tcpdump: true,
                tshark: false,
                one_thread: true,
            },
            &a,
        )?);
    }
    anyhow::ensure!(
        !results.is_empty(),
        "unknown --scenario {:?}: use small, large or all",
        a.scenario
    );
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &results {
        println!("\n{} ({} MiB file)", r.scenario, r.file_bytes >> 20);
        println!(
            "  {:<22} {:>10} {:>14} {:>10}",
            "tool", "median s", "packets/s", "max RSS"
        );
        for t in &r.tools {
            println!(
                "  {:<22} {:>10.3} {:>14.0} {:>7.0} MiB",
                t.tool, t.median_wall_secs, t.packets_per_sec, t.max_rss_mib
            );
        }
        for (k, v) in &r.ratios {
            println!("  {k}: {v:.3}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
