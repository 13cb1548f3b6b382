//! The survey loop: every address in scope × every port, with a global rate limit, a global
//! cap on connections in flight, a per-host cap, per-host back-off and a per-host time budget.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;

use crate::adapt::Learned;
use crate::creds::Credential;
use crate::fingerprint::Rules;
use crate::model::Transport;
use crate::model::{Host, Service, SurveyResult};
use crate::net::syn::SynError;
use crate::net::{Guard, ProbeError};
use crate::ports::PortSpec;
use crate::probe::{probe_port, Ctx};
use crate::rate::{Backoff, RateLimiter};
use crate::scope::Scope;

/// Default time budget for everything done to one host (all ports, all login attempts).
pub const DEFAULT_HOST_BUDGET: Duration = Duration::from_secs(300);
/// Default longest wait for a service's first prompt: a telnet daemon that looks up the
/// caller's name before its first byte stays silent for a resolver timeout or two (5 s each).
pub const DEFAULT_PROMPT_WAIT: Duration = Duration::from_secs(20);
/// Default longest wait for the reply to a password: `login` and BusyBox wait 3 s (PAM's
/// `pam_faildelay`, up to a quarter more at random) before saying "Login incorrect".
pub const DEFAULT_REPLY_WAIT: Duration = Duration::from_secs(10);
/// Default for the most login connections to one telnet, SSH or FTP service at once (hydra's
/// default too): a refusal costs the device's failure delay, so one connection at a time takes
/// minutes per device. The checks start with 4 and open more only while the device refuses
/// cleanly (`probe/lanes.rs`), since small devices may not take 16 at once.
pub const DEFAULT_LOGIN_PARALLEL: usize = 16;
/// First back-off delay after an error on a host; doubles per consecutive error.
pub const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest back-off delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// How open TCP ports are found before they are probed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Discovery {
    /// A full TCP connect per (address, port): needs no privileges.
    #[default]
    Connect,
    /// Stateless SYN sweep from a raw socket first (`net::syn`), then connections only to the
    /// ports that answered. Needs CAP_NET_RAW; IPv4 only (IPv6 targets are still connected to).
    Syn,
}

/// Everything a survey run needs.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    pub scope: Scope,
    pub ports: Vec<PortSpec>,
    /// Probes (connections / datagrams) per second, all hosts together.
    pub rate: u32,
    /// Connections in flight, all hosts together.
    pub concurrency: usize,
    /// Connections in flight to one host.
    pub per_host: usize,
    /// Connect and read timeout.
    pub timeout: Duration,
    pub host_budget: Duration,
    /// Longest wait for a first prompt ([`DEFAULT_PROMPT_WAIT`]); the host budget bounds it.
    pub prompt_wait: Duration,
    /// Longest wait for the reply to a password ([`DEFAULT_REPLY_WAIT`]).
    pub reply_wait: Duration,
    /// Login connections to one telnet, SSH or FTP service at once
    /// ([`DEFAULT_LOGIN_PARALLEL`]).
    pub login_parallel: usize,
    /// Per-service waits learned from an earlier run (empty: the configured waits everywhere).
    pub learned: Learned,
    /// Credentials to try; empty = no login attempts.
    pub credentials: Vec<Credential>,
    /// Whether an FTP server is also asked for an anonymous login (`ftp_anonymous`). A server
    /// with anonymous login off answers only after its failure delay (about 3 s on vsftpd), so
    /// a survey after the credential list alone may leave it out.
    pub ftp_anonymous: bool,
    pub rules: Rules,
    /// Contact shown in the User-Agent (e-mail or URL).
    pub contact: String,
    pub discovery: Discovery,
}

/// Why a survey could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SurveyError {
    #[error("TLS client setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Syn(#[from] SynError),
    #[error("the SYN sweep thread failed: {0}")]
    SynThread(String),
}

/// Counters of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Connections, datagrams and SYNs sent.
    pub probes: u64,
    pub open: u64,
    pub errors: u64,
    pub budget_exhausted: u64,
}

/// `yamori-survey/<version> (+authorised IoT survey; contact: <contact>)`.
pub fn user_agent(contact: &str) -> String {
    format!(
        "yamori-survey/{} (+authorised IoT survey; contact: {contact})",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs a survey on a fresh multi-threaded runtime.
pub fn run_survey(cfg: SurveyConfig) -> Result<SurveyResult, SurveyError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SurveyError::Runtime)?;
    rt.block_on(survey(cfg)).map(|(r, _)| r)
}

