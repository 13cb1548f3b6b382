//! STIX patterning (spec §9) syntax check.
//!
//! Checked: the whole grammar of the OASIS `STIXPattern.g4` (2.1) — observation expressions
//! `[...]` joined by `AND` / `OR` / `FOLLOWEDBY` and grouped by parentheses; comparison
//! expressions joined by `AND` / `OR` with parentheses; `NOT`; operators `=` `==` `!=` `<>` `<`
//! `<=` `>` `>=` `IN` `LIKE` `MATCHES` `ISSUBSET` `ISSUPERSET` and `EXISTS`; object paths
//! `type:prop(.prop|.'quoted'|[n]|[*])*`; literals (quoted strings with `\'` and `\\` escapes,
//! integers, floats, `true`/`false`, `t'…'` timestamps, `h'…'` hex, `b'…'` base64, sets
//! `( … )`); qualifiers `WITHIN n SECONDS`, `REPEATS n TIMES`, `START t'…' STOP t'…'` (the same
//! qualifier type twice on one `[...]` is refused, as stix2-patterns does); comments; object
//! type and first property names against the name rules.
//!
//! Not checked: whether properties exist on the object type, value formats of hashes (which
//! stix2-patterns checks) and other properties, operand types against property types.
//! Written by hand because no maintained Rust crate parses STIX patterns without pulling a
//! full STIX object model (see the crate docs on `rstix`).

use std::borrow::Cow;
use std::fmt;

use crate::timestamp::StixTimestamp;

/// Longest pattern accepted (bytes): far beyond any real indicator, small enough to bound work.
pub const MAX_PATTERN_BYTES: usize = 256 * 1024;
/// Deepest parenthesis/bracket nesting followed (the parser recurses per level).
pub const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset in the pattern where the problem was found.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for PatternError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    /// Borrowed from the pattern unless it had escapes.
    Str(Cow<'a, str>),
    /// Number literals, with whether they carry a minus sign.
    Int(bool),
    Float(bool),
    Prefixed(char, Cow<'a, str>),
    Op(&'static str),
    Punct(char),
}

/// Checks a pattern's syntax.
pub fn check(pattern: &str) -> Result<(), PatternError> {
    parse(pattern, false).map(drop)
}

/// One string a pattern says a property equals (`=`, `==`, one member of `IN (…)`) or lies in
/// (`ISSUBSET`): what correlation indexes. Negated comparisons (`NOT`, `!=`, `<>`) and the
/// other operators (`LIKE`, `MATCHES`, ordering) name no value an object has, so they are
/// not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValue<'a> {
    /// The object type before the colon, e.g. `ipv4-addr`.
    pub object_type: &'a str,
    /// The property path after it, components joined by `.` without quotes or list
    /// indices, e.g. `value` or `hashes.SHA-256`.
    pub path: String,
    /// `ISSUBSET`: the value is a range the property lies in.
    pub subset: bool,
    pub value: Cow<'a, str>,
}

/// Checks a pattern's syntax like [`check`] and returns the values it names (see
/// [`NamedValue`]), in pattern order.
pub fn named_values(pattern: &str) -> Result<Vec<NamedValue<'_>>, PatternError> {
    parse(pattern, true)
}

fn parse(pattern: &str, collect: bool) -> Result<Vec<NamedValue<'_>>, PatternError> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(err(0, format!("longer than {MAX_PATTERN_BYTES} bytes")));
    }
    let tokens = lex(pattern)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        end: pattern.len(),
        depth: 0,
        named: collect.then(Vec::new),
    };
    p.observation_expressions()?;
    match p.tokens.get(p.pos) {
        None => Ok(p.named.unwrap_or_default()),
        Some((offset, tok)) => Err(err(
            *offset,
            format!("unexpected {tok:?} after the pattern"),
        )),
    }
}

fn err(offset: usize, message: String) -> PatternError {
    PatternError { offset, message }
}

