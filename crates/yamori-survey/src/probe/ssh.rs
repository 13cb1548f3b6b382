//! SSH: the identification line and the server's algorithm offer (KEXINIT), then password and
//! keyboard-interactive logins through `russh` over connections opened by the guard.
//!
//! A login only authenticates and disconnects: no channel is ever opened, so no session or
//! command starts on the device. A server that closes the connection after `MaxAuthTries`
//! failures ("Too many authentication failures") gets the next pairs over a new connection.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::MethodKind;
use tokio::time::Instant;

use super::lanes::{self, Attempts, Lane, Step};
use super::login::{record, record_lanes};
use super::tcp::{open, MAX_SSH_LINE};
use super::{banner_text, Ctx};
use crate::creds::{Credential, MAX_ATTEMPTS_PER_SERVICE};
use crate::model::{Evidence, Service};
use crate::net::{write_all, ProbeError};
use crate::proto::ssh as sp;

/// Rounds of keyboard-interactive questions answered in one attempt (PAM asks once; a
/// server that keeps asking is not a password login).
const MAX_KBD_ROUNDS: usize = 3;

/// Identification line, algorithm offer, then the credential checks.
pub(super) async fn probe(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let (mut conn, _) = open(ctx, addr, false, "connect ssh (banner)", &mut svc.evidence).await?;
    let mut line = Vec::new();
    let end = conn
        .read_until(&mut line, MAX_SSH_LINE, |b| b.contains(&b'\n'))
        .await?;
    svc.banner = banner_text(&line);
    let first = svc.banner.lines().next().unwrap_or("").trim().to_string();
    if !first.starts_with("SSH-") {
        return Err(ProbeError::Malformed {
            what: "ssh",
            detail: format!("no SSH- identification ({end:?})"),
        });
    }
    // recog's ssh.banner rules match the software part (`OpenSSH_7.4p1 Debian-10`).
    if let Some(software) = first.splitn(3, '-').nth(2) {
        svc.fields
            .insert("ssh_software".into(), software.to_string());
    }
    svc.fields.insert("ssh_version".into(), first);
    // Our identification (with the contact), then the server's KEXINIT in the clear.
    let ident = format!("{}\r\n", sp::client_ident(&ctx.contact));
    write_all(&mut conn.inner, ident.as_bytes(), ctx.guard.timeout).await?;
    let mut packet = Vec::new();
    conn.read_until(&mut packet, sp::MAX_PACKET + 4, |b| {
        sp::parse_kexinit(b) != Ok(sp::Packet::Incomplete)
    })
    .await?;
    drop(conn);
    match sp::parse_kexinit(&packet) {
        Ok(sp::Packet::KexInit(k)) => {
            for (field, list) in [
                ("ssh_kex", &k.kex),
                ("ssh_host_keys", &k.host_key),
                ("ssh_ciphers", &k.ciphers),
                ("ssh_macs", &k.macs),
            ] {
                svc.fields.insert(field.into(), list.join(","));
            }
        }
        Ok(sp::Packet::Incomplete) => {
            svc.fields
                .insert("ssh_kexinit".into(), "no KEXINIT within the timeout".into());
        }
        Err(e) => {
            svc.fields.insert("ssh_kexinit".into(), e);
        }
    }
    if ctx.credentials.is_empty() {
        return Ok(());
    }
    check(ctx, addr, svc, deadline).await
}

/// Accepts any host key (the survey sends only default passwords, to devices in scope, and
/// keeps nothing secret) and keeps the server's disconnect message.
struct Client {
    disconnect: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }

    async fn disconnected(
        &mut self,
        reason: client::DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
        match reason {
            client::DisconnectReason::ReceivedDisconnect(info) => {
                if let Ok(mut d) = self.disconnect.lock() {
                    *d = Some(info.message);
                }
                Ok(())
            }
            client::DisconnectReason::Error(e) => Err(e),
        }
    }
}

/// One SSH connection, never past authentication.
struct Conn {
    handle: Handle<Client>,
    disconnect: Arc<Mutex<Option<String>>>,
    /// The user name this connection authenticates: OpenSSH disconnects a client that
    /// changes it ("Change of username or service not allowed").
    user: String,
}

impl Conn {
    /// The server's disconnect message, if it closed the connection.
    fn closed_because(&self) -> Option<String> {
        self.disconnect.lock().ok().and_then(|d| d.clone())
    }

