//! Lenient parser for HTTP-style response heads (HTTP/1.x, RTSP/1.0, SSDP over HTTPU).
//!
//! Written by hand rather than with `httparse` because RTSP and SSDP status lines are not
//! HTTP versions and IoT servers send bare `\n` line ends and junk headers that a strict
//! parser rejects; we only need the status and a few header values.

/// Most header lines kept; further ones are ignored (counted in `dropped`).
pub const MAX_HEADERS: usize = 64;
/// Longest header value kept (characters); longer values are cut.
pub const MAX_HEADER_VALUE: usize = 512;

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Head {
    /// `HTTP/1.1`, `RTSP/1.0`, …
    pub protocol: String,
    pub status: u16,
    pub reason: String,
    /// Header (lower-cased name, value) pairs in order.
    pub headers: Vec<(String, String)>,
    pub dropped: usize,
    /// Byte offset of the body in the input (after the blank line), if the head was complete.
    pub body_offset: Option<usize>,
}

impl Head {
    /// First value of header `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    /// Every value of header `name` (lower-case).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Offset just past the blank line ending the head (`\r\n\r\n` or `\n\n`), if present.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Parses a status line and headers. `None` when the first line is not `PROTO/x.y CODE …`.
pub fn parse(buf: &[u8]) -> Option<Head> {
    let end = head_end(buf);
    let text = String::from_utf8_lossy(&buf[..end.unwrap_or(buf.len())]);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let protocol = parts.next()?.to_string();
    if !protocol.contains('/') || protocol.len() > 16 {
        return None;
    }
    let status: u16 = parts.next()?.trim().parse().ok()?;
    let reason = parts.next().unwrap_or("").trim().to_string();
    let mut head = Head {
        protocol,
        status,
        reason,
        body_offset: end,
        ..Head::default()
    };
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if head.headers.len() >= MAX_HEADERS {
            head.dropped += 1;
            continue;
        }
        let value: String = value.trim().chars().take(MAX_HEADER_VALUE).collect();
        head.headers.push((name.trim().to_ascii_lowercase(), value));
    }
    Some(head)
}

/// The `Authorization` value of a request head (for the lab emulators), if present.
pub fn parse_request_auth(buf: &[u8]) -> Option<String> {
    let end = head_end(buf).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end])
        .split('\n')
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_rtsp_and_bare_lf() {
        let raw = b"HTTP/1.1 401 Unauthorized\r\nServer: Hikvision-Webs\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\nbody";
        let h = parse(raw).expect("valid head");
        assert_eq!((h.status, h.protocol.as_str()), (401, "HTTP/1.1"));
        assert_eq!(h.get("server"), Some("Hikvision-Webs"));
        assert_eq!(h.body_offset, Some(raw.len() - 4));
        let r = parse(b"RTSP/1.0 200 OK\nCSeq: 1\nPublic: OPTIONS, DESCRIBE\n\n").expect("rtsp");
        assert_eq!(r.get("public"), Some("OPTIONS, DESCRIBE"));
        assert!(parse(b"SSH-2.0-dropbear\r\n").is_none());
        assert!(parse(b"HTTP/1.1 abc\r\n\r\n").is_none());
    }

    #[test]
    fn header_flood_is_bounded() {
        let mut raw = b"HTTP/1.0 200 OK\r\n".to_vec();
        for i in 0..200 {
            raw.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(2000)).as_bytes());
        }
        let h = parse(&raw).expect("head without end still parses");
        assert_eq!(h.headers.len(), MAX_HEADERS);
        assert_eq!(h.dropped, 200 - MAX_HEADERS);
        assert!(h.headers.iter().all(|(_, v)| v.len() <= MAX_HEADER_VALUE));
        assert_eq!(h.body_offset, None);
    }
}
