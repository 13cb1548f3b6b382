//! A two-namespace lab for real Debian daemons (root only): `srv` holds the daemons on
//! `<net>.2` with its own accounts (files in `/etc/netns/<srv>/`, which `ip netns exec` mounts
//! over `/etc`, so the host's accounts are never touched), `cli` holds `<net>.1` on the same
//! /24, and a survey runs on a thread moved into `cli` with `setns(2)` (or a command with
//! `ip netns exec`). Nothing routes out of the two namespaces; everything is removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yamori_survey::model::SurveyResult;
use yamori_survey::SurveyConfig;

/// Debian's telnet daemon (`inetutils-telnetd`) and the inetd that starts it per connection.
pub const TELNETD: &str = "/usr/sbin/telnetd";
pub const INETD: &str = "/usr/sbin/inetutils-inetd";

/// The daemons' address in the default lab ([`Lab::new`], TEST-NET-2).
pub const SERVER: &str = "198.51.100.2";

/// A number no other lab of this process has.
fn next_id() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub fn run(args: &[&str]) -> Result<String, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Why the lab cannot run here (root and `ip netns`, and each named program), if it cannot.
pub fn missing(programs: &[&str]) -> Option<String> {
    for p in programs {
        if !Path::new(p).exists() {
            return Some(format!("{p} is not installed (scripts/setup installs it)"));
        }
    }
    let probe = format!("ymcp-{}-{}", std::process::id(), next_id());
    if let Err(e) = run(&["ip", "netns", "add", &probe]) {
        return Some(format!(
            "`ip netns add` is not permitted here (needs root): {e}"
        ));
    }
    let _ = run(&["ip", "netns", "del", &probe]);
    None
}

/// The lab's scratch directory (configs, logs, keys), removed on drop. Made here rather than
/// with `tempfile`: this crate is linked into the product binary (for `yamori demo`), which
/// carries no test helpers.
pub struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Result<Scratch, String> {
        let p = std::env::temp_dir().join(name);
        std::fs::create_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        // Daemons that drop privileges (sshd, vsftpd) read their configs from here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(Scratch(p))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Lab {
    pub srv: String,
    pub cli: String,
    /// The client's and the daemons' addresses (`<net>.1`, `<net>.2`).
    pub cli_addr: String,
    pub srv_addr: String,
    /// `/etc/netns/<srv>`: the daemons' /etc overlay.
    pub etc: PathBuf,
    /// Scratch files (configs, logs, keys).
    pub dir: Scratch,
    children: Vec<Child>,
}

impl Lab {
    /// The lab on 198.51.100.0/24 (TEST-NET-2).
    pub fn new() -> Result<Lab, String> {
        Lab::on_net("198.51.100")
    }

