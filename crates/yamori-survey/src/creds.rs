//! Credential lists: the built-in list (`data/credentials.txt`: Mirai defaults + vendor
//! defaults) and a user list (`--creds FILE`, one `user:password` per line).

use crate::model::CredentialSource;

/// The built-in list, compiled in.
pub const BUILTIN: &str = include_str!("../data/credentials.txt");
/// Most credentials tried against one service; a longer user list is cut here so one device
/// never receives an unbounded number of login attempts.
pub const MAX_ATTEMPTS_PER_SERVICE: usize = 100;

/// One user/password pair and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
    pub source: CredentialSource,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} line {line}: {reason}")]
pub struct CredError {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// Parses the built-in format (`mirai user:pass` / `vendor user:pass`).
pub fn parse_builtin(text: &str) -> Result<Vec<Credential>, CredError> {
    parse(text, "data/credentials.txt", |l| {
        let (tag, rest) = l
            .split_once(' ')
            .ok_or("expected `<source> user:password`")?;
        let source = match tag {
            "mirai" => CredentialSource::MiraiList,
            "vendor" => CredentialSource::Vendor,
            _ => return Err("source must be `mirai` or `vendor`"),
        };
        Ok((source, rest))
    })
}

/// Parses a user file: `user:password` per line, `#` comments.
pub fn parse_user(text: &str, path: &str) -> Result<Vec<Credential>, CredError> {
    parse(text, path, |l| Ok((CredentialSource::User, l)))
}

fn parse(
    text: &str,
    path: &str,
    split: impl Fn(&str) -> Result<(CredentialSource, &str), &'static str>,
) -> Result<Vec<Credential>, CredError> {
    let mut out: Vec<Credential> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |reason: &str| CredError {
            path: path.to_string(),
            line: i + 1,
            reason: reason.to_string(),
        };
        let (source, pair) = split(line.trim_start()).map_err(err)?;
        let (u, p) = pair
            .split_once(':')
            .ok_or_else(|| err("expected user:password"))?;
        if u.is_empty() {
            return Err(err("empty user name"));
        }
        if !out.iter().any(|c| c.username == u && c.password == p) {
            out.push(Credential {
                username: u.to_string(),
                password: p.to_string(),
                source,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_holds_the_mirai_pairs() {
        let list = parse_builtin(BUILTIN).expect("built-in list parses");
        let mirai: Vec<_> = list
            .iter()
            .filter(|c| c.source == CredentialSource::MiraiList)
            .collect();
        assert_eq!(mirai.len(), 61);
        assert_eq!(
            (mirai[0].username.as_str(), mirai[0].password.as_str()),
            ("root", "xc3511")
        );
        assert!(mirai
            .iter()
            .any(|c| c.username == "root" && c.password.is_empty()));
        assert!(mirai
            .iter()
            .any(|c| c.username == "root" && c.password == "zlxx."));
        assert!(list.iter().any(|c| c.source == CredentialSource::Vendor));
        assert!(list.len() <= MAX_ATTEMPTS_PER_SERVICE);
    }

    #[test]
    fn user_file_errors_name_the_line() {
        let l = parse_user("# mine\nadmin:s3cret:x\nroot:\n", "c.txt").expect("valid");
        assert_eq!(l[0].password, "s3cret:x");
        assert_eq!(l[1].password, "");
        let e = parse_user("ok:1\nnocolon\n", "c.txt").expect_err("bad line");
        assert_eq!(e.line, 2);
        assert!(e.to_string().starts_with("c.txt line 2"));
    }
}
