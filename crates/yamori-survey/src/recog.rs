//! Import of rapid7/recog fingerprint XML (BSD-2-Clause data) as Yamori rules.
//!
//! Format (recog's `xml/*.xml`): `<fingerprints matches="http_header.server">` holding
//! `<fingerprint pattern="…" flags="REG_ICASE">` with `<description>`, `<example …>` banners and
//! `<param pos="N" name="service.vendor" value="…"/>` (pos 0 = fixed value, pos N = capture
//! group N). recog's `*.cpe23` params hold CPE 2.2 URIs (`cpe:/a:vendor:product:{service.version}`);
//! they are converted to CPE 2.3. Patterns are Ruby regexes: those the `regex` crate cannot
//! compile (look-around, backreferences) are skipped and listed, not fatal.

use crate::fingerprint::RuleSpec;

/// What an import produced.
#[derive(Debug, Default)]
pub struct RecogImport {
    pub rules: Vec<RuleSpec>,
    /// (pattern, reason) of fingerprints that could not be used.
    pub skipped: Vec<(String, String)>,
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecogError {
    #[error("recog XML: {0}")]
    Xml(#[from] roxmltree::Error),
    #[error("recog XML: root element is <{0}>, expected <fingerprints>")]
    NotFingerprints(String),
    #[error("recog XML: matches=\"{0}\" has no Yamori service field")]
    UnsupportedMatch(String),
}

/// recog `matches` value → the service field Yamori fills with the same text.
fn field_for(matches: &str) -> Option<&'static str> {
    Some(match matches {
        "http_header.server" => "server",
        "html_title" => "title",
        "ssh.banner" => "ssh_software",
        "ftp.banner" => "ftp_text",
        "telnet.banner" => "banner",
        "rtsp_header.server" => "rtsp_server",
        "upnp_banners" | "ssdp_header.server" => "ssdp_server",
        _ => return None,
    })
}

/// `cpe:/a:vendor:product:{service.version}` → `cpe:2.3:a:vendor:product:{version}:*:…`.
fn cpe23(uri: &str, version_param: Option<&str>) -> Option<String> {
    let rest = uri.strip_prefix("cpe:/")?;
    let mut parts: Vec<String> = rest.split(':').map(str::to_string).collect();
    if parts.len() < 3 {
        return None;
    }
    parts.resize(11, "*".to_string());
    let joined = format!("cpe:2.3:{}", parts.join(":"));
    let joined = match version_param {
        Some(v) => joined.replace(&format!("{{{v}}}"), "{version}"),
        None => joined,
    };
    // Any other placeholder has no value in Yamori: make it a wildcard.
    Some(
        joined
            .split(':')
            .map(|c| {
                if c.starts_with('{') && c != "{version}" {
                    "*"
                } else {
                    c
                }
            })
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// Converts one recog XML document. `source` names the file in rule ids.
pub fn import(xml: &str, source: &str) -> Result<RecogImport, RecogError> {
    let doc = roxmltree::Document::parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "fingerprints" {
        return Err(RecogError::NotFingerprints(
            root.tag_name().name().to_string(),
        ));
    }
    let matches = root.attribute("matches").unwrap_or("");
    let field =
        field_for(matches).ok_or_else(|| RecogError::UnsupportedMatch(matches.to_string()))?;
    let mut out = RecogImport::default();
    for (n, fp) in root
        .children()
        .filter(|c| c.has_tag_name("fingerprint"))
        .enumerate()
    {
        let pattern = fp.attribute("pattern").unwrap_or("").to_string();
        let icase = fp
            .attribute("flags")
            .is_some_and(|f| f.contains("REG_ICASE"));
        let full = if icase {
            format!("(?i){pattern}")
        } else {
            pattern.clone()
        };
        if let Err(e) = regex::Regex::new(&full) {
            out.skipped.push((
                pattern,
                format!("pattern not supported by the regex crate: {e}"),
            ));
            continue;
        }
        let (mut vendor, mut product, mut device, mut cpe) = (None, None, None, None);
        let (mut version_group, mut version_param, mut product_group) = (None, None, None);
        for p in fp.children().filter(|c| c.has_tag_name("param")) {
            let name = p.attribute("name").unwrap_or("");
            let pos: usize = p.attribute("pos").and_then(|v| v.parse().ok()).unwrap_or(0);
            let value = p.attribute("value").map(str::to_string);
            let kind = name.rsplit('.').next().unwrap_or("");
            match (kind, pos) {
                ("vendor", 0) if vendor.is_none() => vendor = value,
                ("product", 0) if product.is_none() => product = value,
                ("product", g) if g > 0 && product_group.is_none() => product_group = Some(g),
                ("version", g) if g > 0 && version_group.is_none() => {
                    version_group = Some(g);
                    version_param = Some(name.to_string());
                }
                ("device", 0) if device.is_none() => device = value,
                ("cpe23", 0) if cpe.is_none() => cpe = value,
                _ => {}
            }
        }
        let (Some(vendor), Some(example)) =
            (vendor, fp.children().find(|c| c.has_tag_name("example")))
        else {
            out.skipped
                .push((pattern, "no vendor param or no example".into()));
            continue;
        };
        let expect_version = version_param
            .as_deref()
            .and_then(|v| example.attribute(v))
            .map(str::to_string);
        let description = fp
            .children()
            .find(|c| c.has_tag_name("description"))
            .and_then(|d| d.text())
            .unwrap_or("")
            .trim()
            .to_string();
        out.rules.push(RuleSpec {
            id: format!("recog-{source}-{n}"),
            field: field.to_string(),
            pattern: full,
            product: product.unwrap_or(description),
            vendor,
            device_type: device
                .map(|d| d.to_lowercase())
                .unwrap_or_else(|| "unknown".into()),
            cpe: cpe.and_then(|c| cpe23(&c, version_param.as_deref())),
            example: example.text().unwrap_or("").to_string(),
            expect_version,
            expect_product: None,
            version_group,
            product_group,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Rules;

    // Written for this test in recog's format (not copied from recog's files).
    const XML: &str = r#"<?xml version="1.0"?>
<fingerprints matches="http_header.server" protocol="http">
  <fingerprint pattern="^CamServ/(\d+\.\d+)$" flags="REG_ICASE">
    <description>Example camera web server</description>
    <example service.version="2.4">camserv/2.4</example>
    <param pos="0" name="service.vendor" value="ExampleCam"/>
    <param pos="0" name="service.product" value="CamServ"/>
    <param pos="1" name="service.version"/>
    <param pos="0" name="hw.device" value="IP Camera"/>
    <param pos="0" name="service.cpe23" value="cpe:/a:examplecam:camserv:{service.version}"/>
  </fingerprint>
  <fingerprint pattern="^(?!Apache)Lookahead$">
    <example>Lookahead</example>
    <param pos="0" name="service.vendor" value="X"/>
  </fingerprint>
  <fingerprint pattern="^NoVendor$">
    <example>NoVendor</example>
  </fingerprint>
</fingerprints>"#;

    #[test]
    fn imports_compilable_fingerprints_and_lists_the_rest() {
        let imp = import(XML, "test").expect("valid document");
        assert_eq!(imp.rules.len(), 1);
        assert_eq!(imp.skipped.len(), 2);
        assert!(
            imp.skipped[0].1.contains("regex crate"),
            "{:?}",
            imp.skipped
        );
        let r = &imp.rules[0];
        assert_eq!(r.field, "server");
        assert_eq!(
            r.cpe.as_deref(),
            Some("cpe:2.3:a:examplecam:camserv:{version}:*:*:*:*:*:*:*")
        );
        assert_eq!(r.expect_version.as_deref(), Some("2.4"));
        let rules = Rules::from_specs(imp.rules).expect("compiles");
        let d = rules.rules[0]
            .apply("CAMSERV/2.4")
            .expect("case-insensitive match");
        assert_eq!(d.version.as_deref(), Some("2.4"));
        assert_eq!(d.device_type, "ip camera");
        assert_eq!(
            d.cpe.as_deref(),
            Some("cpe:2.3:a:examplecam:camserv:2.4:*:*:*:*:*:*:*")
        );
    }

    #[test]
    fn bad_documents_are_errors() {
        assert!(matches!(
            import("<x/>", "t"),
            Err(RecogError::NotFingerprints(_))
        ));
        assert!(matches!(
            import("<fingerprints matches=\"snmp.sysdescr\"/>", "t"),
            Err(RecogError::UnsupportedMatch(_))
        ));
        assert!(matches!(
            import("<fingerprints", "t"),
            Err(RecogError::Xml(_))
        ));
    }
}
