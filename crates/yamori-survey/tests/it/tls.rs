//! HTTPS probing against a TLS server with a self-signed certificate: the danger verifier
//! accepts it, the subject is read, and Basic auth is checked over TLS.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::util::{config, service};

fn server_config() -> Arc<rustls::ServerConfig> {
    let mut params =
        rcgen::CertificateParams::new(vec!["ubnt.local".to_string()]).expect("cert params");
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::OrganizationName, "Ubiquiti Networks Inc.");
    dn.push(rcgen::DnType::CommonName, "UBNT");
    params.distinguished_name = dn;
    let key = rcgen::KeyPair::generate().expect("key pair");
    let cert = params.self_signed(&key).expect("self-signed cert");
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server cert");
    Arc::new(cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_subject_and_basic_auth_over_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let acceptor = TlsAcceptor::from(server_config());
    let want = yamori_survey::proto::digest::basic("ubnt", "ubnt");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, want) = (acceptor.clone(), want.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let Ok(n) = tls.read(&mut buf).await else {
                    return;
                };
                let auth = yamori_survey::proto::head::parse_request_auth(&buf[..n]);
                let reply = if auth.as_deref() == Some(want.as_str()) {
                    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_string()
                } else {
                    let body = "<title>airOS</title>";
                    format!("HTTP/1.1 401 Unauthorized\r\nServer: lighttpd\r\nWWW-Authenticate: Basic realm=\"airOS\"\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                };
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let (result, _) = yamori_survey::survey(config("127.0.0.1", &format!("{port}/https")))
        .await
        .expect("survey runs");
    let s = service(&result.hosts, port);
    let subject = s
        .fields
        .get("cert_subject")
        .expect("certificate subject read");
    assert!(
        subject.contains("O=Ubiquiti Networks Inc.") && subject.contains("CN=UBNT"),
        "{subject}"
    );
    assert_eq!(s.fields.get("realm").map(String::as_str), Some("airOS"));
    // The certificate rule comes before the title rule: either names Ubiquiti airOS.
    assert_eq!(s.device.as_ref().map(|d| d.product.as_str()), Some("airOS"));
    let w = s.weak_credential.as_ref().expect("ubnt/ubnt over TLS");
    assert_eq!(
        (w.username.as_str(), w.password_masked.as_str()),
        ("ubnt", "ub**")
    );
}
