//! CoAP (RFC 7252) over UDP: a confirmable `GET /.well-known/core` (RFC 6690) and a parser
//! for the reply header, options and link-format payload.

/// Longest link-format payload kept in the service fields.
pub const MAX_LINKS: usize = 1024;

/// CON GET /.well-known/core with message id `mid` and a 2-byte token.
pub fn well_known_core(mid: u16, token: [u8; 2]) -> Vec<u8> {
    let mut p = vec![0x40 | 2, 0x01]; // ver 1, CON, TKL 2; code 0.01 GET
    p.extend_from_slice(&mid.to_be_bytes());
    p.extend_from_slice(&token);
    // Uri-Path (option 11) ".well-known", then Uri-Path (delta 0) "core".
    p.push((11 << 4) | 11);
    p.extend_from_slice(b".well-known");
    p.push(4);
    p.extend_from_slice(b"core");
    p
}

/// A parsed CoAP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: u8,
    /// Code as `c.dd` (e.g. `2.05`).
    pub code: String,
    pub message_id: u16,
    pub token: Vec<u8>,
    /// Option numbers seen (values not kept).
    pub options: Vec<u16>,
    pub payload: Vec<u8>,
}

/// Reads an extended option nibble (13 → +1 byte, 14 → +2 bytes; 15 is reserved).
fn ext(nibble: u8, buf: &[u8], i: &mut usize) -> Result<u16, String> {
    match nibble {
        0..=12 => Ok(u16::from(nibble)),
        13 => {
            let b = *buf.get(*i).ok_or("truncated option")?;
            *i += 1;
            Ok(u16::from(b) + 13)
        }
        14 => {
            let b = buf.get(*i..*i + 2).ok_or("truncated option")?;
            *i += 2;
            u16::from_be_bytes([b[0], b[1]])
                .checked_add(269)
                .ok_or_else(|| "option overflow".to_string())
        }
        _ => Err("reserved option nibble 15".into()),
    }
}

/// Parses a CoAP datagram.
pub fn parse(buf: &[u8]) -> Result<Message, String> {
    if buf.len() < 4 {
        return Err("shorter than the 4-byte header".into());
    }
    if buf[0] >> 6 != 1 {
        return Err(format!("version {} is not 1", buf[0] >> 6));
    }
    let tkl = usize::from(buf[0] & 0x0f);
    if tkl > 8 {
        return Err(format!("token length {tkl} > 8"));
    }
    let token = buf.get(4..4 + tkl).ok_or("truncated token")?.to_vec();
    let mut i = 4 + tkl;
    let mut options = Vec::new();
    let mut number = 0u16;
    let mut payload = Vec::new();
    while i < buf.len() {
        let b = buf[i];
        i += 1;
        if b == 0xff {
            payload = buf[i..].to_vec();
            break;
        }
        let delta = ext(b >> 4, buf, &mut i)?;
        let len = usize::from(ext(b & 0x0f, buf, &mut i)?);
        number = number.checked_add(delta).ok_or("option number overflow")?;
        if i + len > buf.len() {
            return Err("option value past the end".into());
        }
        i += len;
        options.push(number);
    }
    Ok(Message {
        kind: (buf[0] >> 4) & 0x03,
        code: format!("{}.{:02}", buf[1] >> 5, buf[1] & 0x1f),
        message_id: u16::from_be_bytes([buf[2], buf[3]]),
        token,
        options,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_through_parser() {
        let req = well_known_core(0x1234, [0xab, 0xcd]);
        let m = parse(&req).expect("own request parses");
        assert_eq!(m.code, "0.01");
        assert_eq!(m.message_id, 0x1234);
        assert_eq!(m.token, vec![0xab, 0xcd]);
        assert_eq!(m.options, vec![11, 11]);
    }

    #[test]
    fn content_reply_with_links() {
        // ACK 2.05, content-format 40 (option 12, 1 byte), payload.
        let mut r = vec![0x62, 0x45, 0x12, 0x34, 0xab, 0xcd, 0xc1, 40, 0xff];
        r.extend_from_slice(b"</sensors/temp>;rt=\"temperature\"");
        let m = parse(&r).expect("valid reply");
        assert_eq!((m.kind, m.code.as_str()), (2, "2.05"));
        assert_eq!(m.options, vec![12]);
        assert!(m.payload.starts_with(b"</sensors"));
    }

    #[test]
    fn malformed_datagrams() {
        assert!(parse(b"\x40\x01").is_err());
        assert!(parse(b"\x80\x01\x00\x00").is_err());
        assert!(parse(b"\x4f\x01\x00\x00").is_err());
        assert!(parse(b"\x40\x45\x00\x00\xf1").is_err());
        assert!(parse(b"\x40\x45\x00\x00\xd1").is_err());
        assert!(parse(b"\x40\x45\x00\x00\x15").is_err());
    }
}
