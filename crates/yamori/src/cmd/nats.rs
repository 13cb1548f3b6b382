//! The NATS connection arguments `yamori sensor` and `yamori serve` share (scale-out,
//! docs/SCALE-OUT.md).

use std::path::PathBuf;

use yamori_bus::NatsOptions;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct NatsArgs {
    /// NATS user name (with --nats-password).
    #[arg(long, value_name = "USER", requires = "nats_password")]
    pub nats_user: Option<String>,
    /// NATS password (better from the environment than the command line).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "YAMORI_NATS_PASSWORD",
        hide_env_values = true
    )]
    pub nats_password: Option<String>,
    /// NATS token.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "YAMORI_NATS_TOKEN",
        hide_env_values = true
    )]
    pub nats_token: Option<String>,
    /// NATS credentials file (JWT and nkey seed, as `nsc` writes it).
    #[arg(long, value_name = "FILE")]
    pub nats_creds: Option<PathBuf>,
    /// PEM file of the CA that signed the NATS server's certificate.
    #[arg(long, value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
    /// Refuse a NATS server that does not speak TLS.
    #[arg(long)]
    pub nats_tls: bool,
}

impl NatsArgs {
    pub fn options(&self, url: &str, client_name: String) -> NatsOptions {
        NatsOptions {
            url: url.to_string(),
            user: self.nats_user.clone(),
            password: self.nats_password.clone(),
            token: self.nats_token.clone(),
            creds_file: self.nats_creds.clone(),
            tls_ca: self.nats_ca.clone(),
            tls_required: self.nats_tls,
            client_name,
        }
    }
}