    async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

fn ssh_error(what: &'static str, e: russh::Error) -> ProbeError {
    ProbeError::Malformed {
        what,
        detail: e.to_string(),
    }
}

async fn connect(
    ctx: &Ctx,
    addr: SocketAddr,
    user: &str,
    action: &str,
    evidence: &mut Vec<Evidence>,
) -> Result<Conn, ProbeError> {
    let tcp = ctx.guard.connect(addr, action, evidence).await?;
    let config = client::Config {
        client_id: russh::SshId::Standard(sp::client_ident(&ctx.contact).into()),
        inactivity_timeout: Some(ctx.reply_wait * 2),
        ..client::Config::default()
    };
    let disconnect = Arc::new(Mutex::new(None));
    let handler = Client {
        disconnect: disconnect.clone(),
    };
    let handle = tokio::time::timeout(
        ctx.reply_wait,
        client::connect_stream(Arc::new(config), tcp, handler),
    )
    .await
    .map_err(|_| ProbeError::Timeout {
        what: "ssh key exchange",
    })?
    .map_err(|e| ssh_error("ssh key exchange", e))?;
    Ok(Conn {
        handle,
        disconnect,
        user: user.to_string(),
    })
}

/// The methods the server lets a password through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Password,
    KeyboardInteractive,
}

/// What one attempt found out.
enum Reply {
    Success,
    Refused,
    /// The connection closed without a refusal: try the pair again over a new one.
    Closed(Option<String>),
}

/// Awaits one authentication reply for at most `wait`.
async fn within<T>(
    wait: Duration,
    what: &'static str,
    f: impl std::future::Future<Output = Result<T, russh::Error>>,
) -> Result<T, ProbeError> {
    tokio::time::timeout(wait, f)
        .await
        .map_err(|_| ProbeError::Timeout { what })?
        .map_err(|e| ssh_error(what, e))
}

async fn attempt(
    ctx: &Ctx,
    conn: &mut Conn,
    method: Method,
    c: &Credential,
) -> Result<Reply, ProbeError> {
    let refused_or_closed = |conn: &Conn, methods: &[MethodKind]| {
        if methods.is_empty() && conn.handle.is_closed() {
            Reply::Closed(conn.closed_because())
        } else {
            Reply::Refused
        }
    };
    let wait = ctx.reply_wait;
    match method {
        Method::Password => {
            let r = within(
                wait,
                "ssh password",
                conn.handle.authenticate_password(&c.username, &c.password),
            )
            .await?;
            Ok(match r {
                AuthResult::Success => Reply::Success,
                AuthResult::Failure {
                    remaining_methods, ..
                } => refused_or_closed(conn, &remaining_methods),
            })
        }
        Method::KeyboardInteractive => {
            let what = "ssh keyboard-interactive";
            let mut r = within(
                wait,
                what,
                conn.handle
                    .authenticate_keyboard_interactive_start(&c.username, None),
            )
            .await?;
            for _ in 0..MAX_KBD_ROUNDS {
                match r {
                    KeyboardInteractiveAuthResponse::Success => return Ok(Reply::Success),
                    KeyboardInteractiveAuthResponse::Failure {
                        remaining_methods, ..
                    } => return Ok(refused_or_closed(conn, &remaining_methods)),
                    KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                        // PAM asks "Password: " once; an empty round (no prompts) needs an
                        // empty answer.
                        let answers = prompts.iter().map(|_| c.password.clone()).collect();
                        r = within(
                            wait,
                            what,
                            conn.handle
                                .authenticate_keyboard_interactive_respond(answers),
                        )
                        .await?;
                    }
                }
            }
            Ok(Reply::Refused)
        }
    }
}

/// Asks which methods the server offers ("none" does not count against `MaxAuthTries`).
async fn methods(conn: &mut Conn, ctx: &Ctx, user: &str) -> Result<Vec<MethodKind>, ProbeError> {
    let r = within(
        ctx.reply_wait,
        "ssh method list",
        conn.handle.authenticate_none(user),
    )
    .await?;
    Ok(match r {
        AuthResult::Success => vec![MethodKind::None],
        AuthResult::Failure {
            remaining_methods, ..
        } => remaining_methods.to_vec(),
    })
}

