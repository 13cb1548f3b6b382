//! `yamori sensor` end to end (root): a generated capture is replayed with tcpreplay into one
//! end of a veth pair, the sensor captures on the other end inside a network namespace of the
//! test's own, and the minute it stores must equal `yamori analyze` of the same capture.
//!
//! Minutes are cut by packet time, and a replay's packets carry the time they are replayed, so
//! the test makes the minutes line up instead of comparing across them: the capture is cut to
//! its first [`REPLAY_SECS`] seconds, and tcpreplay starts one second after a minute begins
//! at the capture's own pace, so every packet lands in that one minute (with 14 s to spare for
//! the replay's lateness). Then the two reports must agree on everything that does not name a
//! time: totals per category, tool fingerprints, every scanner and every attack with their
//! counts, and the per-minute series (one minute each). The replay is 45 s of a realistic
//! darknet (about 1,500 packets from a few hundred sources, 20 scanners, 2 attacks); the
//! kernel's ring drops, the interface's drops and the packets the sensor could not analyse
//! must all be zero. A second sensor on the same interface publishes its minutes to NATS
//! JetStream, and the minute a `yamori serve --nats` hub stores from it must be the same.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::peers;
use crate::support::{gen, run_ok, tool, yamori};
use yamori_lab::netns::run as sh;

const DARKNET: &str = "198.51.100.0/24";
/// Seconds of the generated capture that are replayed (see the module doc).
const REPLAY_SECS: u64 = 45;

/// A namespace holding the inner end of a veth pair; the outer end stays in the test's
/// namespace. Both go with the namespace on drop.
struct Veth {
    ns: String,
    outer: String,
    inner: String,
}

impl Veth {
    fn new() -> Result<Veth, String> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{:x}{n}", std::process::id() & 0xffff);
        let v = Veth {
            ns: format!("yasens-{id}"),
            outer: format!("yaso{id}"),
            inner: format!("yasi{id}"),
        };
        sh(&["ip", "netns", "add", &v.ns])?;
        // Jumbo MTU: a generated frame larger than 1514 bytes would otherwise be dropped by
        // the veth (counted in the interface's rx_dropped), not by the sensor.
        sh(&[
            "ip", "link", "add", &v.outer, "mtu", "9000", "type", "veth", "peer", "name", &v.inner,
            "mtu", "9000",
        ])?;
        sh(&["ip", "link", "set", &v.inner, "netns", &v.ns])?;
        // No IPv6 on either end: the interfaces send nothing of their own (router
        // solicitations), so the only traffic is the replay.
        for (ns, dev) in [(None, &v.outer), (Some(&v.ns), &v.inner)] {
            let key = format!("net.ipv6.conf.{dev}.disable_ipv6=1");
            match ns {
                None => sh(&["sysctl", "-q", "-w", &key])?,
                Some(ns) => sh(&["ip", "netns", "exec", ns, "sysctl", "-q", "-w", &key])?,
            };
        }
        sh(&["ip", "link", "set", &v.outer, "up"])?;
        sh(&["ip", "-n", &v.ns, "link", "set", &v.inner, "up"])?;
        Ok(v)
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = sh(&["ip", "link", "del", &self.outer]);
        let _ = sh(&["ip", "netns", "del", &self.ns]);
    }
}

