//! Weak-credential checks (HTTP Basic/Digest, MQTT; telnet is `telnet.rs`). Each attempt is one
//! fresh connection; success is decided from the reply to the password alone and the connection is
//! closed at once: no command is ever sent after a login. The first success stops the checks.

use std::net::SocketAddr;

use tokio::time::Instant;

use super::lanes::Tally;
use super::tcp::{exchange, mqtt_connect, open};
use super::Ctx;
use crate::creds::{Credential, MAX_ATTEMPTS_PER_SERVICE};
use crate::model::{mask_password, Service, WeakCredential};
use crate::net::ProbeError;
use crate::proto::digest::{self, Challenge};
use crate::proto::{head, http as httpp};

pub(super) fn record(svc: &mut Service, c: &Credential) {
    svc.weak_credential = Some(WeakCredential {
        username: c.username.clone(),
        password_masked: mask_password(&c.password),
        source: c.source,
    });
}

/// Seconds as the result's fields spell them (one decimal).
pub(super) fn seconds(d: std::time::Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

/// The fields every login check that runs lanes (telnet, SSH, FTP) leaves on the service: why
/// it stopped early, if it did; pairs tried; connections opened; time taken; and how long the
/// device took to refuse a password, which a later run can set its reply wait from
/// (`--adapt-from`).
pub(super) fn record_lanes(svc: &mut Service, t: Tally, started: Instant) {
    if let Some(why) = t.stopped {
        svc.fields.insert("login_stopped".into(), why);
    }
    svc.fields
        .insert("login_attempts".into(), t.tried.to_string());
    svc.fields
        .insert("login_connections".into(), t.connections.to_string());
    svc.fields
        .insert("login_seconds".into(), seconds(started.elapsed()));
    svc.fields.insert("login_lanes".into(), t.lanes.to_string());
    if t.retries > 0 {
        svc.fields
            .insert("login_retries".into(), t.retries.to_string());
    }
    if t.slowest_refusal > std::time::Duration::ZERO {
        svc.fields
            .insert("login_refusal_seconds".into(), seconds(t.slowest_refusal));
    }
}

/// How many pairs a check with a control attempt (telnet, SSH, FTP) may try: one attempt of
/// [`MAX_ATTEMPTS_PER_SERVICE`] is kept back for the control after a success.
pub(super) fn pairs_before_control(ctx: &Ctx) -> usize {
    ctx.credentials
        .len()
        .min(MAX_ATTEMPTS_PER_SERVICE.saturating_sub(1))
}

/// True (and noted) when the host's time budget leaves no room for another attempt.
pub(super) fn budget_spent(svc: &mut Service, deadline: Instant) -> bool {
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
