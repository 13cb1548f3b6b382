//! The survey result: what `yamori survey --out survey.json` writes and what the
//! vulnerability matcher, `yamori notify`, `yamori publish` and the store read.
//!
//! Schema id: [`SCHEMA_ID`] (`yamori.survey.result/1`). Compatibility rule: fields are only ever
//! *added* under this id (with `#[serde(default)]` so older files still load); renaming or
//! removing a field needs a new id.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Versioned schema id written into every result file.
pub const SCHEMA_ID: &str = "yamori.survey.result/1";

/// Longest banner kept in a [`Service`] (bytes of the raw reply before lossy UTF-8 decoding).
/// Enough for a telnet login screen or an HTTP header block; bounds the JSON size per service.
pub const MAX_BANNER_BYTES: usize = 4 * 1024;

/// One survey run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyResult {
    /// Always [`SCHEMA_ID`] for this version of the model.
    pub schema: String,
    /// The resolved scope, as the CIDR strings that were scanned (after merging).
    pub scope: Vec<String>,
    /// When the first probe was sent (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// When the last probe finished (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub finished: OffsetDateTime,
    /// Number of addresses in scope (after exclusions) that were probed.
    pub targets: u64,
    /// Hosts with at least one open service, sorted by address.
    pub hosts: Vec<Host>,
}

impl SurveyResult {
    /// An empty result for `scope`, started and finished at `now`.
    pub fn new(scope: Vec<String>, now: OffsetDateTime) -> Self {
        SurveyResult {
            schema: SCHEMA_ID.to_string(),
            scope,
            started: now,
            finished: now,
            targets: 0,
            hosts: Vec::new(),
        }
    }
}

/// One responsive address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    pub address: IpAddr,
    /// Services found on this host, sorted by (transport, port).
    pub services: Vec<Service>,
}

/// Transport protocol of a probed port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

/// Application protocol identified (or assumed from the port) on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Telnet,
    Ssh,
    Http,
    Https,
    Ftp,
    Rtsp,
    Mqtt,
    Coap,
    Ssdp,
    Modbus,
    Tr069,
    Unknown,
}

/// One open port on a host and what was learned from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub port: u16,
    pub transport: Transport,
    pub protocol: Protocol,
    /// First bytes the service sent (at most [`MAX_BANNER_BYTES`]), decoded as lossy UTF-8
    /// (invalid bytes become U+FFFD; telnet IAC sequences removed).
    #[serde(default)]
    pub banner: String,
    /// Parsed, protocol-specific fields. Keys written by the probes:
    /// - HTTP/HTTPS/TR-069: `status`, `server`, `powered_by`, `title`, `auth_scheme` (`basic` /
    ///   `digest`), `realm`, `cert_subject`, `cert_issuer` (HTTPS);
    /// - telnet: `login_prompt` (`true`/`false`), `login_prompt_seconds` (time to the first
    ///   prompt), `telnet_negotiations`, `telnet_malformed`;
    /// - SSH `ssh_version`, `ssh_software`, the server's offer `ssh_kex`, `ssh_host_keys`,
    ///   `ssh_ciphers`, `ssh_macs` (comma-separated), `ssh_auth_methods`, `ssh_login_method`;
    /// - FTP `ftp_code`, `ftp_text`, `ftp_anonymous` (`true`/`false`: anonymous login allowed;
    ///   absent when the survey was told not to ask, `--no-anonymous`);
    /// - RTSP `status`, `rtsp_server`, `rtsp_public`;
    /// - MQTT: `mqtt_connack` (`0 (accepted)`), `mqtt_anonymous` (`true`/`false`);
    /// - CoAP `coap_code`, `coap_links`; SSDP `ssdp_server`, `ssdp_location`, `ssdp_st`,
    ///   `ssdp_usn`; Modbus `modbus_vendor`, `modbus_product`, `modbus_version`,
    ///   `modbus_exception`;
    /// - credential checks (telnet, SSH, FTP, HTTP, MQTT): `login_attempts` (count),
    ///   `login_stopped` (why they stopped early), `login_note` (why none ran); telnet, SSH and
    ///   FTP also `login_connections`, `login_seconds` (time the checks took) and
    ///   `login_control` (`refused`: a random password was refused after the success);
    ///   telnet `login_refusal_seconds` (slowest refusal seen: a later run can set
    ///   `--login-wait` from it);
    /// - `error`: why probing of an open port stopped early (timeout, malformed reply, …).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Device identified by a fingerprint rule, if any matched.
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// The first credential that logged in, if weak-credential checks ran and one worked.
    #[serde(default)]
    pub weak_credential: Option<WeakCredential>,
    /// One record per connection/attempt made to this service (NOTICE-style evidence).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Known vulnerabilities matched to this service by `vuln::annotate` (KEV first, then by
    /// CVSS); empty until annotated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<crate::vuln::VulnMatch>,
}

