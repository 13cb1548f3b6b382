//! Answers given before the request body is read (413 over `max_content_length`, 401) reach
//! real clients over a real TLS socket, on HTTP/1.1 and HTTP/2, instead of a reset: the hub
//! reads and discards the rest of the body (bounded) before answering.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, Method, Request, StatusCode};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use yamori_hub::HubConfig;

use crate::common::*;
use crate::tls_client::start;

/// The limit under test: small, so the bodies below are far over it.
const LIMIT: usize = 64 * 1024;
/// Over the limit and over what socket buffers hold, so a server that stops reading leaves
/// the client blocked mid-upload.
const BODY: usize = 8 * 1024 * 1024;
/// For a client that reads only after writing everything: more than loopback socket buffers
/// (several MiB) can hide, and still under the drain bound.
const BIG_BODY: usize = 32 * 1024 * 1024;

struct Running {
    _dir: tempfile::TempDir,
    _hub: Hub,
    addr: SocketAddr,
    ca: PathBuf,
    alice: String,
}

fn running() -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = hub();
    let addr = start(
        dir.path(),
        &hub,
        HubConfig {
            max_content_length: LIMIT,
            ..HubConfig::default()
        },
    );
    let ca = yamori_hub::tls::generated_ca(dir.path());
    let alice = hub.alice.clone();
    Running {
        _dir: dir,
        _hub: hub,
        addr,
        ca,
        alice,
    }
}

fn objects_path() -> String {
    objects_url(COLL)
}

fn assert_413(status: u16, body: &str) {
    assert_eq!(status, 413, "{body}");
    let v: Value = serde_json::from_str(body).expect("TAXII error JSON");
    assert_eq!(v["http_status"], "413");
    assert_eq!(v["title"], "Request too large");
    assert!(v["description"]
        .as_str()
        .expect("description")
        .contains(&LIMIT.to_string()));
}

/// A reader of `n` spaces, for streamed (chunked) bodies.
struct Spaces(usize);

impl Read for Spaces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0);
        buf[..n].fill(b' ');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn http1_client_reads_the_413_and_keeps_its_connection() {
    let r = running();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&r.ca).expect("ca")).expect("pem");
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(ca)
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let url = format!("https://127.0.0.1:{}{}", r.addr.port(), objects_path());
    let post = |body: reqwest::blocking::Body| {
        client
            .post(&url)
            .bearer_auth(&r.alice)
            .header(header::ACCEPT, TAXII)
            .header(header::CONTENT_TYPE, TAXII)
            .body(body)
            .send()
            .expect("an answer, not a reset")
    };
    // Content-Length over the limit (refused unread), then a streamed body (refused after
    // LIMIT bytes): both read to their end before the answer.
    for body in [
        reqwest::blocking::Body::from(vec![b' '; BODY]),
        reqwest::blocking::Body::new(Spaces(BODY)),
    ] {
        let resp = post(body);
        let status = resp.status().as_u16();
        assert_413(status, &resp.text().expect("body"));
    }
    // Wrong credentials on a large POST: the 401 arrives too.
    let resp = client
        .post(&url)
        .bearer_auth("ymr_nope_nope")
        .header(header::ACCEPT, TAXII)
        .header(header::CONTENT_TYPE, TAXII)
        .body(vec![b' '; BODY])
        .send()
        .expect("an answer, not a reset");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // The connection was left in a usable state: a normal POST works after the refusals.
    let ok = post(reqwest::blocking::Body::from(envelope(vec![indicator(
        1,
        "2024-01-01T00:00:00.000Z",
    )])));
    assert_eq!(ok.status(), StatusCode::ACCEPTED);
}

fn tls_client_config(ca: &PathBuf, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).expect("ca");
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        let c: CertificateDer<'static> = c.expect("pem");
        roots.add(c).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(cfg)
}

/// As Python's `http.client` (so `requests` and `taxii2-client`) does: write the whole request,
/// and only then read the answer. A server that answered and closed early made this fail with
/// a reset while writing.
#[test]
fn a_client_that_sends_everything_before_reading_gets_the_413() {
    let r = running();
    let cfg = tls_client_config(&r.ca, b"http/1.1");
    let name = ServerName::IpAddress(r.addr.ip().into());
    let conn = rustls::ClientConnection::new(cfg, name).expect("tls");
    let tcp = TcpStream::connect(r.addr).expect("connect");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nAccept: {TAXII}\r\n\
         Content-Type: {TAXII}\r\nContent-Length: {BIG_BODY}\r\nConnection: close\r\n\r\n",
        objects_path(),
        r.alice
    );
    tls.write_all(head.as_bytes()).expect("head");
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..BIG_BODY / chunk.len() {
        tls.write_all(&chunk)
            .expect("the server reads the whole body");
    }
    tls.flush().expect("flush");
    let mut resp = Vec::new();
    // rustls reports a peer that closes without close_notify as an error; the hub sends one.
    tls.read_to_end(&mut resp).expect("the answer");
    let resp = String::from_utf8_lossy(&resp);
    let (head, body) = resp.split_once("\r\n\r\n").expect("a response");
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    assert_413(status, body);
}

/// HTTP/2: the 413 comes after the client's last DATA frame, so the client's upload is never
/// cut by RST_STREAM (curl 7.88 fails a transfer whose stream is reset while it uploads, even
/// with NO_ERROR after a complete response).
#[tokio::test]
async fn http2_client_uploads_to_the_end_and_reads_the_413() {
    let r = running();
    let cfg = tls_client_config(&r.ca, b"h2");
    let tcp = tokio::net::TcpStream::connect(r.addr).await.expect("tcp");
    let name = ServerName::IpAddress(r.addr.ip().into());
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .expect("tls");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (client, conn) = h2::client::handshake(tls).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    for declared in [true, false] {
        let mut client = client.clone().ready().await.expect("ready");
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(format!(
                "https://127.0.0.1:{}{}",
                r.addr.port(),
                objects_path()
            ))
            .header(header::AUTHORIZATION, format!("Bearer {}", r.alice))
            .header(header::ACCEPT, TAXII)
            .header(header::CONTENT_TYPE, TAXII);
        if declared {
            req = req.header(header::CONTENT_LENGTH, BODY);
        }
        let (resp, mut send) = client
            .send_request(req.body(()).expect("request"), false)
            .expect("send");
        // Send as the server's flow-control window allows: a stream reset mid-upload shows
        // as an error here.
        let mut left = BODY;
        while left > 0 {
            send.reserve_capacity(left.min(256 * 1024));
            let cap = std::future::poll_fn(|cx| send.poll_capacity(cx))
                .await
                .expect("stream open")
                .expect("capacity, not a reset");
            let n = cap.min(left);
            left -= n;
            send.send_data(Bytes::from(vec![b' '; n]), left == 0)
                .expect("the whole body is sent");
        }
        let resp = resp.await.expect("response");
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut text = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.expect("body");
            let _ = body.flow_control().release_capacity(chunk.len());
            text.extend_from_slice(&chunk);
        }
        assert_413(status, &String::from_utf8_lossy(&text));
    }
}
