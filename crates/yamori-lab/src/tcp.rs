//! TCP emulators: telnet login, HTTP camera with Basic/Digest, MQTT, FTP/SSH banners and the
//! hostile ones.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Emu, LabLog};
use yamori_survey::proto::{digest, head};

/// How long an emulator connection may live (keeps a stuck test from leaking forever).
const CONN_LIFETIME: Duration = Duration::from_secs(30);

pub(super) async fn spawn(ip: IpAddr, emu: Emu, log: Arc<LabLog>) -> std::io::Result<SocketAddr> {
    let port = match &emu {
        Emu::Telnet { port, .. }
        | Emu::Http { port, .. }
        | Emu::Mqtt { port, .. }
        | Emu::Ftp { port, .. }
        | Emu::Ssh { port, .. } => *port,
        Emu::Endless { port }
        | Emu::Silent { port }
        | Emu::MidClose { port }
        | Emu::BadTelnet { port }
        | Emu::BigMqtt { port } => *port,
        Emu::Coap { port } | Emu::Ssdp { port, .. } => *port,
    };
    let listener = TcpListener::bind(SocketAddr::new(ip, port)).await?;
    let local = listener.local_addr()?;
    let emu = Arc::new(emu);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            log.connections.fetch_add(1, Ordering::SeqCst);
            let (emu, log) = (emu.clone(), log.clone());
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CONN_LIFETIME, serve(s, &emu, &log)).await;
            });
        }
    });
    Ok(local)
}

async fn read_line(s: &mut TcpStream, max: usize) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < max {
        if s.read(&mut b).await.ok()? == 0 {
            return None;
        }
        match b[0] {
            b'\n' => break,
            b'\r' | 0 => {}
            // Skip the client's telnet negotiation replies (IAC x y).
            0xff => {
                let mut two = [0u8; 2];
                s.read_exact(&mut two).await.ok()?;
            }
            c => line.push(c),
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

async fn serve(mut s: TcpStream, emu: &Emu, log: &LabLog) -> std::io::Result<()> {
    match emu {
        Emu::Telnet { user, pass, .. } => {
            // IAC WILL ECHO, IAC WILL SGA, IAC DO NAWS: the survey must refuse all three.
            s.write_all(b"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f\r\n(none) login: ")
                .await?;
            for _ in 0..3 {
                let Some(u) = read_line(&mut s, 128).await else {
                    return Ok(());
                };
                s.write_all(b"Password: ").await?;
                let Some(p) = read_line(&mut s, 128).await else {
                    return Ok(());
                };
                if &u == user && &p == pass {
                    log.logins_ok.fetch_add(1, Ordering::SeqCst);
                    s.write_all(b"\r\n\r\nBusyBox v1.19.3 (2016-03-17) built-in shell (ash)\r\n# ")
                        .await?;
                    let mut rest = [0u8; 256];
                    while let Ok(n) = s.read(&mut rest).await {
                        if n == 0 {
                            break;
                        }
                        log.bytes_after_login.fetch_add(n, Ordering::SeqCst);
                    }
                    return Ok(());
                }
                s.write_all(b"\r\nLogin incorrect\r\n(none) login: ")
                    .await?;
            }
        }
        Emu::Http {
            server,
            user,
            pass,
            digest: use_digest,
            ..
        } => {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while head::head_end(&buf).is_none() && buf.len() < 16 * 1024 {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let auth = head::parse_request_auth(&buf);
            let ok = match (auth, *use_digest) {
                (Some(a), false) => a == digest::basic(user, pass),
                (Some(a), true) => {
                    digest::verify_digest(&a, "GET", pass).as_deref() == Some(user.as_str())
                }
                (None, _) => false,
            };
            let body = if ok {
                log.logins_ok.fetch_add(1, Ordering::SeqCst);
                "<html><head><title>Live View</title></head></html>"
            } else {
                "<html><head><title>Document Error: Unauthorized</title></head></html>"
            };
            let challenge = if *use_digest {
                "Digest realm=\"IP Camera\", qop=\"auth\", nonce=\"6d6f636b6e6f6e6365\", opaque=\"0a0b\""
            } else {
                "Basic realm=\"IP Camera\""
            };
            let r = if ok {
                format!("HTTP/1.1 200 OK\r\nServer: {server}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            } else {
                format!(
                    "HTTP/1.1 401 Unauthorized\r\nServer: {server}\r\nWWW-Authenticate: {challenge}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            s.write_all(r.as_bytes()).await?;
        }
        Emu::Mqtt { creds, .. } => {
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).await?;
            let req = &buf[..n];
            let code = match creds {
                None => 0,
                Some((u, p)) => {
                    let mut want = Vec::new();
                    for f in [u.as_bytes(), p.as_bytes()] {
                        want.extend_from_slice(&(f.len() as u16).to_be_bytes());
                        want.extend_from_slice(f);
                    }
                    if req.get(9).is_some_and(|f| f & 0xc0 == 0xc0) && req.ends_with(&want) {
                        0
                    } else {
                        5
                    }
                }
            };
            if code == 0 {
                log.logins_ok.fetch_add(1, Ordering::SeqCst);
            }
            s.write_all(&[0x20, 0x02, 0x00, code]).await?;
            if code == 0 {
                let mut rest = [0u8; 64];
                while let Ok(n) = s.read(&mut rest).await {
                    if n == 0 {
                        break;
                    }
                    log.bytes_after_login.fetch_add(n, Ordering::SeqCst);
                }
            }
        }
        Emu::Ftp { banner, .. } => s.write_all(format!("{banner}\r\n").as_bytes()).await?,
        Emu::Ssh { version, .. } => s.write_all(format!("{version}\r\n").as_bytes()).await?,
        Emu::Endless { .. } => {
            let junk = [b'A'; 4096];
            loop {
                s.write_all(&junk).await?;
            }
        }
        Emu::Silent { .. } => {
            let mut sink = [0u8; 256];
            while s.read(&mut sink).await? > 0 {}
        }
        Emu::MidClose { .. } => s.write_all(b"\xff\xfd").await?,
        Emu::BadTelnet { .. } => {
            s.write_all(b"\xff\xfa\x18").await?;
            s.write_all(&[b'x'; 2000]).await?;
            s.write_all(b"\r\nlogin: ").await?;
            let mut sink = [0u8; 256];
            while s.read(&mut sink).await? > 0 {}
        }
        Emu::BigMqtt { .. } => {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf).await?;
            s.write_all(&[0x20, 0xff, 0xff, 0xff, 0x7f]).await?;
            s.write_all(&[0u8; 8192]).await?;
        }
        Emu::Coap { .. } | Emu::Ssdp { .. } => {}
    }
    Ok(())
}
