//! TLS for the hub: rustls with the ring provider, TLS 1.2 and 1.3 only, no 0-RTT (rustls
//! servers accept no early data unless `max_early_data_size` is raised, and we never raise it).
//! The certificate is the user's, or one generated once (rcgen) and kept in the data directory:
//! a throw-away CA (`tls/ca.pem`, the file to give to clients; its key is never written) signs
//! a server certificate for localhost, 127.0.0.1 and ::1 (`tls/cert.pem` + `tls/key.pem`).
//! A plain self-signed leaf would be simpler, but OpenSSL (Python clients) refuses a leaf as
//! its own trust anchor and webpki (rustls clients) refuses a CA certificate as a server's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the generated certificate and key live inside the data directory.
pub fn generated_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    (
        data_dir.join("tls").join("cert.pem"),
        data_dir.join("tls").join("key.pem"),
    )
}

/// The generated CA certificate clients should trust.
pub fn generated_ca(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("ca.pem")
}

/// Make a self-signed certificate for localhost/127.0.0.1/::1 unless one exists.
pub fn ensure_generated(data_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (cert, key) = generated_paths(data_dir);
    if cert.exists() && key.exists() && generated_ca(data_dir).exists() {
        return Ok((cert, key));
    }
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "Yamori hub local CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let ca_cert = ca
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    let names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    let mut leaf = CertificateParams::new(names).context("certificate parameters")?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_key = KeyPair::generate().context("generating the server key")?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .context("signing the server certificate")?;
    let ca_path = generated_ca(data_dir);
    std::fs::write(&ca_path, ca_cert.pem())
        .with_context(|| format!("writing {}", ca_path.display()))?;
    write_private(&key, leaf_key.serialize_pem().as_bytes())?;
    // The key is written before the certificate: `cert.pem` existing means both are complete.
    let chain = format!("{}{}", leaf_cert.pem(), ca_cert.pem());
    std::fs::write(&cert, chain).with_context(|| format!("writing {}", cert.display()))?;
    Ok((cert, key))
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(data)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, data).with_context(|| format!("writing {}", path.display()))
}

/// A rustls server configuration from PEM files.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("opening {}", cert.display()))?,
    ))
    .collect::<Result<_, _>>()
    .with_context(|| format!("reading certificates from {}", cert.display()))?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("opening {}", key.display()))?,
    ))
    .with_context(|| format!("reading the key from {}", key.display()))?
    .with_context(|| format!("no private key in {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("certificate and key do not form a usable pair")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    cfg.max_early_data_size = 0;
    Ok(Arc::new(cfg))
}
