//! Typed, checked list values: what one pattern comparison becomes before any writer sees it.

use std::net::IpAddr;

use ipnet::IpNet;

/// Longest DNS name in presentation form without the final dot (RFC 1035 §2.3.4: 255 octets
/// on the wire, which is 253 characters of text).
pub const MAX_DNS_NAME: usize = 253;

/// A value a blocklist can hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Observable {
    /// An address or prefix (`/32` or `/128` for a single address), host bits zero.
    Net(IpNet),
    /// A DNS name: lower case, ASCII (IDNA already applied), no final dot.
    Domain(String),
    /// A URL as given, with its host (a DNS name or an address literal).
    Url { url: String, host: UrlHost },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UrlHost {
    Domain(String),
    Ip(IpAddr),
}

impl Observable {
    /// The STIX cyber-observable type this value came from.
    pub fn stix_type(&self) -> &'static str {
        match self {
            Observable::Net(IpNet::V4(_)) => "ipv4-addr",
            Observable::Net(IpNet::V6(_)) => "ipv6-addr",
            Observable::Domain(_) => "domain-name",
            Observable::Url { .. } => "url",
        }
    }

    /// The value as text (`198.51.100.7`, `203.0.113.0/24`, `a.example`, the URL).
    pub fn text(&self) -> String {
        ValueText(self).to_string()
    }
}

/// [`Observable::text`] written into a formatter, for writers that put a million values into
/// one buffer without a `String` each.
pub struct ValueText<'a>(pub &'a Observable);

impl std::fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Observable::Net(n) if n.prefix_len() == n.max_prefix_len() => n.addr().fmt(f),
            Observable::Net(n) => n.fmt(f),
            Observable::Domain(d) => f.write_str(d),
            Observable::Url { url, .. } => f.write_str(url),
        }
    }
}

/// Checks one comparison's literal against its type.
pub fn parse(object_type: &str, value: &str) -> Result<Observable, String> {
    match object_type {
        "ipv4-addr" | "ipv6-addr" => parse_net(object_type, value).map(Observable::Net),
        "domain-name" => dns_name(value).map(Observable::Domain),
        "url" => parse_url(value),
        other => Err(format!(
            "`{other}` values cannot be list entries (supported: ipv4-addr, ipv6-addr, domain-name, url)"
        )),
    }
}

fn parse_net(object_type: &str, value: &str) -> Result<IpNet, String> {
    // Only a prefix has a `/`: one parse per value, not a failed prefix parse per address.
    let parsed = if value.contains('/') {
        value.parse::<IpNet>().ok()
    } else {
        value.parse::<IpAddr>().ok().map(IpNet::from)
    };
    let Some(net) = parsed else {
        return Err(format!("`{value}` is not an IP address or prefix"));
    };
    let v4 = matches!(net, IpNet::V4(_));
    if v4 != (object_type == "ipv4-addr") {
        return Err(format!(
            "`{value}` is an IPv{} value in an {object_type} comparison",
            if v4 { 4 } else { 6 }
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "prefix `{value}` has host bits set (did you mean {}?)",
            net.trunc()
        ));
    }
    Ok(net)
}

/// A DNS name fit for a blocklist: ASCII letters, digits, `-` and `_` (service labels),
/// labels of 1–63 characters not starting or ending with `-`, at most 253 characters. Upper
/// case is folded; one final dot is dropped. Non-ASCII names must arrive as IDNA (`xn--`).
pub fn dns_name(value: &str) -> Result<String, String> {
    let name = value
        .strip_suffix('.')
        .unwrap_or(value)
        .to_ascii_lowercase();
    if name.is_empty() {
        return Err("empty DNS name".into());
    }
    if name.len() > MAX_DNS_NAME {
        return Err(format!(
            "DNS name of {} characters (at most {MAX_DNS_NAME})",
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "`{value}` has a label of {} characters (1 to 63)",
                label.len()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "`{value}`: label `{label}` starts or ends with `-`"
            ));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!("`{value}`: `{bad}` is not allowed in a DNS name"));
        }
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err(format!("`{value}` is an address, not a DNS name"));
    }
    Ok(name)
}

fn parse_url(value: &str) -> Result<Observable, String> {
    // The URL parser would silently drop tabs and line breaks; a list value keeps none.
    if value.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "URL {value:?} contains spaces or control characters"
        ));
    }
    let parsed = url::Url::parse(value).map_err(|e| format!("URL `{value}`: {e}"))?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => UrlHost::Domain(dns_name(d)?),
        Some(url::Host::Ipv4(a)) => UrlHost::Ip(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => UrlHost::Ip(IpAddr::V6(a)),
        None => return Err(format!("URL `{value}` has no host")),
    };
    Ok(Observable::Url {
        url: value.to_string(),
        host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_prefixes_names_and_urls() {
        assert_eq!(
            parse("ipv4-addr", "198.51.100.7").map(|o| o.text()),
            Ok("198.51.100.7".into())
        );
        assert_eq!(
            parse("ipv6-addr", "2001:db8::/32").map(|o| o.text()),
            Ok("2001:db8::/32".into())
        );
        assert_eq!(
            parse("domain-name", "Bad.Example.").map(|o| o.text()),
            Ok("bad.example".into())
        );
        assert_eq!(
            parse("url", "http://EVIL.example:8080/x").map(|o| match o {
                Observable::Url { host, .. } => host,
                _ => UrlHost::Domain(String::new()),
            }),
            Ok(UrlHost::Domain("evil.example".into()))
        );
    }

    #[test]
    fn bad_values_say_why() {
        for (t, v, why) in [
            ("ipv4-addr", "2001:db8::1", "IPv6 value in an ipv4-addr"),
            ("ipv6-addr", "198.51.100.1", "IPv4 value in an ipv6-addr"),
            ("ipv4-addr", "198.51.100.7/24", "host bits"),
            ("ipv4-addr", "198.51.100.300", "not an IP"),
            ("domain-name", "-x.example", "starts or ends"),
            ("domain-name", "a..example", "label of 0"),
            ("domain-name", "a b.example", "not allowed"),
            ("domain-name", "198.51.100.7", "an address"),
            ("url", "not a url", "URL"),
            ("file", "x", "cannot be list entries"),
        ] {
            let e = parse(t, v).expect_err(v);
            assert!(e.contains(why), "{t} {v}: {e}");
        }
    }
}
