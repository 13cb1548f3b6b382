//! Telnet: the banner, then the credential checks over the login dialogue of real daemons.
//!
//! The waits follow the protocol, not the connect timeout: the first prompt may come late (a
//! daemon that resolves the caller's name first), so it is awaited for `Ctx::prompt_wait`
//! (bounded by the host budget) and the wait ends as soon as a prompt shows; `login` answers a
//! wrong password only after its failure delay (3 s in PAM's `pam_faildelay` and BusyBox), so
//! the reply is awaited for `Ctx::reply_wait` and the wait ends at the next prompt. A daemon
//! that prompts again after a failure gets the next pair on the same connection (`login` allows
//! a few); when it closes, the next pair goes over a new connection. `Ctx::login_lanes` such
//! connections run at once (`lanes.rs`). No command is ever sent after a login: the connection
//! is dropped at the first sign of a shell.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::time::Instant;

use super::lanes::{self, Attempts, Lane, Step};
use super::login::{record, seconds};
use super::tcp::open;
use super::{banner_text, Ctx, Stream};
use crate::creds::Credential;
use crate::model::{Evidence, Service, MAX_BANNER_BYTES};
use crate::net::{write_all, Bounded, ProbeError, ReadEnd};
use crate::proto::telnet as tn;

/// One telnet connection and the text received since we last sent something.
struct Session {
    conn: Bounded<Stream>,
    dec: tn::Decoder,
    screen: Vec<u8>,
}

impl Session {
    /// Reads (answering option negotiation with refusals) until `done(screen)`, `deadline`,
    /// the screen limit, or the end of the connection.
    async fn read(
        &mut self,
        ctx: &Ctx,
        deadline: Instant,
        done: impl Fn(&[u8]) -> bool,
    ) -> Result<ReadEnd, ProbeError> {
        loop {
            if done(&self.screen) {
                return Ok(ReadEnd::Done);
            }
            if self.screen.len() >= MAX_BANNER_BYTES {
                return Ok(ReadEnd::Limit);
            }
            let mut raw = Vec::new();
            let end = self
                .conn
                .read_until_at(&mut raw, 2048, deadline, None, |r| !r.is_empty())
                .await?;
            let mut refusals = Vec::new();
            self.dec.feed(&raw, &mut self.screen, &mut refusals);
            if !refusals.is_empty() {
                write_all(&mut self.conn.inner, &refusals, ctx.guard.timeout).await?;
            }
            if end != ReadEnd::Done {
                return Ok(if done(&self.screen) {
                    ReadEnd::Done
                } else {
                    end
                });
            }
        }
    }

    /// Sends one line; what came before it is forgotten.
    async fn send_line(&mut self, ctx: &Ctx, line: &str) -> Result<(), ProbeError> {
        self.screen.clear();
        write_all(
            &mut self.conn.inner,
            format!("{line}\r\n").as_bytes(),
            ctx.guard.timeout,
        )
        .await
    }
}

fn at_prompt(text: &[u8]) -> bool {
    tn::is_login_prompt(text) || tn::is_password_prompt(text)
}

/// Connects and waits for the first prompt (up to `prompt_wait`, never past the host budget).
async fn connect(
    ctx: &Ctx,
    addr: SocketAddr,
    action: &str,
    evidence: &mut Vec<Evidence>,
    deadline: Instant,
) -> Result<(Session, ReadEnd), ProbeError> {
    let (conn, _) = open(ctx, addr, false, action, evidence).await?;
    let mut s = Session {
        conn,
        dec: tn::Decoder::default(),
        screen: Vec::new(),
    };
    let wait_until = (Instant::now() + ctx.prompt_wait).min(deadline);
    let end = s.read(ctx, wait_until, at_prompt).await?;
    Ok((s, end))
}

/// The banner probe; with a prompt and credentials to try, the same connection carries the
/// first attempts.
pub(super) async fn probe(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let started = Instant::now();
    let (session, end) = connect(
        ctx,
        addr,
        "connect telnet (banner)",
        &mut svc.evidence,
        deadline,
    )
    .await?;
    svc.banner = banner_text(&session.screen);
    if session.dec.negotiations > 0 {
        svc.fields.insert(
            "telnet_negotiations".into(),
            session.dec.negotiations.to_string(),
        );
    }
    if session.dec.malformed > 0 {
        svc.fields
            .insert("telnet_malformed".into(), session.dec.malformed.to_string());
    }
    let prompt = end == ReadEnd::Done;
    svc.fields.insert("login_prompt".into(), prompt.to_string());
    if !prompt {
        let why = match end {
            ReadEnd::Eof => "the daemon closed the connection before any prompt",
            ReadEnd::Limit => "too much output before any prompt",
            _ => "no login prompt within the prompt wait",
        };
        svc.fields.insert("login_note".into(), why.into());
        return Ok(());
    }
    svc.fields
        .insert("login_prompt_seconds".into(), seconds(started.elapsed()));
    if ctx.credentials.is_empty() {
        return Ok(());
    }
    check(ctx, addr, svc, deadline, session, started).await
}

/// What one attempt found out.
enum Outcome {
    Success,
    /// Refused; the session is returned when the daemon prompts again on it.
    Failure(Option<Session>),
    /// Closed right after the password without a word.
    SilentDrop,
    /// Not a login dialogue we understand: stop, with the reason.
    Stop(String),
}

/// Telnet attempts for the login lanes.
struct Telnet {
    ctx: Ctx,
    addr: SocketAddr,
    deadline: Instant,
}

impl Attempts for Telnet {
    type Session = Session;

