//! SSH (RFC 4253): our identification line (with the survey's contact in its comment field)
//! and the server's first KEXINIT, read in the clear before any key exchange, which tells the
//! algorithms the server offers (a device offering `diffie-hellman-group1-sha1` or `ssh-dss`
//! is worth a note). The logins themselves go through `russh` (`probe/ssh.rs`).

/// Largest packet we accept (RFC 4253 §6.1: implementations must handle 35000 bytes).
pub const MAX_PACKET: usize = 35_000;
/// Longest identification line, CR LF included (RFC 4253 §4.2).
pub const MAX_IDENT: usize = 255;
const MSG_KEXINIT: u8 = 20;

/// Our identification line without CR LF: `SSH-2.0-yamori_survey_<version> <comment>`, the
/// comment naming the survey and its contact, cut to the RFC's length and to printable ASCII.
pub fn client_ident(contact: &str) -> String {
    let mut line = format!(
        "SSH-2.0-yamori_survey_{} authorised IoT survey; contact: ",
        env!("CARGO_PKG_VERSION")
    );
    line.extend(
        contact
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .take(MAX_IDENT - 2 - line.len().min(MAX_IDENT - 2)),
    );
    line
}

/// The algorithm lists of a server's KEXINIT (client-to-server direction for the ciphers,
/// MACs and compression: the server offers the same both ways in practice).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KexInit {
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub compression: Vec<String>,
}

/// How far a buffer holding the bytes after the identification line got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// More bytes needed.
    Incomplete,
    KexInit(KexInit),
}

/// Parses the first binary packet (unencrypted, no MAC) as a KEXINIT. Errors name the field
/// and the offset.
pub fn parse_kexinit(buf: &[u8]) -> Result<Packet, String> {
    let Some(len) = buf.get(..4) else {
        return Ok(Packet::Incomplete);
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if !(5..=MAX_PACKET).contains(&len) {
        return Err(format!(
            "packet length {len} at offset 0 outside 5..={MAX_PACKET}"
        ));
    }
    let Some(packet) = buf.get(4..4 + len) else {
        return Ok(Packet::Incomplete);
    };
    let padding = usize::from(packet[0]);
    let payload = packet
        .get(1..len.saturating_sub(padding))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| format!("padding length {padding} at offset 4 exceeds the packet"))?;
    if payload[0] != MSG_KEXINIT {
        return Err(format!(
            "message {} at offset 5, expected KEXINIT ({MSG_KEXINIT})",
            payload[0]
        ));
    }
    // message byte + 16-byte cookie, then the name-lists.
    let mut at = 17;
    let mut lists: Vec<Vec<String>> = Vec::with_capacity(10);
    for field in 0..10 {
        let offset = 5 + at;
        let n = payload
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("name-list {field} at offset {offset}: truncated length"))?;
        let text = payload.get(at + 4..at + 4 + n).ok_or_else(|| {
            format!("name-list {field} at offset {offset}: {n} bytes past the end")
        })?;
        let text = std::str::from_utf8(text)
            .map_err(|_| format!("name-list {field} at offset {offset}: not ASCII"))?;
        lists.push(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        );
        at += 4 + n;
    }
    let mut take = |i: usize| std::mem::take(&mut lists[i]);
    Ok(Packet::KexInit(KexInit {
        kex: take(0),
        host_key: take(1),
        ciphers: take(2),
        macs: take(4),
        compression: take(6),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kexinit(lists: [&str; 10], padding: u8) -> Vec<u8> {
        let mut payload = vec![MSG_KEXINIT];
        payload.extend([7u8; 16]);
        for l in lists {
            payload.extend((l.len() as u32).to_be_bytes());
            payload.extend(l.as_bytes());
        }
        payload.extend([0, 0, 0, 0, 0]); // first_kex_packet_follows, reserved
        let mut packet = vec![padding];
        packet.extend(&payload);
        packet.extend(vec![0u8; usize::from(padding)]);
        let mut out = (packet.len() as u32).to_be_bytes().to_vec();
        out.extend(packet);
        out
    }

    #[test]
    fn reads_the_offer() {
        let raw = kexinit(
            [
                "curve25519-sha256,diffie-hellman-group1-sha1",
                "ssh-ed25519,ssh-rsa",
                "aes128-ctr",
                "aes128-ctr",
                "hmac-sha2-256",
                "hmac-sha2-256",
                "none",
                "none",
                "",
                "",
            ],
            6,
        );
        for cut in 0..raw.len() {
            assert_eq!(
                parse_kexinit(&raw[..cut]),
                Ok(Packet::Incomplete),
                "cut {cut}"
            );
        }
        let Ok(Packet::KexInit(k)) = parse_kexinit(&raw) else {
            panic!("no KEXINIT");
        };
        assert_eq!(k.kex, ["curve25519-sha256", "diffie-hellman-group1-sha1"]);
        assert_eq!(k.host_key, ["ssh-ed25519", "ssh-rsa"]);
        assert_eq!(k.macs, ["hmac-sha2-256"]);
        assert_eq!(k.compression, ["none"]);
    }

    #[test]
    fn bad_packets_name_the_offset() {
        let e = parse_kexinit(&[0xff, 0xff, 0xff, 0xff]).expect_err("huge");
        assert!(e.contains("offset 0"), "{e}");
        let mut raw = kexinit(["a"; 10], 4);
        raw[5] = 21;
        assert!(parse_kexinit(&raw)
            .expect_err("not kexinit")
            .contains("offset 5"));
        let mut raw = kexinit(["a"; 10], 4);
        raw[4] = 250; // padding longer than the packet
        assert!(parse_kexinit(&raw).is_err());
        let mut raw = kexinit(["a"; 10], 4);
        raw[5 + 17 + 3] = 200; // first name-list claims 200 bytes
        assert!(parse_kexinit(&raw)
            .expect_err("long list")
            .contains("name-list 0"));
    }

    #[test]
    fn ident_carries_the_contact_within_the_limit() {
        let id = client_ident("noc@example.jp");
        assert!(id.starts_with("SSH-2.0-yamori_survey_"));
        assert!(id.ends_with("contact: noc@example.jp"));
        let long = client_ident(&"x".repeat(400));
        assert!(long.len() <= MAX_IDENT - 2);
        assert!(!client_ident("é\r\nevil").contains('\n'));
    }
}
