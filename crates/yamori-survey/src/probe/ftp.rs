//! FTP: the greeting, an anonymous login (reported on its own, `ftp_anonymous`: an open
//! anonymous server is not a weak password), then `USER`/`PASS` with the credential list and
//! `QUIT`. Nothing else is ever sent: no listing, no transfer.
//!
//! The anonymous password is the survey's contact: by convention it is the caller's e-mail
//! address, so it is the protocol's place for it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use super::login::{budget_spent, record};
use super::tcp::open;
use super::{banner_text, Ctx, Stream};
use crate::creds::Credential;
use crate::model::Service;
use crate::net::{write_all, Bounded, ProbeError, ReadEnd};
use crate::proto::ftp as fp;

/// One control connection and the bytes read past the last reply.
struct Session {
    conn: Bounded<Stream>,
    pending: Vec<u8>,
}

impl Session {
    /// Reads one reply; `None` when the server closed or said nothing in `wait`.
    async fn reply(&mut self, wait: Duration) -> Result<Option<fp::Reply>, ProbeError> {
        let deadline = Instant::now() + wait;
        let end = self
            .conn
            .read_until_at(&mut self.pending, fp::MAX_REPLY + 1, deadline, None, |b| {
                !matches!(fp::parse_reply(b), Ok(None))
            })
            .await?;
        match fp::parse_reply(&self.pending) {
            Ok(Some(r)) => {
                self.pending.drain(..r.len);
                Ok(Some(r))
            }
            Ok(None) if end == ReadEnd::Limit => Err(malformed("reply too long".into())),
            Ok(None) => Ok(None),
            Err(e) => Err(malformed(e)),
        }
    }

    async fn send(&mut self, ctx: &Ctx, verb: &str, arg: &str) -> Result<(), ProbeError> {
        write_all(
            &mut self.conn.inner,
            &fp::command(verb, arg),
            ctx.guard.timeout,
        )
        .await
    }

    /// `QUIT`, without waiting for much of an answer.
    async fn quit(mut self, ctx: &Ctx) {
        if self.send(ctx, "QUIT", "").await.is_ok() {
            let _ = self.reply(ctx.guard.timeout).await;
        }
    }
}

fn malformed(detail: String) -> ProbeError {
    ProbeError::Malformed {
        what: "ftp",
        detail,
    }
}