    async fn attempt(&self, lane: &mut Lane<Session>, c: &Credential) -> Result<Step, ProbeError> {
        let s = match lane.session.take() {
            Some(s) => s,
            None => {
                lane.connections += 1;
                let action = format!("login telnet user={}", c.username);
                match connect(
                    &self.ctx,
                    self.addr,
                    &action,
                    &mut lane.evidence,
                    self.deadline,
                )
                .await?
                {
                    (s, ReadEnd::Done) => s,
                    _ => return Ok(Step::Stop("no login prompt after reconnecting".into())),
                }
            }
        };
        lane.tried += 1;
        let asked = Instant::now();
        Ok(match attempt(&self.ctx, s, c).await? {
            Outcome::Success => Step::Success,
            Outcome::Failure(next) => {
                lane.session = next;
                Step::Refused {
                    took: asked.elapsed(),
                }
            }
            Outcome::SilentDrop => Step::SilentDrop,
            Outcome::Stop(why) => Step::Stop(why),
        })
    }

    async fn close(&self, _session: Session) {}
}

/// Tries the credentials over `Ctx::login_lanes` connections at once, `first` (the banner
/// connection) carrying the first attempts of lane 0; after a success, the control attempt.
async fn check(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
    first: Session,
    started: Instant,
) -> Result<(), ProbeError> {
    let telnet = Arc::new(Telnet {
        ctx: ctx.clone(),
        addr,
        deadline,
    });
    let mut t = lanes::run(
        telnet,
        ctx.credentials.clone(),
        ctx.login_lanes,
        super::login::pairs_before_control(ctx),
        deadline,
        Some(first),
        &mut svc.evidence,
    )
    .await;
    if let Some(c) = t.success.and_then(|i| ctx.credentials.get(i)) {
        t.tried += 1;
        t.connections += 1;
        match control(ctx, addr, svc, c, deadline).await? {
            Outcome::Success => {
                t.stopped = Some(
                    "the daemon also accepts a random password (not a real login, or a \
                     honeypot): no weak credential reported"
                        .into(),
                );
            }
            other => {
                record(svc, c);
                let control = match other {
                    Outcome::Failure(_) | Outcome::SilentDrop => "refused",
                    _ => "no answer",
                };
                svc.fields.insert("login_control".into(), control.into());
            }
        }
    }
    super::login::record_lanes(svc, t, started);
    Ok(())
}

/// After a success: the same user with a password nobody chose must be refused, or the
/// "success" was a daemon that answers every password alike.
async fn control(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    c: &Credential,
    deadline: Instant,
) -> Result<Outcome, ProbeError> {
    let action = format!("login telnet user={} (control)", c.username);
    let (s, end) = connect(ctx, addr, &action, &mut svc.evidence, deadline).await?;
    if end != ReadEnd::Done {
        return Ok(Outcome::Stop("no prompt".into()));
    }
    let random = Credential {
        password: control_password(),
        ..c.clone()
    };
    attempt(ctx, s, &random).await
}

/// A password no device ships with: a random 64-bit value from std's randomly keyed hasher.
pub(super) fn control_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("yamori-{:016x}", h.finish())
}

/// One user/password exchange on a session that shows a prompt.
///
/// The reply waits may run past the host budget by one wait: the engine's hard limit leaves
/// room for that.
async fn attempt(ctx: &Ctx, mut s: Session, c: &Credential) -> Result<Outcome, ProbeError> {
    let user_prompt = tn::is_login_prompt(&s.screen);
    if user_prompt {
        s.send_line(ctx, &c.username).await?;
        let end = s
            .read(ctx, Instant::now() + ctx.reply_wait, |x| {
                tn::is_password_prompt(x) || tn::reply_complete(x)
            })
            .await?;
        if !tn::is_password_prompt(&s.screen) {
            // Some devices refuse an unknown user before asking for a password.
            return Ok(match tn::classify_login(&s.screen) {
                tn::LoginVerdict::Failure => Outcome::Failure(None),
                _ if end == ReadEnd::Eof => Outcome::SilentDrop,
                _ => Outcome::Stop("no password prompt after the user name".into()),
            });
        }
    } else if !tn::is_password_prompt(&s.screen) {
        return Ok(Outcome::Stop("no login prompt".into()));
    }
    s.send_line(ctx, &c.password).await?;
    let end = s
        .read(ctx, Instant::now() + ctx.reply_wait, tn::reply_complete)
        .await?;
    Ok(match tn::classify_login(&s.screen) {
        // Dropping the session closes the connection: nothing is sent after the password.
        tn::LoginVerdict::Success => Outcome::Success,
        tn::LoginVerdict::Failure => {
            // The next pair can go over this connection when the daemon prompts again for
            // what we send first (a user name, or a password on password-only devices).
            let again = end == ReadEnd::Done
                && if user_prompt {
                    tn::is_login_prompt(&s.screen)
                } else {
                    tn::is_password_prompt(&s.screen)
                };
            Outcome::Failure(again.then_some(s))
        }
        tn::LoginVerdict::Unknown
            if end == ReadEnd::Eof && s.screen.iter().all(|b| b.is_ascii_whitespace()) =>
        {
            Outcome::SilentDrop
        }
        tn::LoginVerdict::Unknown => Outcome::Stop(match end {
            ReadEnd::Limit => "too much output after the password".into(),
            ReadEnd::Eof => {
                "the connection closed after the password with an unrecognised reply".into()
            }
            _ => format!(
                "no recognisable reply to the password within {} s",
                seconds(ctx.reply_wait)
            ),
        }),
    })
}
