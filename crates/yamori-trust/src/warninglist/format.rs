//! Reading one list in the MISP warninglists JSON format (github.com/MISP/misp-warninglists,
//! `schema.json` and `lists/*/list.json`):
//!
//! ```json
//! { "name": "…", "version": 2, "description": "…", "type": "cidr",
//!   "list": ["162.142.125.0/24", "2602:80d:1003::/112"],
//!   "matching_attributes": ["ip-src", "ip-dst"] }
//! ```
//!
//! `name`, `version`, `description`, `type` and `list` are required (as in the schema);
//! `matching_attributes` and `category` are optional. Other members are ignored, so a newer
//! list still loads. Entries are strings, or objects `{"value": …, "comment": …}`; as MISP's
//! `Warninglist::parseArray` does, a string entry's text after the first `#` is a comment.
//! Errors name the file and the JSON Pointer of the offending member or entry.

use ipnet::IpNet;
use serde_json::Value;

/// Most entries one list may hold. The largest public lists (top-site rankings) hold about a
/// million; the limit keeps a hostile file from exhausting memory.
pub const MAX_ENTRIES: usize = 2_000_000;
/// Longest entry accepted, in bytes (hostnames are at most 253; URLs and patterns are longer).
pub const MAX_ENTRY_LEN: usize = 4_096;
/// Compiled size limit of one regular-expression list (the `regex` crate's `size_limit`):
/// bounds the memory a hostile pattern can make the matcher build.
pub const MAX_REGEX_SIZE: usize = 8 << 20;

/// How a list's entries match (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// Addresses and prefixes.
    Cidr,
    /// Exact values.
    String,
    /// Values containing an entry.
    Substring,
    /// A name and its subdomains.
    Hostname,
    /// Regular expressions.
    Regex,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Cidr => "cidr",
            ListKind::String => "string",
            ListKind::Substring => "substring",
            ListKind::Hostname => "hostname",
            ListKind::Regex => "regex",
        }
    }

    fn parse(s: &str) -> Option<ListKind> {
        [
            ListKind::Cidr,
            ListKind::String,
            ListKind::Substring,
            ListKind::Hostname,
            ListKind::Regex,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One warninglist as read, its entries normalised for its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningList {
    pub name: String,
    pub version: u64,
    pub description: String,
    pub kind: ListKind,
    /// MISP attribute types the list is meant for (informative: Yamori applies a list to every
    /// observable of a fitting kind, see docs/TRUST.md).
    pub matching_attributes: Vec<String>,
    /// MISP's `category` (`false-positive`, `known`), when given.
    pub category: Option<String>,
    pub entries: Entries,
}

/// The entries of a list, in the form its kind matches on.
#[derive(Debug, Clone, PartialEq)]
pub enum Entries {
    /// `cidr`: networks with host bits cleared (a bare address is a /32 or /128).
    Networks(Vec<IpNet>),
    /// `string`, `substring`: as written. `hostname`: lower case, without leading or trailing
    /// dots. `regex`: the pattern (MISP's PHP delimiters and flags translated; see
    /// [`regex_pattern`]).
    Texts(Vec<String>),
}

impl Entries {
    pub fn len(&self) -> usize {
        match self {
            Entries::Networks(n) => n.len(),
            Entries::Texts(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A list that cannot be read: the file (or other origin) it came from, where in the document
/// (a JSON Pointer; empty for the document itself) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {}{message}", if pointer.is_empty() { String::new() } else { format!("at {pointer}: ") })]
pub struct ListError {
    pub origin: String,
    pub pointer: String,
    pub message: String,
}

impl WarningList {
    /// Reads a list from the bytes of its JSON file; `origin` (the file name) is named in
    /// errors.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<WarningList, ListError> {
        let fail = |pointer: &str, message: String| ListError {
            origin: origin.to_string(),
            pointer: pointer.to_string(),
            message,
        };
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| fail("", format!("not JSON: {e}")))?;
        let obj = doc
            .as_object()
            .ok_or_else(|| fail("", "a warninglist is a JSON object".into()))?;
        let text = |key: &str| -> Result<String, ListError> {
            match obj.get(key) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(fail(&format!("/{key}"), "must be a string".into())),
                None => Err(fail("", format!("member \"{key}\" is missing"))),
            }
        };
        let name = text("name")?;
        let description = text("description")?;
        let kind_text = text("type")?;
        let kind = ListKind::parse(&kind_text).ok_or_else(|| {
            fail(
                "/type",
                format!(
                    "unknown type {kind_text:?} (expected cidr, string, substring, hostname or regex)"
                ),
            )
        })?;
        let version = match obj.get("version") {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| fail("/version", "must be a non-negative integer".into()))?,
            None => return Err(fail("", "member \"version\" is missing".into())),
        };
        let category = match obj.get("category") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(fail("/category", "must be a string".into())),
        };
        let matching_attributes = match obj.get("matching_attributes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        fail(
                            &format!("/matching_attributes/{i}"),
                            "must be a string".into(),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(fail("/matching_attributes", "must be an array".into())),
        };
        let items = match obj.get("list") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(fail("/list", "must be an array".into())),
            None => return Err(fail("", "member \"list\" is missing".into())),
        };
        if items.len() > MAX_ENTRIES {
            return Err(fail(
                "/list",
                format!(
                    "{} entries, more than the limit of {MAX_ENTRIES}",
                    items.len()
                ),
            ));
        }
        let mut networks = Vec::new();
        let mut texts = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/list/{i}");
            let Some(value) = entry_value(item, kind).map_err(|m| fail(&pointer, m))? else {
                continue;
            };
            if value.len() > MAX_ENTRY_LEN {
                return Err(fail(
                    &pointer,
                    format!(
                        "{} bytes, longer than the limit of {MAX_ENTRY_LEN}",
                        value.len()
                    ),
                ));
            }
            match kind {
                ListKind::Cidr => networks.push(parse_network(value).ok_or_else(|| {
                    fail(
                        &pointer,
                        format!("{value:?} is not an address or CIDR prefix"),
                    )
                })?),
                ListKind::Hostname => {
                    let host = value.trim_matches('.').to_ascii_lowercase();
                    if !host.is_empty() {
                        texts.push(host);
                    }
                }
                ListKind::Regex => texts.push(regex_pattern(value).map_err(|m| fail(&pointer, m))?),
                ListKind::String | ListKind::Substring => texts.push(value.to_string()),
            }
        }
        let entries = match kind {
            ListKind::Cidr => Entries::Networks(networks),
            _ => Entries::Texts(texts),
        };
        Ok(WarningList {
            name,
            version,
            description,
            kind,
            matching_attributes,
            category,
            entries,
        })
    }
}