/// Kills the sensor if the test fails before it exits.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `yamori sensor --json` on the namespace's end of `veth` (global options first, then
/// the sensor's own) and waits for its "capturing on" line; its stderr stays readable.
fn start_sensor(
    veth: &Veth,
    global: &[&std::ffi::OsStr],
    args: &[&str],
) -> (Reaper, BufReader<std::process::ChildStderr>) {
    let child = Command::new("ip")
        .args(["netns", "exec", &veth.ns])
        .arg(env!("CARGO_BIN_EXE_yamori"))
        .args(global)
        .args([
            "sensor",
            "--interface",
            &veth.inner,
            "--darknet",
            DARKNET,
            "--json",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the sensor");
    let mut sensor = Reaper(child);
    let mut err = BufReader::new(sensor.0.stderr.take().expect("stderr"));
    let mut line = String::new();
    err.read_line(&mut line).expect("sensor's first line");
    if line.starts_with("--strict: watching") {
        line.clear();
        err.read_line(&mut line)
            .expect("sensor's line after the strict check");
    }
    assert!(line.starts_with("capturing on"), "sensor: {line}");
    (sensor, err)
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
}

/// Sleep until `secs` seconds into the next minute.
fn sleep_into_next_minute(secs: u64) {
    let t = now();
    let next = Duration::from_secs(t.as_secs() - t.as_secs() % 60 + 60 + secs);
    std::thread::sleep(next - t);
}

/// The frames of `src` that `keep` takes, as a pcap file at `dst`, until it says stop (`None`);
/// returns how many were written.
fn copy_frames(src: &Path, dst: &Path, mut keep: impl FnMut(u64, &[u8]) -> Option<bool>) -> usize {
    let mut r = yamori_wire::CaptureReader::from_read(
        "capture",
        std::fs::File::open(src).expect("open capture"),
    )
    .expect("read capture");
    let out = std::fs::File::create(dst).expect("create capture");
    let mut w = yamori_wire::PcapWriter::new(out, yamori_wire::LinkType::ETHERNET, 65_535, false)
        .expect("pcap writer");
    let mut kept = 0;
    while let Some(rec) = r.next_record().expect("record") {
        assert_eq!(
            rec.data.len() as u32,
            rec.orig_len,
            "generated frames are whole"
        );
        match keep(rec.ts_ns, rec.data) {
            None => break,
            Some(false) => {}
            Some(true) => {
                w.write(rec.ts_ns, rec.data).expect("write");
                kept += 1;
            }
        }
    }
    w.into_inner().expect("flush");
    kept
}

/// The first `secs` seconds of `src`, as a pcap file at `dst`.
fn cut(src: &Path, dst: &Path, secs: u64) {
    let mut first = None;
    copy_frames(src, dst, |ts_ns, _| {
        let start = *first.get_or_insert(ts_ns);
        (ts_ns - start < secs * 1_000_000_000).then_some(true)
    });
}

/// What of a report does not depend on when its packets were seen.
fn timeless(r: &Value) -> Value {
    let t = &r["totals"];
    let scanners: Vec<Value> = r["scanners"]
        .as_array()
        .expect("scanners")
        .iter()
        .map(|s| {
            serde_json::json!({
                "address": s["address"], "packets": s["packets"], "bytes": s["bytes"],
                "destinations": s["destinations"], "destination_ports": s["destination_ports"],
                "top_ports": s["top_ports"], "ttl": [s["ttl_min"], s["ttl_max"]],
                "syn_probes": s["syn_probes"], "fingerprints": s["fingerprint_matches"],
                "tool": s["tool"], "scan": s["scan"],
            })
        })
        .collect();
    let attacks: Vec<Value> = r["attacks"]
        .as_array()
        .expect("attacks")
        .iter()
        .map(|a| {
            serde_json::json!({
                "victim": a["victim"], "packets": a["packets"], "ports": a["ports"],
                "darknet_destinations": a["darknet_destinations"], "kinds": a["kinds"],
            })
        })
        .collect();
    let series: Vec<Value> = r["timeseries"]
        .as_array()
        .expect("timeseries")
        .iter()
        .map(|m| m["counts"].clone())
        .collect();
    serde_json::json!({
        "darknet_packets": t["darknet_packets"],
        "by_category": t["by_category"],
        "erratic": t["erratic"],
        "fingerprint_packets": t["fingerprint_packets"],
        "backscatter_packets": t["backscatter_packets"],
        "distinct_sources": t["distinct_sources"],
        "untracked_sources": t["untracked_sources"],
        "undecodable": t["undecodable"],
        "top_tcp_ports": r["top_tcp_ports"],
        "top_udp_ports": r["top_udp_ports"],
        "scanners": scanners,
        "attacks": attacks,
        "series": series,
    })
}

/// `yamori analyze --json` of the files, with the test's data directory and rules.
fn analyze_json(data: &Path, config: &Path, files: &[std::path::PathBuf]) -> Value {
    let out = run_ok(
        yamori()
            .arg("--data-dir")
            .arg(data)
            .arg("--config")
            .arg(config)
            .args([
                "-q",
                "analyze",
                "--no-store",
                "--json",
                "--darknet",
                DARKNET,
            ])
            .args(files),
        0,
    );
    serde_json::from_slice(&out.stdout).expect("analyze json")
}

fn lab_missing() -> Option<String> {
    if tool("tcpreplay").is_none() {
        return Some("tcpreplay is not installed (Debian package tcpreplay; scripts/setup)".into());
    }
    if !Path::new("/usr/sbin/nats-server").exists() {
        return Some(
            "nats-server is not installed (Debian package nats-server; scripts/setup)".into(),
        );
    }
    let probe = format!(
        "yasprobe-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    )
    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "");
    if let Err(e) = sh(&["ip", "netns", "add", &probe]) {
        return Some(format!("network namespaces need root and iproute2: {e}"));
    }
    let _ = sh(&["ip", "netns", "del", &probe]);
    None
}

#[test]
fn live_minute_equals_offline_analysis_of_the_replayed_capture() {
    if let Some(why) = lab_missing() {
        peers::missing("the live sensor on a veth pair", &why);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Attacks shorter than a minute count here, so the cut capture still has some; analyze and
    // the sensor read the same rules.
    let config = dir.path().join("yamori.toml");
    std::fs::write(&config, "[analyze]\nattack_min_duration_secs = 10\n").expect("config");
    let (full, _) = gen(dir.path(), DARKNET, 5, 7, "gen.pcap");
    let pcap = dir.path().join("cut.pcap");
    cut(&full, &pcap, REPLAY_SECS);

    let want = analyze_json(&data, &config, std::slice::from_ref(&pcap));
    assert!(
        want["scanners"].as_array().is_some_and(|s| !s.is_empty())
            && want["attacks"].as_array().is_some_and(|a| !a.is_empty()),
        "the cut capture has scanners and attacks to compare: {}",
        timeless(&want)
    );

    let veth = Veth::new().expect("veth pair in a namespace");
    // The sensor also keeps the frames it captured, for `yamori analyze` to read again.
    let pcap_dir = dir.path().join("pcap");
    // The sensor must start in the minute before the replay's (see the module doc): not in a
    // minute's last seconds.
    if now().as_secs() % 60 >= 50 {
        sleep_into_next_minute(1);
    }
    let (mut sensor, mut err) = start_sensor(
        &veth,
        &[
            "--data-dir".as_ref(),
            data.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ],
        &[
            "--sensor-id",
            "lab",
            "--minutes",
            "1",
            "--pcap-dir",
            pcap_dir.to_str().expect("utf-8 path"),
        ],
    );
    // Beside it on the same interface, a sensor that publishes its minutes to NATS JetStream,
    // and a hub that stores them: both, and the nats-server, inside the namespace (its own
    // loopback), the hub on a SQLite file of its own.
    let scale_out = ScaleOut::start(&veth, dir.path(), &config);
    let (mut nats_sensor, _nats_err) = start_sensor(
        &veth,
        &[
            "--data-dir".as_ref(),
            scale_out.sensor_data.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ],
        &[
            "--sensor-id",
            "lab-nats",
            "--minutes",
            "1",
            "--nats",
            &scale_out.url,
        ],
    );
    let started = now().as_secs();

    sleep_into_next_minute(1);
    let replay_minute = now().as_secs() / 60 * 60;
    assert_eq!(
        replay_minute,
        started / 60 * 60 + 60,
        "the replay starts in the next minute"
    );
    let replay = sh(&[
        "tcpreplay",
        "-i",
        &veth.outer,
        pcap.to_str().expect("utf-8 path"),
    ])
    .expect("tcpreplay");
    let failed: Vec<&str> = replay
        .lines()
        .filter(|l| l.trim_start().starts_with("Failed packets:"))
        .collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|l| l.trim_end().ends_with(" 0")),
        "tcpreplay sent every packet: {replay}"
    );

    let status = sensor.0.wait().expect("sensor exits after its minute");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).expect("stderr");
    let mut out = String::new();
    std::io::Read::read_to_string(sensor.0.stdout.as_mut().expect("stdout"), &mut out)
        .expect("stdout");
    assert!(status.success(), "sensor: {status}\n{rest}\n{out}");
    let nats_status = nats_sensor
        .0
        .wait()
        .expect("the NATS sensor exits after its minute");
    assert!(nats_status.success(), "sensor --nats: {nats_status}");
    // Two JSON lines: the partial start minute and the replay's.
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line per minute"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["partial"], true);
    assert_eq!(lines[1]["partial"], false);

    let store = yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("store");
    let minutes = store.sensor_minutes("lab").expect("minutes");
    assert_eq!(minutes.len(), 2, "{minutes:#?}");
    let m = &minutes[1];
    assert_eq!(m.minute_s, replay_minute as i64);
    assert_eq!(
        minutes[0].counts.captured, 0,
        "nothing before the replay: {minutes:#?}"
    );
    let c = m.counts;
    assert_eq!(
        (
            c.kernel_drops,
            c.kernel_freezes,
            c.interface_drops,
            c.late,
            c.undecodable
        ),
        (0, 0, 0, 0, 0),
        "no drops and nothing unanalysed: {c:?}"
    );
    let darknet = want["totals"]["darknet_packets"].as_u64().expect("count");
    assert_eq!(
        c.kernel_packets, c.captured,
        "the kernel passed what the ring held"
    );
    assert_eq!(
        c.captured, darknet,
        "the filter passed exactly the darknet's packets"
    );
    let stored = store
        .get_analysis(&m.analysis_id)
        .expect("get")
        .expect("the minute's analysis");
    let got: Value = serde_json::from_str(&stored.report_json).expect("report json");
    assert_eq!(timeless(&got), timeless(&want));
    // The packet times are the replay's, in the replay's minute.
    let first = got["first_packet"].as_str().expect("first packet");
    let minute = time::OffsetDateTime::from_unix_timestamp(replay_minute as i64).expect("time");
    assert!(
        first.starts_with(&format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:",
            minute.year(),
            u8::from(minute.month()),
            minute.day(),
            minute.hour(),
            minute.minute()
        )),
        "{first} in the minute of {replay_minute}"
    );

    // The raw capture holds the minute's frames: `yamori analyze` of it finds what the live
    // minute found.
    let mut raw: Vec<std::path::PathBuf> = std::fs::read_dir(&pcap_dir)
        .expect("the pcap directory")
        .map(|e| e.expect("entry").path())
        .collect();
    raw.sort();
    assert!(
        !raw.is_empty()
            && raw.iter().all(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n.starts_with("lab-") && n.ends_with("-000.pcap")
            }),
        "hourly files named after the sensor: {raw:?}"
    );
    let again = analyze_json(&data, &config, &raw);
    assert_eq!(timeless(&again), timeless(&want), "re-analysis of {raw:?}");

    // The minutes that went through NATS are the same minutes, stored by the hub.
    let hub = scale_out.wait_for_minutes("lab-nats", 2);
    let via = hub.sensor_minutes("lab-nats").expect("minutes");
    assert_eq!(via[1].minute_s, m.minute_s);
    assert_eq!(via[1].counts.captured, c.captured, "{via:#?}");
    let report = hub
        .get_analysis(&via[1].analysis_id)
        .expect("get")
        .expect("the hub stored the minute's analysis");
    let via_nats: Value = serde_json::from_str(&report.report_json).expect("report json");
    assert_eq!(timeless(&via_nats), timeless(&want));
    drop(scale_out);
    drop(veth);
}

