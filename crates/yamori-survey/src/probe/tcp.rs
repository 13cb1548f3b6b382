//! TCP protocol probes (banner grabs and one request each). Credential checks are in `login`.

use std::net::SocketAddr;

use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::{banner_text, login, Ctx, Stream};
use crate::model::{Evidence, Service};
use crate::net::{write_all, Bounded, ProbeError, ReadEnd};
use crate::proto::{head, http as httpp, modbus as mb, mqtt as mq};

/// Longest HTTP/RTSP reply read (head + the start of the body where the title is).
pub const MAX_HTTP_REPLY: usize = 32 * 1024;
/// Longest SSH identification line (RFC 4253 §4.2: 255 characters).
pub const MAX_SSH_LINE: usize = 255;

/// Opens a connection (optionally TLS) through the guard. With TLS, also returns the
/// certificate's (subject, issuer).
pub(super) async fn open(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    action: &str,
    evidence: &mut Vec<Evidence>,
) -> Result<(Bounded<Stream>, Option<(String, String)>), ProbeError> {
    let tcp = ctx.guard.connect(addr, action, evidence).await?;
    let timeout = ctx.guard.timeout;
    if !tls {
        return Ok((Bounded::new(Stream::Plain(tcp), timeout), None));
    }
    let name = ServerName::IpAddress(addr.ip().into());
    let connector = TlsConnector::from(ctx.tls.clone());
    let tls = match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => {
            return Err(ProbeError::Timeout {
                what: "tls handshake",
            })
        }
        Ok(Err(source)) => {
            return Err(ProbeError::Io {
                what: "tls handshake",
                source,
            })
        }
        Ok(Ok(s)) => s,
    };
    let cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| crate::proto::tls::subject_and_issuer(c));
    Ok((Bounded::new(Stream::Tls(Box::new(tls)), timeout), cert))
}

/// Sends `request` and reads an HTTP-style reply (head + up to the title).
pub(super) async fn exchange(
    conn: &mut Bounded<Stream>,
    request: &[u8],
    timeout: std::time::Duration,
) -> Result<Vec<u8>, ProbeError> {
    write_all(&mut conn.inner, request, timeout).await?;
    let mut buf = Vec::new();
    conn.read_until(&mut buf, MAX_HTTP_REPLY, |b| {
        let Some(end) = head::head_end(b) else {
            return false;
        };
        let body = &b[end..];
        let len = head::parse(b).and_then(|h| {
            h.get("content-length")
                .and_then(|v| v.parse::<usize>().ok())
        });
        len.is_some_and(|l| body.len() >= l) || crate::net::contains_ci(body, "</title")
    })
    .await?;
    if buf.is_empty() {
        return Err(ProbeError::Closed { what: "http" });
    }
    Ok(buf)
}

pub(super) async fn http(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    svc: &mut Service,
    deadline: tokio::time::Instant,
) -> Result<(), ProbeError> {
    let action = if tls {
        "connect https GET /"
    } else {
        "connect http GET /"
    };
    let (mut conn, cert) = open(ctx, addr, tls, action, &mut svc.evidence).await?;
    if let Some((subject, issuer)) = cert {
        svc.fields.insert("cert_subject".into(), subject);
        svc.fields.insert("cert_issuer".into(), issuer);
    }
    let req = httpp::get(&addr.to_string(), "/", &ctx.user_agent, None);
    let reply = exchange(&mut conn, &req, ctx.guard.timeout).await?;
    drop(conn);
    svc.banner = banner_text(&reply[..head::head_end(&reply).unwrap_or(reply.len())]);
    let fields = httpp::fields(&reply).ok_or_else(|| ProbeError::Malformed {
        what: "http",
        detail: "no HTTP status line".into(),
    })?;
    for (k, v) in fields {
        svc.fields.insert(k.into(), v);
    }
    if let Some(ch) = httpp::auth_challenge(&reply) {
        login::http(ctx, addr, tls, ch, svc, deadline).await?;
    }
    Ok(())
}

