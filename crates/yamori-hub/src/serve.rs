//! Accept loop: HTTPS (rustls) or, on loopback only, plain HTTP; HTTP/1.1 and HTTP/2.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::app::{app, HubState};

/// A TLS handshake slower than this is dropped (slow-loris defence).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at once; further ones wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// How often expired status resources are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Status resources are kept this long (TAXII asks for at least 24 hours).
pub const STATUS_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct ServeOptions {
    pub addr: SocketAddr,
    /// `None` = plain HTTP, allowed only on a loopback address.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Refuse plain HTTP on anything but loopback.
pub fn check_plain_http(addr: &SocketAddr, tls: bool) -> anyhow::Result<()> {
    if !tls && !addr.ip().is_loopback() {
        anyhow::bail!("plain HTTP is only allowed on a loopback address, not {addr}");
    }
    Ok(())
}

/// Bind and serve until `shutdown` resolves. Returns the bound address through `on_bound`.
pub async fn run(
    state: HubState,
    opts: ServeOptions,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    check_plain_http(&opts.addr, opts.tls.is_some())?;
    let listener = TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("binding {}", opts.addr))?;
    on_bound(listener.local_addr().context("local address")?);
    spawn_purger(state.clone());
    let router = app(state);
    let acceptor = opts.tls.map(TlsAcceptor::from);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            p = slots.clone().acquire_owned() => p.context("connection limiter closed")?,
        };
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        // Every request carries the client's address, which the login throttle counts by.
        let svc = TowerToHyperService::new(router.clone().map_request(
            move |mut req: axum::http::Request<_>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        ));
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let builder = auto::Builder::new(TokioExecutor::new());
            let res = match acceptor {
                Some(a) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, a.accept(tcp)).await {
                    Ok(Ok(tls)) => builder.serve_connection(TokioIo::new(tls), svc).await,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                },
                None => builder.serve_connection(TokioIo::new(tcp), svc).await,
            };
            if let Err(e) = res {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

fn spawn_purger(state: HubState) {
    tokio::spawn(async move {
        loop {
            let cutoff = time::OffsetDateTime::now_utc()
                - time::Duration::seconds(STATUS_RETENTION.as_secs() as i64);
            let before = yamori_store::taxii::format_taxii(cutoff);
            let store = state.store.clone();
            let _ = tokio::task::spawn_blocking(move || store.taxii_purge_statuses(&before)).await;
            tokio::time::sleep(PURGE_EVERY).await;
        }
    });
}

/// Run the hub on a fresh multi-threaded runtime until Ctrl-C / SIGTERM, for the CLI.
/// `on_bound` gets the address actually bound (useful with port 0).
pub fn run_blocking(
    state: HubState,
    opts: ServeOptions,
    on_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    // The last reference to the store must be dropped outside the runtime: the synchronous
    // PostgreSQL client closes its connections with a blocking call, which panics on a runtime
    // worker thread (it did when the runtime dropped its tasks at shutdown).
    let keep_store = state.store.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let res = rt.block_on(run(state, opts, on_bound, shutdown_signal()));
    drop(rt);
    drop(keep_store);
    res
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
