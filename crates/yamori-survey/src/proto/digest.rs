//! HTTP authentication headers: parse `WWW-Authenticate` challenges and answer Basic and
//! Digest (RFC 7616 with MD5 / MD5-sess, `qop=auth` or none; RFC 2617 compatible).
//! Hand-written because it is ~100 lines and the crates for it pull a whole HTTP client.

use base64::Engine as _;
use md5::{Digest as _, Md5};

/// A parsed challenge: scheme (lower-case) and its parameters (lower-case names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one `WWW-Authenticate` value: `Scheme k=v, k="quoted, with comma"`.
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.trim().is_empty() {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        params.push((name.trim().to_ascii_lowercase(), val.trim().to_string()));
        if params.len() > 32 {
            break;
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

/// `Authorization: Basic …` value.
pub fn basic(user: &str, pass: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {b}")
}

fn md5_hex(s: &str) -> String {
    let d = Md5::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Authorization: Digest …` value for `method uri`, or `None` if the challenge asks for an
/// algorithm we do not implement (SHA-256 variants) or lacks a nonce.
pub fn digest(
    ch: &Challenge,
    method: &str,
    uri: &str,
    user: &str,
    pass: &str,
    cnonce: &str,
) -> Option<String> {
    let realm = ch.param("realm").unwrap_or("");
    let nonce = ch.param("nonce")?;
    let algorithm = ch.param("algorithm").unwrap_or("MD5");
    let sess = match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => false,
        "MD5-SESS" => true,
        _ => return None,
    };
    let qop_auth = ch
        .param("qop")
        .is_some_and(|q| q.split(',').any(|x| x.trim().eq_ignore_ascii_case("auth")));
    let nc = "00000001";
    let mut ha1 = md5_hex(&format!("{user}:{realm}:{pass}"));
    if sess {
        ha1 = md5_hex(&format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let response = if qop_auth {
        md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
    } else {
        md5_hex(&format!("{ha1}:{nonce}:{ha2}"))
    };
    let mut v = format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={algorithm}, response=\"{response}\""
    );
    if qop_auth {
        v.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(opaque) = ch.param("opaque") {
        v.push_str(&format!(", opaque=\"{opaque}\""));
    }
    Some(v)
}

/// Verifies a Digest `Authorization` value against a known password (used by the lab
/// emulator; the same arithmetic as [`digest`]).
pub fn verify_digest(auth: &str, method: &str, pass: &str) -> Option<String> {
    let ch = parse_challenge(auth)?;
    if ch.scheme != "digest" {
        return None;
    }
    let user = ch.param("username")?;
    let uri = ch.param("uri")?;
    let cnonce = ch.param("cnonce").unwrap_or("");
    let expected = digest(&ch, method, uri, user, pass, cnonce)?;
    let exp = parse_challenge(&expected)?;
    (exp.param("response") == ch.param("response")).then(|| user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life" → response 6629fae49393a05397450978507c4ef1.
        let ch = parse_challenge(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("valid challenge");
        assert_eq!(ch.scheme, "digest");
        assert_eq!(ch.param("qop"), Some("auth,auth-int"));
        let v = digest(
            &ch,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            "0a4f113b",
        )
        .expect("md5");
        assert!(
            v.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{v}"
        );
        assert!(v.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        assert_eq!(
            verify_digest(&v, "GET", "Circle Of Life").as_deref(),
            Some("Mufasa")
        );
        assert_eq!(verify_digest(&v, "GET", "wrong"), None);
    }

    #[test]
    fn basic_and_odd_challenges() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let ch = parse_challenge("Basic realm=\"DVR, 2.0\"").expect("valid");
        assert_eq!(ch.param("realm"), Some("DVR, 2.0"));
        let ch = parse_challenge("Digest realm=x, nonce=abc, algorithm=SHA-256").expect("valid");
        assert!(digest(&ch, "GET", "/", "a", "b", "c").is_none());
        assert!(parse_challenge("").is_none());
        assert!(parse_challenge("Basic realm=\"unterminated").is_some());
    }
}
