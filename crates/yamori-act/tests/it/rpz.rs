//! The response policy zone in BIND 9: `named` on loopback with the export as its policy and
//! a local zone for the test names; `dig` shows listed names and addresses rewritten to
//! NXDOMAIN and an unlisted name answered. (`named-checkzone` alone accepts invalid
//! triggers, so the zone is loaded by a resolver that applies it.)

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use yamori_act::Format;

use crate::fixtures::{export, indicator, standard};
use crate::peers;

/// `named` in a temporary directory; killed on drop.
struct Named {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_named(policy: &str) -> Named {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_str().expect("utf-8 path").to_string();
    let port = free_port();
    std::fs::write(dir.path().join("yamori.rpz"), policy).expect("policy");
    std::fs::write(
        dir.path().join("test.zone"),
        "$TTL 60\n@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60\n@ NS localhost.\n\
         listed A 192.0.2.50\nwww.listed A 192.0.2.51\nmalware A 192.0.2.52\n\
         ok A 192.0.2.53\nip-listed A 198.51.100.7\nip-net A 203.0.113.99\nip-ok A 198.51.100.8\n\
         ip6-listed AAAA 2001:db8::7\nip6-ok AAAA 2001:db8::8\n",
    )
    .expect("test zone");
    let conf = format!(
        "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
         listen-on-v6 {{ none; }};\n  recursion yes;\n  allow-query {{ 127.0.0.1; }};\n  allow-recursion {{ 127.0.0.1; }};\n  \
         dnssec-validation no;\n  response-policy {{ zone \"rpz.yamori\"; }};\n}};\n\
         zone \"rpz.yamori\" {{ type primary; file \"{d}/yamori.rpz\"; allow-query {{ none; }}; }};\n\
         zone \"test\" {{ type primary; file \"{d}/test.zone\"; }};\n"
    );
    let conf_path = dir.path().join("named.conf");
    std::fs::write(&conf_path, conf).expect("conf");
    let log = std::fs::File::create(dir.path().join("named.log")).expect("log");
    let child = Command::new("named")
        .args(["-g", "-c"])
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn named");
    let named = Named {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if dig(&named, "ok.test").contains("status: NOERROR") {
            return named;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(named._dir.path().join("named.log")).unwrap_or_default();
    panic!("named did not answer on 127.0.0.1:{}:\n{log}", named.port);
}

fn dig(named: &Named, name: &str) -> String {
    let kind = if name.starts_with("ip6-") {
        "AAAA"
    } else {
        "A"
    };
    Command::new("dig")
        .args([
            "@127.0.0.1",
            "-p",
            &named.port.to_string(),
            "+tries=1",
            "+time=2",
            name,
            kind,
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

#[test]
fn rpz_zone_shape() {
    let mut objects = standard();
    objects.push(indicator(
        20,
        "[ipv6-addr:value = '2001:db8:0:1::/64']",
        json!({}),
    ));
    let (text, written) = export(Format::Rpz, &objects);
    for line in [
        "listed.test CNAME .",
        "*.listed.test CNAME .",
        "malware.test CNAME .",
        "32.7.100.51.198.rpz-ip CNAME .",
        "25.0.113.0.203.rpz-ip CNAME .",
        "32.200.113.0.203.rpz-ip CNAME .",
        "128.7.zz.db8.2001.rpz-ip CNAME .",
        "64.zz.1.0.db8.2001.rpz-ip CNAME .",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
    // Serial: the latest modification time of the listed indicators (2026-11-21).
    assert!(text.contains(" 1795219200 3600 600 86400 60"), "{text}");
    assert_eq!(written.counts["names"], 2);
}

#[test]
fn bind_rewrites_listed_names_and_addresses_and_answers_the_rest() {
    if Command::new("named").arg("-v").output().is_err() {
        return peers::missing(
            "named",
            "BIND 9 is not installed (Debian bind9; scripts/setup)",
        );
    }
    if Command::new("dig").arg("-v").output().is_err() {
        return peers::missing(
            "dig",
            "dig is not installed (Debian bind9-dnsutils; scripts/setup)",
        );
    }
    let (policy, _) = export(Format::Rpz, &standard());
    let named = start_named(&policy);
    for listed in [
        "listed.test",
        "www.listed.test",
        "malware.test",
        "ip-listed.test",
        "ip-net.test",
        "ip6-listed.test",
    ] {
        let answer = dig(&named, listed);
        assert!(
            answer.contains("status: NXDOMAIN"),
            "{listed} must be rewritten:\n{answer}"
        );
    }
    for unlisted in ["ok.test", "ip-ok.test", "ip6-ok.test"] {
        let answer = dig(&named, unlisted);
        assert!(
            answer.contains("status: NOERROR") && answer.contains("ANSWER: 1"),
            "{unlisted} must be answered:\n{answer}"
        );
    }
}
