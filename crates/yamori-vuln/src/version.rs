//! Version comparison token by token, as Grype's fuzzy matcher and cve-bin-tool do: a version
//! is split into runs of digits and runs of letters; digits compare as numbers, letters as
//! words. When two versions cannot be ordered (a number meets a word at the first difference,
//! or one side is not a version at all) the answer is `None`, never a guess.
//!
//! Written by hand: the `semver` crate rejects most firmware versions ("V5.4.5 build 170123"),
//! and the lenient crates (e.g. `version-compare`) order a number against a word instead of
//! saying they cannot.

use std::cmp::Ordering;

/// Longest version string compared. Firmware versions run to ~40 characters
/// ("V100R001C01B020SP08"); longer input comes from a banner, not a vendor, and is refused.
pub const MAX_VERSION_LEN: usize = 128;

/// Words that mark a pre-release, in their usual order; they sort *before* the release they
/// precede ("1.0rc1" < "1.0"). Any other trailing word sorts after ("1.0.2k" > "1.0.2",
/// "1.34.1-r5" > "1.34.1").
/// Single letters ("1.0.2a") are *not* pre-releases here: in firmware and C libraries they are
/// patch letters after the release.
const PRE_RELEASE: &[&str] = &["dev", "snapshot", "alpha", "beta", "pre", "preview", "rc"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// Digits without leading zeros ("0" for zero), so they compare by (length, text).
    Num(String),
    /// Lower-case letters.
    Word(String),
}

/// A version split into tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    tokens: Vec<Token>,
}

impl Version {
    /// Tokenise `s`; `None` when it is not a comparable version: empty, `*`, `-`, longer than
    /// [`MAX_VERSION_LEN`], without any digit, or with characters outside letters, digits and
    /// the separators `. - _ + ~ ( ) ,` and space.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() > MAX_VERSION_LEN || !s.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_+~(), ".contains(&b))
        {
            return None;
        }
        // A leading "v" before a digit is a prefix, not a word ("V5.4.5" = "5.4.5").
        let s = match s.as_bytes() {
            [b'v' | b'V', d, ..] if d.is_ascii_digit() => &s[1..],
            _ => s,
        };
        let mut tokens = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = s[start..i].trim_start_matches('0');
                tokens.push(Token::Num(
                    if digits.is_empty() { "0" } else { digits }.to_string(),
                ));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                tokens.push(Token::Word(s[start..i].to_ascii_lowercase()));
            } else {
                i += 1;
            }
        }
        Some(Version { tokens })
    }

    /// Order two versions, or `None` when they cannot be ordered.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        let n = self.tokens.len().max(other.tokens.len());
        for i in 0..n {
            let ord = match (self.tokens.get(i), other.tokens.get(i)) {
                (Some(a), Some(b)) => compare_tokens(a, b)?,
                (Some(extra), None) => tail(extra),
                (None, Some(extra)) => tail(extra).reverse(),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return Some(ord);
            }
        }
        Some(Ordering::Equal)
    }
}

fn compare_tokens(a: &Token, b: &Token) -> Option<Ordering> {
    match (a, b) {
        (Token::Num(x), Token::Num(y)) => Some(x.len().cmp(&y.len()).then_with(|| x.cmp(y))),
        (Token::Word(x), Token::Word(y)) => {
            let rank = |w: &str| PRE_RELEASE.iter().position(|p| *p == w);
            Some(match (rank(x), rank(y)) {
                (Some(rx), Some(ry)) => rx.cmp(&ry),
                _ => x.cmp(y),
            })
        }
        // "1.2.3" against "1.2.b3": no rule orders a number against a word.
        _ => None,
    }
}

/// How a version with one more token compares with the version that stopped before it.
fn tail(extra: &Token) -> Ordering {
    match extra {
        Token::Num(d) if d == "0" => Ordering::Equal,
        Token::Num(_) => Ordering::Greater,
        Token::Word(w) if PRE_RELEASE.contains(&w.as_str()) => Ordering::Less,
        Token::Word(_) => Ordering::Greater,
    }
}

/// Order two version strings, or `None` when either is not a version or they cannot be ordered.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    Version::parse(a)?.compare(&Version::parse(b)?)
}

/// A version range as NVD writes it on a `cpeMatch` (each bound optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Range<'a> {
    pub start_including: Option<&'a str>,
    pub start_excluding: Option<&'a str>,
    pub end_including: Option<&'a str>,
    pub end_excluding: Option<&'a str>,
}

/// A range bound and the comparison result (version vs bound) that satisfies it.
type Bound<'a> = (Option<&'a str>, fn(Ordering) -> bool);

/// Outcome of a version check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Inside,
    Outside,
    /// The version could not be compared with a bound; the reason says which.
    Unknown(String),
}

impl Range<'_> {
    pub fn is_unbounded(&self) -> bool {
        self.start_including.is_none()
            && self.start_excluding.is_none()
            && self.end_including.is_none()
            && self.end_excluding.is_none()
    }

    /// Human-readable form, e.g. `>= 1.0, < 2.0`; empty when unbounded.
    pub fn describe(&self) -> String {
        let parts = [
            self.start_including.map(|v| format!(">= {v}")),
            self.start_excluding.map(|v| format!("> {v}")),
            self.end_including.map(|v| format!("<= {v}")),
            self.end_excluding.map(|v| format!("< {v}")),
        ];
        parts.into_iter().flatten().collect::<Vec<_>>().join(", ")
    }

    /// Is `version` within every bound? `Unknown` as soon as one bound cannot be compared.
    pub fn check(&self, version: &str) -> Check {
        let Some(v) = Version::parse(version) else {
            return Check::Unknown(format!("device version {version:?} is not comparable"));
        };
        let bounds: [Bound<'_>; 4] = [
            (self.start_including, |o| o != Ordering::Less),
            (self.start_excluding, |o| o == Ordering::Greater),
            (self.end_including, |o| o != Ordering::Greater),
            (self.end_excluding, |o| o == Ordering::Less),
        ];
        // Outside wins over Unknown: one bound that excludes the version settles it.
        let mut unknown = None;
        for (bound, ok) in bounds {
            let Some(bound) = bound else { continue };
            match Version::parse(bound).and_then(|b| v.compare(&b)) {
                Some(o) if ok(o) => {}
                Some(_) => return Check::Outside,
                None => {
                    unknown.get_or_insert_with(|| {
                        format!("version {version:?} cannot be ordered against bound {bound:?}")
                    });
                }
            }
        }
        if let Some(reason) = unknown {
            return Check::Unknown(reason);
        }
        Check::Inside
    }
}
