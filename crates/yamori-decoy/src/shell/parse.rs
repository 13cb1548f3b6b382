//! The shell's line parser: words with quotes and backslashes, the connectors `;`, `&&`,
//! `||`, `|`, `&`, and the redirections `>`, `>>`, `<`, `2>`, `2>&1`. Nothing is expanded
//! (`$x`, `` `…` ``, `$(…)` stay literal text): the decoy never evaluates what it is sent.

use crate::limits::MAX_COMMANDS_PER_LINE;

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// First on the line, or after `;` or `&`.
    Seq,
    /// After `&&`: runs if the previous command succeeded.
    And,
    /// After `||`: runs if the previous command failed.
    Or,
    /// After `|`: reads the previous command's output.
    Pipe,
}

/// One redirection of a command's output or input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// 0 for `<`, 1 for `>`/`>>`, 2 for `2>`/`2>>`.
    pub fd: u8,
    pub append: bool,
    /// A path, or `&1`/`&2` for a duplication.
    pub target: String,
}

/// A simple command: its words and redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<String>,
    pub redirects: Vec<Redirect>,
}

/// Why a line is not a command list (BusyBox ash's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("syntax error: unterminated quoted string")]
    UnterminatedQuote,
    #[error("syntax error: unexpected \"{0}\"")]
    Unexpected(&'static str),
    #[error("syntax error: unexpected newline")]
    MissingRedirectTarget,
    #[error("syntax error: more than {MAX_COMMANDS_PER_LINE} commands on one line")]
    TooManyCommands,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Op(&'static str),
    /// fd, append, or `<` (fd 0).
    Redir(u8, bool),
}

fn tokenize(line: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word = String::new();
    // Whether the current word exists (an empty quoted string `''` is a word).
    let mut in_word = false;
    let flush = |word: &mut String, in_word: &mut bool, out: &mut Vec<Token>| {
        if *in_word {
            out.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => flush(&mut word, &mut in_word, &mut out),
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(ParseError::UnterminatedQuote),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => return Err(ParseError::UnterminatedQuote),
                        },
                        Some(c) => word.push(c),
                        None => return Err(ParseError::UnterminatedQuote),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    word.push(e);
                }
            }
            ';' | '&' | '|' => {
                flush(&mut word, &mut in_word, &mut out);
                let op = match (c, chars.peek()) {
                    ('&', Some('&')) => "&&",
                    ('|', Some('|')) => "||",
                    (';', _) => ";",
                    ('&', _) => "&",
                    _ => "|",
                };
                if op.len() == 2 {
                    chars.next();
                }
                out.push(Token::Op(op));
            }
            '>' | '<' => {
                // `2>`: a lone digit just before is the descriptor.
                let fd = if c == '<' {
                    0
                } else if in_word && (word == "1" || word == "2") {
                    let fd = if word == "2" { 2 } else { 1 };
                    word.clear();
                    in_word = false;
                    fd
                } else {
                    flush(&mut word, &mut in_word, &mut out);
                    1
                };
                let append = c == '>' && chars.peek() == Some(&'>');
                if append {
                    chars.next();
                }
                out.push(Token::Redir(fd, append));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut out);
    Ok(out)
}

/// The commands of one line, each with the connector before it. Empty commands (`;;`,
/// a trailing `;` or `&`) are dropped, as ash runs nothing for them.
pub fn parse_line(line: &str) -> Result<Vec<(Connector, Command)>, ParseError> {
    let mut out: Vec<(Connector, Command)> = Vec::new();
    let mut cur = Command::default();
    let mut conn = Connector::Seq;
    let mut tokens = tokenize(line)?.into_iter();
    while let Some(t) = tokens.next() {
        match t {
            Token::Word(w) => cur.words.push(w),
            Token::Redir(fd, append) => match tokens.next() {
                Some(Token::Word(target)) => cur.redirects.push(Redirect { fd, append, target }),
                // `2>&1` arrives as Redir then Op("&") then Word("1").
                Some(Token::Op("&")) => match tokens.next() {
                    Some(Token::Word(n)) => cur.redirects.push(Redirect {
                        fd,
                        append,
                        target: format!("&{n}"),
                    }),
                    _ => return Err(ParseError::MissingRedirectTarget),
                },
                Some(Token::Op(op)) => return Err(ParseError::Unexpected(op)),
                _ => return Err(ParseError::MissingRedirectTarget),
            },
            Token::Op(op) => {
                let empty = cur.words.is_empty() && cur.redirects.is_empty();
                if empty && op != ";" && op != "&" {
                    return Err(ParseError::Unexpected(op));
                }
                if !empty {
                    out.push((conn, std::mem::take(&mut cur)));
                    if out.len() > MAX_COMMANDS_PER_LINE {
                        return Err(ParseError::TooManyCommands);
                    }
                }
                conn = match op {
                    "&&" => Connector::And,
                    "||" => Connector::Or,
                    "|" => Connector::Pipe,
                    _ => Connector::Seq,
                };
            }
        }
    }
    if !cur.words.is_empty() || !cur.redirects.is_empty() {
        out.push((conn, cur));
    } else if conn != Connector::Seq {
        return Err(ParseError::Unexpected("newline"));
    }
    if out.len() > MAX_COMMANDS_PER_LINE {
        return Err(ParseError::TooManyCommands);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<(Connector, Vec<String>)> {
        parse_line(line)
            .expect("parses")
            .into_iter()
            .map(|(c, cmd)| (c, cmd.words))
            .collect()
    }

    #[test]
    fn connectors_and_quotes() {
        let got = words("cd /tmp || cd /var/run; echo 'a b' \"c\\\"d\" && x\\ y | sh");
        let w = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                (Connector::Seq, w(&["cd", "/tmp"])),
                (Connector::Or, w(&["cd", "/var/run"])),
                (Connector::Seq, w(&["echo", "a b", "c\"d"])),
                (Connector::And, w(&["x y"])),
                (Connector::Pipe, w(&["sh"])),
            ]
        );
    }

    #[test]
    fn redirections() {
        let cmds = parse_line("echo -ne '\\x7f' >> .t 2>/dev/null; >f; ls 2>&1").expect("parses");
        assert_eq!(cmds[0].1.words, ["echo", "-ne", "\\x7f"]);
        assert_eq!(
            cmds[0].1.redirects,
            [
                Redirect {
                    fd: 1,
                    append: true,
                    target: ".t".into()
                },
                Redirect {
                    fd: 2,
                    append: false,
                    target: "/dev/null".into()
                },
            ]
        );
        assert!(cmds[1].1.words.is_empty());
        assert_eq!(cmds[1].1.redirects[0].target, "f");
        assert_eq!(cmds[2].1.redirects[0].target, "&1");
    }

    #[test]
    fn errors_as_ash_names_them() {
        assert_eq!(parse_line("echo 'x"), Err(ParseError::UnterminatedQuote));
        assert_eq!(parse_line("&& ls"), Err(ParseError::Unexpected("&&")));
        assert_eq!(parse_line("ls >"), Err(ParseError::MissingRedirectTarget));
        assert_eq!(
            parse_line(&";x".repeat(200)),
            Err(ParseError::TooManyCommands)
        );
        assert_eq!(parse_line("  # comment").map(|c| c.len()), Ok(0));
        assert_eq!(parse_line(";;;").map(|c| c.len()), Ok(0));
    }
}
