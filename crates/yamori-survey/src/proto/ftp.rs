//! FTP control replies (RFC 959 §4.2): `ddd text` on one line, or `ddd-text` … `ddd text`
//! over several; and the commands of a login (`USER`, `PASS`, `QUIT`).

/// Longest reply read (a greeting with a long banner fits; more is a misbehaving server).
pub const MAX_REPLY: usize = 4 * 1024;

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// The text of the last line (after the code).
    pub text: String,
    /// Bytes of the buffer the reply took.
    pub len: usize,
}

/// Parses the reply at the start of `buf`: `Ok(None)` until it is complete. Errors name the
/// offset of the bad line.
pub fn parse_reply(buf: &[u8]) -> Result<Option<Reply>, String> {
    let mut first: Option<[u8; 3]> = None;
    let mut at = 0;
    while let Some(nl) = buf[at..].iter().position(|&b| b == b'\n') {
        let line = &buf[at..at + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let next = at + nl + 1;
        // RFC 959 §4.2: three digits, the first 1 to 5.
        let code = line
            .get(..3)
            .filter(|c| c.iter().all(u8::is_ascii_digit) && (b'1'..=b'5').contains(&c[0]));
        match (first, code) {
            (None, Some(c)) => {
                let c = [c[0], c[1], c[2]];
                if line.get(3) != Some(&b'-') {
                    return Ok(Some(reply(c, line, next)));
                }
                first = Some(c);
            }
            (None, None) => {
                return Err(format!(
                    "offset {at}: a reply starts with a three-digit code"
                ))
            }
            // The last line of a multi-line reply repeats the code followed by a space.
            (Some(f), Some(c)) if c == f && line.get(3) == Some(&b' ') => {
                return Ok(Some(reply(f, line, next)));
            }
            (Some(_), _) => {}
        }
        at = next;
    }
    if buf.len() > MAX_REPLY {
        return Err(format!("reply longer than {MAX_REPLY} bytes"));
    }
    Ok(None)
}

fn reply(code: [u8; 3], line: &[u8], len: usize) -> Reply {
    let code = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let text = String::from_utf8_lossy(line.get(4..).unwrap_or_default())
        .trim()
        .to_string();
    Reply { code, text, len }
}

/// A command line; CR and LF inside `arg` are dropped so a user name or password from a list
/// can never inject a second command. `PASS` always has its space (an empty password).
pub fn command(verb: &str, arg: &str) -> Vec<u8> {
    let arg: String = arg.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    if arg.is_empty() && verb != "PASS" {
        format!("{verb}\r\n").into_bytes()
    } else {
        format!("{verb} {arg}\r\n").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_line_replies() {
        let r = parse_reply(b"220 (vsFTPd 3.0.3)\r\n331 Please")
            .expect("ok")
            .expect("complete");
        assert_eq!(
            (r.code, r.text.as_str(), r.len),
            (220, "(vsFTPd 3.0.3)", 20)
        );
        let multi = b"230-Welcome\r\n230-  to the box\r\n230 Login successful.\r\n";
        let r = parse_reply(multi).expect("ok").expect("complete");
        assert_eq!(
            (r.code, r.text.as_str(), r.len),
            (230, "Login successful.", multi.len())
        );
        for cut in 0..multi.len() {
            assert_eq!(parse_reply(&multi[..cut]), Ok(None), "cut {cut}");
        }
        // A line inside a multi-line reply may start with digits of another code.
        let r = parse_reply(b"220-a\r\n221 no\r\n220 yes\r\n")
            .expect("ok")
            .expect("complete");
        assert_eq!(r.text, "yes");
    }

    #[test]
    fn bad_replies_are_errors_not_panics() {
        assert!(parse_reply(b"hello\r\n")
            .expect_err("no code")
            .contains("offset 0"));
        let flood = vec![b'x'; MAX_REPLY + 10];
        assert_eq!(parse_reply(&flood[..10]), Ok(None));
        assert!(parse_reply(&flood).is_err());
        assert!(parse_reply(b"22").expect("short").is_none());
        // Found by the fuzzer: three digits, but no FTP reply code starts with 0 (or 6 to 9).
        assert!(parse_reply(b"027$f\n").is_err());
        assert!(parse_reply(b"650 x\r\n").is_err());
    }

    #[test]
    fn commands_cannot_be_injected() {
        assert_eq!(command("USER", "admin\r\nDELE x"), b"USER adminDELE x\r\n");
        assert_eq!(command("PASS", ""), b"PASS \r\n");
        assert_eq!(command("QUIT", ""), b"QUIT\r\n");
    }
}
