//! Telnet: the banner, then the credential checks over the login dialogue of real daemons.
//!
//! The waits follow the protocol, not the connect timeout: the first prompt may come late (a
//! daemon that resolves the caller's name first), so it is awaited for `Ctx::prompt_wait`
//! (bounded by the host budget) and the wait ends as soon as a prompt shows; `login` answers a
//! wrong password only after its failure delay (3 s in PAM's `pam_faildelay` and BusyBox), so
//! the reply is awaited for `Ctx::reply_wait` and the wait ends at the next prompt. A daemon
//! that prompts again after a failure gets the next pair on the same connection (`login` allows
//! a few); when it closes, the next pair goes over a new connection. `Ctx::login_lanes` such
//! connections run at once, taking pairs from one list in order; the first success stops all. No command is ever sent
//! after a login: the connection is dropped at the first sign of a shell.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::login::{record, seconds};
use super::tcp::open;
use super::{banner_text, Ctx, Stream};
use crate::creds::Credential;
use crate::model::{Evidence, Service, MAX_BANNER_BYTES};
use crate::net::{write_all, Bounded, ProbeError, ReadEnd};
use crate::proto::telnet as tn;

/// Consecutive connections closed right after a password with no answer before the checks
/// stop (a daemon that drops every attempt teaches nothing more after that).
const MAX_SILENT_DROPS: usize = 3;

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

/// What one lane of attempts did.
#[derive(Default)]
struct Lane {
    evidence: Vec<Evidence>,
    /// Attempts started (a password sent, or about to be).
    tried: usize,
    connections: usize,
    slowest_refusal: Duration,
    /// Index in the list of the pair that logged in.
    success: Option<usize>,
    stopped: Option<String>,
}

/// What the lanes of one service share: the next pair to try, consecutive silent drops, the
/// signal to drop every attempt in flight (a success: nothing more to learn), and the flag
/// that starts no new attempt (one lane saw the daemon stop behaving like a login, or failed).
/// The two differ on purpose: one lane's trouble must not cut off another lane's attempt that
/// is about to succeed.
struct Shared {
    next: AtomicUsize,
    silent: AtomicUsize,
    halt: watch::Sender<bool>,
    no_more: AtomicBool,
}

impl Shared {
    fn halt(&self) {
        self.halt.send_replace(true);
    }

    fn start_no_more(&self) {
        self.no_more.store(true, Ordering::Relaxed);
    }
}

/// One lane: takes the next pair from the shared list, keeps its connection while the daemon
/// prompts again, reconnects when it closes. `session` is the banner connection (lane 0).
async fn lane(
    ctx: Ctx,
    addr: SocketAddr,
    deadline: Instant,
    mut session: Option<Session>,
    shared: Arc<Shared>,
    mut halt: watch::Receiver<bool>,
) -> Lane {
    let mut lane = Lane {
        connections: usize::from(session.is_some()),
        ..Lane::default()
    };
    let limit = super::login::pairs_before_control(&ctx);
    loop {
        if *halt.borrow() || shared.no_more.load(Ordering::Relaxed) {
            break;
        }
        if Instant::now() >= deadline {
            lane.stopped = Some("per-host time budget exhausted".into());
            break;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(c) = ctx.credentials.get(i).filter(|_| i < limit) else {
            break;
        };
        let work = async {
            let s = match session.take() {
                Some(s) => s,
                None => {
                    lane.connections += 1;
                    let action = format!("login telnet user={}", c.username);
                    match connect(&ctx, addr, &action, &mut lane.evidence, deadline).await? {
                        (s, ReadEnd::Done) => s,
                        _ => {
                            return Ok((
                                Outcome::Stop("no login prompt after reconnecting".into()),
                                Duration::ZERO,
                            ))
                        }
                    }
                }
            };
            lane.tried += 1;
            let asked = Instant::now();
            let outcome = attempt(&ctx, s, c).await?;
            Ok::<_, ProbeError>((outcome, asked.elapsed()))
        };
        let outcome = tokio::select! {
            r = work => r,
            // Another lane succeeded: drop this attempt's connection.
            _ = halt.wait_for(|h| *h) => break,
        };
        match outcome {
            Ok((Outcome::Success, _)) => {
                lane.success = Some(i);
                shared.halt();
                break;
            }
            Ok((Outcome::Failure(next), took)) => {
                shared.silent.store(0, Ordering::Relaxed);
                lane.slowest_refusal = lane.slowest_refusal.max(took);
                session = next;
            }
            Ok((Outcome::SilentDrop, _)) => {
                let silent = shared.silent.fetch_add(1, Ordering::Relaxed) + 1;
                if silent >= MAX_SILENT_DROPS {
                    lane.stopped = Some(format!(
                        "the daemon closed the connection after {silent} passwords in a row \
                         without an answer"
                    ));
                    shared.start_no_more();
                    break;
                }
            }
            Ok((Outcome::Stop(why), _)) => {
                lane.stopped = Some(why);
                shared.start_no_more();
                break;
            }
            Err(e) => {
                lane.stopped = Some(e.to_string());
                shared.start_no_more();
                break;
            }
        }
    }
    lane
}

/// Tries the credentials over `Ctx::login_lanes` connections at once, `first` (the banner
/// connection) carrying the first attempts of lane 0.
async fn check(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
    first: Session,
    started: Instant,
) -> Result<(), ProbeError> {
    let (halt, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        next: AtomicUsize::new(0),
        silent: AtomicUsize::new(0),
        halt,
        no_more: AtomicBool::new(false),
    });
    let mut first = Some(first);
    let mut set = JoinSet::new();
    for _ in 0..ctx.login_lanes.max(1) {
        let rx = shared.halt.subscribe();
        set.spawn(lane(
            ctx.clone(),
            addr,
            deadline,
            first.take(),
            shared.clone(),
            rx,
        ));
    }
    let mut lanes = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(l) => lanes.push(l),
            // A panicking lane is a bug; it loses its own attempts, not the service.
            Err(e) => tracing::error!(error = %e, "telnet login lane failed"),
        }
    }
    let mut tried: usize = lanes.iter().map(|l| l.tried).sum();
    let mut connections: usize = lanes.iter().map(|l| l.connections).sum();
    let slowest_refusal = lanes
        .iter()
        .map(|l| l.slowest_refusal)
        .max()
        .unwrap_or_default();
    let success = lanes.iter().filter_map(|l| l.success).min();
    let mut stopped = lanes.iter().find_map(|l| l.stopped.clone());
    let mut evidence: Vec<Evidence> = lanes.into_iter().flat_map(|l| l.evidence).collect();
    evidence.sort_by_key(|e| e.time);
    svc.evidence.extend(evidence);
    if let Some(c) = success.and_then(|i| ctx.credentials.get(i)) {
        stopped = None;
        tried += 1;
        connections += 1;
        match control(ctx, addr, svc, c, deadline).await? {
            Outcome::Success => {
                stopped = Some(
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
    super::login::record_tally(svc, stopped, tried, connections, started);
    if slowest_refusal > Duration::ZERO {
        // How long this device takes to refuse a password: a later run can set --login-wait
        // from it.
        svc.fields
            .insert("login_refusal_seconds".into(), seconds(slowest_refusal));
    }
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
