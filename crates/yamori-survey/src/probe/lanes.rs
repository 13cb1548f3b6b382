//! Login lanes: one service's credential pairs tried over several connections at once.
//!
//! Each lane takes the next pair from one shared list (so pairs are tried in the list's
//! order, `lanes` at a time), keeps its connection while the daemon lets it try again, and
//! opens a new one when it closes. The protocol (telnet, SSH, FTP) says what one attempt is
//! through [`Attempts`]; the lanes decide when to stop:
//! * a success stops everything, attempts in flight included (nothing more to learn);
//! * a lane that fails, or meets a daemon that stops behaving like a login, starts no new
//!   attempt anywhere, but lets the other lanes' attempts in flight finish: one lane's trouble
//!   must not cut off an attempt that is about to succeed;
//! * [`MAX_SILENT_DROPS`] connections in a row closed after a password without a word stop
//!   the checks too.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::creds::Credential;
use crate::model::Evidence;
use crate::net::ProbeError;

/// Consecutive connections closed right after a password with no answer before the checks
/// stop (a daemon that drops every attempt teaches nothing more after that).
pub(super) const MAX_SILENT_DROPS: usize = 3;

/// Times one lane tries a pair again after a network error (a connection refused or reset,
/// a key exchange cut off) before it gives up: a daemon busy with other clients sheds new
/// connections for a while (sshd's `MaxStartups` drops them at random), and giving up at the
/// first one would lose the pair and every pair after it.
pub(super) const MAX_RETRIES: u32 = 3;
/// The wait before the first retry; doubled for each further one.
const RETRY_BACKOFF: std::time::Duration = std::time::Duration::from_millis(500);

/// What one attempt found out.
pub(super) enum Step {
    Success,
    /// Refused, `took` after the password was sent (the device's failure delay).
    Refused {
        took: Duration,
    },
    /// The connection closed right after the password without a word.
    SilentDrop,
    /// Not a login dialogue we understand: stop, with the reason.
    Stop(String),
}

/// One lane's connection and counters; the protocol's attempt updates them.
pub(super) struct Lane<S> {
    /// The connection to try the next pair on, if the daemon still prompts on it.
    pub(super) session: Option<S>,
    pub(super) evidence: Vec<Evidence>,
    /// Attempts started (a password sent, or about to be).
    pub(super) tried: usize,
    pub(super) connections: usize,
}

/// One protocol's login attempt.
pub(super) trait Attempts: Send + Sync + 'static {
    type Session: Send + 'static;

    /// Tries `c` on the lane's session, opening a new connection if it has none, and leaves
    /// the session in the lane when the daemon lets the next pair use it.
    fn attempt(
        &self,
        lane: &mut Lane<Self::Session>,
        c: &Credential,
    ) -> impl Future<Output = Result<Step, ProbeError>> + Send;

    /// Ends a session left over when the lanes stop (a polite `QUIT`, a disconnect).
    fn close(&self, session: Self::Session) -> impl Future<Output = ()> + Send;
}

/// What the lanes of one service did, summed.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) tried: usize,
    pub(super) connections: usize,
    /// Index in the list of the pair that logged in.
    pub(super) success: Option<usize>,
    /// Why the checks stopped early (`None` after a success).
    pub(super) stopped: Option<String>,
    /// The longest time a refusal took: a later run can set its reply wait from it.
    pub(super) slowest_refusal: Duration,
    /// Pairs tried again after a network error ([`MAX_RETRIES`] per pair at most).
    pub(super) retries: u32,
}

/// The lanes' common state: the next pair, consecutive silent drops, the signal that drops
/// every attempt in flight (a success), and the flag that starts no new attempt.
struct Shared {
    next: AtomicUsize,
    silent: AtomicUsize,
    halt: watch::Sender<bool>,
    no_more: AtomicBool,
}

/// Tries at most `limit` pairs of `credentials` over `lanes` connections at once until the
/// first success, the host's `deadline` or a stop. `first` (an open connection showing a
/// prompt, counted as a connection already) carries lane 0's first attempts. The lanes'
/// evidence is appended to `evidence` in time order.
pub(super) async fn run<A: Attempts>(
    attempts: Arc<A>,
    credentials: Arc<Vec<Credential>>,
    lanes: usize,
    limit: usize,
    deadline: Instant,
    first: Option<A::Session>,
    evidence: &mut Vec<Evidence>,
) -> Tally {
    let (halt, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        next: AtomicUsize::new(0),
        silent: AtomicUsize::new(0),
        halt,
        no_more: AtomicBool::new(false),
    });
    let mut first = first;
    let mut set = JoinSet::new();
    for _ in 0..lanes.max(1) {
        set.spawn(lane(
            attempts.clone(),
            credentials.clone(),
            limit,
            deadline,
            first.take(),
            shared.clone(),
        ));
    }
    let mut tally = Tally::default();
    let mut found = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok((t, ev)) => {
                tally.tried += t.tried;
                tally.connections += t.connections;
                tally.slowest_refusal = tally.slowest_refusal.max(t.slowest_refusal);
                tally.retries += t.retries;
                tally.success = match (tally.success, t.success) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                tally.stopped = tally.stopped.or(t.stopped);
                found.extend(ev);
            }
            // A panicking lane is a bug; it loses its own attempts, not the service.
            Err(e) => tracing::error!(error = %e, "login lane failed"),
        }
    }
    if tally.success.is_some() {
        tally.stopped = None;
    }
    found.sort_by_key(|e| e.time);
    evidence.extend(found);
    tally
}

