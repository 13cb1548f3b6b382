//! HTTP/1.1 probe: `GET /` with the survey's User-Agent; status, Server, title and the
//! WWW-Authenticate realm from the reply. Also used for TR-069 (7547) and HTTPS (over TLS).

use super::{digest, head};

/// Longest body prefix searched for `<title>`.
pub const MAX_BODY_FOR_TITLE: usize = 16 * 1024;
/// Longest title kept (characters).
pub const MAX_TITLE: usize = 200;

/// A `GET` request for `path` with our identifying User-Agent and `Connection: close`.
pub fn get(host: &str, path: &str, user_agent: &str, authorization: Option<&str>) -> Vec<u8> {
    let mut r = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\nConnection: close\r\n"
    );
    if let Some(a) = authorization {
        r.push_str(&format!("Authorization: {a}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// The `<title>` text of an HTML body prefix, whitespace collapsed.
pub fn title(body: &[u8]) -> Option<String> {
    let body = &body[..body.len().min(MAX_BODY_FOR_TITLE)];
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let t: String = text
        .get(start..end)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(t.chars().take(MAX_TITLE).collect())
}

/// Fields learned from a reply (`status`, `server`, `title`, `realm`, `auth_scheme`, …).
pub fn fields(buf: &[u8]) -> Option<Vec<(&'static str, String)>> {
    let h = head::parse(buf)?;
    let mut out = vec![("status", h.status.to_string())];
    if let Some(s) = h.get("server") {
        out.push(("server", s.to_string()));
    }
    if let Some(p) = h.get("x-powered-by") {
        out.push(("powered_by", p.to_string()));
    }
    if let Some(ch) = h
        .get_all("www-authenticate")
        .find_map(digest::parse_challenge)
    {
        out.push(("auth_scheme", ch.scheme.clone()));
        if let Some(r) = ch.param("realm") {
            out.push(("realm", r.to_string()));
        }
    }
    if let Some(t) = h.body_offset.and_then(|o| title(&buf[o..])) {
        out.push(("title", t));
    }
    Some(out)
}

/// The strongest challenge we can answer: Digest (MD5) preferred over Basic.
pub fn auth_challenge(buf: &[u8]) -> Option<digest::Challenge> {
    let h = head::parse(buf)?;
    if h.status != 401 {
        return None;
    }
    let all: Vec<_> = h
        .get_all("www-authenticate")
        .filter_map(digest::parse_challenge)
        .collect();
    all.iter()
        .find(|c| c.scheme == "digest")
        .or_else(|| all.iter().find(|c| c.scheme == "basic"))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_401_reply() {
        let r = b"HTTP/1.1 401 Unauthorized\r\nServer: App-webs/\r\nWWW-Authenticate: Basic realm=\"IP Camera\"\r\nWWW-Authenticate: Digest realm=\"IP Camera\", nonce=\"n1\", qop=\"auth\"\r\n\r\n<html><head><TITLE>Document Error: Unauthorized</TITLE></head></html>";
        let f = fields(r).expect("valid reply");
        assert!(f.contains(&("status", "401".into())));
        assert!(f.contains(&("server", "App-webs/".into())));
        assert!(f.contains(&("realm", "IP Camera".into())));
        assert!(f.contains(&("title", "Document Error: Unauthorized".into())));
        assert_eq!(auth_challenge(r).map(|c| c.scheme), Some("digest".into()));
    }

    #[test]
    fn request_and_titles() {
        let r = String::from_utf8(get(
            "198.51.100.10:80",
            "/",
            "yamori-survey/0.1",
            Some("Basic eA=="),
        ))
        .expect("ascii");
        assert!(r.contains("User-Agent: yamori-survey/0.1\r\n"));
        assert!(r.contains("Authorization: Basic eA==\r\n"));
        assert!(r.ends_with("\r\n\r\n"));
        assert_eq!(
            title(b"<title>\n  RouterOS\n router </title>"),
            Some("RouterOS router".into())
        );
        assert_eq!(title(b"<title>never closed"), None);
        assert_eq!(title("<title>ä".repeat(10).as_bytes()), None);
        assert!(fields(b"not http").is_none());
    }
}