fn lex(s: &str) -> Result<Vec<(usize, Tok<'_>)>, PatternError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if s[i..].starts_with("/*") {
            let close = s[i + 2..]
                .find("*/")
                .ok_or_else(|| err(i, "unclosed comment".into()))?;
            i += 2 + close + 2;
        } else if s[i..].starts_with("//") {
            i = s[i..].find('\n').map_or(b.len(), |n| i + n);
        } else if matches!(c, b't' | b'h' | b'b') && b.get(i + 1) == Some(&b'\'') {
            let (text, next) = quoted(s, i + 1)?;
            out.push((start, Tok::Prefixed(char::from(c), text)));
            i = next;
        } else if c == b'\'' {
            let (text, next) = quoted(s, i)?;
            out.push((start, Tok::Str(text)));
            i = next;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            out.push((start, Tok::Word(&s[start..i])));
        } else if c.is_ascii_digit()
            || (matches!(c, b'-' | b'+')
                && b.get(i + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == b'.'))
            || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let negative = c == b'-';
            let mut is_float = false;
            if c == b'.' || (i < b.len() && b[i] == b'.') {
                if c != b'.' {
                    i += 1;
                }
                let digits_start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i == digits_start && c != b'.' {
                    return Err(err(start, "a float needs digits after the point".into()));
                }
                is_float = true;
            }
            let digits = s[start..i].trim_start_matches(['+', '-']);
            if !is_float && digits.len() > 1 && digits.starts_with('0') {
                return Err(err(start, "integers have no leading zeros".into()));
            }
            out.push((
                start,
                if is_float {
                    Tok::Float(negative)
                } else {
                    Tok::Int(negative)
                },
            ));
        } else {
            let two = s.get(i..i + 2).unwrap_or("");
            let op = ["==", "!=", "<>", "<=", ">="]
                .into_iter()
                .find(|o| *o == two);
            if let Some(op) = op {
                out.push((start, Tok::Op(op)));
                i += 2;
            } else if let Some(op) = ["=", "<", ">"].into_iter().find(|o| o.as_bytes()[0] == c) {
                out.push((start, Tok::Op(op)));
                i += 1;
            } else if b"[]():.,*".contains(&c) {
                out.push((start, Tok::Punct(char::from(c))));
                i += 1;
            } else {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("unexpected character {ch:?}")));
            }
        }
    }
    Ok(out)
}

/// A single-quoted string starting at `open`; returns its unescaped text and the next offset.
/// Inside, only `\'` and `\\` are escapes (spec §9.3.1).
fn quoted(s: &str, open: usize) -> Result<(Cow<'_, str>, usize), PatternError> {
    let start = open + 1;
    // Borrowed up to the first escape; copied from there on.
    let mut copy: Option<String> = None;
    let mut chars = s[start..].char_indices();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '\'' => {
                let text = match copy {
                    Some(copy) => Cow::Owned(copy),
                    None => Cow::Borrowed(&s[start..start + k]),
                };
                return Ok((text, start + k + 1));
            }
            '\\' => match chars.next() {
                Some((_, e @ ('\'' | '\\'))) => copy
                    .get_or_insert_with(|| s[start..start + k].to_string())
                    .push(e),
                _ => {
                    return Err(err(
                        start + k,
                        "only \\' and \\\\ are escapes in a string".into(),
                    ))
                }
            },
            other => {
                if let Some(copy) = copy.as_mut() {
                    copy.push(other);
                }
            }
        }
    }
    Err(err(open, "unterminated string".into()))
}

struct Parser<'a> {
    tokens: Vec<(usize, Tok<'a>)>,
    pos: usize,
    end: usize,
    depth: usize,
    /// The values named so far, when the caller asked for them.
    named: Option<Vec<NamedValue<'a>>>,
}

