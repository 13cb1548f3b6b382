//! Three network namespaces for the gateway's end-to-end test, TEST-NET addresses only,
//! removed on drop (with the gateway's /etc/netns files):
//!
//! ```text
//!  device 192.0.2.20 ── lan 192.0.2.1 [gateway, forwarding] wan 203.0.113.1 ── cloud
//!                                                            203.0.113.10 and .11
//! ```
//!
//! The cloud namespace listens on 203.0.113.10:443, 203.0.113.10:80 and 203.0.113.11:443.
//! Names resolve inside the gateway namespace from its own hosts file only: `ip netns exec`
//! bind-mounts /etc/netns/<ns>/* over /etc, and that directory holds `hosts`, an
//! `nsswitch.conf` that consults files only and an empty `resolv.conf`, so no DNS query is
//! ever sent anywhere.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Lab {
    pub device: String,
    pub gateway: String,
    pub cloud: String,
    etc: PathBuf,
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
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether this process may create namespaces and has nft and socat.
pub fn available() -> Result<(), String> {
    for (tool, package) in [("nft", "nftables"), ("socat", "socat")] {
        if crate::support::tool(tool).is_none() && !PathBuf::from("/usr/sbin").join(tool).is_file()
        {
            return Err(format!(
                "{tool} is not installed (Debian package {package}; scripts/setup)"
            ));
        }
    }
    let probe = format!("yagwprobe-{}", std::process::id());
    run(&["ip", "netns", "add", &probe])
        .map_err(|e| format!("network namespaces need root and iproute2: {e}"))?;
    run(&["ip", "netns", "del", &probe]).map(drop)
}

impl Lab {
    pub fn new(hosts: &str) -> Result<Lab, String> {
        let id = format!("{:x}", std::process::id());
        let mut lab = Lab {
            device: format!("yagwd-{id}"),
            gateway: format!("yagwg-{id}"),
            cloud: format!("yagwc-{id}"),
            etc: PathBuf::new(),
            children: Vec::new(),
        };
        lab.etc = PathBuf::from("/etc/netns").join(&lab.gateway);
        std::fs::create_dir_all(&lab.etc).map_err(|e| format!("{}: {e}", lab.etc.display()))?;
        for (file, text) in [
            ("hosts", format!("127.0.0.1 localhost\n{hosts}")),
            ("nsswitch.conf", "hosts: files\n".to_string()),
            ("resolv.conf", String::new()),
        ] {
            std::fs::write(lab.etc.join(file), text).map_err(|e| format!("{file}: {e}"))?;
        }
        for ns in [&lab.device, &lab.gateway, &lab.cloud] {
            run(&["ip", "netns", "add", ns])?;
            run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        }
        let (g, d, c) = (&lab.gateway, &lab.device, &lab.cloud);
        run(&[
            "ip", "-n", g, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", d,
        ])?;
        run(&[
            "ip", "-n", g, "link", "add", "wan", "type", "veth", "peer", "name", "eth0", "netns", c,
        ])?;
        for (ns, dev, addrs) in [
            (g, "lan", &["192.0.2.1/24"][..]),
            (g, "wan", &["203.0.113.1/24"][..]),
            (d, "eth0", &["192.0.2.20/24"][..]),
            (c, "eth0", &["203.0.113.10/24", "203.0.113.11/24"][..]),
        ] {
            for a in addrs {
                run(&["ip", "-n", ns, "addr", "add", a, "dev", dev])?;
            }
            run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
        }
        run(&["ip", "-n", d, "route", "add", "default", "via", "192.0.2.1"])?;
        run(&[
            "ip",
            "-n",
            c,
            "route",
            "add",
            "default",
            "via",
            "203.0.113.1",
        ])?;
        run(&[
            "ip",
            "netns",
            "exec",
            g,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ])?;
        for (addr, port) in [
            ("203.0.113.10", 443),
            ("203.0.113.10", 80),
            ("203.0.113.11", 443),
        ] {
            lab.listen(addr, port)?;
        }
        Ok(lab)
    }

    /// `args` inside namespace `ns`.
    pub fn exec(&self, ns: &str, args: &[&str]) -> Result<Output, String> {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(args);
        run(&full)
    }

    fn listen(&mut self, addr: &str, port: u16) -> Result<(), String> {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.cloud, "socat"])
            .arg(format!("TCP-LISTEN:{port},bind={addr},reuseaddr,fork"))
            .arg("SYSTEM:echo ok")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("socat: {e}"))?;
        self.children.push(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.reaches(&self.cloud.clone(), addr, port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("the listener on {addr}:{port} did not come up"))
    }

    /// Whether a TCP connection from namespace `ns` to `addr:port` gets the listener's answer
    /// within a second.
    pub fn reaches(&self, ns: &str, addr: &str, port: u16) -> bool {
        self.exec(
            ns,
            &[
                "socat",
                "-T1",
                &format!("TCP:{addr}:{port},connect-timeout=1"),
                "STDOUT",
            ],
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("ok"))
        .unwrap_or(false)
    }

    /// Whether the device reaches `addr:port` through the gateway.
    pub fn device_reaches(&self, addr: &str, port: u16) -> bool {
        self.reaches(&self.device, addr, port)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.device, &self.gateway, &self.cloud] {
            let _ = run(&["ip", "netns", "del", ns]);
        }
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}