/// A nats-server and a `yamori serve --nats` hub inside the test's namespace.
struct ScaleOut {
    url: String,
    sensor_data: std::path::PathBuf,
    hub_db: std::path::PathBuf,
    _nats: Reaper,
    _hub: Reaper,
}

impl ScaleOut {
    fn start(veth: &Veth, dir: &Path, config: &Path) -> ScaleOut {
        sh(&[
            "ip", "netns", "exec", &veth.ns, "ip", "link", "set", "lo", "up",
        ])
        .expect("lo up");
        let store_dir = dir.join("jetstream");
        let nats = Command::new("ip")
            .args(["netns", "exec", &veth.ns, "/usr/sbin/nats-server"])
            .args(["-a", "127.0.0.1", "-p", "4222", "-js", "-sd"])
            .arg(&store_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server in the namespace");
        let nats = Reaper(nats);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while sh(&[
            "ip",
            "netns",
            "exec",
            &veth.ns,
            "bash",
            "-c",
            "exec 3<>/dev/tcp/127.0.0.1/4222",
        ])
        .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let url = "nats://127.0.0.1:4222".to_string();
        let hub_data = dir.join("hub");
        let hub_db = hub_data.join("hub.sqlite");
        let hub = Command::new("ip")
            .args(["netns", "exec", &veth.ns])
            .arg(env!("CARGO_BIN_EXE_yamori"))
            .arg("--data-dir")
            .arg(&hub_data)
            .arg("--config")
            .arg(config)
            .arg("--database")
            .arg(&hub_db)
            .args(["serve", "--listen", "127.0.0.1:0", "--danger-plain-http"])
            .args(["--nats", &url, "--accept-sensor", "lab-nats"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("yamori serve --nats in the namespace");
        ScaleOut {
            url,
            sensor_data: dir.join("nats-sensor"),
            hub_db,
            _nats: nats,
            _hub: Reaper(hub),
        }
    }

    /// The hub's store once it holds `n` minutes of `sensor` (at most 30 s).
    fn wait_for_minutes(&self, sensor: &str, n: usize) -> yamori_store::Store {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(store) = yamori_store::Store::open_sqlite(&self.hub_db) {
                if store.sensor_minutes(sensor).is_ok_and(|m| m.len() >= n) {
                    return store;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the hub did not store {n} minutes of {sensor} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn clear_errors_for_a_missing_interface_no_permission_a_stop_and_a_vanished_interface() {
    if let Some(why) = lab_missing() {
        peers::missing("the live sensor's errors", &why);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let sensor = |extra: &[&str]| {
        let mut c = yamori();
        c.arg("--data-dir").arg(&data).arg("sensor");
        c.args(["--darknet", DARKNET]).args(extra);
        c
    };
    let out = run_ok(&mut sensor(&["--interface", "yamori-nonexistent0"]), 1);
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("no network interface named \"yamori-nonexistent0\""),
        "{msg}"
    );

    // A raw capture directory that cannot be made (under a file): refused before capturing,
    // naming the directory; a sensor id that would name files elsewhere, likewise.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("file");
    let under_file = file.join("pcap");
    let out = run_ok(
        &mut sensor(&[
            "--interface",
            "lo",
            "--pcap-dir",
            under_file.to_str().expect("utf-8 path"),
        ]),
        1,
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("raw capture directory") && msg.contains(&*under_file.to_string_lossy()),
        "{msg}"
    );
    let out = run_ok(
        &mut sensor(&[
            "--interface",
            "lo",
            "--sensor-id",
            "../up",
            "--pcap-dir",
            dir.path().join("pcap").to_str().expect("utf-8 path"),
        ]),
        1,
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("sensor id \"../up\""), "{msg}");

    // Without CAP_NET_RAW (an unprivileged user, no capabilities): the message says what to do.
    std::fs::create_dir_all(&data).expect("data dir");
    sh(&["chmod", "777", data.to_str().expect("utf-8 path")]).expect("chmod");
    sh(&["chmod", "755", dir.path().to_str().expect("utf-8 path")]).expect("chmod");
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ]);
    c.arg(env!("CARGO_BIN_EXE_yamori"))
        .arg("--data-dir")
        .arg(&data)
        .args(["sensor", "--darknet", DARKNET, "--interface", "lo"]);
    let out = run_ok(&mut c, 1);
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("not permitted to capture on lo") && msg.contains("CAP_NET_RAW"),
        "{msg}"
    );

    let veth = Veth::new().expect("veth pair in a namespace");
    // SIGTERM: the sensor writes the minute in progress (partial) and exits 0.
    let (mut running, _err) = start_sensor(
        &veth,
        &["--data-dir".as_ref(), data.as_os_str()],
        &["--sensor-id", "stopped"],
    );
    // `ip netns exec` runs the sensor in its own process (exec), so this is the sensor's id.
    sh(&["kill", "-TERM", &running.0.id().to_string()]).expect("kill -TERM");
    let status = running.0.wait().expect("sensor exits");
    assert!(status.success(), "{status}");
    let mut out = String::new();
    std::io::Read::read_to_string(running.0.stdout.as_mut().expect("stdout"), &mut out)
        .expect("stdout");
    let last: Value = serde_json::from_str(out.lines().last().expect("a minute")).expect("json");
    assert_eq!(
        (&last["sensor_id"], &last["partial"]),
        (&"stopped".into(), &true.into())
    );

    // The interface disappears while the sensor runs: it writes the minute it was in and
    // exits 1 saying so.
    let (mut running, mut err) = start_sensor(
        &veth,
        &["--data-dir".as_ref(), data.as_os_str()],
        &["--sensor-id", "gone"],
    );
    sh(&["ip", "-n", &veth.ns, "link", "del", &veth.inner]).expect("delete the interface");
    let status = running.0.wait().expect("sensor exits");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).expect("stderr");
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(
        rest.contains(&format!("interface {} disappeared", veth.inner)),
        "{rest}"
    );
    let store = yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("store");
    let minutes = store.sensor_minutes("gone").expect("minutes");
    assert_eq!(
        minutes.len(),
        1,
        "the minute in progress is kept: {minutes:#?}"
    );
    assert!(minutes[0].partial);
}

/// The frames of `src` addressed into `darknet`, as a pcap file at `dst` (a generated capture
/// also holds traffic for other addresses, as a real link would).
fn darknet_part(src: &Path, dst: &Path, darknet: &str) {
    let net: ipnet::IpNet = darknet.parse().expect("darknet prefix");
    let kept = copy_frames(src, dst, |_, frame| {
        Some(
            yamori_wire::decode(yamori_wire::LinkType::ETHERNET, 0, frame)
                .is_ok_and(|p| net.contains(&std::net::IpAddr::from(p.dst))),
        )
    });
    assert!(kept > 100, "{kept} frames for the darknet");
}

/// Replays `pcap` into `veth`'s outer end, 200 packets a second over and over, until dropped.
fn replay_forever(veth: &Veth, pcap: &Path) -> Reaper {
    let child = Command::new("tcpreplay")
        .args(["-q", "-i", &veth.outer, "--pps=200", "--loop=0"])
        .arg(pcap)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tcpreplay");
    // Let the first packets go by before the sensor watches.
    std::thread::sleep(Duration::from_millis(500));
    Reaper(child)
}

#[test]
fn strict_refuses_an_interface_with_traffic_for_other_addresses() {
    if let Some(why) = lab_missing() {
        peers::missing("the live sensor's --strict check", &why);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (generated, _) = gen(dir.path(), DARKNET, 5, 3, "generated.pcap");
    let darknet_only = dir.path().join("darknet-only.pcap");
    darknet_part(&generated, &darknet_only, DARKNET);
    // A second network's traffic: every destination is outside the sensor's darknet.
    let (other, _) = gen(dir.path(), "203.0.113.0/24", 5, 4, "other.pcap");
    let elsewhere = dir.path().join("elsewhere.pcap");
    darknet_part(&other, &elsewhere, "203.0.113.0/24");
    let veth = Veth::new().expect("veth pair in a namespace");

    // The darknet's own traffic passes the check; the sensor starts, and the darknet's
    // packets of the watched seconds are analysed (the replay stops when the check ends).
    let replay = replay_forever(&veth, &darknet_only);
    let (mut running, _err) = start_sensor(
        &veth,
        &["--data-dir".as_ref(), data.as_os_str()],
        &[
            "--sensor-id",
            "strict-ok",
            "--strict",
            "--strict-seconds",
            "2",
        ],
    );
    drop(replay);
    std::thread::sleep(Duration::from_secs(1));
    sh(&["kill", "-TERM", &running.0.id().to_string()]).expect("kill -TERM");
    let status = running.0.wait().expect("sensor exits");
    assert!(status.success(), "{status}");
    let store = yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("store");
    let minutes = store.sensor_minutes("strict-ok").expect("minutes");
    let captured: u64 = minutes.iter().map(|m| m.counts.captured).sum();
    let drops: u64 = minutes.iter().map(|m| m.counts.kernel_drops).sum();
    // About 400 at 200 a second for 2 s; a loaded machine replays slower, never faster.
    assert!(
        captured >= 100 && drops == 0,
        "the darknet's packets of the check's seconds are analysed: {minutes:#?}"
    );

    // Traffic for other addresses: refused with status 1, naming the interface, the count
    // and the first packet; nothing is stored for that sensor.
    let replay = replay_forever(&veth, &elsewhere);
    let out = run_ok(
        Command::new("ip")
            .args(["netns", "exec", &veth.ns])
            .arg(env!("CARGO_BIN_EXE_yamori"))
            .arg("--data-dir")
            .arg(&data)
            .args(["sensor", "--interface", &veth.inner, "--darknet", DARKNET])
            .args([
                "--sensor-id",
                "strict-refused",
                "--strict",
                "--strict-seconds",
                "2",
            ]),
        1,
    );
    drop(replay);
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains(&format!(
            "--strict: {} carries traffic for addresses outside the darknet",
            veth.inner
        )) && msg.contains("→ 203.0.113."),
        "{msg}"
    );
    let packets: u64 = msg
        .split(" packets in 2 s")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a packet count in: {msg}"));
    assert!(packets >= 100, "about 200 packets a second for 2 s: {msg}");
    assert!(store
        .sensor_minutes("strict-refused")
        .expect("minutes")
        .is_empty());

    // --strict-seconds alone is a usage error: it only says how long --strict watches.
    let out = run_ok(
        yamori()
            .arg("--data-dir")
            .arg(&data)
            .args(["sensor", "--interface", "lo", "--darknet", DARKNET])
            .args(["--strict-seconds", "2"]),
        2,
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("--strict"),
        "--strict-seconds needs --strict: {msg}"
    );
}
