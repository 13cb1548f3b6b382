//! Event records in Cowrie's JSON format (one object per line), so tools built for Cowrie's
//! `cowrie.json` read the decoy's: the same `eventid`s, field names and field types.
//!
//! Every record carries the session's common fields (`session`, `src_ip`, `src_port`,
//! `dst_ip`, `dst_port`, `protocol`, `sensor`), `timestamp` (ISO 8601 UTC with microseconds
//! and `Z`, as Cowrie writes it) and a human `message`; the rest depends on the event.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Who a session is: the fields every one of its records repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMeta {
    /// 12 lowercase hex digits, as Cowrie's session ids.
    pub session: String,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `telnet` (later `ssh`, `http`, `mqtt`).
    pub protocol: &'static str,
    /// The name of this decoy in the records (Cowrie's `sensor`).
    pub sensor: Arc<str>,
}

/// What happened: one variant per Cowrie `eventid` the decoy writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detail {
    /// `cowrie.session.connect`
    Connect,
    /// `cowrie.login.success`
    LoginSuccess { username: String, password: String },
    /// `cowrie.login.failed`
    LoginFailed { username: String, password: String },
    /// `cowrie.command.input`: one whole input line, as typed.
    CommandInput { input: String },
    /// `cowrie.command.failed`: a command the shell does not know (`sh: X: not found`).
    CommandFailed { input: String },
    /// `cowrie.session.file_download`. A download command (`wget`, `curl`, `tftp`,
    /// `ftpget`) gives `url` (never fetched) and the file it would have written; bytes the
    /// session wrote itself (`echo -ne … > f`) give `destfile`, `shasum` (SHA-256 of the
    /// bytes, hex) and their `size`, recorded when the session closes, as Cowrie records
    /// redirected output.
    FileDownload {
        url: Option<String>,
        destfile: Option<String>,
        shasum: Option<String>,
        size: Option<u64>,
    },
    /// `yamori.http.request`: one HTTP request (Cowrie has no HTTP side; the name keeps to
    /// its `<sensor>.<area>.<what>` shape): method, request target, `User-Agent`, and the
    /// known exploit it matched. Its command and URLs follow as `cowrie.command.input` and
    /// `cowrie.session.file_download` records.
    HttpRequest {
        method: String,
        uri: String,
        user_agent: Option<String>,
        exploit: Option<&'static str>,
    },
    /// `yamori.mqtt.connect`: an MQTT CONNECT's client id and protocol level (3, 4 or 5);
    /// its credentials follow as a login record.
    MqttConnect { client_id: String, level: u8 },
    /// `yamori.mqtt.subscribe`: one topic filter of a SUBSCRIBE.
    MqttSubscribe { topic: String },
    /// `yamori.mqtt.publish`: a PUBLISH's topic, its payload (the first bytes, as text),
    /// the payload's whole size and SHA-256.
    MqttPublish {
        topic: String,
        payload: String,
        size: u64,
        shasum: String,
    },
    /// `cowrie.client.version`: the client's software version (SSH's identification line).
    ClientVersion { version: String },
    /// `cowrie.session.closed`: `duration_ms` an integer, as Cowrie writes it since 3.0.4.
    Closed { duration_ms: u64 },
}

impl Detail {
    /// Cowrie's event id for this record.
    pub fn eventid(&self) -> &'static str {
        match self {
            Detail::Connect => "cowrie.session.connect",
            Detail::LoginSuccess { .. } => "cowrie.login.success",
            Detail::LoginFailed { .. } => "cowrie.login.failed",
            Detail::CommandInput { .. } => "cowrie.command.input",
            Detail::CommandFailed { .. } => "cowrie.command.failed",
            Detail::FileDownload { .. } => "cowrie.session.file_download",
            Detail::HttpRequest { .. } => "yamori.http.request",
            Detail::MqttConnect { .. } => "yamori.mqtt.connect",
            Detail::MqttSubscribe { .. } => "yamori.mqtt.subscribe",
            Detail::MqttPublish { .. } => "yamori.mqtt.publish",
            Detail::ClientVersion { .. } => "cowrie.client.version",
            Detail::Closed { .. } => "cowrie.session.closed",
        }
    }
}

/// One record: a session's event at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub meta: Arc<SessionMeta>,
    pub time: OffsetDateTime,
    pub detail: Detail,
}