/// The value of one entry: a string (text after `#` dropped, trimmed) or `{"value": …}`.
/// `None` for an entry that is empty once its comment is gone (MISP keeps those; an empty
/// substring would match every value, so they are skipped).
fn entry_value(item: &Value, kind: ListKind) -> Result<Option<&str>, String> {
    let raw = match item {
        Value::String(s) => {
            // MISP strips comments from string entries; a `#` inside a regular expression is
            // part of the pattern more often than a comment, so patterns are kept whole.
            if kind == ListKind::Regex {
                s.as_str()
            } else {
                s.split('#').next().unwrap_or_default()
            }
        }
        Value::Object(o) => match o.get("value") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err("an entry object needs a string \"value\"".into()),
        },
        _ => return Err("an entry is a string or an object with a \"value\"".into()),
    };
    let value = raw.trim();
    Ok((!value.is_empty()).then_some(value))
}

/// `a.b.c.d`, `a.b.c.d/n`, IPv6 likewise; host bits are cleared (`10.0.0.1/24` → `10.0.0.0/24`).
pub fn parse_network(text: &str) -> Option<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<std::net::IpAddr>().ok().map(IpNet::from)
}

/// MISP stores regex entries for PHP's `preg_match`, delimited (`/…/i`). This strips a
/// delimiter pair and turns the flags `i`, `m`, `s`, `x` into an inline group (`u` and `g`
/// change nothing here); a pattern
/// without delimiters is used as it is.
pub fn regex_pattern(entry: &str) -> Result<String, String> {
    let mut chars = entry.chars();
    let Some(open) = chars.next() else {
        return Err("empty pattern".into());
    };
    let delimited = !open.is_alphanumeric() && open != '\\' && !open.is_whitespace();
    let close = match open {
        '(' => ')',
        '{' => '}',
        '[' => ']',
        '<' => '>',
        c => c,
    };
    let end = if delimited { entry.rfind(close) } else { None };
    let (body, flags) = match end {
        Some(end) if end > 0 => (
            &entry[open.len_utf8()..end],
            &entry[end + close.len_utf8()..],
        ),
        _ => return Ok(entry.to_string()),
    };
    let mut inline = String::new();
    for flag in flags.chars() {
        match flag {
            'i' | 'm' | 's' | 'x' => inline.push(flag),
            // PHP's `u` (UTF-8) is what the regex crate always does; `g` (JavaScript's
            // "global", found in the public phone-number list) changes nothing for a yes/no
            // match.
            'u' | 'g' => {}
            other => return Err(format!("unsupported regular-expression flag {other:?}")),
        }
    }
    Ok(if inline.is_empty() {
        body.to_string()
    } else {
        format!("(?{inline}){body}")
    })
}
