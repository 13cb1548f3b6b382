//! The MQTT side (3.1, 3.1.1 and 5): CONNECT with its credentials recorded (anonymous
//! clients accepted, credentials by the profile's policy), SUBSCRIBE topics and PUBLISH
//! topics and payloads recorded (payload size-capped), answered as a broker would so clients
//! go on; nothing is delivered to anyone.

use sha2::{Digest, Sha256};

use crate::events::Detail;
use crate::profile::Profile;
use crate::session::{End, Step};

/// Largest packet read. IoT clients send topics and payloads of bytes to a few kilobytes;
/// brokers commonly cap packets at 256 KiB, and a decoy needs far less.
pub const MAX_MQTT_PACKET: usize = 64 * 1024;

/// Bytes of a payload kept in the record (the whole payload's size and SHA-256 are recorded).
pub const MAX_RECORDED_PAYLOAD: usize = 4096;

/// Topic filters recorded from one SUBSCRIBE.
const MAX_TOPICS_PER_SUBSCRIBE: usize = 32;

/// A reader over one packet's bytes; every read is checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn string(&mut self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
    /// MQTT 5 properties: skipped by their length.
    fn skip_properties(&mut self) -> Option<()> {
        let (n, used) = varint(self.0)?;
        self.take(used + n).map(drop)
    }
}

