//! Weak-credential checks (telnet, HTTP Basic/Digest, MQTT). Each attempt is one fresh
//! connection; success is decided from the reply to the password alone and the connection is
//! closed at once: no command is ever sent after a login. The first success stops the checks.

use std::net::SocketAddr;

use tokio::time::Instant;

use super::tcp::{exchange, mqtt_connect, open, telnet_read};
use super::Ctx;
use crate::creds::{Credential, MAX_ATTEMPTS_PER_SERVICE};
use crate::model::{mask_password, Service, WeakCredential};
use crate::net::{write_all, ProbeError};
use crate::proto::digest::{self, Challenge};
use crate::proto::{head, http as httpp, telnet as tn};

fn record(svc: &mut Service, c: &Credential) {
    svc.weak_credential = Some(WeakCredential {
        username: c.username.clone(),
        password_masked: mask_password(&c.password),
        source: c.source,
    });
}

/// True (and noted) when the host's time budget leaves no room for another attempt.
fn budget_spent(svc: &mut Service, deadline: Instant) -> bool {
    let spent = Instant::now() >= deadline;
    if spent {
        svc.fields.insert(
            "login_stopped".into(),
            "per-host time budget exhausted".into(),
        );
    }
    spent
}

fn attempts(ctx: &Ctx) -> impl Iterator<Item = &Credential> {
    ctx.credentials.iter().take(MAX_ATTEMPTS_PER_SERVICE)
}

/// Outcome of one attempt.
enum Attempt {
    Success,
    Failure,
    /// The device stopped behaving like a login (no prompt, odd reply): stop trying.
    Stop(String),
}

pub(super) async fn telnet(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let mut tried = 0usize;
    for c in attempts(ctx) {
        if budget_spent(svc, deadline) {
            break;
        }
        tried += 1;
        match telnet_once(ctx, addr, c, svc).await? {
            Attempt::Success => {
                record(svc, c);
                break;
            }
            Attempt::Failure => {}
            Attempt::Stop(why) => {
                svc.fields.insert("login_stopped".into(), why);
                break;
            }
        }
    }
    svc.fields
        .insert("login_attempts".into(), tried.to_string());
    Ok(())
}

async fn telnet_once(
    ctx: &Ctx,
    addr: SocketAddr,
    c: &Credential,
    svc: &mut Service,
) -> Result<Attempt, ProbeError> {
    let t = ctx.guard.timeout;
    let action = format!("login telnet user={}", c.username);
    let (mut conn, _) = open(ctx, addr, false, &action, &mut svc.evidence).await?;
    let mut dec = tn::Decoder::default();
    let mut text = Vec::new();
    telnet_read(&mut conn, &mut dec, &mut text, t, |x| {
        tn::is_login_prompt(x) || tn::is_password_prompt(x)
    })
    .await?;
    if tn::is_login_prompt(&text) {
        write_all(&mut conn.inner, format!("{}\r\n", c.username).as_bytes(), t).await?;
        let mark = text.len();
        telnet_read(&mut conn, &mut dec, &mut text, t, |x| {
            tn::is_password_prompt(&x[mark..])
                || tn::classify_login(&x[mark..]) == tn::LoginVerdict::Failure
        })
        .await?;
        if !tn::is_password_prompt(&text[mark..]) {
            // Some devices reject an unknown user before asking for a password.
            return Ok(match tn::classify_login(&text[mark..]) {
                tn::LoginVerdict::Failure => Attempt::Failure,
                _ => Attempt::Stop("no password prompt after the user name".into()),
            });
        }
    } else if !tn::is_password_prompt(&text) {
        return Ok(Attempt::Stop("no login prompt".into()));
    }
    write_all(&mut conn.inner, format!("{}\r\n", c.password).as_bytes(), t).await?;
    let mark = text.len();
    telnet_read(&mut conn, &mut dec, &mut text, t, |x| {
        tn::classify_login(&x[mark..]) != tn::LoginVerdict::Unknown
    })
    .await?;
    // Dropping the connection closes it: nothing is sent after the password.
    drop(conn);
    Ok(match tn::classify_login(&text[mark..]) {
        tn::LoginVerdict::Success => Attempt::Success,
        tn::LoginVerdict::Failure => Attempt::Failure,
        tn::LoginVerdict::Unknown => Attempt::Stop("no recognisable reply to the password".into()),
    })
}

pub(super) async fn http(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    mut ch: Challenge,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let mut tried = 0usize;
    let mut cnonce = 0u64;
    for c in attempts(ctx) {
        if budget_spent(svc, deadline) {
            break;
        }
        tried += 1;
        cnonce += 1;
        let auth = if ch.scheme == "digest" {
            match digest::digest(
                &ch,
                "GET",
                "/",
                &c.username,
                &c.password,
                &format!("{cnonce:016x}"),
            ) {
                Some(a) => a,
                None => {
                    svc.fields.insert(
                        "login_stopped".into(),
                        "unsupported digest algorithm".into(),
                    );
                    break;
                }
            }
        } else {
            digest::basic(&c.username, &c.password)
        };
        let action = format!("login http {} user={}", ch.scheme, c.username);
        let (mut conn, _) = open(ctx, addr, tls, &action, &mut svc.evidence).await?;
        let req = httpp::get(&addr.to_string(), "/", &ctx.user_agent, Some(&auth));
        let reply = exchange(&mut conn, &req, ctx.guard.timeout).await?;
        drop(conn);
        let status = head::parse(&reply).map(|h| h.status).unwrap_or(0);
        match status {
            200..=299 => {
                record(svc, c);
                break;
            }
            401 | 403 => {
                // A fresh challenge (new nonce) for the next attempt if the server sent one.
                if let Some(next) = httpp::auth_challenge(&reply) {
                    ch = next;
                }
            }
            other => {
                svc.fields
                    .insert("login_stopped".into(), format!("unexpected status {other}"));
                break;
            }
        }
    }
    svc.fields
        .insert("login_attempts".into(), tried.to_string());
    Ok(())
}

pub(super) async fn mqtt(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    svc: &mut Service,
    deadline: Instant,
) -> Result<(), ProbeError> {
    let mut tried = 0usize;
    for c in attempts(ctx) {
        if budget_spent(svc, deadline) {
            break;
        }
        tried += 1;
        let action = format!("login mqtt user={}", c.username);
        let code = mqtt_connect(
            ctx,
            addr,
            tls,
            Some((&c.username, &c.password)),
            &action,
            &mut svc.evidence,
        )
        .await?;
        if code == 0 {
            record(svc, c);
            break;
        }
        if code != 4 && code != 5 {
            svc.fields
                .insert("login_stopped".into(), format!("CONNACK {code}"));
            break;
        }
    }
    svc.fields
        .insert("login_attempts".into(), tried.to_string());
    Ok(())
}