/// SSH attempts for the login lanes.
struct Ssh {
    ctx: Ctx,
    addr: SocketAddr,
    method: Method,
}

impl Attempts for Ssh {
    type Session = Conn;

    async fn attempt(&self, lane: &mut Lane<Conn>, c: &Credential) -> Result<Step, ProbeError> {
        let mut fresh = false;
        loop {
            let mut cn = match lane.session.take() {
                Some(cn) if !cn.handle.is_closed() && cn.user == c.username => cn,
                other => {
                    if let Some(cn) = other {
                        cn.close().await;
                    }
                    lane.connections += 1;
                    fresh = true;
                    let action = format!("login ssh user={}", c.username);
                    connect(
                        &self.ctx,
                        self.addr,
                        &c.username,
                        &action,
                        &mut lane.evidence,
                    )
                    .await?
                }
            };
            lane.tried += 1;
            let asked = Instant::now();
            let reply = match attempt(&self.ctx, &mut cn, self.method, c).await {
                Ok(r) => r,
                // A reused connection the server dropped meanwhile: try again on a new one.
                Err(_) if !fresh => Reply::Closed(None),
                Err(e) => return Err(e),
            };
            match reply {
                Reply::Success => {
                    cn.close().await;
                    return Ok(Step::Success);
                }
                Reply::Refused => {
                    lane.session = Some(cn);
                    return Ok(Step::Refused {
                        took: asked.elapsed(),
                    });
                }
                // MaxAuthTries reached: that was this pair's refusal.
                Reply::Closed(why)
                    if why
                        .as_deref()
                        .is_some_and(|m| m.to_ascii_lowercase().contains("too many")) =>
                {
                    return Ok(Step::Refused {
                        took: asked.elapsed(),
                    });
                }
                Reply::Closed(why) => {
                    lane.tried -= 1;
                    if fresh {
                        return Ok(Step::Stop(format!(
                            "the server closes a fresh connection without answering the password{}",
                            why.map(|w| format!(" ({w})")).unwrap_or_default()
                        )));
                    }
                }
            }
        }
    }

    async fn close(&self, session: Conn) {
        session.close().await;
    }

    fn bound_user<'s>(&self, session: &'s Conn) -> Option<&'s str> {
        Some(&session.user)
    }
}

async fn check(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let started = Instant::now();
    let Some(first_user) = ctx.credentials.first().map(|c| c.username.clone()) else {
        return Ok(());
    };
    let mut conn = connect(
        ctx,
        addr,
        &first_user,
        "login ssh (methods)",
        &mut svc.evidence,
    )
    .await?;
    let offered = methods(&mut conn, ctx, &first_user).await?;
    let names: Vec<&str> = offered.iter().map(<&str>::from).collect();
    svc.fields
        .insert("ssh_auth_methods".into(), names.join(","));
    let method = if offered.contains(&MethodKind::None) {
        svc.fields.insert(
            "login_stopped".into(),
            format!("the server lets {first_user} in without any password"),
        );
        conn.close().await;
        return Ok(());
    } else if offered.contains(&MethodKind::Password) {
        Method::Password
    } else if offered.contains(&MethodKind::KeyboardInteractive) {
        Method::KeyboardInteractive
    } else {
        svc.fields.insert(
            "login_stopped".into(),
            "the server accepts no password (public key only): nothing tried".into(),
        );
        conn.close().await;
        return Ok(());
    };
    svc.fields.insert(
        "ssh_login_method".into(),
        match method {
            Method::Password => "password",
            Method::KeyboardInteractive => "keyboard-interactive",
        }
        .into(),
    );
    let ssh = Arc::new(Ssh {
        ctx: ctx.clone(),
        addr,
        method,
    });
    let t = lanes::run(
        ssh,
        ctx.credentials.clone(),
        ctx.login_lanes,
        ctx.credentials.len().min(MAX_ATTEMPTS_PER_SERVICE),
        deadline,
        Some(conn),
        &mut svc.evidence,
    )
    .await;
    // No control attempt with a random password here, unlike telnet: USERAUTH_SUCCESS is the
    // server's own statement, not text read off a screen, and a server that states it for any
    // password is weak in itself.
    if let Some(c) = t.success.and_then(|i| ctx.credentials.get(i)) {
        record(svc, c);
    }
    record_lanes(svc, t, started);
    Ok(())
}
