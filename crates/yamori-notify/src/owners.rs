//! The owners file: who is responsible for which addresses.
//!
//! Tab-separated, one prefix per line: `prefix<TAB>organisation<TAB>contact<TAB>language`.
//! `prefix` is a CIDR or a bare address; `language` is `ja`, `en`, `ja,en` / `both`, or empty
//! (both). Lines starting with `#` and blank lines are ignored. An address belongs to the
//! owner of the longest prefix that contains it (as in routing: a customer's /28 inside its
//! ISP's /16 gets its own notice).
//!
//! A malformed line fails the whole file: a notice sent to the wrong owner is worse than none.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Lang;

/// Longest organisation or contact kept; an owners file is written by the operator, so a
/// longer value is a mistake (e.g. a missing tab), reported with its line.
pub const MAX_OWNER_FIELD: usize = 256;

/// One owner line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub prefix: IpNet,
    pub organisation: String,
    pub contact: String,
    /// Languages the owner reads, in the order given.
    pub languages: Vec<Lang>,
    /// 1-based line in the file, to name the owner in messages.
    pub line: usize,
}

/// A malformed owners line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("owners file line {line}: {reason}")]
pub struct OwnersError {
    pub line: usize,
    pub reason: String,
}

/// All owners, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    pub entries: Vec<Owner>,
}

impl Owners {
    pub fn parse(text: &str) -> Result<Owners, OwnersError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let err = |reason: String| OwnersError { line, reason };
            let cols: Vec<&str> = raw.trim_end_matches('\r').split('\t').collect();
            if cols.len() < 3 || cols.len() > 4 {
                return Err(err(format!(
                    "expected 3 or 4 tab-separated columns (prefix, organisation, contact, language), found {}",
                    cols.len()
                )));
            }
            let p = cols[0].trim();
            let prefix = p
                .parse::<IpNet>()
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| err(format!("{p:?} is not a CIDR prefix or address")))?
                .trunc();
            let organisation = cols[1].trim().to_string();
            let contact = cols[2].trim().to_string();
            if organisation.is_empty() {
                return Err(err("empty organisation".into()));
            }
            if organisation.len() > MAX_OWNER_FIELD || contact.len() > MAX_OWNER_FIELD {
                return Err(err(format!(
                    "organisation or contact over {MAX_OWNER_FIELD} bytes"
                )));
            }
            let languages = parse_languages(cols.get(3).copied().unwrap_or(""))
                .ok_or_else(|| err(format!("language {:?}: use ja, en, both or ja,en", cols[3])))?;
            if entries.iter().any(|o: &Owner| o.prefix == prefix) {
                return Err(err(format!("prefix {prefix} is listed twice")));
            }
            entries.push(Owner {
                prefix,
                organisation,
                contact,
                languages,
                line,
            });
        }
        Ok(Owners { entries })
    }

    /// The owner of the longest prefix containing `addr`.
    pub fn owner_of(&self, addr: IpAddr) -> Option<&Owner> {
        self.entries
            .iter()
            .filter(|o| o.prefix.contains(&addr))
            .max_by_key(|o| o.prefix.prefix_len())
    }
}

fn parse_languages(s: &str) -> Option<Vec<Lang>> {
    let s = s.trim().to_ascii_lowercase();
    if s.is_empty() || s == "both" {
        return Some(vec![Lang::Ja, Lang::En]);
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        let l = match part.trim() {
            "ja" | "jp" | "japanese" => Lang::Ja,
            "en" | "english" => Lang::En,
            _ => return None,
        };
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Some(out)
}
