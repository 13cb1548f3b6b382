//! The literal values a STIX pattern names, for patterns a blocklist can express.
//!
//! A blocklist entry means "this value, on its own, is bad". Of the STIX patterning language
//! only one shape says that: observation expressions whose comparisons are all
//! `<type>:value = '<literal>'` (or `ISSUBSET '<cidr>'` for addresses), joined by `OR`
//! inside and between the brackets. `AND`, `NOT`, other operators, other properties and
//! qualifiers (`WITHIN`, `REPEATS`, …) make a pattern that a list cannot express; such
//! patterns are refused with a reason instead of being widened.
//!
//! Written by hand because no maintained Rust crate parses STIX patterns (the grammar check in
//! `yamori_intel::validate::pattern` answers valid/invalid only, and runs first); this reader
//! is a small tokenizer over that already-valid text, fuzzed (`fuzz/fuzz_targets/act_pattern.rs`).

use std::borrow::Cow;

/// One `<type>:value = '<literal>'` comparison, borrowed from the pattern (every exported
/// indicator goes through here: no allocation per token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison<'a> {
    /// The cyber-observable type (`ipv4-addr`, `domain-name`, …).
    pub object_type: &'a str,
    /// The string literal, unescaped (a copy only when it had escapes).
    pub value: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Paren,
    Path(&'a str),
    Op(&'static str),
    Literal(Cow<'a, str>),
}

/// The comparisons of `pattern`, or why it is not a plain list of values.
pub fn literal_values(pattern: &str) -> Result<Vec<Comparison<'_>>, String> {
    let tokens = tokenize(pattern)?;
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "unbalanced `]`".to_string())?;
            }
            Token::Paren => {}
            Token::Op("OR") => {}
            Token::Op(op) => {
                return Err(format!(
                    "uses `{op}` outside a comparison: only OR-joined equality comparisons can become list entries"
                ))
            }
            Token::Path(path) => {
                if depth == 0 {
                    return Err(format!("qualifier or keyword `{path}` outside an observation"));
                }
                let object_type = path
                    .strip_suffix(":value")
                    .filter(|t| !t.is_empty() && !t.contains(':'))
                    .ok_or_else(|| {
                        format!("compares `{path}`: only the `value` property names a list entry")
                    })?;
                let op = match tokens.get(i + 1) {
                    Some(Token::Op(op)) => op,
                    _ => return Err(format!("`{path}` is not followed by an operator")),
                };
                if *op != "=" && *op != "ISSUBSET" {
                    return Err(format!(
                        "compares `{path}` with `{op}`: only `=` (and `ISSUBSET` for addresses) name list entries"
                    ));
                }
                let value = match tokens.get(i + 2) {
                    Some(Token::Literal(v)) => v.clone(),
                    _ => return Err(format!("`{path} {op}` is not followed by a string literal")),
                };
                out.push(Comparison { object_type, value });
                i += 3;
                continue;
            }
            Token::Literal(_) => return Err("a string literal outside a comparison".into()),
        }
        i += 1;
    }
    if depth != 0 {
        return Err("unbalanced `[`".into());
    }
    if out.is_empty() {
        return Err("names no value".into());
    }
    Ok(out)
}

/// Keywords of the patterning language, as tokens name them.
const KEYWORDS: [&str; 10] = [
    "OR",
    "AND",
    "NOT",
    "FOLLOWEDBY",
    "ISSUBSET",
    "ISSUPERSET",
    "LIKE",
    "MATCHES",
    "IN",
    "EXISTS",
];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')
}

fn tokenize(pattern: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '[' => tokens.push(Token::Open),
            ']' => tokens.push(Token::Close),
            '(' | ')' => tokens.push(Token::Paren),
            '=' => tokens.push(Token::Op("=")),
            '!' | '<' | '>' => return Err(format!("comparison operator at byte {at} is not `=`")),
            '\'' => {
                // Borrowed up to the first escape; copied from there on.
                let start = at + 1;
                let mut copy: Option<String> = None;
                let end = loop {
                    match chars.next() {
                        None => return Err(format!("string literal at byte {at} is not closed")),
                        Some((i, '\'')) => break i,
                        Some((i, '\\')) => match chars.next() {
                            Some((_, e @ ('\\' | '\''))) => copy
                                .get_or_insert_with(|| pattern[start..i].to_string())
                                .push(e),
                            _ => return Err(format!("bad escape in string literal at byte {at}")),
                        },
                        Some((_, ch)) => {
                            if let Some(copy) = copy.as_mut() {
                                copy.push(ch);
                            }
                        }
                    }
                };
                tokens.push(Token::Literal(match copy {
                    Some(copy) => Cow::Owned(copy),
                    None => Cow::Borrowed(&pattern[start..end]),
                }));
            }
            c if is_word_char(c) => {
                let mut end = at + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if is_word_char(n) {
                        end = i + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &pattern[at..end];
                if word.contains(':') {
                    tokens.push(Token::Path(word));
                } else if let Some(k) = KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(word)) {
                    tokens.push(Token::Op(k));
                } else {
                    return Err(format!(
                        "`{word}` at byte {at}: qualifiers and non-string constants cannot become list entries"
                    ));
                }
            }
            other => {
                return Err(format!(
                    "`{other}` at byte {at} is not part of a plain value list"
                ))
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(p: &str) -> Vec<(String, String)> {
        literal_values(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .into_iter()
            .map(|c| (c.object_type.to_string(), c.value.into_owned()))
            .collect()
    }

    #[test]
    fn or_joined_equalities_are_values() {
        assert_eq!(
            values("[ipv4-addr:value = '198.51.100.7']"),
            vec![("ipv4-addr".into(), "198.51.100.7".into())]
        );
        assert_eq!(
            values("[domain-name:value = 'a.example' OR url:value = 'http://b.example/x\\'y'] OR ([ipv6-addr:value ISSUBSET '2001:db8::/32'])"),
            vec![
                ("domain-name".into(), "a.example".into()),
                ("url".into(), "http://b.example/x'y".into()),
                ("ipv6-addr".into(), "2001:db8::/32".into()),
            ]
        );
    }

    #[test]
    fn other_shapes_are_refused_with_a_reason() {
        for (p, why) in [
            (
                "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x']",
                "AND",
            ),
            ("[ipv4-addr:value != '1.2.3.4']", "not `=`"),
            ("[file:hashes.md5 = 'abc']", "value"),
            (
                "[ipv4-addr:value = '198.51.100.1'] WITHIN 5 SECONDS",
                "qualifiers",
            ),
            ("[url:value MATCHES 'x']", "MATCHES"),
            ("[ipv4-addr:value = '1", "not closed"),
            ("", "no value"),
        ] {
            let e = literal_values(p).expect_err(p);
            assert!(e.contains(why), "{p}: {e}");
        }
    }
}
