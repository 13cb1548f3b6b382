//! One telnet session as a synchronous state machine: bytes in, bytes out and records. The
//! listener (`server.rs`) only moves bytes and keeps time, so the whole conversation —
//! negotiation, login, shell — is tested without a socket.

use sha2::{Digest, Sha256};

use crate::events::Detail;
use crate::limits::MAX_LOGIN_ATTEMPTS;
use crate::profile::Profile;
use crate::shell::{Shell, ShellEvent};
use crate::telnet::{self, Negotiator};

/// Why a session ended on its own side (the listener adds timeouts and shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `exit`/`logout` in the shell.
    Exit,
    /// [`MAX_LOGIN_ATTEMPTS`] failed logins.
    LoginFailures,
    /// A line longer than the session's line limit.
    LineTooLong,
}

/// What one read produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Step {
    /// Bytes for the client.
    pub send: Vec<u8>,
    /// Records, in order.
    pub details: Vec<Detail>,
    /// The session is over (the caller closes it after sending `send`).
    pub end: Option<End>,
}

#[derive(Debug, Clone)]
enum Phase {
    Login,
    Password { user: String },
    Shell(Box<Shell>),
    Over,
}

#[derive(Debug, Clone)]
pub struct TelnetSession {
    profile: &'static Profile,
    neg: Negotiator,
    phase: Phase,
    line: Vec<u8>,
    /// The last line ended in CR: a following LF or NUL belongs to it (RFC 854).
    after_cr: bool,
    failures: usize,
    max_line_len: usize,
    /// The shell, kept after the session is over for [`TelnetSession::finish`].
    last_shell: Option<Box<Shell>>,
}

impl TelnetSession {
    /// A new session and the bytes that open it: the negotiation (Mirai needs `IAC` first),
    /// the profile's banner and login prompt.
    pub fn new(profile: &'static Profile, max_line_len: usize) -> (Self, Vec<u8>) {
        let mut open = telnet::GREETING.to_vec();
        telnet::encode_text(profile.banner.as_bytes(), &mut open);
        telnet::encode_text(profile.login_prompt.as_bytes(), &mut open);
        let s = TelnetSession {
            profile,
            neg: Negotiator::new(),
            phase: Phase::Login,
            line: Vec::new(),
            after_cr: false,
            failures: 0,
            max_line_len,
            last_shell: None,
        };
        (s, open)
    }

    /// The client's window size, once it has told it.
    pub fn window(&self) -> Option<(u16, u16)> {
        self.neg.window()
    }

