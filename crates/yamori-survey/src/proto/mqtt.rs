//! MQTT 3.1.1 (OASIS): build a CONNECT (anonymous or with user/password) and read the
//! CONNACK return code.

/// Largest MQTT packet we accept in reply to CONNECT. A CONNACK is 4 bytes; anything claiming
/// more than this is not a broker answering us and is not read further.
pub const MAX_REPLY_PACKET: usize = 256;
/// Client id the survey announces.
pub const CLIENT_ID: &str = "yamori-survey";

fn push_str(out: &mut Vec<u8>, s: &[u8]) {
    // Field lengths are u16 by spec; longer strings are cut to fit.
    let s = &s[..s.len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// A CONNECT packet, clean session, keep-alive 30 s.
pub fn connect(credentials: Option<(&str, &str)>) -> Vec<u8> {
    let mut body = Vec::new();
    push_str(&mut body, b"MQTT");
    body.push(4); // protocol level 3.1.1
    let mut flags = 0x02; // clean session
    if credentials.is_some() {
        flags |= 0x80 | 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&30u16.to_be_bytes());
    push_str(&mut body, CLIENT_ID.as_bytes());
    if let Some((u, p)) = credentials {
        push_str(&mut body, u.as_bytes());
        push_str(&mut body, p.as_bytes());
    }
    let mut out = vec![0x10];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(&body);
    out
}

/// Outcome of reading a reply to CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connack {
    /// Return code (0 = accepted, 4 = bad user name or password, 5 = not authorised, …).
    Code(u8),
    /// More bytes are needed.
    Incomplete,
}

/// Why a reply is not a CONNACK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MqttError {
    #[error("first packet is type {0}, not CONNACK")]
    NotConnack(u8),
    #[error("packet claims {0} bytes, over the {MAX_REPLY_PACKET}-byte limit")]
    Oversized(usize),
    #[error("bad remaining-length encoding")]
    BadLength,
}

/// Decodes the remaining-length varint: (length, bytes used), `Ok(None)` if incomplete.
fn remaining_length(buf: &[u8]) -> Result<Option<(usize, usize)>, MqttError> {
    let mut value = 0usize;
    for (i, b) in buf.iter().enumerate().take(4) {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        Err(MqttError::BadLength)
    } else {
        Ok(None)
    }
}

/// Parses a CONNACK from the start of `buf`.
pub fn parse_connack(buf: &[u8]) -> Result<Connack, MqttError> {
    let Some(&first) = buf.first() else {
        return Ok(Connack::Incomplete);
    };
    let Some((len, used)) = remaining_length(&buf[1..])? else {
        return Ok(Connack::Incomplete);
    };
    if len > MAX_REPLY_PACKET {
        return Err(MqttError::Oversized(len));
    }
    if first >> 4 != 2 {
        return Err(MqttError::NotConnack(first >> 4));
    }
    let body = &buf[1 + used..];
    if body.len() < len.min(2) || len < 2 {
        return if len < 2 {
            Err(MqttError::BadLength)
        } else {
            Ok(Connack::Incomplete)
        };
    }
    Ok(Connack::Code(body[1]))
}

/// Human name of a CONNACK return code (MQTT 3.1.1 §3.2.2.3).
pub fn connack_name(code: u8) -> &'static str {
    match code {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "reserved",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_layout() {
        let p = connect(None);
        assert_eq!(&p[..2], &[0x10, 25]);
        assert_eq!(&p[2..10], b"\x00\x04MQTT\x04\x02");
        let p = connect(Some(("admin", "public")));
        assert_eq!(p[9], 0xc2);
        assert!(p.ends_with(b"\x00\x05admin\x00\x06public"));
        // Long payloads use a multi-byte remaining length.
        let long = "x".repeat(300);
        let p = connect(Some(("u", &long)));
        assert_eq!(p[1] & 0x80, 0x80);
    }

    #[test]
    fn connack_codes_and_errors() {
        assert_eq!(parse_connack(b"\x20\x02\x00\x00"), Ok(Connack::Code(0)));
        assert_eq!(parse_connack(b"\x20\x02\x00\x05"), Ok(Connack::Code(5)));
        assert_eq!(parse_connack(b"\x20\x02\x00"), Ok(Connack::Incomplete));
        assert_eq!(parse_connack(b""), Ok(Connack::Incomplete));
        assert_eq!(
            parse_connack(b"\x30\x02\x00\x00"),
            Err(MqttError::NotConnack(3))
        );
        assert_eq!(
            parse_connack(b"\x20\xff\xff\xff\x7f"),
            Err(MqttError::Oversized(268_435_455))
        );
        assert_eq!(
            parse_connack(b"\x20\xff\xff\xff\xff"),
            Err(MqttError::BadLength)
        );
        assert_eq!(parse_connack(b"\x20\x00"), Err(MqttError::BadLength));
    }
}