impl Service {
    /// A service with nothing learned yet.
    pub fn new(port: u16, transport: Transport, protocol: Protocol) -> Self {
        Service {
            port,
            transport,
            protocol,
            banner: String::new(),
            fields: BTreeMap::new(),
            device: None,
            weak_credential: None,
            evidence: Vec::new(),
            vulnerabilities: Vec::new(),
        }
    }
}

/// A device identified by a fingerprint rule (`data/fingerprints.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceId {
    pub vendor: String,
    pub product: String,
    /// Version captured from the banner, if the rule has a version capture and it matched.
    #[serde(default)]
    pub version: Option<String>,
    /// Coarse kind: `camera`, `router`, `dvr`, `nas`, `printer`, `mqtt-broker`, …
    pub device_type: String,
    /// CPE 2.3 formatted string (`cpe:2.3:h:vendor:product:version:*:*:*:*:*:*:*`), with the
    /// captured version filled in (or `*` when unknown).
    #[serde(default)]
    pub cpe: Option<String>,
    /// Id of the rule that matched.
    pub rule_id: String,
}

/// Where a tried credential came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialSource {
    /// The default pairs from the public Mirai source (`data/credentials.txt`).
    #[serde(rename = "mirai-list")]
    MiraiList,
    /// Vendor default pairs shipped in `data/credentials.txt`.
    #[serde(rename = "vendor")]
    Vendor,
    /// A pair from the user's `--creds` file.
    #[serde(rename = "user")]
    User,
}

/// A credential that worked, stored masked: the survey records *that* a weak password is in
/// use, not the password itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeakCredential {
    pub username: String,
    /// First two characters followed by one `*` per remaining character (see [`mask_password`]).
    pub password_masked: String,
    pub source: CredentialSource,
}

/// Masks a password: the first two characters kept, every further character replaced by `*`
/// (`"admin"` → `"ad***"`; `""` → `""`; `"a"` → `"a"`).
pub fn mask_password(password: &str) -> String {
    password
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 2 { c } else { '*' })
        .collect()
}

/// One evidence record: what the survey did, to which address, when. Kept so a notice can
/// answer "what did you send to my device and when".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Local address of the scanner socket (`ip:port`), or the scanner IP when unknown.
    pub source: String,
    /// Remote `ip:port`.
    pub destination: String,
    /// What was done: `connect`, `probe http`, `login telnet user=root`, …
    pub action: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_two_chars() {
        assert_eq!(mask_password("admin"), "ad***");
        assert_eq!(mask_password("xc3511"), "xc****");
        assert_eq!(mask_password("a"), "a");
        assert_eq!(mask_password(""), "");
        assert_eq!(mask_password("日本語です"), "日本***");
    }

    #[test]
    fn json_round_trip_with_lowercase_enums() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp");
        let mut r = SurveyResult::new(vec!["198.51.100.0/24".into()], t);
        let mut s = Service::new(23, Transport::Tcp, Protocol::Telnet);
        s.weak_credential = Some(WeakCredential {
            username: "root".into(),
            password_masked: mask_password("xc3511"),
            source: CredentialSource::MiraiList,
        });
        r.hosts.push(Host {
            address: "198.51.100.10".parse().expect("literal address"),
            services: vec![s],
        });
        let json = serde_json::to_string(&r).expect("serialise");
        assert!(json.contains("\"schema\":\"yamori.survey.result/1\""));
        assert!(json.contains("\"transport\":\"tcp\""));
        assert!(json.contains("\"protocol\":\"telnet\""));
        assert!(json.contains("\"source\":\"mirai-list\""));
        assert!(json.contains("\"started\":\"2023-11-14T22:13:20Z\""));
        let back: SurveyResult = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, r);
    }
}
