//! SSDP (UPnP Device Architecture 2.0 §1.3.2): a unicast M-SEARCH sent to the target only,
//! and the fields of its HTTPU reply.

use super::head;

/// Unicast M-SEARCH for `ssdp:all` (no MX header: unicast searches must answer at once).
pub fn m_search(host: &str, port: u16, user_agent: &str) -> Vec<u8> {
    format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: {host}:{port}\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nUSER-AGENT: {user_agent}\r\n\r\n"
    )
    .into_bytes()
}

/// (field name, value) pairs from a reply: `ssdp_server`, `ssdp_location`, `ssdp_st`,
/// `ssdp_usn`. `None` if it is not an HTTP 200 head.
pub fn parse_reply(buf: &[u8]) -> Option<Vec<(&'static str, String)>> {
    let h = head::parse(buf)?;
    if h.status != 200 {
        return None;
    }
    let mut out = Vec::new();
    for (field, header) in [
        ("ssdp_server", "server"),
        ("ssdp_location", "location"),
        ("ssdp_st", "st"),
        ("ssdp_usn", "usn"),
    ] {
        if let Some(v) = h.get(header) {
            out.push((field, v.to_string()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_and_reply() {
        let s = String::from_utf8(m_search("198.51.100.12", 1900, "ua")).expect("ascii");
        assert!(s.starts_with("M-SEARCH * HTTP/1.1\r\nHOST: 198.51.100.12:1900\r\n"));
        let reply = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://198.51.100.12:49152/rootDesc.xml\r\nSERVER: Linux/3.14 UPnP/1.0 IpBridge/1.26.0\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788255acc::upnp:rootdevice\r\n\r\n";
        let f = parse_reply(reply).expect("valid reply");
        assert_eq!(
            f[0],
            (
                "ssdp_server",
                "Linux/3.14 UPnP/1.0 IpBridge/1.26.0".to_string()
            )
        );
        assert_eq!(f.len(), 4);
        assert!(parse_reply(b"HTTP/1.1 404 Not Found\r\n\r\n").is_none());
        assert!(parse_reply(b"\x00\x01garbage").is_none());
    }
}
