//! Telnet (RFC 854/855): strip IAC negotiation from the banner, refuse every option, spot the
//! login and password prompts, and classify the reply to a password.

/// IAC and the commands we handle (RFC 854).
const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
/// Longest subnegotiation we skip before giving up on finding its IAC SE (a malformed or
/// hostile peer could otherwise keep us in "inside SB" forever; the bytes are discarded).
pub const MAX_SUBNEGOTIATION: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Data,
    Iac,
    /// After DO/DONT/WILL/WONT: the next byte is the option.
    Option(u8),
    Sub(usize),
    SubIac(usize),
}

/// Streaming telnet decoder: feed raw bytes, get text and the refusals to send back.
#[derive(Debug, Default)]
pub struct Decoder {
    state: State,
    /// Negotiation commands seen (for the service notes).
    pub negotiations: usize,
    /// Subnegotiations cut off at [`MAX_SUBNEGOTIATION`].
    pub malformed: usize,
}

impl Decoder {
    /// Decodes `input`: plain data is appended to `text`; for every DO we answer WONT and for
    /// every WILL we answer DONT (we accept no option), appended to `reply`.
    pub fn feed(&mut self, input: &[u8], text: &mut Vec<u8>, reply: &mut Vec<u8>) {
        for &b in input {
            self.state = match self.state {
                State::Data if b == IAC => State::Iac,
                State::Data => {
                    text.push(b);
                    State::Data
                }
                State::Iac => match b {
                    IAC => {
                        text.push(IAC);
                        State::Data
                    }
                    DO | DONT | WILL | WONT => State::Option(b),
                    SB => State::Sub(0),
                    // NOP, GA, AYT, …: one-byte commands, nothing to answer.
                    _ => State::Data,
                },
                State::Option(cmd) => {
                    self.negotiations += 1;
                    match cmd {
                        DO => reply.extend_from_slice(&[IAC, WONT, b]),
                        WILL => reply.extend_from_slice(&[IAC, DONT, b]),
                        // DONT/WONT need no answer: we never enabled anything.
                        _ => {}
                    }
                    State::Data
                }
                State::Sub(n) | State::SubIac(n) if n >= MAX_SUBNEGOTIATION => {
                    self.malformed += 1;
                    State::Data
                }
                State::Sub(n) if b == IAC => State::SubIac(n + 1),
                State::Sub(n) => State::Sub(n + 1),
                State::SubIac(_) if b == SE => State::Data,
                State::SubIac(n) => State::Sub(n + 1),
            };
        }
    }
}

/// Trailing text of the screen, lower-cased and trimmed, for prompt matching.
fn tail(text: &[u8]) -> String {
    let start = text.len().saturating_sub(300);
    String::from_utf8_lossy(&text[start..])
        .trim_end()
        .to_ascii_lowercase()
}

/// Endings of a user-name prompt: util-linux/shadow `login` (`host login:`), BusyBox
/// (`(none) login:`), routers and DVRs (`Username:`, `User Name:`, `Login as:`, `Account:`).
const LOGIN_PROMPTS: [&str; 6] = [
    "login:",
    "username:",
    "user name:",
    "user:",
    "login as:",
    "account:",
];
/// Endings of a password prompt.
const PASSWORD_PROMPTS: [&str; 3] = ["password:", "passwd:", "pass:"];
/// Words of a refused login: `Login incorrect` (util-linux, shadow and BusyBox `login`),
/// `Authentication failed`, `Access denied`, `% Bad passwords` (Cisco-like shells), `Invalid
/// password`, `Wrong password`.
const FAILURES: [&str; 7] = [
    "incorrect",
    "failed",
    "invalid",
    "denied",
    "bad password",
    "wrong",
    "not allowed",
];
/// Lines a *successful* `login` prints that hold a failure word; removed before the failure
/// words are looked for (shadow's `login` reports earlier failures after a good password).
const BENIGN: [&str; 3] = [
    "failed login attempt",
    "last failed login",
    "since the last successful login",
];
/// What a shell or a message of the day after a successful login says (used only when the
/// reply ends without a prompt): `Last login:`, BusyBox's `built-in shell (ash)`, Debian's MOTD,
/// `login` without a home directory.
const AFTER_LOGIN: [&str; 7] = [
    "last login",
    "built-in shell",
    "busybox v",
    "welcome to",
    "the programs included with",
    "no directory, logging in",
    "you have new mail",
];

/// True when the screen ends with a user-name prompt (`login:`, `Username:`, `user name:`).
pub fn is_login_prompt(text: &[u8]) -> bool {
    let t = tail(text);
    LOGIN_PROMPTS.iter().any(|p| t.ends_with(p))
}

/// True when the screen ends with a password prompt.
pub fn is_password_prompt(text: &[u8]) -> bool {
    let t = tail(text);
    PASSWORD_PROMPTS.iter().any(|p| t.ends_with(p))
}

/// True when the screen ends with a shell prompt (`#`, `$`, `>`, `%`).
fn ends_with_shell_prompt(t: &str) -> bool {
    t.ends_with('#') || t.ends_with('$') || t.ends_with('>') || t.ends_with('%')
}

/// Verdict on the reply to a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    Success,
    Failure,
    /// Neither pattern seen yet (keep reading, or give up as unknown).
    Unknown,
}

