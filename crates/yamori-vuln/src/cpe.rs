//! CPE 2.3 names: the formatted-string binding (`cpe:2.3:part:vendor:product:version:…`,
//! NISTIR 7695 §6.2) and, for device identities only, the older URI binding (`cpe:/h:v:p:ver`)
//! that recog's `cpe23` parameters still carry.
//!
//! Written by hand: the few CPE crates on crates.io are unmaintained or parse only the URI
//! binding, and the part we need (split on unescaped `:`, unescape `\x`, keep `*`/`?`
//! wildcards) is small.

use std::fmt;

/// Longest CPE string accepted. NVD's longest criteria are around 250 characters; 1 KiB leaves
/// room for escapes while keeping a hostile string (e.g. from a banner-derived identity) cheap.
pub const MAX_CPE_LEN: usize = 1024;

/// The part of a CPE name: application, operating system (firmware), hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Application,
    OperatingSystem,
    Hardware,
    /// `*` in the part position (criteria only).
    Any,
}

impl Part {
    pub fn letter(self) -> char {
        match self {
            Part::Application => 'a',
            Part::OperatingSystem => 'o',
            Part::Hardware => 'h',
            Part::Any => '*',
        }
    }
}

/// One piece of an attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    Lit(char),
    /// Unquoted `*` inside a value: any run of characters.
    Star,
    /// Unquoted `?` inside a value: any one character.
    Question,
}

/// An attribute value: ANY (`*`), NA (`-`), or a (lower-cased, unescaped) value that may hold
/// wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    Any,
    Na,
    Value(Vec<Piece>),
}

impl Component {
    /// A literal value (no wildcards), lower-cased.
    pub fn literal(s: &str) -> Self {
        Component::Value(
            s.chars()
                .flat_map(char::to_lowercase)
                .map(Piece::Lit)
                .collect(),
        )
    }

