//! `next` tokens (TAXII 2.1 §3.4): opaque to clients, here a keyset cursor sealed with
//! HMAC-SHA256 under a server key and bound to the caller and the query, so a token cannot be
//! forged, nor replayed by another user or with other filters (it is checked on every use).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use yamori_store::taxii::Cursor;

/// Tokens longer than this are refused unread (ours are ~120 characters).
const MAX_TOKEN_LEN: usize = 512;

fn mac(key: &[u8; 32], binding: &str, payload: &[u8]) -> Hmac<Sha256> {
    // Hmac accepts keys of any length; 32 bytes cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(binding.as_bytes());
    m.update(&[0]);
    m.update(payload);
    m
}

pub fn seal(key: &[u8; 32], binding: &str, cursor: &Cursor) -> String {
    let payload = serde_json::to_vec(cursor).unwrap_or_default();
    let tag = mac(key, binding, &payload).finalize().into_bytes();
    format!("{}.{}", B64.encode(&payload), B64.encode(tag))
}

/// The cursor, if the token is ours, intact, and for this binding.
pub fn open(key: &[u8; 32], binding: &str, token: &str) -> Option<Cursor> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (p, t) = token.split_once('.')?;
    let payload = B64.decode(p).ok()?;
    let tag = B64.decode(t).ok()?;
    mac(key, binding, &payload).verify_slice(&tag).ok()?;
    serde_json::from_slice(&payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = [7u8; 32];
        let c = Cursor {
            date_added: "2024-01-01T00:00:00.000001Z".into(),
            seq: 42,
        };
        let t = seal(&key, "alice|q", &c);
        assert_eq!(open(&key, "alice|q", &t), Some(c));
        assert_eq!(open(&key, "bob|q", &t), None);
        assert_eq!(open(&[8u8; 32], "alice|q", &t), None);
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('e') { "f" } else { "e" });
        assert_eq!(open(&key, "alice|q", &forged), None);
        assert_eq!(open(&key, "alice|q", "garbage"), None);
    }
}