    /// Read bytes from the client.
    pub fn feed(&mut self, input: &[u8]) -> Step {
        let mut step = Step::default();
        if matches!(self.phase, Phase::Over) {
            return step;
        }
        let mut data = Vec::new();
        self.neg.feed(input, &mut data, &mut step.send);
        for b in data {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match b {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.on_line(&line, &mut step);
                }
                _ if self.line.len() >= self.max_line_len => {
                    self.line.clear();
                    self.end(End::LineTooLong, &mut step);
                }
                _ => self.line.push(b),
            }
            if step.end.is_some() {
                break;
            }
        }
        step
    }

    fn end(&mut self, why: End, step: &mut Step) {
        if let Phase::Shell(sh) = std::mem::replace(&mut self.phase, Phase::Over) {
            self.last_shell = Some(sh);
        }
        step.end = Some(why);
    }

    fn say(&self, text: &str, step: &mut Step) {
        telnet::encode_text(text.as_bytes(), &mut step.send);
    }

    /// Echo a line the client typed, when it let the decoy echo (and not a password).
    fn echo(&self, line: &[u8], step: &mut Step) {
        if self.neg.echoing() {
            telnet::encode_text(line, &mut step.send);
            step.send.extend_from_slice(b"\r\n");
        }
    }

    fn on_line(&mut self, raw: &[u8], step: &mut Step) {
        let text = String::from_utf8_lossy(raw).into_owned();
        match std::mem::replace(&mut self.phase, Phase::Over) {
            Phase::Login => {
                self.echo(raw, step);
                let user = text.trim().to_string();
                if user.is_empty() {
                    self.say(self.profile.login_prompt, step);
                    self.phase = Phase::Login;
                } else {
                    self.say(self.profile.password_prompt, step);
                    self.phase = Phase::Password { user };
                }
            }
            Phase::Password { user } => {
                step.send.extend_from_slice(b"\r\n");
                let password = text;
                if self.profile.accept.allows(&user, &password) {
                    step.details.push(Detail::LoginSuccess {
                        username: user,
                        password,
                    });
                    self.say(self.profile.motd, step);
                    self.say(self.profile.prompt, step);
                    self.phase = Phase::Shell(Box::new(Shell::new(self.profile)));
                } else {
                    step.details.push(Detail::LoginFailed {
                        username: user,
                        password,
                    });
                    self.failures += 1;
                    self.say(self.profile.login_failed, step);
                    if self.failures >= MAX_LOGIN_ATTEMPTS {
                        self.end(End::LoginFailures, step);
                    } else {
                        self.say(self.profile.login_prompt, step);
                        self.phase = Phase::Login;
                    }
                }
            }
            Phase::Shell(mut sh) => {
                self.echo(raw, step);
                let input = text.trim();
                let mut exit = false;
                if !input.is_empty() {
                    step.details.push(Detail::CommandInput {
                        input: input.to_string(),
                    });
                    let out = sh.run_line(input);
                    for e in out.events {
                        step.details.push(match e {
                            ShellEvent::Download { url, destfile } => Detail::FileDownload {
                                url: Some(url),
                                destfile,
                                shasum: None,
                                size: None,
                            },
                            ShellEvent::NotFound { input } => Detail::CommandFailed { input },
                        });
                    }
                    telnet::encode_text(&out.text, &mut step.send);
                    exit = out.exit;
                }
                self.phase = Phase::Shell(sh);
                if exit {
                    self.end(End::Exit, step);
                } else {
                    self.say(self.profile.prompt, step);
                }
            }
            Phase::Over => {}
        }
    }

    /// The records of a session's end: for every file it wrote (non-empty), its path, size
    /// and SHA-256, as Cowrie records redirected output when a session closes.
    pub fn finish(&mut self) -> Vec<Detail> {
        if let Phase::Shell(sh) = std::mem::replace(&mut self.phase, Phase::Over) {
            self.last_shell = Some(sh);
        }
        let Some(sh) = &self.last_shell else {
            return Vec::new();
        };
        sh.fs()
            .written_files()
            .filter(|(_, f)| !f.data.is_empty())
            .map(|(path, f)| Detail::FileDownload {
                url: None,
                destfile: Some(path.clone()),
                shasum: Some(hex::encode(Sha256::digest(&f.data))),
                size: Some(f.data.len() as u64),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::DVR;

    #[test]
    fn login_then_shell_then_exit() {
        let (mut s, open) = TelnetSession::new(&DVR, 1024);
        assert_eq!(open[0], telnet::IAC);
        assert!(open.ends_with(b"LocalHost login: "));
        let st = s.feed(b"root\r\0");
        assert_eq!(st.send, b"Password: ");
        let st = s.feed(b"wrong\r\n");
        assert_eq!(
            st.details,
            [Detail::LoginFailed {
                username: "root".into(),
                password: "wrong".into()
            }]
        );
        assert!(String::from_utf8_lossy(&st.send).contains("Login incorrect"));
        s.feed(b"root\n");
        let st = s.feed(b"xc3511\n");
        assert!(matches!(st.details[..], [Detail::LoginSuccess { .. }]));
        assert!(st.send.ends_with(b"# "));
        let st = s.feed(b"cd /tmp; echo -ne '\\x41' > a\r\nexit\r\n");
        assert_eq!(st.end, Some(End::Exit));
        let fin = s.finish();
        assert_eq!(fin.len(), 1);
        assert!(
            matches!(&fin[0], Detail::FileDownload { destfile: Some(d), size: Some(1), .. } if d == "/tmp/a")
        );
    }

    #[test]
    fn a_line_over_the_limit_ends_the_session() {
        let (mut s, _) = TelnetSession::new(&DVR, 16);
        let st = s.feed(&[b'a'; 17]);
        assert_eq!(st.end, Some(End::LineTooLong));
        assert_eq!(s.feed(b"more\n"), Step::default());
    }

    #[test]
    fn three_failures_hang_up() {
        let (mut s, _) = TelnetSession::new(&DVR, 64);
        let st = s.feed(b"a\nb\nc\nd\ne\nf\n");
        assert_eq!(st.details.len(), 3);
        assert_eq!(st.end, Some(End::LoginFailures));
    }
}