#[derive(PartialEq, Clone, Copy)]
enum Qualifier {
    Within,
    Repeats,
    StartStop,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Tok<'a>> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }
    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(o, _)| *o)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if *x == w)
    }
    fn is_punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }
    fn expect_punct(&mut self, c: char) -> Result<(), PatternError> {
        if self.is_punct(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.offset(), format!("expected '{c}'")))
        }
    }
    fn expect_word(&mut self, w: &str) -> Result<(), PatternError> {
        if self.is_word(w) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.offset(), format!("expected {w}")))
        }
    }
    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(err(
                self.offset(),
                format!("nested deeper than {MAX_NESTING}"),
            ));
        }
        Ok(())
    }

    fn observation_expressions(&mut self) -> Result<(), PatternError> {
        self.observation_expression()?;
        while ["AND", "OR", "FOLLOWEDBY"].iter().any(|w| self.is_word(w)) {
            self.pos += 1;
            self.observation_expression()?;
        }
        Ok(())
    }

    fn observation_expression(&mut self) -> Result<(), PatternError> {
        self.enter()?;
        let simple = if self.is_punct('[') {
            self.pos += 1;
            self.comparison_expression()?;
            self.expect_punct(']')?;
            true
        } else if self.is_punct('(') {
            self.pos += 1;
            self.observation_expressions()?;
            self.expect_punct(')')?;
            false
        } else {
            return Err(err(
                self.offset(),
                "expected '[' or '(' to start an observation expression".into(),
            ));
        };
        let mut seen: Vec<Qualifier> = Vec::new();
        loop {
            let at = self.offset();
            let q = if self.is_word("WITHIN") {
                self.pos += 1;
                self.positive_number(true)?;
                self.expect_word("SECONDS")?;
                Qualifier::Within
            } else if self.is_word("REPEATS") {
                self.pos += 1;
                self.positive_number(false)?;
                self.expect_word("TIMES")?;
                Qualifier::Repeats
            } else if self.is_word("START") {
                self.pos += 1;
                self.timestamp_literal()?;
                self.expect_word("STOP")?;
                self.timestamp_literal()?;
                Qualifier::StartStop
            } else {
                break;
            };
            if simple && seen.contains(&q) {
                return Err(err(
                    at,
                    "the same qualifier type twice on one observation expression".into(),
                ));
            }
            seen.push(q);
        }
        self.depth -= 1;
        Ok(())
    }

    fn positive_number(&mut self, float_ok: bool) -> Result<(), PatternError> {
        match self.peek() {
            Some(Tok::Int(false)) => {}
            Some(Tok::Float(false)) if float_ok => {}
            _ => return Err(err(self.offset(), "expected a positive number".into())),
        }
        self.pos += 1;
        Ok(())
    }

    fn timestamp_literal(&mut self) -> Result<(), PatternError> {
        match self.peek() {
            Some(Tok::Prefixed('t', text)) if StixTimestamp::parse(text).is_some() => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(err(
                self.offset(),
                "expected a timestamp literal t'YYYY-MM-DDTHH:MM:SS[.s+]Z'".into(),
            )),
        }
    }

    fn comparison_expression(&mut self) -> Result<(), PatternError> {
        self.property_test()?;
        while self.is_word("AND") || self.is_word("OR") {
            self.pos += 1;
            self.property_test()?;
        }
        Ok(())
    }

    fn property_test(&mut self) -> Result<(), PatternError> {
        self.enter()?;
        if self.is_punct('(') {
            self.pos += 1;
            self.comparison_expression()?;
            self.expect_punct(')')?;
        } else if self.is_word("EXISTS") {
            self.pos += 1;
            self.object_path()?;
        } else {
            let path = self.object_path()?;
            let negated = self.is_word("NOT");
            if negated {
                self.pos += 1;
            }
            let at = self.offset();
            let first = self.pos + 1;
            let (names, subset) = match self.peek().cloned() {
                Some(Tok::Op(op @ ("=" | "==" | "!=" | "<>"))) => {
                    self.pos += 1;
                    self.literal(true)?;
                    (op == "=" || op == "==", false)
                }
                Some(Tok::Op(_)) => {
                    self.pos += 1;
                    self.literal(false)?;
                    (false, false)
                }
                Some(Tok::Word("IN")) => {
                    self.pos += 1;
                    self.set_literal()?;
                    (true, false)
                }
                Some(Tok::Word(w))
                    if ["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].contains(&w) =>
                {
                    self.pos += 1;
                    match self.peek() {
                        Some(Tok::Str(_)) => self.pos += 1,
                        _ => return Err(err(self.offset(), format!("{w} takes a quoted string"))),
                    }
                    (w == "ISSUBSET", w == "ISSUBSET")
                }
                _ => return Err(err(at, "expected a comparison operator".into())),
            };
            if names && !negated && self.named.is_some() {
                self.record(path, first, subset);
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Records the string literals in tokens `first..self.pos` as values of the object path
    /// in tokens `path`.
    fn record(&mut self, path: std::ops::Range<usize>, first: usize, subset: bool) {
        let Some(Tok::Word(object_type)) = self.tokens.get(path.start).map(|(_, t)| t) else {
            return;
        };
        let mut text = String::new();
        // Skips the type and the colon; keeps names, drops `.`, `[`, indices and `]`.
        for (_, t) in self
            .tokens
            .get(path.start + 2..path.end)
            .unwrap_or_default()
        {
            let part = match t {
                Tok::Word(w) => *w,
                Tok::Str(q) => q.as_ref(),
                _ => continue,
            };
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(part);
        }
        let values: Vec<Cow<'a, str>> = self
            .tokens
            .get(first..self.pos)
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, t)| match t {
                Tok::Str(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        if let Some(named) = self.named.as_mut() {
            for value in values {
                named.push(NamedValue {
                    object_type,
                    path: text.clone(),
                    subset,
                    value,
                });
            }
        }
    }

    /// `type:prop(.prop|.'quoted'|[n]|[*])*`; returns the tokens it spans.
    fn object_path(&mut self) -> Result<std::ops::Range<usize>, PatternError> {
        let start = self.pos;
        let at = self.offset();
        match self.peek() {
            Some(Tok::Word(t)) if crate::validate::common::is_type_name(t) => self.pos += 1,
            _ => return Err(err(at, "expected an object type (e.g. ipv4-addr)".into())),
        }
        self.expect_punct(':')?;
        let at = self.offset();
        match self.peek() {
            Some(Tok::Word(p)) if property_component(p) && (p.len() >= 3 || *p == "id") => {
                self.pos += 1
            }
            Some(Tok::Str(_)) => self.pos += 1,
            _ => return Err(err(at, "expected a property name".into())),
        }
        loop {
            if self.is_punct('.') {
                self.pos += 1;
                match self.peek() {
                    Some(Tok::Word(p)) if property_component(p) => self.pos += 1,
                    Some(Tok::Str(_)) => self.pos += 1,
                    _ => {
                        return Err(err(
                            self.offset(),
                            "expected a property name after '.'".into(),
                        ))
                    }
                }
            } else if self.is_punct('[') {
                self.pos += 1;
                match self.peek() {
                    Some(Tok::Int(_) | Tok::Punct('*')) => self.pos += 1,
                    _ => return Err(err(self.offset(), "expected an index or '*'".into())),
                }
                self.expect_punct(']')?;
            } else {
                return Ok(start..self.pos);
            }
        }
    }

    fn literal(&mut self, bool_ok: bool) -> Result<(), PatternError> {
        let ok = match self.peek() {
            Some(Tok::Str(_) | Tok::Int(_) | Tok::Float(_)) => true,
            Some(Tok::Word(w)) => bool_ok && (*w == "true" || *w == "false"),
            Some(Tok::Prefixed('t', text)) => StixTimestamp::parse(text).is_some(),
            Some(Tok::Prefixed('h', text)) => {
                text.len().is_multiple_of(2) && text.bytes().all(|c| c.is_ascii_hexdigit())
            }
            Some(Tok::Prefixed('b', text)) => is_base64(text),
            _ => false,
        };
        if !ok {
            return Err(err(
                self.offset(),
                "expected a literal of a type this operator accepts".into(),
            ));
        }
        self.pos += 1;
        Ok(())
    }

    fn set_literal(&mut self) -> Result<(), PatternError> {
        self.expect_punct('(')?;
        if self.is_punct(')') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.literal(true)?;
            if self.is_punct(',') {
                self.pos += 1;
            } else {
                return self.expect_punct(')');
            }
        }
    }
}

/// Path components after the type: the grammar's `IdentifierWithoutHyphen`.
fn property_component(p: &str) -> bool {
    !p.contains('-')
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len().is_multiple_of(4)
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_patterns_we_generate_and_the_grammar_forms() {
        for ok in [
            "[ipv4-addr:value = '198.51.100.7']",
            "[ipv6-addr:value = '2001:db8::7']",
            "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.8']",
            "[network-traffic:dst_port >= 1024 AND network-traffic:src_ref.value = '1.2.3.4']",
            "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] OR [x509-certificate:serial_number != '1']",
            "[a-b:c_d[0].e[*] IN (1, -2, 3.5, true, t'2020-01-01T00:00:00Z')] // trailing comment",
            "/* lead */ [artifact:payload_bin = b'aGk='] AND [artifact:x_hex = h'00ff']",
            "[process:pid MATCHES '^1$'] REPEATS 2 TIMES WITHIN 10.5 SECONDS",
            "[user-account:x_flag = false]",
            "[x-foo:'quoted prop' = 'x']",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_the_values_a_pattern_asks_for() {
        let named = named_values(
            "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
             AND [file:hashes.'SHA-256' == 'ab' AND file:size > 10] \
             OR [domain-name:value IN ('a.example', 'b.example', 3)] \
             AND [url:value != 'http://no.example/' AND url:value NOT = 'http://nor.example/'] \
             AND [network-traffic:src_ref[0].value = 'it''s']",
        );
        assert!(named.is_err(), "'' is not an escape");
        let named = named_values(
            "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
             AND [file:hashes.'SHA-256' == 'ab' AND file:size > 10] \
             OR [domain-name:value IN ('a.example', 'b.example', 3)] \
             AND [url:value != 'http://no.example/' AND url:value NOT = 'http://nor.example/'] \
             AND [url:value LIKE 'http://%' AND network-traffic:src_ref[0].value = 'it\\'s']",
        )
        .expect("valid");
        let got: Vec<(&str, &str, bool, &str)> = named
            .iter()
            .map(|n| (n.object_type, n.path.as_str(), n.subset, n.value.as_ref()))
            .collect();
        assert_eq!(
            got,
            [
                ("ipv4-addr", "value", false, "198.51.100.7"),
                ("ipv4-addr", "value", true, "203.0.113.0/24"),
                ("file", "hashes.SHA-256", false, "ab"),
                ("domain-name", "value", false, "a.example"),
                ("domain-name", "value", false, "b.example"),
                ("network-traffic", "src_ref.value", false, "it's"),
            ]
        );
        assert_eq!(check("[ipv4-addr:value = '1.2.3.4']"), Ok(()));
        assert!(named_values("[ipv4-addr:value = ]").is_err());
    }

    #[test]
    fn refuses_with_an_offset() {
        let cases = [
            ("", 0),
            ("[ipv4-addr:value = '1.2.3.4'", 28),
            ("[ipv4-addr:value = 1.2.3.4]", 22),
            ("[ipv4-addr:value == ]", 20),
            ("[IPV4-addr:value = 'x']", 1),
            ("[ipv4-addr:va = 'x']", 11),
            ("[ipv4-addr:value LIKE 5]", 22),
            ("[ipv4-addr:value = 'x'] WITHIN -5 SECONDS", 31),
            ("[ipv4-addr:value = 'x'] REPEATS 1.5 TIMES", 32),
            ("[ipv4-addr:value = 'x'] START t'2020-01-01T00:00:00Z'", 53),
            ("[ipv4-addr:value = 'x\\n']", 0),
            ("[ipv4-addr:value = 'x'] ;", 24),
            ("[ipv4-addr:value = 007]", 19),
            ("[ipv4-addr:value = h'0']", 19),
        ];
        for (bad, offset) in cases {
            let e = check(bad).expect_err(bad);
            if offset > 0 {
                assert_eq!(e.offset, offset, "{bad}: {e}");
            }
        }
    }

    #[test]
    fn nesting_and_size_are_bounded() {
        let deep = format!(
            "{}[a-b:cde = 1]{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(check(&deep)
            .expect_err("too deep")
            .message
            .contains("nested"));
        let fine = format!("{}[a-b:cde = 1]{}", "(".repeat(10), ")".repeat(10));
        assert_eq!(check(&fine), Ok(()));
        let long = format!("[a-b:cde = '{}']", "x".repeat(MAX_PATTERN_BYTES));
        assert!(check(&long).is_err());
    }
}
