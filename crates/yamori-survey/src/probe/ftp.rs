//! FTP: the greeting, an anonymous login (reported on its own, `ftp_anonymous`: an open
//! anonymous server is not a weak password; left out with `--no-anonymous`), then
//! `USER`/`PASS` with the credential list and `QUIT`. Nothing else is ever sent: no listing, no transfer.
//!
//! The anonymous password is the survey's contact: by convention it is the caller's e-mail
//! address, so it is the protocol's place for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::lanes::{self, Attempts, Lane, Step};
use super::login::{record, record_lanes};
use super::tcp::open;
use super::{banner_text, Ctx, Stream};
use crate::creds::{Credential, MAX_ATTEMPTS_PER_SERVICE};
use crate::model::{Evidence, Service};
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
    evidence: &mut Vec<Evidence>,
    deadline: Instant,
) -> Result<(Session, Option<fp::Reply>), ProbeError> {
    let (conn, _) = open(ctx, addr, false, action, evidence).await?;
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
    let (s, greeting) = connect(
        ctx,
        addr,
        "connect ftp (greeting)",
        &mut svc.evidence,
        deadline,
    )
    .await?;
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
    // The anonymous login (on the greeting connection) and the credential lanes (on their
    // own connections) run at once: each refusal costs the server's failure delay. Without the
    // anonymous check the greeting connection carries the lanes' first attempts.
    let ftp = Arc::new(Ftp {
        ctx: ctx.clone(),
        addr,
        deadline,
    });
    let (greeting_conn, first) = if ctx.ftp_anonymous {
        (Some(s), None)
    } else {
        (None, Some(s))
    };
    let anonymous = async {
        match greeting_conn {
            Some(s) => Some(login(ctx, s, "anonymous", &ctx.contact).await),
            None => None,
        }
    };
    let (anonymous, mut t) = tokio::join!(
        anonymous,
        lanes::run(
            ftp,
            ctx.credentials.clone(),
            ctx.login_lanes,
            ctx.credentials.len().min(MAX_ATTEMPTS_PER_SERVICE),
            deadline,
            first,
            &mut svc.evidence,
        )
    );
    if let Some(anonymous) = anonymous {
        let anonymous = match anonymous? {
            Outcome::Success => "true".to_string(),
            Outcome::Refused(s) => {
                if let Some(s) = s {
                    s.quit(ctx).await;
                }
                "false".to_string()
            }
            Outcome::Closed => "unknown: no reply to USER".to_string(),
            Outcome::Stop(why) => format!("unknown: {why}"),
        };
        svc.fields.insert("ftp_anonymous".into(), anonymous);
        // The greeting connection (the lanes counted it when it carried their first pair).
        t.connections += 1;
    }
    // No control attempt with a random password here, unlike telnet: 230 is the server's own
    // statement, and a server that makes it for any password is weak in itself.
    if let Some(c) = t.success.and_then(|i| ctx.credentials.get(i)) {
        record(svc, c);
    }
    record_lanes(svc, t, started);
    Ok(())
}

/// FTP attempts for the login lanes.
struct Ftp {
    ctx: Ctx,
    addr: SocketAddr,
    deadline: Instant,
}

impl Attempts for Ftp {
    type Session = Session;

    async fn attempt(&self, lane: &mut Lane<Session>, c: &Credential) -> Result<Step, ProbeError> {
        let mut fresh = false;
        loop {
            let s = match lane.session.take() {
                Some(s) => s,
                None => {
                    lane.connections += 1;
                    fresh = true;
                    let action = format!("login ftp user={}", c.username);
                    match connect(
                        &self.ctx,
                        self.addr,
                        &action,
                        &mut lane.evidence,
                        self.deadline,
                    )
                    .await?
                    {
                        (s, Some(g)) if g.code == 220 => s,
                        _ => return Ok(Step::Stop("no greeting after reconnecting".into())),
                    }
                }
            };
            let asked = Instant::now();
            // Counted before the exchange: an attempt dropped at another lane's success may
            // have reached the server.
            lane.tried += 1;
            match login(&self.ctx, s, &c.username, &c.password).await? {
                // A reused connection the server closed: the same pair over a new one.
                Outcome::Closed if !fresh => lane.tried -= 1,
                Outcome::Closed => {
                    lane.tried -= 1;
                    return Ok(Step::Stop("no reply to USER".into()));
                }
                Outcome::Success => return Ok(Step::Success),
                Outcome::Refused(next) => {
                    lane.session = next;
                    return Ok(Step::Refused {
                        took: asked.elapsed(),
                    });
                }
                Outcome::Stop(why) => {
                    lane.tried -= 1;
                    return Ok(Step::Stop(why));
                }
            }
        }
    }

    async fn close(&self, session: Session) {
        session.quit(&self.ctx).await;
    }
}