pub(super) async fn rtsp(ctx: &Ctx, addr: SocketAddr, svc: &mut Service) -> Result<(), ProbeError> {
    let (mut conn, _) = open(ctx, addr, false, "connect rtsp OPTIONS", &mut svc.evidence).await?;
    let req = format!(
        "OPTIONS rtsp://{addr}/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: {}\r\n\r\n",
        ctx.user_agent
    );
    let reply = exchange(&mut conn, req.as_bytes(), ctx.guard.timeout).await?;
    svc.banner = banner_text(&reply);
    let h = head::parse(&reply).ok_or_else(|| ProbeError::Malformed {
        what: "rtsp",
        detail: "no status line".into(),
    })?;
    svc.fields.insert("status".into(), h.status.to_string());
    for (field, header) in [("rtsp_server", "server"), ("rtsp_public", "public")] {
        if let Some(v) = h.get(header) {
            svc.fields.insert(field.into(), v.to_string());
        }
    }
    Ok(())
}

/// Sends CONNECT (anonymous or with a credential) and returns the CONNACK code.
pub(super) async fn mqtt_connect(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    cred: Option<(&str, &str)>,
    action: &str,
    ev: &mut Vec<Evidence>,
) -> Result<u8, ProbeError> {
    let (mut conn, _) = open(ctx, addr, tls, action, ev).await?;
    write_all(&mut conn.inner, &mq::connect(cred), ctx.guard.timeout).await?;
    let mut buf = Vec::new();
    let end = conn
        .read_until(&mut buf, mq::MAX_REPLY_PACKET + 5, |b| {
            mq::parse_connack(b) != Ok(mq::Connack::Incomplete)
        })
        .await?;
    match mq::parse_connack(&buf) {
        Ok(mq::Connack::Code(c)) => Ok(c),
        Ok(mq::Connack::Incomplete) if end == ReadEnd::Eof => {
            Err(ProbeError::Closed { what: "mqtt" })
        }
        Ok(mq::Connack::Incomplete) => Err(ProbeError::Timeout {
            what: "mqtt CONNACK",
        }),
        Err(e) => Err(ProbeError::Malformed {
            what: "mqtt",
            detail: e.to_string(),
        }),
    }
}

pub(super) async fn mqtt(
    ctx: &Ctx,
    addr: SocketAddr,
    tls: bool,
    svc: &mut Service,
    deadline: tokio::time::Instant,
) -> Result<(), ProbeError> {
    let code = mqtt_connect(
        ctx,
        addr,
        tls,
        None,
        "connect mqtt CONNECT anonymous",
        &mut svc.evidence,
    )
    .await?;
    svc.fields.insert(
        "mqtt_connack".into(),
        format!("{code} ({})", mq::connack_name(code)),
    );
    svc.fields
        .insert("mqtt_anonymous".into(), (code == 0).to_string());
    if code == 4 || code == 5 {
        login::mqtt(ctx, addr, tls, svc, deadline).await?;
    }
    Ok(())
}

pub(super) async fn modbus(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
) -> Result<(), ProbeError> {
    let (mut conn, _) = open(
        ctx,
        addr,
        false,
        "connect modbus read-device-id",
        &mut svc.evidence,
    )
    .await?;
    write_all(&mut conn.inner, &mb::read_device_id(), ctx.guard.timeout).await?;
    let mut buf = Vec::new();
    conn.read_until(&mut buf, mb::MAX_ADU + 7, |b| {
        !matches!(mb::parse(b), Ok(mb::Reply::Incomplete))
    })
    .await?;
    match mb::parse(&buf) {
        Ok(mb::Reply::Objects(objs)) => {
            for (id, v) in objs {
                let key = match id {
                    0 => "modbus_vendor",
                    1 => "modbus_product",
                    2 => "modbus_version",
                    _ => continue,
                };
                svc.fields.insert(key.into(), v);
            }
            Ok(())
        }
        Ok(mb::Reply::Exception(c)) => {
            svc.fields.insert("modbus_exception".into(), c.to_string());
            Ok(())
        }
        Ok(mb::Reply::Incomplete) => Err(ProbeError::Timeout {
            what: "modbus reply",
        }),
        Err(detail) => Err(ProbeError::Malformed {
            what: "modbus",
            detail,
        }),
    }
}

/// Unknown port: take whatever the service says first.
pub(super) async fn unknown(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
) -> Result<(), ProbeError> {
    let (mut conn, _) = open(ctx, addr, false, "connect (banner)", &mut svc.evidence).await?;
    let mut buf = Vec::new();
    conn.read_until(&mut buf, crate::model::MAX_BANNER_BYTES, |_| false)
        .await?;
    svc.banner = banner_text(&buf);
    Ok(())
}
