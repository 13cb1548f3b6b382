//! From what the survey learned about a service to the CPE names the matcher compares.
//!
//! How a device maps to firmware *and* hardware (NVD writes IoT CVEs as "firmware
//! `o:vendor:product_firmware` running on hardware `h:vendor:product`", ANDed):
//! - the fingerprint's CPE (`DeviceId::cpe`, 2.3 or 2.2 URI binding) or, without one, its
//!   vendor and product (lower-cased, spaces as `_`) name the device;
//! - the version a banner shows is the *firmware* version: it goes on the `o:` name and, for
//!   `a:` names, on the application; the hardware name gets version ANY (hardware revisions
//!   are rarely visible), so criteria naming a specific hardware version come out *unknown*;
//! - a hardware name `h:V:P` yields firmware `o:V:P_firmware:<version>`; a firmware name
//!   `o:V:P_firmware` yields hardware `h:V:P`; other `o:` names (e.g. `o:mikrotik:routeros`)
//!   are kept as they are, with `h:V:P` as hardware;
//! - server software named in the reply (`ssh_version`, HTTP `server`) adds an `a:` name from
//!   [`SOFTWARE`] with the version it shows.
//!
//! Every name carries its origin, so a match can say where its identity came from.

use std::fmt;

use super::cpe::{Component, Cpe, Part};
use yamori_model::survey::Service;

/// Longest vendor/product/version taken from a banner into an identity; longer values are
/// not names but noise (or an attack), and are dropped.
pub const MAX_IDENTITY_FIELD: usize = 128;

/// One CPE name of a device and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCpe {
    pub cpe: Cpe,
    /// `fingerprint`, `derived`, `ssh banner`, `http server`.
    pub origin: &'static str,
    /// The package name OSV ecosystems use for this software, if known.
    pub package: Option<&'static str>,
}

impl fmt::Display for IdentityCpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.cpe, self.origin)
    }
}

/// Everything a service is known to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub cpes: Vec<IdentityCpe>,
}

/// Software recognisable from a banner token: (token prefix, lower-case; CPE vendor; CPE
/// product; OSV package name). The version is what follows the token (`dropbear_2019.78`,
/// `lighttpd/1.4.35`). Vendor/product as NVD's CPE dictionary names them.
pub const SOFTWARE: &[(&str, &str, &str, &str)] = &[
    ("openssh_", "openbsd", "openssh", "openssh"),
    (
        "dropbear_",
        "dropbear_ssh_project",
        "dropbear_ssh",
        "dropbear",
    ),
    ("lighttpd/", "lighttpd", "lighttpd", "lighttpd"),
    ("boa/", "boa", "boa", "boa"),
    ("mini_httpd/", "acme", "mini_httpd", "mini_httpd"),
    ("goahead-webs/", "embedthis", "goahead", "goahead"),
];

fn clean(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.len() <= MAX_IDENTITY_FIELD).then(|| s.to_lowercase().replace(' ', "_"))
}

impl Identity {
    /// A device identity from one CPE string plus a version captured separately.
    pub fn from_cpe(cpe: &str, version: Option<&str>) -> Option<Identity> {
        let mut base = Cpe::parse_any(cpe).ok()?;
        if let (Component::Any | Component::Na, Some(v)) = (&base.version, version.and_then(clean))
        {
            base.version = Component::literal(&v);
        }
        let mut id = Identity::default();
        id.add_device(base);
        Some(id)
    }

    /// The identity of one service (see the module docs for the rules).
    pub fn of_service(s: &Service) -> Identity {
        let mut id = Identity::default();
        if let Some(d) = &s.device {
            let version = d.version.as_deref().and_then(clean);
            let from_cpe = d.cpe.as_deref().and_then(|c| Cpe::parse_any(c).ok());
            let base = match (from_cpe, clean(&d.vendor), clean(&d.product)) {
                (Some(mut c), _, _) => {
                    if let (Component::Any | Component::Na, Some(v)) = (&c.version, &version) {
                        c.version = Component::literal(v);
                    }
                    Some(c)
                }
                (None, Some(vendor), Some(product)) => Some(Cpe::identity(
                    Part::Hardware,
                    &vendor,
                    &product,
                    version
                        .as_deref()
                        .map_or(Component::Any, Component::literal),
                )),
                _ => None,
            };
            if let Some(b) = base {
                id.add_device(b);
            }
        }
        for key in ["ssh_version", "server", "ssdp_server"] {
            if let Some(v) = s.fields.get(key) {
                id.add_software(
                    v,
                    if key == "ssh_version" {
                        "ssh banner"
                    } else {
                        "http server"
                    },
                );
            }
        }
        id
    }

    fn push(&mut self, cpe: Cpe, origin: &'static str) {
        self.push_package(cpe, origin, None);
    }

    fn push_package(&mut self, cpe: Cpe, origin: &'static str, package: Option<&'static str>) {
        if !self.cpes.iter().any(|c| c.cpe == cpe) {
            self.cpes.push(IdentityCpe {
                cpe,
                origin,
                package,
            });
        }
    }

    fn add_device(&mut self, base: Cpe) {
        let (Some(vendor), Some(product)) = (base.vendor.as_literal(), base.product.as_literal())
        else {
            return;
        };
        match base.part {
            Part::Hardware => {
                let fw = format!("{product}_firmware");
                let version = base.version.clone();
                self.push(
                    Cpe::identity(Part::Hardware, &vendor, &product, Component::Any),
                    "fingerprint",
                );
                self.push(
                    Cpe::identity(Part::OperatingSystem, &vendor, &fw, version),
                    "derived",
                );
            }
            Part::OperatingSystem => {
                let hw = product
                    .strip_suffix("_firmware")
                    .unwrap_or(&product)
                    .to_string();
                self.push(base, "fingerprint");
                self.push(
                    Cpe::identity(Part::Hardware, &vendor, &hw, Component::Any),
                    "derived",
                );
            }
            Part::Application | Part::Any => self.push(base, "fingerprint"),
        }
    }

    /// Add an `a:` name if `banner` contains a token from [`SOFTWARE`].
    pub fn add_software(&mut self, banner: &str, origin: &'static str) {
        if banner.len() > 4 * MAX_IDENTITY_FIELD {
            return;
        }
        let lower = banner.to_ascii_lowercase();
        for (token, vendor, product, package) in SOFTWARE {
            let Some(at) = lower.find(token) else {
                continue;
            };
            let rest = &banner[at + token.len()..];
            let version: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                .collect();
            let version = clean(&version).map_or(Component::Any, |v| Component::literal(&v));
            let cpe = Cpe::identity(Part::Application, vendor, product, version);
            self.push_package(cpe, origin, Some(package));
        }
    }

    /// (vendor, product) pairs to look up, as the store indexes them.
    pub fn lookup_keys(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self
            .cpes
            .iter()
            .map(|c| (c.cpe.vendor.to_string(), c.cpe.product.to_string()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Software with an OSV package name: (identity, package, version), for OSV lookups.
    pub fn packages(&self) -> Vec<(&IdentityCpe, &'static str, Option<String>)> {
        self.cpes
            .iter()
            .filter_map(|c| Some((c, c.package?, c.cpe.version.as_literal())))
            .collect()
    }
}