/// Runs a survey on the current runtime.
pub async fn survey(cfg: SurveyConfig) -> Result<(SurveyResult, Stats), SurveyError> {
    let started = OffsetDateTime::now_utc();
    let scope = Arc::new(cfg.scope.clone());
    let limiter = Arc::new(RateLimiter::new(cfg.rate));
    let ctx = Arc::new(Ctx {
        guard: Guard::new(scope.clone(), limiter, cfg.timeout),
        user_agent: user_agent(&cfg.contact),
        contact: cfg.contact.clone(),
        tls: crate::proto::tls::danger_accept_any_certificate()?,
        credentials: Arc::new(cfg.credentials.clone()),
        ftp_anonymous: cfg.ftp_anonymous,
        rules: Arc::new(cfg.rules.clone()),
        prompt_wait: cfg.prompt_wait,
        reply_wait: cfg.reply_wait,
        login_lanes: cfg.login_parallel.max(1),
        learned: Arc::new(cfg.learned.clone()),
    });
    let stats = Arc::new(Mutex::new(Stats::default()));
    let syn_open = match cfg.discovery {
        Discovery::Connect => None,
        Discovery::Syn => {
            let sweep = syn_discover(&ctx.guard, &scope, &cfg.ports, cfg.timeout).await?;
            let mut st = stats.lock().await;
            st.probes += sweep.sent;
            st.errors += sweep.send_errors;
            // Ports whose SYN could not be sent are not known to be closed: connect to them.
            let mut probe = sweep.open;
            probe.extend(sweep.unsent);
            Some(probe)
        }
    };
    let all_ports = Arc::new(cfg.ports.clone());
    let conns = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    // Hosts in flight: enough to keep `concurrency` connections busy, bounded so a /8 is not
    // materialised as millions of tasks.
    let hosts_in_flight = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut hosts = Vec::new();
    let mut targets = 0u64;
    for ip in scope.addresses() {
        targets += 1;
        let ports = match (&syn_open, ip) {
            // The sweep already asked every TCP port of this host: probe only those that
            // answered (or whose SYN could not be sent), and the UDP ports as usual.
            (Some(open), IpAddr::V4(v4)) => {
                let kept = ports_after_sweep(&all_ports, open, v4);
                if kept.is_empty() {
                    continue;
                }
                Arc::new(kept)
            }
            _ => all_ports.clone(),
        };
        let Ok(permit) = hosts_in_flight.clone().acquire_owned().await else {
            break;
        };
        let (ctx, conns, stats) = (ctx.clone(), conns.clone(), stats.clone());
        let (per_host, budget) = (cfg.per_host.max(1), cfg.host_budget);
        tasks.spawn(async move {
            let services = survey_host(&ctx, ip, &ports, &conns, per_host, budget, &stats).await;
            drop(permit);
            (ip, services)
        });
        while let Some(done) = tasks.try_join_next() {
            collect(done, &mut hosts);
        }
    }
    while let Some(done) = tasks.join_next().await {
        collect(done, &mut hosts);
    }
    hosts.sort_by_key(|h| h.address);
    let stats = *stats.lock().await;
    let result = SurveyResult {
        targets,
        hosts,
        finished: OffsetDateTime::now_utc(),
        ..SurveyResult::new(scope.cidrs(), started)
    };
    Ok((result, stats))
}

/// Runs the stateless SYN sweep over the IPv4 part of the scope on its own thread.
async fn syn_discover(
    guard: &Guard,
    scope: &Arc<Scope>,
    ports: &[PortSpec],
    wait: Duration,
) -> Result<crate::net::syn::SynSweep, SurveyError> {
    let tcp: Vec<u16> = ports
        .iter()
        .filter(|p| p.transport == Transport::Tcp)
        .map(|p| p.port)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (guard, scope) = (guard.clone(), scope.clone());
    let sweep = tokio::task::spawn_blocking(move || guard.syn_sweep(&scope, &tcp, wait))
        .await
        .map_err(|e| SurveyError::SynThread(e.to_string()))??;
    tracing::info!(
        sent = sweep.sent,
        open = sweep.open.len(),
        closed = sweep.closed,
        send_errors = sweep.send_errors,
        unreachable = sweep.unreachable,
        "SYN sweep done"
    );
    Ok(sweep)
}