impl Event {
    pub fn eventid(&self) -> &'static str {
        self.detail.eventid()
    }

    /// Cowrie's human-readable `message` for the record.
    pub fn message(&self) -> String {
        let m = &self.meta;
        match &self.detail {
            Detail::Connect => format!(
                "New connection: {}:{} ({}:{}) [session: {}]",
                m.src.ip(),
                m.src.port(),
                m.dst.ip(),
                m.dst.port(),
                m.session
            ),
            Detail::LoginSuccess { username, password } => {
                format!("login attempt [{username}/{password}] succeeded")
            }
            Detail::LoginFailed { username, password } => {
                format!("login attempt [{username}/{password}] failed")
            }
            Detail::CommandInput { input } => format!("CMD: {input}"),
            Detail::CommandFailed { input } => format!("Command not found: {input}"),
            Detail::FileDownload {
                url: Some(url),
                destfile,
                ..
            } => format!(
                "Download attempt of URL ({url}) to {} recorded, not fetched",
                destfile.as_deref().unwrap_or("-")
            ),
            Detail::FileDownload {
                destfile, shasum, ..
            } => format!(
                "Saved redir contents with SHA-256 {} to {}",
                shasum.as_deref().unwrap_or("-"),
                destfile.as_deref().unwrap_or("-")
            ),
            Detail::HttpRequest {
                method,
                uri,
                exploit,
                ..
            } => match exploit {
                Some(e) => format!("HTTP {method} {uri} (exploit {e})"),
                None => format!("HTTP {method} {uri}"),
            },
            Detail::MqttConnect { client_id, level } => {
                format!("MQTT CONNECT (level {level}) from client {client_id:?}")
            }
            Detail::MqttSubscribe { topic } => format!("MQTT SUBSCRIBE {topic}"),
            Detail::MqttPublish { topic, size, .. } => {
                format!("MQTT PUBLISH {topic} ({size} bytes)")
            }
            Detail::ClientVersion { version } => format!("Remote version: {version}"),
            Detail::Closed { duration_ms } => format!(
                "Connection lost after {}.{:01} seconds",
                duration_ms / 1000,
                (duration_ms % 1000) / 100
            ),
        }
    }

    /// The record as a JSON object with Cowrie's field names.
    pub fn to_json(&self) -> Value {
        let m = &self.meta;
        let mut o = Map::new();
        o.insert("eventid".into(), self.eventid().into());
        o.insert("session".into(), m.session.clone().into());
        o.insert("src_ip".into(), m.src.ip().to_string().into());
        o.insert("src_port".into(), m.src.port().into());
        o.insert("dst_ip".into(), m.dst.ip().to_string().into());
        o.insert("dst_port".into(), m.dst.port().into());
        o.insert("protocol".into(), m.protocol.into());
        o.insert("sensor".into(), m.sensor.to_string().into());
        o.insert("timestamp".into(), timestamp(self.time).into());
        o.insert("message".into(), self.message().into());
        let mut put = |k: &str, v: Value| {
            o.insert(k.to_string(), v);
        };
        match &self.detail {
            Detail::Connect => {}
            Detail::LoginSuccess { username, password }
            | Detail::LoginFailed { username, password } => {
                put("username", username.clone().into());
                put("password", password.clone().into());
            }
            Detail::CommandInput { input } | Detail::CommandFailed { input } => {
                put("input", input.clone().into())
            }
            Detail::FileDownload {
                url,
                destfile,
                shasum,
                size,
            } => {
                if let Some(u) = url {
                    put("url", u.clone().into());
                }
                if let Some(d) = destfile {
                    put("destfile", d.clone().into());
                }
                if let Some(s) = shasum {
                    put("shasum", s.clone().into());
                }
                if let Some(n) = size {
                    put("size", (*n).into());
                }
            }
            Detail::HttpRequest {
                method,
                uri,
                user_agent,
                exploit,
            } => {
                put("method", method.clone().into());
                put("uri", uri.clone().into());
                if let Some(ua) = user_agent {
                    put("user_agent", ua.clone().into());
                }
                if let Some(e) = exploit {
                    put("exploit", (*e).into());
                }
            }
            Detail::MqttConnect { client_id, level } => {
                put("client_id", client_id.clone().into());
                put("level", (*level).into());
            }
            Detail::MqttSubscribe { topic } => put("topic", topic.clone().into()),
            Detail::MqttPublish {
                topic,
                payload,
                size,
                shasum,
            } => {
                put("topic", topic.clone().into());
                put("payload", payload.clone().into());
                put("size", (*size).into());
                put("shasum", shasum.clone().into());
            }
            Detail::ClientVersion { version } => put("version", version.clone().into()),
            Detail::Closed { duration_ms } => put("duration_ms", (*duration_ms).into()),
        }
        Value::Object(o)
    }

    /// The record as one JSON line, newline included.
    pub fn to_json_line(&self) -> Vec<u8> {
        let mut line = self.to_json().to_string().into_bytes();
        line.push(b'\n');
        line
    }
}

/// `2026-01-02T03:04:05.678901Z`: Cowrie's timestamp (UTC, microseconds, `Z`).
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Arc<SessionMeta> {
        Arc::new(SessionMeta {
            session: "0123456789ab".into(),
            src: "192.0.2.7:40000".parse().expect("literal address"),
            dst: "127.0.0.1:2323".parse().expect("literal address"),
            protocol: "telnet",
            sensor: "s1".into(),
        })
    }

    #[test]
    fn timestamps_have_microseconds_and_z() {
        let t =
            OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).expect("in range");
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn closed_carries_an_integer_duration_and_common_fields() {
        let e = Event {
            meta: meta(),
            time: OffsetDateTime::UNIX_EPOCH,
            detail: Detail::Closed { duration_ms: 1234 },
        };
        let v = e.to_json();
        assert_eq!(v["eventid"], "cowrie.session.closed");
        assert_eq!(v["duration_ms"], 1234);
        assert!(v["duration_ms"].is_u64());
        assert_eq!(v["src_port"], 40000);
        assert_eq!(v["dst_ip"], "127.0.0.1");
        assert_eq!(v["message"], "Connection lost after 1.2 seconds");
        assert!(e.to_json_line().ends_with(b"}\n"));
    }
}