/// Connects and reads the greeting (a server may look the caller's name up first).
async fn connect(
    ctx: &Ctx,
    addr: SocketAddr,
    action: &str,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(Session, Option<fp::Reply>), ProbeError> {
    let (conn, _) = open(ctx, addr, false, action, &mut svc.evidence).await?;
    let mut s = Session {
        conn,
        pending: Vec::new(),
    };
    let wait = ctx
        .prompt_wait
        .min(deadline.saturating_duration_since(Instant::now()));
    let greeting = s.reply(wait).await?;
    Ok((s, greeting))
}

/// What one login found out.
enum Outcome {
    Success,
    /// Refused; the session comes back while the server still talks.
    Refused(Option<Session>),
    /// No answer to `USER`: the server closed (vsftpd after `max_login_fails`).
    Closed,
    Stop(String),
}

/// `USER` then (on 331/332) `PASS`.
async fn login(
    ctx: &Ctx,
    mut s: Session,
    user: &str,
    password: &str,
) -> Result<Outcome, ProbeError> {
    s.send(ctx, "USER", user).await?;
    let Some(r) = s.reply(ctx.reply_wait).await? else {
        return Ok(Outcome::Closed);
    };
    let r = match r.code {
        // Logged in by name alone.
        230 => {
            s.quit(ctx).await;
            return Ok(Outcome::Success);
        }
        331 | 332 => {
            s.send(ctx, "PASS", password).await?;
            // vsftpd and PAM delay a refusal: the reply wait covers it.
            let Some(r) = s.reply(ctx.reply_wait).await? else {
                return Ok(Outcome::Refused(None));
            };
            r
        }
        _ => r,
    };
    Ok(match r.code {
        230 | 202 => {
            s.quit(ctx).await;
            Outcome::Success
        }
        // 421: closing (too many failures).
        421 => Outcome::Refused(None),
        // 530 not logged in, 532 account needed, other permanent errors.
        500..=599 => Outcome::Refused(Some(s)),
        other => Outcome::Stop(format!("unexpected reply {other} {}", r.text)),
    })
}

pub(super) async fn probe(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let started = Instant::now();
    let (s, greeting) = connect(ctx, addr, "connect ftp (greeting)", svc, deadline).await?;
    let Some(g) = greeting else {
        return Err(ProbeError::Timeout {
            what: "ftp greeting",
        });
    };
    svc.banner = banner_text(format!("{} {}", g.code, g.text).as_bytes());
    svc.fields.insert("ftp_code".into(), g.code.to_string());
    // recog's ftp.banner rules match the text after the reply code.
    if !g.text.is_empty() {
        svc.fields.insert("ftp_text".into(), g.text.clone());
    }
    if g.code != 220 || ctx.credentials.is_empty() {
        s.quit(ctx).await;
        return Ok(());
    }
    let anonymous = login(ctx, s, "anonymous", &ctx.contact).await?;
    let mut session = match anonymous {
        Outcome::Success => {
            svc.fields.insert("ftp_anonymous".into(), "true".into());
            None
        }
        Outcome::Refused(s) => {
            svc.fields.insert("ftp_anonymous".into(), "false".into());
            s
        }
        Outcome::Closed => {
            svc.fields
                .insert("ftp_anonymous".into(), "unknown: no reply to USER".into());
            None
        }
        Outcome::Stop(why) => {
            svc.fields
                .insert("ftp_anonymous".into(), format!("unknown: {why}"));
            None
        }
    };
    let (mut tried, mut connections) = (0usize, 1usize);
    let mut stopped = None;
    for c in ctx
        .credentials
        .iter()
        .take(super::login::pairs_before_control(ctx))
    {
        if budget_spent(svc, deadline) {
            break;
        }
        let mut fresh = false;
        let outcome = loop {
            let s = match session.take() {
                Some(s) => s,
                None => {
                    connections += 1;
                    fresh = true;
                    let action = format!("login ftp user={}", c.username);
                    match connect(ctx, addr, &action, svc, deadline).await? {
                        (s, Some(g)) if g.code == 220 => s,
                        _ => break Outcome::Stop("no greeting after reconnecting".into()),
                    }
                }
            };
            match login(ctx, s, &c.username, &c.password).await? {
                // A reused connection the server closed: the same pair over a new one.
                Outcome::Closed if !fresh => continue,
                Outcome::Closed => break Outcome::Stop("no reply to USER".into()),
                other => break other,
            }
        };
        tried += usize::from(!matches!(outcome, Outcome::Stop(_)));
        match outcome {
            Outcome::Success => {
                tried += 1;
                connections += 1;
                match control(ctx, addr, svc, c, deadline).await? {
                    Outcome::Success => {
                        stopped = Some(
                            "the server also accepts a random password: no weak credential \
                             reported"
                                .into(),
                        );
                    }
                    _ => {
                        record(svc, c);
                        svc.fields.insert("login_control".into(), "refused".into());
                    }
                }
                break;
            }
            Outcome::Refused(next) => session = next,
            Outcome::Closed | Outcome::Stop(_) => {
                if let Outcome::Stop(why) = outcome {
                    stopped = Some(why);
                }
                break;
            }
        }
    }
    if let Some(s) = session {
        s.quit(ctx).await;
    }
    super::login::record_tally(svc, stopped, tried, connections, started);
    Ok(())
}

/// After a success: the same user with a random password must be refused.
async fn control(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    c: &Credential,
    deadline: Instant,
) -> Result<Outcome, ProbeError> {
    let action = format!("login ftp user={} (control)", c.username);
    match connect(ctx, addr, &action, svc, deadline).await? {
        (s, Some(g)) if g.code == 220 => {
            login(ctx, s, &c.username, &super::telnet::control_password()).await
        }
        _ => Ok(Outcome::Stop("no greeting".into())),
    }
}