    /// The value as text if it holds no wildcard.
    pub fn as_literal(&self) -> Option<String> {
        match self {
            Component::Value(p) => p
                .iter()
                .map(|x| match x {
                    Piece::Lit(c) => Some(*c),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// Does this (criteria) value match the literal `target`? Case-insensitive; the caller
    /// handles ANY/NA on the target side.
    pub fn matches_literal(&self, target: &str) -> bool {
        match self {
            Component::Any => true,
            Component::Na => false,
            Component::Value(p) => {
                let t: Vec<char> = target.chars().flat_map(char::to_lowercase).collect();
                glob(p, &t)
            }
        }
    }
}

/// Iterative glob with single back-tracking point: linear in practice, and bounded by
/// [`MAX_CPE_LEN`] on both sides anyway.
fn glob(p: &[Piece], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Piece::Lit(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            Some(Piece::Question) => {
                pi += 1;
                ti += 1;
            }
            Some(Piece::Star) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|x| *x == Piece::Star)
}

/// A parsed CPE name. Attributes after `target_hw` are kept only as far as matching needs them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe {
    pub part: Part,
    pub vendor: Component,
    pub product: Component,
    pub version: Component,
    pub update: Component,
    pub edition: Component,
    pub language: Component,
    pub sw_edition: Component,
    pub target_sw: Component,
    pub target_hw: Component,
    pub other: Component,
}

/// Why a CPE string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CpeError {
    #[error("CPE string is {len} bytes, over the {MAX_CPE_LEN}-byte limit")]
    TooLong { len: usize },
    #[error("not a CPE 2.3 formatted string or CPE URI (must start with `cpe:2.3:` or `cpe:/`)")]
    BadPrefix,
    #[error("CPE 2.3 string has {found} attributes, expected 11")]
    ComponentCount { found: usize },
    #[error("unknown CPE part {0:?} (expected a, o, h or *)")]
    BadPart(String),
    #[error("backslash at the end of attribute {index}")]
    TrailingBackslash { index: usize },
    #[error("empty attribute {index}")]
    Empty { index: usize },
}

impl Cpe {
    /// Parse a CPE 2.3 formatted string.
    pub fn parse(s: &str) -> Result<Self, CpeError> {
        if s.len() > MAX_CPE_LEN {
            return Err(CpeError::TooLong { len: s.len() });
        }
        let rest = s.strip_prefix("cpe:2.3:").ok_or(CpeError::BadPrefix)?;
        let raw = split_unescaped(rest);
        if raw.len() != 11 {
            return Err(CpeError::ComponentCount { found: raw.len() });
        }
        let mut comps = Vec::with_capacity(11);
        for (i, r) in raw.iter().enumerate() {
            comps.push(parse_fs_component(r, i)?);
        }
        let part = match raw[0] {
            "a" | "A" => Part::Application,
            "o" | "O" => Part::OperatingSystem,
            "h" | "H" => Part::Hardware,
            "*" => Part::Any,
            other => return Err(CpeError::BadPart(other.to_string())),
        };
        let mut it = comps.into_iter().skip(1);
        let mut next = || it.next().unwrap_or(Component::Any);
        Ok(Cpe {
            part,
            vendor: next(),
            product: next(),
            version: next(),
            update: next(),
            edition: next(),
            language: next(),
            sw_edition: next(),
            target_sw: next(),
            target_hw: next(),
            other: next(),
        })
    }

    /// Parse either binding: the CPE 2.3 formatted string or the CPE 2.2 URI (`cpe:/h:v:p:ver`,
    /// percent-encoded, missing attributes = ANY). Used for device identities.
    pub fn parse_any(s: &str) -> Result<Self, CpeError> {
        if s.len() > MAX_CPE_LEN {
            return Err(CpeError::TooLong { len: s.len() });
        }
        let Some(rest) = s.strip_prefix("cpe:/") else {
            return Self::parse(s);
        };
        let mut attrs = rest.split(':').map(uri_component);
        let part = match attrs.next().and_then(|c| c.as_literal()).as_deref() {
            Some("a") => Part::Application,
            Some("o") => Part::OperatingSystem,
            Some("h") => Part::Hardware,
            other => return Err(CpeError::BadPart(other.unwrap_or_default().to_string())),
        };
        let mut next = || attrs.next().unwrap_or(Component::Any);
        Ok(Cpe {
            part,
            vendor: next(),
            product: next(),
            version: next(),
            update: next(),
            edition: next(),
            language: next(),
            sw_edition: Component::Any,
            target_sw: Component::Any,
            target_hw: Component::Any,
            other: Component::Any,
        })
    }

    /// A literal identity `part:vendor:product:version`, other attributes ANY.
    pub fn identity(part: Part, vendor: &str, product: &str, version: Component) -> Self {
        Cpe {
            part,
            vendor: Component::literal(vendor),
            product: Component::literal(product),
            version,
            update: Component::Any,
            edition: Component::Any,
            language: Component::Any,
            sw_edition: Component::Any,
            target_sw: Component::Any,
            target_hw: Component::Any,
            other: Component::Any,
        }
    }
}

/// Split on `:` not preceded by an escaping backslash.
fn split_unescaped(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ':' => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_fs_component(raw: &str, index: usize) -> Result<Component, CpeError> {
    match raw {
        "" => return Err(CpeError::Empty { index }),
        "*" => return Ok(Component::Any),
        "-" => return Ok(Component::Na),
        _ => {}
    }
    let mut pieces = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(q) => pieces.extend(q.to_lowercase().map(Piece::Lit)),
                None => return Err(CpeError::TrailingBackslash { index }),
            },
            '*' => pieces.push(Piece::Star),
            '?' => pieces.push(Piece::Question),
            c => pieces.extend(c.to_lowercase().map(Piece::Lit)),
        }
    }
    Ok(Component::Value(pieces))
}

fn uri_component(raw: &str) -> Component {
    match raw {
        "" | "*" => Component::Any,
        "-" => Component::Na,
        _ => Component::literal(&percent_decode(raw)),
    }
}

/// `%xx` decoding for the URI binding; a malformed escape is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |x: u8| (x as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for Component {
    /// Re-binds to the formatted string as NVD writes it: `*`, `-`, or the value with
    /// punctuation other than `_ . -` escaped (`ds-2cd2026g2-iu\/sl`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Any => f.write_str("*"),
            Component::Na => f.write_str("-"),
            Component::Value(p) => {
                for x in p {
                    match x {
                        Piece::Star => f.write_str("*")?,
                        Piece::Question => f.write_str("?")?,
                        Piece::Lit(c)
                            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') =>
                        {
                            write!(f, "{c}")?
                        }
                        Piece::Lit(c) if !c.is_ascii() => write!(f, "{c}")?,
                        Piece::Lit(c) => write!(f, "\\{c}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpe:2.3:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}",
            self.part.letter(),
            self.vendor,
            self.product,
            self.version,
            self.update,
            self.edition,
            self.language,
            self.sw_edition,
            self.target_sw,
            self.target_hw,
            self.other
        )
    }
}
