//! Named port sets (`--ports iot|common|all|<list>`) and the protocol assumed per port.

use crate::model::{Protocol, Transport};

/// TCP ports of the IoT set: Mirai and descendants' ports plus common IoT services.
pub const IOT_TCP: &[u16] = &[
    21, 22, 23, 80, 81, 443, 502, 554, 1883, 2323, 5555, 7547, 8080, 8443, 8883, 37215, 52869,
];
/// UDP ports of the IoT set: CoAP and SSDP.
pub const IOT_UDP: &[u16] = &[1900, 5683];
/// Extra TCP ports of the `common` set (web consoles, Winbox, UPnP, alternate SSH/telnet).
pub const COMMON_EXTRA_TCP: &[u16] = &[
    2222, 4567, 5000, 5001, 8000, 8001, 8081, 8088, 8291, 8888, 9000, 10000, 49152,
];

/// A port to probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortSpec {
    pub transport: Transport,
    pub port: u16,
    /// Protocol named in the list (`8081/http`), overriding the port's usual one.
    pub hint: Option<Protocol>,
    /// TLS named in the list (`8444/https`, `18883/mqtts`).
    pub tls: bool,
}

/// Parses `iot`, `common`, `all` or a list like `23,80,8000-8010,udp:5683`.
pub fn parse(spec: &str) -> Result<Vec<PortSpec>, String> {
    let tcp = |p: &u16| PortSpec::tcp(*p);
    let udp = |p: &u16| PortSpec::udp(*p);
    let mut out: Vec<PortSpec> = match spec.trim() {
        "iot" => IOT_TCP
            .iter()
            .map(tcp)
            .chain(IOT_UDP.iter().map(udp))
            .collect(),
        "common" => IOT_TCP
            .iter()
            .chain(COMMON_EXTRA_TCP)
            .map(tcp)
            .chain(IOT_UDP.iter().map(udp))
            .collect(),
        "all" => (1..=u16::MAX)
            .map(|p| tcp(&p))
            .chain(IOT_UDP.iter().map(udp))
            .collect(),
        list => parse_list(list)?,
    };
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err("no ports given".into());
    }
    Ok(out)
}

impl PortSpec {
    pub fn tcp(port: u16) -> Self {
        PortSpec {
            transport: Transport::Tcp,
            port,
            hint: None,
            tls: false,
        }
    }
    pub fn udp(port: u16) -> Self {
        PortSpec {
            transport: Transport::Udp,
            port,
            hint: None,
            tls: false,
        }
    }
}

/// `http`, `https`, `mqtts`, … → (protocol, tls).
fn protocol_name(name: &str) -> Option<(Protocol, bool)> {
    Some(match name {
        "telnet" => (Protocol::Telnet, false),
        "ssh" => (Protocol::Ssh, false),
        "http" => (Protocol::Http, false),
        "https" => (Protocol::Https, true),
        "ftp" => (Protocol::Ftp, false),
        "rtsp" => (Protocol::Rtsp, false),
        "mqtt" => (Protocol::Mqtt, false),
        "mqtts" => (Protocol::Mqtt, true),
        "coap" => (Protocol::Coap, false),
        "ssdp" => (Protocol::Ssdp, false),
        "modbus" => (Protocol::Modbus, false),
        "tr069" => (Protocol::Tr069, false),
        "unknown" => (Protocol::Unknown, false),
        _ => return None,
    })
}

fn parse_list(list: &str) -> Result<Vec<PortSpec>, String> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (transport, rest) =
            if let Some(r) = item.strip_prefix("udp:").or(item.strip_prefix("u:")) {
                (Transport::Udp, r)
            } else if let Some(r) = item.strip_prefix("tcp:").or(item.strip_prefix("t:")) {
                (Transport::Tcp, r)
            } else {
                (Transport::Tcp, item)
            };
        let (rest, hint) = match rest.split_once('/') {
            Some((r, name)) => {
                let h = protocol_name(name.trim())
                    .ok_or_else(|| format!("unknown protocol {name:?} in {item:?}"))?;
                (r, Some(h))
            }
            None => (rest, None),
        };
        let port = |s: &str| -> Result<u16, String> {
            match s.trim().parse::<u16>() {
                Ok(0) | Err(_) => Err(format!("bad port {s:?} in {item:?} (1-65535)")),
                Ok(p) => Ok(p),
            }
        };
        let (a, b) = match rest.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(rest)?, port(rest)?),
        };
        if a > b {
            return Err(format!("reversed port range {item:?}"));
        }
        out.extend((a..=b).map(|port| PortSpec {
            transport,
            port,
            hint: hint.map(|h| h.0),
            tls: hint.is_some_and(|h| h.1),
        }));
    }
    Ok(out)
}

/// The protocol to speak first on a port.
pub fn protocol_for(p: PortSpec) -> Protocol {
    if let Some(h) = p.hint {
        return h;
    }
    match (p.transport, p.port) {
        (Transport::Udp, 5683) => Protocol::Coap,
        (Transport::Udp, 1900) => Protocol::Ssdp,
        (Transport::Udp, _) => Protocol::Unknown,
        (_, 23 | 2323) => Protocol::Telnet,
        (_, 22 | 2222) => Protocol::Ssh,
        (_, 21) => Protocol::Ftp,
        (_, 80 | 81 | 8000 | 8001 | 8080 | 8081 | 8088 | 8888 | 37215 | 52869 | 49152) => {
            Protocol::Http
        }
        (_, 443 | 8443) => Protocol::Https,
        (_, 554) => Protocol::Rtsp,
        (_, 1883 | 8883) => Protocol::Mqtt,
        (_, 502) => Protocol::Modbus,
        (_, 7547) => Protocol::Tr069,
        _ => Protocol::Unknown,
    }
}

/// Ports where the protocol runs inside TLS.
pub fn uses_tls(p: PortSpec) -> bool {
    p.tls
        || (p.hint.is_none()
            && p.transport == Transport::Tcp
            && matches!(p.port, 443 | 8443 | 8883))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_sets() {
        let iot = parse("iot").expect("iot");
        assert_eq!(iot.len(), 19);
        assert!(iot.contains(&PortSpec::udp(5683)));
        assert!(iot.contains(&PortSpec::tcp(37215)));
        assert!(parse("common").expect("common").len() > iot.len());
        assert_eq!(parse("all").expect("all").len(), 65535 + 2);
    }

    #[test]
    fn lists_and_errors() {
        let l = parse("80, 23,udp:5683,8000-8002,80").expect("list");
        assert_eq!(l.len(), 6);
        assert_eq!(l[0].port, 23);
        assert!(parse("0").is_err());
        assert!(parse("70000").is_err());
        assert!(parse("90-80").is_err());
        assert!(parse("").is_err());
        assert_eq!(protocol_for(PortSpec::tcp(7547)), Protocol::Tr069);
        let h = parse("18080/http,udp:15683/coap,18443/https").expect("hints");
        assert_eq!(protocol_for(h[0]), Protocol::Http);
        assert!(!uses_tls(h[0]));
        assert!(uses_tls(h[1]));
        assert_eq!(protocol_for(h[2]), Protocol::Coap);
        assert!(parse("80/gopher").is_err());
    }
}
