//! The lab: network namespaces joined by a bridge, TEST-NET addresses, Yamori's emulators
//! and (when installed) a real Debian mosquitto; the survey runs from its own namespace and
//! tcpdump on the bridge proves nothing outside the scope received a packet.
//!
//! Needs root (`ip netns`), tcpdump and mosquitto; without one of them the suite fails and
//! other runs report which part was skipped (`peers::missing`). See tests/lab/README.md at the
//! repository root.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yamori_survey::model::SurveyResult;

#[path = "../../../../tests/support/peers.rs"]
mod peers;

const LAB_BIN: &str = env!("CARGO_BIN_EXE_yamori-lab");

/// Namespaces and processes of one lab; everything is removed on drop.
struct Lab {
    id: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
}

fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Lab {
    fn new() -> Result<Lab, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let id = format!(
            "{:06x}",
            (nanos ^ std::process::id().rotate_left(16)) & 0xff_ffff
        );
        Ok(Lab {
            id,
            namespaces: Vec::new(),
            children: Vec::new(),
        })
    }

    fn ns(&self, role: &str) -> String {
        format!("ym{role}-{}", self.id)
    }

    /// Adds a namespace with `eth0` on the bridge and the given addresses (CIDR).
    fn host(&mut self, role: &str, addrs: &[&str]) -> Result<(), String> {
        let (sw, ns) = (self.ns("sw"), self.ns(role));
        run(&["ip", "netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        let port = format!("p{}", self.namespaces.len());
        run(&[
            "ip", "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
            &ns,
        ])?;
        run(&["ip", "-n", &sw, "link", "set", &port, "master", "br0", "up"])?;
        run(&[
            "ip",
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-qw",
            "net.ipv6.conf.all.disable_ipv6=1",
        ])?;
        for a in addrs {
            run(&["ip", "-n", &ns, "addr", "add", a, "dev", "eth0"])?;
        }
        run(&["ip", "-n", &ns, "link", "set", "eth0", "up"])?;
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"])
    }

    fn switch(&mut self) -> Result<(), String> {
        let sw = self.ns("sw");
        run(&["ip", "netns", "add", &sw])?;
        self.namespaces.push(sw.clone());
        run(&[
            "ip",
            "netns",
            "exec",
            &sw,
            "sysctl",
            "-qw",
            "net.ipv6.conf.all.disable_ipv6=1",
        ])?;
        run(&["ip", "-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        run(&["ip", "-n", &sw, "link", "set", "br0", "up"])
    }

    /// Starts `cmd` inside namespace `role`; waits until it prints a line containing `ready`
    /// on the chosen stream.
    fn spawn(
        &mut self,
        role: &str,
        cmd: &[&str],
        ready: &str,
        on_stderr: bool,
    ) -> Result<(), String> {
        let ns = self.ns(role);
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &ns])
            .args(cmd)
            .stdin(Stdio::null());
        if on_stderr {
            c.stdout(Stdio::null()).stderr(Stdio::piped());
        } else {
            c.stdout(Stdio::piped()).stderr(Stdio::inherit());
        }
        let mut child = c.spawn().map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        let stream: Box<dyn std::io::Read + Send> = if on_stderr {
            Box::new(child.stderr.take().ok_or("no stderr pipe")?)
        } else {
            Box::new(child.stdout.take().ok_or("no stdout pipe")?)
        };
        self.children.push(child);
        let (tx, rx) = std::sync::mpsc::channel();
        let ready = ready.to_string();
        std::thread::spawn(move || {
            let mut seen = false;
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if !seen && line.contains(&ready) {
                    seen = true;
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(10))
            .map_err(|_| format!("{cmd:?} did not become ready"))
    }

    /// Waits until `addr:port` listens inside namespace `role` (for daemons without a ready line).
    fn wait_listen(&self, role: &str, needle: &str) -> Result<(), String> {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            let out = Command::new("ip")
                .args(["netns", "exec", &self.ns(role), "ss", "-ltnH"])
                .output()
                .map_err(|e| e.to_string())?;
            if String::from_utf8_lossy(&out.stdout).contains(needle) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("{needle} never listened in {role}"))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in self.namespaces.iter().rev() {
            let _ = run(&["ip", "netns", "del", ns]);
        }
    }
}

fn skip_reason() -> Option<String> {
    let probe = format!("ymprobe-{}", std::process::id());
    if let Err(e) = run(&["ip", "netns", "add", &probe]) {
        return Some(format!(
            "`ip netns add` is not permitted here (needs root/CAP_SYS_ADMIN): {e}"
        ));
    }
    let _ = run(&["ip", "netns", "del", &probe]);
    None
}

fn tcpdump_lines(file: &Path, filter: &str) -> Vec<String> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(file)
        .arg(filter)
        .output()
        .expect("tcpdump -r runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn lab_survey_finds_exactly_the_planted_devices() {
    if let Some(why) = skip_reason() {
        peers::missing("the network-namespace lab", &why);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lab = Lab::new().expect("lab id");
    lab.switch().expect("bridge namespace");
    lab.host("sc", &["198.51.100.200/24", "203.0.113.200/24"])
        .expect("scanner ns");
    lab.host(
        "d1",
        &["198.51.100.10/24", "198.51.100.11/24", "198.51.100.12/24"],
    )
    .expect("device ns 1");
    lab.host("d2", &["203.0.113.20/24", "198.51.100.99/24"])
        .expect("device ns 2");

    let capture = dir.path().join("bridge.pcap");
    let tcpdump = have("tcpdump");
    if tcpdump {
        let cap = capture.to_string_lossy().to_string();
        lab.spawn(
            "sw",
            &["tcpdump", "-i", "br0", "-U", "-n", "-Z", "root", "-w", &cap],
            "listening on",
            true,
        )
        .expect("tcpdump on the bridge");
    } else {
        peers::missing(
            "the check that no packet left the scope (tcpdump on the lab's bridge)",
            "tcpdump is not installed (apt-get install tcpdump, or scripts/setup)",
        );
    }
    lab.spawn(
        "d1",
        &[
            LAB_BIN,
            "emulate",
            "198.51.100.10=telnet:23:root:xc3511",
            "198.51.100.10=http:80:Hikvision-Webs:admin:12345",
            "198.51.100.10=coap:5683",
            "198.51.100.11=http:8080:uc-httpd 1.0.0:admin:admin:digest",
            "198.51.100.11=ssdp:1900:Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0",
        ],
        "ready",
        false,
    )
    .expect("emulators in d1");
    // Out of scope on purpose: 198.51.100.99 runs a weak telnet that must never be touched.
    lab.spawn(
        "d2",
        &[
            LAB_BIN,
            "emulate",
            "203.0.113.20=telnet:2323:admin:N0t-in-any-list",
            "203.0.113.20=ftp:21:220 MikroTik FTP server (MikroTik 6.42.1) ready",
            "198.51.100.99=telnet:23:root:xc3511",
        ],
        "ready",
        false,
    )
    .expect("emulators in d2");
    let mosquitto = have("mosquitto");
    if mosquitto {
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            "listener 1883 198.51.100.12\nallow_anonymous true\npersistence false\nlog_dest none\n",
        )
        .expect("write mosquitto conf");
        let conf = conf.to_string_lossy().to_string();
        let ns = lab.ns("d1");
        let child = Command::new("ip")
            .args(["netns", "exec", &ns, "mosquitto", "-c", &conf])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        lab.children.push(child);
        lab.wait_listen("d1", "198.51.100.12:1883")
            .expect("mosquitto listening");
    } else {
        peers::missing(
            "the survey of a real MQTT broker (mosquitto)",
            "mosquitto is not installed (apt-get install mosquitto, or scripts/setup)",
        );
    }

    let scope = dir.path().join("scope.txt");
    std::fs::write(&scope, "# lab scope\n198.51.100.0/26\n203.0.113.16/28\n").expect("write scope");
    // The same lab surveyed twice: by connect, then by the stateless SYN sweep (raw socket)
    // followed by connections to what answered. Both must find exactly the planted devices.
    for discovery in ["connect", "syn"] {
        let out = dir.path().join(format!("survey-{discovery}.json"));
        let t0 = Instant::now();
        let status = Command::new("ip")
            .args(["netns", "exec", &lab.ns("sc"), LAB_BIN, "survey"])
            .arg(&scope)
            .arg("iot")
            .arg(&out)
            .args(["2000", "1.0", discovery])
            .status()
            .expect("run survey in scanner namespace");
        assert!(status.success(), "{discovery} survey failed");
        eprintln!("lab survey ({discovery}) took {:?}", t0.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        let result: SurveyResult =
            serde_json::from_slice(&std::fs::read(&out).expect("output")).expect("valid JSON");
        check_planted(&result, mosquitto, discovery);
    }

    if tcpdump {
        // Let tcpdump write its last packets, then read the capture.
        drop_tcpdump(&mut lab);
        let all = tcpdump_lines(&capture, "ip");
        assert!(
            all.len() > 100,
            "capture saw only {} IPv4 packets: is it working?",
            all.len()
        );
        let to_decoy = tcpdump_lines(
            &capture,
            "dst host 198.51.100.99 or (arp and arp[24:4] = 0xc6336463)",
        );
        assert!(
            to_decoy.is_empty(),
            "out-of-scope decoy received packets: {to_decoy:#?}"
        );
        // The kernel's own IGMP membership reports (224.0.0.22, sent when eth0 comes up) are
        // the only link-local traffic not caused by the survey; everything else must stay in
        // scope or go back to the scanner.
        let outside = tcpdump_lines(
            &capture,
            "ip and not (igmp and dst net 224.0.0.0/24) and not (dst net 198.51.100.0/26 or dst net 203.0.113.16/28 or dst host 198.51.100.200 or dst host 203.0.113.200)",
        );
        let from_scanner = tcpdump_lines(
            &capture,
            "(src host 198.51.100.200 or src host 203.0.113.200) and not (dst net 198.51.100.0/26 or dst net 203.0.113.16/28)",
        );
        assert!(
            from_scanner.is_empty(),
            "scanner sent outside the scope: {from_scanner:#?}"
        );
        assert!(
            outside.is_empty(),
            "packets to addresses outside the scope: {outside:#?}"
        );
    }
}

/// The planted services and weak credentials, exactly (`how` names the discovery mode).
fn check_planted(result: &SurveyResult, mosquitto: bool, how: &str) {
    assert_eq!(result.targets, 64 + 16);
    let mut found: Vec<String> = result
        .hosts
        .iter()
        .flat_map(|h| {
            h.services
                .iter()
                .map(move |s| format!("{}:{}/{:?}", h.address, s.port, s.transport))
        })
        .collect();
    found.sort();
    let mut expected = vec![
        "198.51.100.10:23/Tcp",
        "198.51.100.10:80/Tcp",
        "198.51.100.10:5683/Udp",
        "198.51.100.11:1900/Udp",
        "198.51.100.11:8080/Tcp",
        "203.0.113.20:21/Tcp",
        "203.0.113.20:2323/Tcp",
    ];
    if mosquitto {
        expected.push("198.51.100.12:1883/Tcp");
    }
    expected.sort();
    assert_eq!(found, expected, "{how} survey found {found:#?}");
    let weak: Vec<String> = result
        .hosts
        .iter()
        .flat_map(|h| h.services.iter().map(move |s| (h.address, s)))
        .filter_map(|(a, s)| {
            s.weak_credential
                .as_ref()
                .map(|w| format!("{a}:{} {}:{}", s.port, w.username, w.password_masked))
        })
        .collect();
    assert_eq!(
        weak,
        vec![
            "198.51.100.10:23 root:xc****",
            "198.51.100.10:80 admin:12***",
            "198.51.100.11:8080 admin:ad***"
        ],
        "{how} survey's weak credentials"
    );
    if mosquitto {
        let m = result
            .hosts
            .iter()
            .flat_map(|h| &h.services)
            .find(|s| s.port == 1883)
            .expect("mosquitto found");
        assert_eq!(
            m.fields.get("mqtt_anonymous").map(String::as_str),
            Some("true")
        );
    }
}

fn drop_tcpdump(lab: &mut Lab) {
    // tcpdump is the first child; -U already wrote every packet, killing it is safe.
    if let Some(c) = lab.children.first_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
}