/// One lane: pairs from the shared list until the list, the limit, the budget or a stop ends it.
async fn lane<A: Attempts>(
    attempts: Arc<A>,
    credentials: Arc<Vec<Credential>>,
    limit: usize,
    deadline: Instant,
    first: Option<A::Session>,
    shared: Arc<Shared>,
) -> (Tally, Vec<Evidence>) {
    let mut halt = shared.halt.subscribe();
    let mut lane = Lane {
        connections: usize::from(first.is_some()),
        session: first,
        evidence: Vec::new(),
        tried: 0,
    };
    let mut t = Tally::default();
    loop {
        if *halt.borrow() || shared.no_more.load(Ordering::Relaxed) {
            break;
        }
        if Instant::now() >= deadline {
            t.stopped = Some("per-host time budget exhausted".into());
            break;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(c) = credentials.get(i).filter(|_| i < limit) else {
            break;
        };
        let mut retries = 0;
        let step = loop {
            let step = tokio::select! {
                r = attempts.attempt(&mut lane, c) => Some(r),
                // Another lane succeeded: drop this attempt and its connection.
                _ = halt.wait_for(|h| *h) => None,
            };
            match step {
                Some(Err(e)) if retries < MAX_RETRIES && e.is_transient() => {
                    let wait = RETRY_BACKOFF * 2u32.pow(retries);
                    retries += 1;
                    t.retries += 1;
                    if Instant::now() + wait >= deadline {
                        break Some(Err(e));
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = halt.wait_for(|h| *h) => break None,
                    }
                }
                other => break other,
            }
        };
        let Some(step) = step else {
            break;
        };
        let stop = match step {
            Ok(Step::Success) => {
                t.success = Some(i);
                shared.halt.send_replace(true);
                break;
            }
            Ok(Step::Refused { took }) => {
                shared.silent.store(0, Ordering::Relaxed);
                t.slowest_refusal = t.slowest_refusal.max(took);
                continue;
            }
            Ok(Step::SilentDrop) => {
                let silent = shared.silent.fetch_add(1, Ordering::Relaxed) + 1;
                if silent < MAX_SILENT_DROPS {
                    continue;
                }
                format!(
                    "the daemon closed the connection after {silent} passwords in a row \
                     without an answer"
                )
            }
            Ok(Step::Stop(why)) => why,
            Err(e) => e.to_string(),
        };
        t.stopped = Some(stop);
        shared.no_more.store(true, Ordering::Relaxed);
        break;
    }
    // After a success elsewhere the connection is simply dropped: waiting for a polite
    // goodbye would only add time.
    if let Some(s) = lane.session.take().filter(|_| !*halt.borrow()) {
        attempts.close(s).await;
    }
    t.tried = lane.tried;
    t.connections = lane.connections;
    (t, lane.evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CredentialSource;

    /// Refuses every pair at once, except: pair `weak` succeeds, and the first `resets`
    /// attempts of pair `flaky` fail as a busy daemon's reset connection would.
    struct Daemon {
        weak: usize,
        flaky: usize,
        resets: AtomicUsize,
    }

    impl Attempts for Daemon {
        type Session = ();

        async fn attempt(&self, lane: &mut Lane<()>, c: &Credential) -> Result<Step, ProbeError> {
            lane.tried += 1;
            lane.connections += 1;
            let i: usize = c.password.parse().expect("test pair");
            if i == self.flaky && self.resets.load(Ordering::Relaxed) > 0 {
                self.resets.fetch_sub(1, Ordering::Relaxed);
                return Err(ProbeError::Closed { what: "test" });
            }
            Ok(if i == self.weak {
                Step::Success
            } else {
                Step::Refused {
                    took: Duration::from_millis(1),
                }
            })
        }

        async fn close(&self, _session: ()) {}
    }

    fn pairs(n: usize) -> Arc<Vec<Credential>> {
        Arc::new(
            (0..n)
                .map(|i| Credential {
                    username: "root".into(),
                    password: i.to_string(),
                    source: CredentialSource::MiraiList,
                })
                .collect(),
        )
    }

    async fn run_daemon(lanes: usize, resets: usize) -> Tally {
        let daemon = Arc::new(Daemon {
            weak: 6,
            flaky: 2,
            resets: AtomicUsize::new(resets),
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut evidence = Vec::new();
        run(daemon, pairs(10), lanes, 10, deadline, None, &mut evidence).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_connection_is_retried_and_the_pair_is_not_lost() {
        let t = run_daemon(1, 2).await;
        assert_eq!(t.success, Some(6), "{t:?}");
        assert_eq!(t.retries, 2);
        assert_eq!(t.stopped, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pair_that_keeps_failing_stops_the_checks_with_the_reason() {
        let t = run_daemon(1, usize::MAX).await;
        assert_eq!(t.success, None, "{t:?}");
        assert_eq!(t.retries, MAX_RETRIES);
        assert!(
            t.stopped
                .as_deref()
                .is_some_and(|s| s.contains("closed the connection")),
            "{t:?}"
        );
        // Pairs 0 and 1, then pair 2 once and again MAX_RETRIES times; nothing after it.
        assert_eq!(t.tried, 3 + MAX_RETRIES as usize);
    }
}