    /// The lab on the /24 `net` (three octets, e.g. `192.168.77` for a private network).
    pub fn on_net(net: &str) -> Result<Lab, String> {
        // Unique among concurrent tests (the counter) and test binaries (the process id).
        let id = format!("{:x}-{}", std::process::id(), next_id());
        let (srv, cli) = (format!("ymcs-{id}"), format!("ymcc-{id}"));
        let etc = PathBuf::from("/etc/netns").join(&srv);
        let lab = Lab {
            srv,
            cli,
            cli_addr: format!("{net}.1"),
            srv_addr: format!("{net}.2"),
            etc,
            dir: Scratch::new(&format!("ymlab-{id}"))?,
            children: Vec::new(),
        };
        std::fs::create_dir_all(&lab.etc).map_err(|e| format!("{}: {e}", lab.etc.display()))?;
        run(&["ip", "netns", "add", &lab.srv])?;
        run(&["ip", "netns", "add", &lab.cli])?;
        run(&[
            "ip", "-n", &lab.cli, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", &lab.srv,
        ])?;
        for (ns, addr) in [(&lab.cli, &lab.cli_addr), (&lab.srv, &lab.srv_addr)] {
            run(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                "eth0",
            ])?;
            run(&["ip", "-n", ns, "link", "set", "eth0", "up"])?;
            run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        }
        // No resolver: a daemon's reverse lookup of the surveyor fails at once (an empty
        // resolv.conf points at 127.0.0.1, where nothing listens).
        lab.write_etc("resolv.conf", "")?;
        lab.write_etc(
            "hosts",
            &format!("127.0.0.1 localhost\n{} srv\n", lab.srv_addr),
        )?;
        Ok(lab)
    }

    pub fn write_etc(&self, name: &str, text: &str) -> Result<(), String> {
        let p = self.etc.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Accounts of the daemons' namespace: the host's system accounts (daemons need them)
    /// with root locked, plus `users` (name, password), each with `/bin/sh` and `/` as home.
    pub fn accounts(&self, users: &[(&str, &str)]) -> Result<(), String> {
        let keep = |line: &&str| {
            let name = line.split(':').next().unwrap_or("");
            !name.is_empty()
                && line
                    .split(':')
                    .nth(2)
                    .and_then(|u| u.parse::<u32>().ok())
                    .is_some_and(|u| u < 1000 || u == 65534)
        };
        let host_passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
        let host_group = std::fs::read_to_string("/etc/group").map_err(|e| e.to_string())?;
        let mut passwd: Vec<String> = host_passwd.lines().filter(keep).map(String::from).collect();
        let mut shadow: Vec<String> = passwd
            .iter()
            .map(|l| format!("{}:*:19000:0:99999:7:::", l.split(':').next().unwrap_or("")))
            .collect();
        let mut group: Vec<String> = host_group.lines().filter(keep).map(String::from).collect();
        for (i, (name, password)) in users.iter().enumerate() {
            let uid = 2000 + i;
            let hash = run(&["openssl", "passwd", "-6", password])?;
            passwd.push(format!("{name}:x:{uid}:{uid}:{name}:/:/bin/sh"));
            shadow.push(format!("{name}:{}:19000:0:99999:7:::", hash.trim()));
            group.push(format!("{name}:x:{uid}:"));
        }
        self.write_etc("passwd", &(passwd.join("\n") + "\n"))?;
        self.write_etc("shadow", &(shadow.join("\n") + "\n"))?;
        self.write_etc("group", &(group.join("\n") + "\n"))
    }

    /// Starts a daemon in the server namespace, its output to `<dir>/<log>`.
    pub fn spawn(&mut self, cmd: &[&str], log: &str) -> Result<(), String> {
        let out = std::fs::File::create(self.dir.path().join(log)).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.srv])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        self.children.push(child);
        Ok(())
    }

    /// Starts `inetutils-telnetd` under `inetutils-inetd` on port 23 (each connection gets
    /// `login(1)` with PAM, as on a Debian host) and waits until it listens.
    pub fn telnetd(&mut self) -> Result<(), String> {
        let conf = self.dir.path().join("inetd.conf");
        std::fs::write(
            &conf,
            format!("telnet stream tcp nowait root {TELNETD} telnetd\n"),
        )
        .map_err(|e| format!("{}: {e}", conf.display()))?;
        let conf = conf.to_string_lossy().to_string();
        // -d: stay in the foreground (the lab stops it), log to stderr.
        self.spawn(&[INETD, "-d", &conf], "inetd.log")?;
        self.wait_listen(23)
    }

    /// Waits until TCP `port` listens in the server namespace.
    pub fn wait_listen(&self, port: u16) -> Result<(), String> {
        let t0 = Instant::now();
        let needle = format!(":{port} ");
        while t0.elapsed() < Duration::from_secs(10) {
            let out = run(&["ip", "netns", "exec", &self.srv, "ss", "-ltnH"])?;
            if out.contains(&needle) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("nothing listened on port {port} in {}", self.srv))
    }

    /// Runs a survey from the client namespace: a thread that joins it with `setns(2)` (a
    /// network namespace can be entered by one thread) and runs a current-thread runtime, so
    /// every socket the survey opens lives in the lab.
    pub fn survey(&self, cfg: SurveyConfig) -> Result<(SurveyResult, Duration), String> {
        let ns_path = PathBuf::from("/var/run/netns").join(&self.cli);
        std::thread::spawn(move || {
            let ns =
                std::fs::File::open(&ns_path).map_err(|e| format!("{}: {e}", ns_path.display()))?;
            nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| format!("setns: {e}"))?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let t0 = Instant::now();
            let (result, _) = rt
                .block_on(yamori_survey::survey(cfg))
                .map_err(|e| e.to_string())?;
            Ok((result, t0.elapsed()))
        })
        .join()
        .map_err(|_| "survey thread panicked".to_string())?
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Daemons' children (a login, an sshd per connection) die with the namespace's
        // processes: kill whatever still runs there before removing it.
        if let Ok(pids) = run(&["ip", "netns", "pids", &self.srv]) {
            for pid in pids.split_whitespace() {
                let _ = run(&["kill", "-9", pid]);
            }
        }
        let _ = run(&["ip", "netns", "del", &self.cli]);
        let _ = run(&["ip", "netns", "del", &self.srv]);
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}