/// True when the reply to a password is complete: it ends with a prompt (a shell, or a new
/// user-name or password prompt). Until then a `login` that delays its answer may still be
/// speaking, so the caller keeps reading.
pub fn reply_complete(after_password: &[u8]) -> bool {
    ends_with_shell_prompt(&tail(after_password))
        || is_login_prompt(after_password)
        || is_password_prompt(after_password)
}

/// Decides from the text that followed the password alone (no command is ever sent):
/// failure words or a new login/password prompt mean failure; a shell prompt (`#`, `$`, `>`,
/// `%` at the end) means success, and so does a message of the day without a prompt yet.
pub fn classify_login(after_password: &[u8]) -> LoginVerdict {
    let mut t = tail(after_password);
    for benign in BENIGN {
        t = t.replace(benign, "");
    }
    if FAILURES.iter().any(|f| t.contains(f))
        || is_login_prompt(after_password)
        || is_password_prompt(after_password)
    {
        return LoginVerdict::Failure;
    }
    if ends_with_shell_prompt(&t) || AFTER_LOGIN.iter().any(|m| t.contains(m)) {
        return LoginVerdict::Success;
    }
    LoginVerdict::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_options_and_strips_negotiation() {
        // IAC DO ECHO, IAC WILL SGA, IAC DO NAWS, text, IAC IAC (literal 255), IAC SB TTYPE
        // SEND IAC SE, then the prompt.
        let raw = b"\xff\xfd\x01\xff\xfb\x03\xff\xfd\x1f\r\nBusyBox\xff\xff\xff\xfa\x18\x01\xff\xf0login: ";
        let mut d = Decoder::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        d.feed(raw, &mut text, &mut reply);
        assert_eq!(text, b"\r\nBusyBox\xfflogin: ");
        assert_eq!(reply, b"\xff\xfc\x01\xff\xfe\x03\xff\xfc\x1f");
        assert_eq!(d.negotiations, 3);
        assert!(is_login_prompt(&text));
    }

    #[test]
    fn negotiation_split_across_reads() {
        let mut d = Decoder::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        d.feed(b"ab\xff", &mut text, &mut reply);
        d.feed(b"\xfd", &mut text, &mut reply);
        d.feed(b"\x18cd", &mut text, &mut reply);
        assert_eq!(text, b"abcd");
        assert_eq!(reply, b"\xff\xfc\x18");
    }

    #[test]
    fn endless_subnegotiation_is_cut() {
        let mut raw = vec![IAC, SB];
        raw.extend(std::iter::repeat_n(b'x', MAX_SUBNEGOTIATION + 10));
        raw.extend_from_slice(b"login:");
        let mut d = Decoder::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        d.feed(&raw, &mut text, &mut reply);
        assert_eq!(d.malformed, 1);
        assert!(text.ends_with(b"login:"));
        assert!(text.len() < 20);
    }

    #[test]
    fn real_login_replies() {
        // Debian 12 inetutils-telnetd + login(1) with PAM, as recorded in the namespace lab.
        let refused = b"\r\nLogin incorrect\r\nvm login: ";
        assert!(reply_complete(refused));
        assert_eq!(classify_login(refused), LoginVerdict::Failure);
        assert_eq!(classify_login(b"\r\n"), LoginVerdict::Unknown);
        assert!(!reply_complete(b"\r\n"));
        let motd =
            b"\r\nLinux vm 6.1.0 #1 SMP x86_64\r\n\r\nThe programs included with the Debian \
GNU/Linux system are free software;\r\nNo directory, logging in with HOME=/\r\n$ ";
        assert!(reply_complete(motd));
        assert_eq!(classify_login(motd), LoginVerdict::Success);
        // The MOTD alone (the prompt not there yet) is already a login.
        assert_eq!(
            classify_login(&motd[..motd.len() - 2]),
            LoginVerdict::Success
        );
        // shadow's login reports earlier failures after a good password.
        assert_eq!(
            classify_login(
                b"There were 3 failed login attempts since the last successful login.\r\n$ "
            ),
            LoginVerdict::Success
        );
        // BusyBox asks for the password again on some builds.
        assert_eq!(classify_login(b"\r\nPassword: "), LoginVerdict::Failure);
        assert_eq!(
            classify_login(b"\r\nWrong password\r\n"),
            LoginVerdict::Failure
        );
    }

    #[test]
    fn prompts_and_verdicts() {
        assert!(is_login_prompt(b"\r\nDVR login: "));
        assert!(is_login_prompt(b"Username:"));
        assert!(!is_login_prompt(b"Welcome"));
        assert!(is_password_prompt(b"root\r\nPassword: "));
        assert_eq!(
            classify_login(b"\r\n\r\nBusyBox v1.19.3 built-in shell (ash)\r\n# "),
            LoginVerdict::Success
        );
        assert_eq!(classify_login(b"\r\n[root@dvr ~]$ "), LoginVerdict::Success);
        assert_eq!(
            classify_login(b"\r\nLogin incorrect\r\n\r\nDVR login: "),
            LoginVerdict::Failure
        );
        assert_eq!(
            classify_login(b"\r\n% Authentication failed"),
            LoginVerdict::Failure
        );
        assert_eq!(classify_login(b"\r\n"), LoginVerdict::Unknown);
        assert_eq!(
            classify_login(b"Last login: Mon Jan 1 from 1.2.3.4\r\n~ # "),
            LoginVerdict::Success
        );
    }
}
