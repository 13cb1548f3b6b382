//! Two network namespaces joined by a veth pair, TEST-NET addresses only, removed on drop.
//!
//! `peer` holds the sources (198.51.100.0/24), `host` the firewall under test and its
//! listener (192.0.2.1). Traffic never leaves the pair.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Pair {
    pub host: String,
    pub peer: String,
    children: Vec<Child>,
}

pub fn run(args: &[&str]) -> Result<Output, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

/// Whether this process may create namespaces (root with `ip`).
pub fn available() -> Result<(), String> {
    let probe = format!("yaprobe-{}", std::process::id());
    run(&["ip", "netns", "add", &probe])
        .map_err(|e| format!("network namespaces need root and iproute2: {e}"))?;
    run(&["ip", "netns", "del", &probe]).map(drop)
}

impl Pair {
    pub fn new(tag: &str) -> Result<Pair, String> {
        let id = format!(
            "{:x}",
            std::process::id() ^ Instant::now().elapsed().subsec_nanos()
        );
        let pair = Pair {
            host: format!("ya{tag}h-{id}"),
            peer: format!("ya{tag}p-{id}"),
            children: Vec::new(),
        };
        for ns in [&pair.host, &pair.peer] {
            run(&["ip", "netns", "add", ns])?;
        }
        run(&[
            "ip", "-n", &pair.host, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", &pair.peer,
        ])?;
        for (ns, addrs, route) in [
            (&pair.host, &["192.0.2.1/24"][..], "198.51.100.0/24"),
            (
                &pair.peer,
                &["198.51.100.7/24", "198.51.100.8/24"][..],
                "192.0.2.0/24",
            ),
        ] {
            for a in addrs {
                run(&["ip", "-n", ns, "addr", "add", a, "dev", "eth0"])?;
            }
            run(&["ip", "-n", ns, "link", "set", "eth0", "up"])?;
            run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
            run(&["ip", "-n", ns, "route", "add", route, "dev", "eth0"])?;
        }
        Ok(pair)
    }

    /// Runs `args` inside namespace `ns`.
    pub fn exec(&self, ns: &str, args: &[&str]) -> Result<Output, String> {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(args);
        run(&full)
    }

    /// Runs `args` inside `ns` with `input` on stdin.
    pub fn exec_stdin(&self, ns: &str, args: &[&str], input: &str) -> Result<Output, String> {
        use std::io::Write;
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{args:?}: {e}"))?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(input.as_bytes())
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(format!(
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// A TCP listener on 192.0.2.1:8080 in the host namespace (socat, one process per
    /// connection so it keeps accepting).
    pub fn listen(&mut self) -> Result<(), String> {
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.host,
                "socat",
                "TCP-LISTEN:8080,bind=192.0.2.1,reuseaddr,fork",
                "SYSTEM:echo ok",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("socat: {e}"))?;
        self.children.push(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.connect_from("198.51.100.8") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("the listener in the host namespace did not come up".into())
    }

    /// Whether a TCP connection from `source` (in the peer namespace) to 192.0.2.1:8080 gets
    /// the listener's answer within a second.
    pub fn connect_from(&self, source: &str) -> bool {
        self.exec(
            &self.peer,
            &[
                "socat",
                "-T1",
                &format!("TCP:192.0.2.1:8080,bind={source},connect-timeout=1"),
                "STDOUT",
            ],
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("ok"))
        .unwrap_or(false)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.host, &self.peer] {
            let _ = run(&["ip", "netns", "del", ns]);
        }
    }
}