/// The ports of `ip` still to probe after a SYN sweep: UDP ones, and TCP ones that answered.
fn ports_after_sweep(
    all: &[PortSpec],
    open: &BTreeSet<(Ipv4Addr, u16)>,
    ip: Ipv4Addr,
) -> Vec<PortSpec> {
    all.iter()
        .filter(|p| p.transport != Transport::Tcp || open.contains(&(ip, p.port)))
        .copied()
        .collect()
}

fn collect(done: Result<(IpAddr, Vec<Service>), tokio::task::JoinError>, hosts: &mut Vec<Host>) {
    match done {
        Ok((address, services)) if !services.is_empty() => hosts.push(Host { address, services }),
        Ok(_) => {}
        // A panicking probe is a bug; it loses one host, not the survey.
        Err(e) => tracing::error!(error = %e, "host task failed"),
    }
}

async fn survey_host(
    ctx: &Arc<Ctx>,
    ip: IpAddr,
    ports: &Arc<Vec<PortSpec>>,
    conns: &Arc<Semaphore>,
    per_host: usize,
    budget: Duration,
    stats: &Arc<Mutex<Stats>>,
) -> Vec<Service> {
    let deadline = tokio::time::Instant::now() + budget;
    let host_slots = Arc::new(Semaphore::new(per_host));
    let backoff = Arc::new(Mutex::new(Backoff::new(BACKOFF_BASE, BACKOFF_MAX)));
    let mut set = JoinSet::new();
    for &p in ports.iter() {
        let (ctx, conns, host_slots, backoff, stats) = (
            ctx.clone(),
            conns.clone(),
            host_slots.clone(),
            backoff.clone(),
            stats.clone(),
        );
        set.spawn(async move {
            let _host = host_slots.acquire_owned().await.ok()?;
            let _conn = conns.acquire_owned().await.ok()?;
            let delay = backoff.lock().await.delay();
            tokio::time::sleep(delay).await;
            // Login loops stop themselves at the deadline; the hard limit adds room for the
            // attempt in progress to finish (a reconnect, a prompt, a user name and a password
            // reply, and the control attempt after a success).
            let attempt = ctx.guard.timeout * 2 + ctx.prompt_wait + ctx.reply_wait * 2;
            let hard = deadline + (ctx.guard.timeout * 8).max(attempt * 2);
            let outcome = tokio::time::timeout_at(hard, probe_port(&ctx, ip, p, deadline)).await;
            let mut st = stats.lock().await;
            st.probes += 1;
            match outcome {
                Err(_) => {
                    st.budget_exhausted += 1;
                    None
                }
                Ok(Ok(svc)) => {
                    st.open += 1;
                    let failed = svc.fields.contains_key("error");
                    drop(st);
                    let mut b = backoff.lock().await;
                    if failed {
                        b.failure();
                    } else {
                        b.success();
                    }
                    Some(svc)
                }
                Ok(Err(e)) => {
                    if !e.is_closed_port() && !matches!(e, ProbeError::Timeout { .. }) {
                        st.errors += 1;
                        drop(st);
                        tracing::debug!(%ip, port = p.port, error = %e, "probe error");
                        backoff.lock().await.failure();
                    }
                    None
                }
            }
        });
    }
    let mut services = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(Some(s)) = r {
            services.push(s);
        }
    }
    services.sort_by_key(|s| (s.transport, s.port));
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_sweep_only_answering_tcp_ports_and_all_udp_ports_are_probed() {
        let all = crate::ports::parse("23,80,2323,udp:5683").expect("ports");
        let host = Ipv4Addr::new(198, 51, 100, 10);
        let other = Ipv4Addr::new(198, 51, 100, 11);
        let open: BTreeSet<_> = [(host, 80), (other, 23)].into_iter().collect();
        let kept: Vec<String> = ports_after_sweep(&all, &open, host)
            .iter()
            .map(|p| format!("{:?}:{}", p.transport, p.port))
            .collect();
        assert_eq!(kept, ["Tcp:80", "Udp:5683"]);
        let none = ports_after_sweep(&crate::ports::parse("23").expect("ports"), &open, host);
        assert!(none.is_empty(), "a host with nothing open is skipped");
    }
}
