//! A decoy on 127.0.0.1 with an ephemeral port and its events in a real file, and a raw TCP
//! client that negotiates telnet options as Mirai's scanner does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yamori_decoy::{profile, Config, Decoy, Limits, Recorder, Summary};

pub const WAIT: Duration = Duration::from_secs(10);

pub struct Running {
    pub addr: std::net::SocketAddr,
    pub http: std::net::SocketAddr,
    pub mqtt: std::net::SocketAddr,
    pub events: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Summary>>,
    _dir: tempfile::TempDir,
}

impl Running {
    pub async fn start(limits: Limits) -> Running {
        let dir = tempfile::tempdir().expect("temp dir");
        let events = dir.path().join("decoy/events.jsonl");
        let rec = Arc::new(Recorder::append_to(&events).expect("events file"));
        let config = Config {
            listen_telnet: "127.0.0.1:0".parse().expect("literal address"),
            listen_http: Some("127.0.0.1:0".parse().expect("literal address")),
            listen_mqtt: Some("127.0.0.1:0".parse().expect("literal address")),
            profile: &profile::DVR,
            sensor: "test-sensor".into(),
            limits,
        };
        let decoy = Decoy::bind(config, rec).await.expect("bind on loopback");
        let addr = decoy.local_addr().expect("bound address");
        let http = decoy
            .addr_of(yamori_decoy::Protocol::Http)
            .expect("bound address");
        let mqtt = decoy
            .addr_of(yamori_decoy::Protocol::Mqtt)
            .expect("bound address");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(decoy.run(async {
            let _ = rx.await;
        }));
        Running {
            addr,
            http,
            mqtt,
            events,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stop the decoy (open sessions close and record) and return its summary.
    pub async fn stop(&mut self) -> Summary {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().expect("stopped once");
        tokio::time::timeout(WAIT, task)
            .await
            .expect("decoy stops")
            .expect("decoy task")
    }

    /// Every record written so far, parsed.
    pub fn records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.events).expect("events file");
        text.lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    }
}

/// A telnet client as Mirai's scanner is one.
pub struct Bot {
    pub s: TcpStream,
    pub seen: Vec<u8>,
    /// The first bytes the server sent, as they came.
    pub first: Vec<u8>,
}

impl Bot {
    pub async fn connect(addr: std::net::SocketAddr) -> Bot {
        let s = TcpStream::connect(addr)
            .await
            .expect("connect to the decoy on loopback");
        Bot {
            s,
            seen: Vec::new(),
            first: Vec::new(),
        }
    }

    /// Read until `needle` has arrived (after the bytes already consumed); returns the text
    /// read since the last call, `needle` included. Telnet commands at the start of a read are answered the way
    /// Mirai's `consume_iacs` answers them.
    pub async fn until(&mut self, needle: &str) -> String {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(i) = find(&got, needle.as_bytes()) {
                let rest = got.split_off(i + needle.len());
                self.seen.extend(rest);
                return String::from_utf8_lossy(&got).into_owned();
            }
            if !self.seen.is_empty() {
                got.append(&mut self.seen);
                continue;
            }
            let n = tokio::time::timeout(WAIT, self.s.read(&mut buf))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "waiting for {needle:?}, got {:?}",
                        String::from_utf8_lossy(&got)
                    )
                })
                .expect("read");
            assert!(
                n > 0,
                "closed while waiting for {needle:?}: {:?}",
                String::from_utf8_lossy(&got)
            );
            if self.first.is_empty() {
                self.first = buf[..n].to_vec();
            }
            let data = self.consume_iacs(&buf[..n]).await;
            got.extend(data);
        }
    }

    /// Mirai's `consume_iacs`: for each three-byte command, `DO NAWS` gets `WILL NAWS` and
    /// an 80×24 window; other `DO`s become `WONT`, `WILL`s become `DO`.
    async fn consume_iacs(&mut self, mut data: &[u8]) -> Vec<u8> {
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
        if !reply.is_empty() {
            self.s.write_all(&reply).await.expect("send negotiation");
        }
        data.to_vec()
    }

    pub async fn line(&mut self, text: &str) {
        self.s
            .write_all(format!("{text}\r\n").as_bytes())
            .await
            .expect("send line");
    }

    /// Wait for the server to close; true when it did within [`WAIT`].
    pub async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len().max(1)).position(|w| w == needle)
}

/// The records of one session, by id.
pub fn of_session<'a>(records: &'a [Value], id: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["session"] == id).collect()
}

pub fn eventids(records: &[&Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["eventid"].as_str().unwrap_or("?").to_string())
        .collect()
}