/// A variable byte integer (at most four bytes): its value and the bytes it used. `None`
/// when more bytes are needed or it is malformed.
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for (i, byte) in b.iter().take(4).enumerate() {
        v |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// One MQTT connection's state machine.
#[derive(Debug, Clone)]
pub struct MqttSession {
    profile: &'static Profile,
    buf: Vec<u8>,
    level: u8,
    connected: bool,
    over: bool,
}

impl MqttSession {
    pub fn new(profile: &'static Profile) -> (Self, Vec<u8>) {
        let s = MqttSession {
            profile,
            buf: Vec::new(),
            level: 4,
            connected: false,
            over: false,
        };
        (s, Vec::new())
    }

    pub fn feed(&mut self, input: &[u8]) -> Step {
        let mut step = Step::default();
        if self.over {
            return step;
        }
        self.buf.extend_from_slice(input);
        loop {
            if self.buf.len() < 2 {
                break;
            }
            let Some((len, used)) = varint(&self.buf[1..]) else {
                if self.buf.len() >= 5 {
                    self.end(End::Exit, &mut step); // a malformed length
                }
                break;
            };
            if len > MAX_MQTT_PACKET {
                self.end(End::LineTooLong, &mut step);
                break;
            }
            let total = 1 + used + len;
            if self.buf.len() < total {
                break;
            }
            let packet: Vec<u8> = self.buf.drain(..total).collect();
            let ok = self.packet(packet[0], &packet[1 + used..], &mut step);
            if ok.is_none() {
                self.end(End::Exit, &mut step);
            }
            if self.over {
                break;
            }
        }
        step
    }

    fn end(&mut self, why: End, step: &mut Step) {
        self.over = true;
        step.end = Some(why);
    }

    /// Handle one packet; `None` when it is malformed (the connection is then closed, as a
    /// broker does).
    fn packet(&mut self, first: u8, body: &[u8], step: &mut Step) -> Option<()> {
        let mut r = Reader(body);
        let kind = first >> 4;
        if !self.connected && kind != 1 {
            return None; // the first packet must be CONNECT
        }
        match kind {
            1 => {
                let protocol = r.string()?;
                self.level = r.u8()?;
                let flags = r.u8()?;
                let _keepalive = r.u16()?;
                if !matches!(protocol.as_str(), "MQTT" | "MQIsdp") {
                    return None;
                }
                if self.level >= 5 {
                    r.skip_properties()?;
                }
                let client_id = r.string()?;
                if flags & 0x04 != 0 {
                    if self.level >= 5 {
                        r.skip_properties()?;
                    }
                    r.bytes()?; // will topic
                    r.bytes()?; // will message
                }
                let username = if flags & 0x80 != 0 {
                    Some(r.string()?)
                } else {
                    None
                };
                let password = if flags & 0x40 != 0 {
                    Some(r.string()?)
                } else {
                    None
                };
                step.details.push(Detail::MqttConnect {
                    client_id,
                    level: self.level,
                });
                let accepted = match &username {
                    None => true,
                    Some(u) => {
                        let p = password.clone().unwrap_or_default();
                        let ok = self.profile.accept.allows(u, &p);
                        let (username, password) = (u.clone(), p);
                        step.details.push(if ok {
                            Detail::LoginSuccess { username, password }
                        } else {
                            Detail::LoginFailed { username, password }
                        });
                        ok
                    }
                };
                let code = match (accepted, self.level >= 5) {
                    (true, _) => 0,
                    (false, true) => 0x86,
                    (false, false) => 4,
                };
                if self.level >= 5 {
                    step.send.extend([0x20, 3, 0, code, 0]);
                } else {
                    step.send.extend([0x20, 2, 0, code]);
                }
                self.connected = accepted;
                if !accepted {
                    self.end(End::LoginFailures, step);
                }
            }
            3 => {
                let qos = (first >> 1) & 3;
                let topic = r.string()?;
                let id = if qos > 0 { Some(r.u16()?) } else { None };
                if self.level >= 5 {
                    r.skip_properties()?;
                }
                let payload = r.0;
                let kept = &payload[..payload.len().min(MAX_RECORDED_PAYLOAD)];
                step.details.push(Detail::MqttPublish {
                    topic,
                    payload: String::from_utf8_lossy(kept).into_owned(),
                    size: payload.len() as u64,
                    shasum: hex::encode(Sha256::digest(payload)),
                });
                match (qos, id) {
                    (1, Some(id)) => step.send.extend([0x40, 2, (id >> 8) as u8, id as u8]),
                    (2, Some(id)) => step.send.extend([0x50, 2, (id >> 8) as u8, id as u8]),
                    _ => {}
                }
            }
            6 => {
                let id = r.u16()?;
                step.send.extend([0x70, 2, (id >> 8) as u8, id as u8]); // PUBREL → PUBCOMP
            }
            8 | 10 => {
                let id = r.u16()?;
                if self.level >= 5 {
                    r.skip_properties()?;
                }
                let mut n = 0usize;
                while !r.0.is_empty() {
                    let topic = r.string()?;
                    if kind == 8 {
                        r.u8()?; // options
                    }
                    n += 1;
                    if kind == 8 && n <= MAX_TOPICS_PER_SUBSCRIBE {
                        step.details.push(Detail::MqttSubscribe { topic });
                    }
                }
                let head = if kind == 8 { 0x90 } else { 0xb0 };
                let props = usize::from(self.level >= 5);
                let codes = if kind == 8 || self.level >= 5 { n } else { 0 };
                let len = 2 + props + codes;
                let Ok(len) = u8::try_from(len) else {
                    return None;
                };
                step.send.extend([head, len, (id >> 8) as u8, id as u8]);
                step.send.extend(std::iter::repeat_n(0u8, props + codes));
            }
            12 => step.send.extend([0xd0, 0]),
            14 => self.end(End::Exit, step),
            _ => {}
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::DVR;

    fn s(text: &str) -> Vec<u8> {
        let mut v = (text.len() as u16).to_be_bytes().to_vec();
        v.extend(text.as_bytes());
        v
    }

    fn packet(first: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![first, body.len() as u8];
        v.extend(body);
        v
    }

    #[test]
    fn connect_subscribe_publish() {
        let (mut m, _) = MqttSession::new(&DVR);
        let mut connect = s("MQTT");
        connect.extend([4, 0xc2, 0, 60]);
        connect.extend(s("bot1"));
        connect.extend(s("admin"));
        connect.extend(s("admin"));
        let mut sub = vec![0, 7];
        sub.extend(s("#"));
        sub.push(0);
        let mut publ = s("cmd/x");
        publ.extend([0, 9]);
        publ.extend(b"wget http://x/");
        let mut input = packet(0x10, &connect);
        input.extend(packet(0x82, &sub));
        input.extend(packet(0x32, &publ));
        input.extend([0xc0, 0, 0xe0, 0]);
        // In pieces.
        let mut send = Vec::new();
        let mut details = Vec::new();
        let mut end = None;
        for chunk in input.chunks(3) {
            let st = m.feed(chunk);
            send.extend(st.send);
            details.extend(st.details);
            end = end.or(st.end);
        }
        assert_eq!(
            send,
            [0x20, 2, 0, 0, 0x90, 3, 0, 7, 0, 0x40, 2, 0, 9, 0xd0, 0]
        );
        assert_eq!(
            details[0],
            Detail::MqttConnect {
                client_id: "bot1".into(),
                level: 4
            }
        );
        assert_eq!(
            details[1],
            Detail::LoginSuccess {
                username: "admin".into(),
                password: "admin".into()
            }
        );
        assert_eq!(details[2], Detail::MqttSubscribe { topic: "#".into() });
        assert!(
            matches!(&details[3], Detail::MqttPublish { topic, payload, size: 14, .. } if topic == "cmd/x" && payload == "wget http://x/")
        );
        assert_eq!(end, Some(End::Exit));
    }

    #[test]
    fn bad_input_closes() {
        let (mut m, _) = MqttSession::new(&DVR);
        assert_eq!(
            m.feed(&[0x30, 0]).end,
            Some(End::Exit),
            "publish before connect"
        );
        let (mut m, _) = MqttSession::new(&DVR);
        assert_eq!(
            m.feed(&[0x10, 0xff, 0xff, 0xff, 0x7f]).end,
            Some(End::LineTooLong)
        );
        let (mut m, _) = MqttSession::new(&DVR);
        assert_eq!(
            m.feed(&[0x10, 0xff, 0xff, 0xff, 0xff, 0x01]).end,
            Some(End::Exit)
        );
        let (mut m, _) = MqttSession::new(&DVR);
        let mut connect = s("MQTT");
        connect.extend([4, 0xc2, 0, 60]);
        connect.extend(s("c"));
        connect.extend(s("root"));
        connect.extend(s("nope"));
        let st = m.feed(&packet(0x10, &connect));
        assert_eq!(st.send, [0x20, 2, 0, 4]);
        assert_eq!(st.end, Some(End::LoginFailures));
    }
}
