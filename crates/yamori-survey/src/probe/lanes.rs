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
//!
//! The lanes start few and grow, like TCP's slow start: [`START_LANES`] connections at first,
//! one more after each refusal, up to the configured most. A new connection the daemon sheds
//! (refused, reset, cut off in the key exchange) is tried again by its lane after a back-off,
//! and no lane is added while one waits to retry: sshd's `MaxStartups` sheds new connections
//! at random once ten are unauthenticated, and a retry soon after usually gets through. A lane
//! still shed after [`MAX_RETRIES`] retries has found the daemon's limit: it hands its pair to
//! another lane and leaves, and the lanes grow no more; so does a daemon that drops a
//! connection right after a password (strain, not policy). (Refusal times are no signal: a
//! daemon that closes a connection at its `MaxAuthTries` answers at once, PAM after seconds.)
//! A device with a weak pair early in the list is found in the first batch; one with none gets
//! the list at the pace it shows it can take.

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

/// Times a lane tries a pair again after a network error (a connection refused or reset, a key
/// exchange cut off) before it gives up (the last lane) or hands the pair to another lane and
/// leaves: a daemon busy with other clients sheds new connections for a while (sshd's
/// `MaxStartups` drops them at random), and giving up at the first one would lose the pair and
/// every pair after it, or a lane the daemon would have taken.
pub(super) const MAX_RETRIES: u32 = 3;
/// Login connections a service's checks start with (fewer when the configured most is lower).
pub(super) const START_LANES: usize = 4;

/// How far past the list's next pair a lane may look for one with the user name its connection
/// is bound to (SSH: OpenSSH refuses a change of user on a connection, so a pair for another
/// user costs a new connection with its key exchange, and every new connection risks sshd's
/// `MaxStartups` shedding). One batch of the most lanes: the list's order (most likely pairs
/// first) still holds within what the lanes try at once.
pub(super) const SAME_USER_LOOKAHEAD: usize = 16;

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

    /// The user name a session can only go on with (SSH), if the protocol binds one: the lane
    /// then prefers the next pair for that user (within [`SAME_USER_LOOKAHEAD`]).
    fn bound_user<'s>(&self, _session: &'s Self::Session) -> Option<&'s str> {
        None
    }
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
    /// Pairs tried again after a dropped connection: by the lane itself after a back-off
    /// ([`MAX_RETRIES`] times in a row at most), then handed to another lane (the lane that
    /// met it steps down).
    pub(super) retries: u32,
    /// The most login connections that were open at once (lanes started).
    pub(super) lanes: usize,
}

/// Which pairs are left, and how many lanes are there to try them.
struct Pool {
    /// The first pair of the list not yet handed out.
    next: usize,
    /// Pairs past `next` handed out early, to a lane whose connection is bound to their user.
    ahead: std::collections::BTreeSet<usize>,
    /// Pairs handed back by a lane that stepped down after a dropped connection.
    returned: Vec<usize>,
    /// Lanes running (each counted from its start until it leaves).
    alive: usize,
}

/// The lanes' common state: the pairs left, consecutive silent drops, the signal that drops
/// every attempt in flight (a success), and the flag that starts no new attempt.
struct Shared {
    pool: std::sync::Mutex<Pool>,
    /// Pairs that may be tried: `min(limit, list length)`.
    end: usize,
    silent: AtomicUsize,
    halt: watch::Sender<bool>,
    no_more: AtomicBool,
    /// Set when the daemon showed strain: no more lanes are added.
    congested: AtomicBool,
    /// Lanes waiting to try a shed connection again: no lane is added meanwhile.
    retrying: AtomicUsize,
    /// One message per refusal: the runner may add a lane.
    grow: tokio::sync::mpsc::Sender<()>,
}

impl Shared {
    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        // A lane that panicked holding the lock leaves the counts as they were.
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn join(&self) {
        self.pool().alive += 1;
    }

    /// The next pair for a lane: a handed-back one first, then one for `user` (the user the
    /// lane's connection is bound to) among the next [`SAME_USER_LOOKAHEAD`], else the list's
    /// next. `None` counts the lane out: nothing is left.
    fn take(&self, user: Option<&str>, credentials: &[Credential]) -> Option<usize> {
        let mut guard = self.pool();
        let p = &mut *guard;
        if let Some(i) = p.returned.pop() {
            return Some(i);
        }
        let window = p.next..(p.next + SAME_USER_LOOKAHEAD).min(self.end);
        let same = user.and_then(|u| {
            window.clone().find(|j| {
                !p.ahead.contains(j) && credentials.get(*j).is_some_and(|c| c.username == u)
            })
        });
        if let Some(j) = same.filter(|j| *j != p.next) {
            p.ahead.insert(j);
            return Some(j);
        }
        if p.next < self.end {
            let i = p.next;
            p.next += 1;
            // Skip what was handed out early.
            while p.ahead.remove(&p.next) {
                p.next += 1;
            }
            return Some(i);
        }
        p.alive -= 1;
        None
    }

    /// A lane that leaves for another reason than an empty list.
    fn leave(&self) {
        self.pool().alive -= 1;
    }

    /// After a dropped connection: hands pair `i` back and counts the lane out, fewer
    /// connections being what a shedding daemon needs; false (the lane stays and retries
    /// itself) when it is the last one.
    fn step_down(&self, i: usize) -> bool {
        let mut p = self.pool();
        if p.alive <= 1 {
            return false;
        }
        p.returned.push(i);
        p.alive -= 1;
        true
    }

    fn pairs_left(&self) -> bool {
        let p = self.pool();
        !p.returned.is_empty() || p.next < self.end
    }
}

/// Tries at most `limit` pairs of `credentials` over at most `max_lanes` connections at once
/// (starting with [`START_LANES`]) until the first success, the host's `deadline` or a stop.
/// `first` (an open connection showing a prompt, counted as a connection already) carries
/// lane 0's first attempts. The lanes' evidence is appended to `evidence` in time order.
pub(super) async fn run<A: Attempts>(
    attempts: Arc<A>,
    credentials: Arc<Vec<Credential>>,
    max_lanes: usize,
    limit: usize,
    deadline: Instant,
    first: Option<A::Session>,
    evidence: &mut Vec<Evidence>,
) -> Tally {
    let (halt, _) = watch::channel(false);
    // Bounded: a refusal that finds the channel full simply does not add a lane.
    let (grow, mut grown) = tokio::sync::mpsc::channel(64);
    let shared = Arc::new(Shared {
        pool: std::sync::Mutex::new(Pool {
            next: 0,
            ahead: Default::default(),
            returned: Vec::new(),
            alive: 0,
        }),
        end: limit.min(credentials.len()),
        silent: AtomicUsize::new(0),
        halt,
        no_more: AtomicBool::new(false),
        congested: AtomicBool::new(false),
        retrying: AtomicUsize::new(0),
        grow,
    });
    let max_lanes = max_lanes.max(1);
    let mut first = first;
    let mut set = JoinSet::new();
    let spawn = |set: &mut JoinSet<_>, first: Option<A::Session>| {
        shared.join();
        set.spawn(lane(
            attempts.clone(),
            credentials.clone(),
            deadline,
            first,
            shared.clone(),
        ));
    };
    for _ in 0..START_LANES.min(max_lanes) {
        spawn(&mut set, first.take());
    }
    let mut opened = START_LANES.min(max_lanes);
    let mut tally = Tally::default();
    let mut found = Vec::new();
    loop {
        let done = tokio::select! {
            done = set.join_next() => match done {
                Some(d) => d,
                None => break,
            },
            Some(()) = grown.recv() => {
                if opened < max_lanes
                    && shared.pairs_left()
                    && !shared.congested.load(Ordering::Relaxed)
                    && shared.retrying.load(Ordering::Relaxed) == 0
                    && !shared.no_more.load(Ordering::Relaxed)
                    && !*shared.halt.borrow()
                {
                    spawn(&mut set, None);
                    opened += 1;
                }
                continue;
            }
        };
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
    tally.lanes = opened;
    found.sort_by_key(|e| e.time);
    evidence.extend(found);
    tally
}

/// One lane: pairs from the shared list until the list, the limit, the budget or a stop ends it.
async fn lane<A: Attempts>(
    attempts: Arc<A>,
    credentials: Arc<Vec<Credential>>,
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
    // Counted out of the pool already (by `take` or a step down).
    let mut out = false;
    loop {
        if *halt.borrow() || shared.no_more.load(Ordering::Relaxed) {
            break;
        }
        if Instant::now() >= deadline {
            t.stopped = Some("per-host time budget exhausted".into());
            break;
        }
        let user = lane.session.as_ref().and_then(|s| attempts.bound_user(s));
        let Some(i) = shared.take(user, &credentials) else {
            out = true;
            break;
        };
        let Some(c) = credentials.get(i) else {
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
                    // Shed: this lane tries the pair again after a back-off.
                    let wait = RETRY_BACKOFF * 2u32.pow(retries);
                    if Instant::now() + wait >= deadline {
                        t.stopped = Some("per-host time budget exhausted".into());
                        break None;
                    }
                    retries += 1;
                    t.retries += 1;
                    shared.retrying.fetch_add(1, Ordering::Relaxed);
                    let halted = tokio::select! {
                        _ = tokio::time::sleep(wait) => false,
                        _ = halt.wait_for(|h| *h) => true,
                    };
                    shared.retrying.fetch_sub(1, Ordering::Relaxed);
                    // Another lane may have stopped the checks meanwhile.
                    if halted || shared.no_more.load(Ordering::Relaxed) {
                        break None;
                    }
                }
                Some(Err(e)) if e.is_transient() && shared.step_down(i) => {
                    // Shed every time: the daemon's limit. Another lane tries the pair; this
                    // connection is one too many.
                    shared.congested.store(true, Ordering::Relaxed);
                    t.retries += 1;
                    out = true;
                    break None;
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
                let _ = shared.grow.try_send(());
                continue;
            }
            Ok(Step::SilentDrop) => {
                shared.congested.store(true, Ordering::Relaxed);
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
    if !out {
        shared.leave();
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
        /// How long each refusal takes (the failure delay).
        delay: Duration,
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
            if i == self.weak {
                return Ok(Step::Success);
            }
            tokio::time::sleep(self.delay).await;
            Ok(Step::Refused {
                took: self.delay.max(Duration::from_millis(1)),
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
        let daemon = Daemon {
            weak: 6,
            flaky: 2,
            resets: AtomicUsize::new(resets),
            delay: Duration::ZERO,
        };
        run_with(daemon, lanes, 10).await
    }

    async fn run_with(daemon: Daemon, max_lanes: usize, n: usize) -> Tally {
        let deadline = Instant::now() + Duration::from_secs(600);
        let mut evidence = Vec::new();
        run(
            Arc::new(daemon),
            pairs(n),
            max_lanes,
            n,
            deadline,
            None,
            &mut evidence,
        )
        .await
    }

    fn strong(flaky: usize, resets: usize) -> Daemon {
        Daemon {
            weak: usize::MAX,
            flaky,
            resets: AtomicUsize::new(resets),
            delay: Duration::from_secs(2),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn lanes_grow_while_the_daemon_refuses_cleanly() {
        let t = run_with(strong(usize::MAX, 0), 16, 60).await;
        assert_eq!(t.lanes, 16, "{t:?}");
        assert_eq!(t.tried, 60);
        assert_eq!(t.success, None);
        // Never more than the configured most, never more than the start below it.
        assert_eq!(run_with(strong(usize::MAX, 0), 2, 20).await.lanes, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shed_connection_is_retried_by_its_lane_and_the_growth_resumes() {
        let t = run_with(strong(0, 1), 16, 40).await;
        assert_eq!(t.retries, 1, "{t:?}");
        assert_eq!(t.tried, 41, "every pair, the shed one twice");
        assert_eq!(t.stopped, None);
        // Paused for a round, not for good.
        assert_eq!(t.lanes, 16, "{t:?}");
    }

    /// Refuses every pair after `delay`, but sheds an attempt while `cap` are in flight (a
    /// hard limit on connections, as dropbear's per-address one), and the first attempt of
    /// every `every`-th pair (random early drops, as sshd's `MaxStartups`).
    struct Shedding {
        cap: usize,
        every: usize,
        delay: Duration,
        in_flight: AtomicUsize,
        shed: AtomicUsize,
        last_shed: std::sync::Mutex<Option<Instant>>,
        refused: std::sync::Mutex<Vec<usize>>,
        dropped_once: std::sync::Mutex<std::collections::HashSet<usize>>,
    }

    impl Shedding {
        fn new(cap: usize, every: usize) -> Self {
            Shedding {
                cap,
                every,
                delay: Duration::from_secs(2),
                in_flight: AtomicUsize::new(0),
                shed: AtomicUsize::new(0),
                last_shed: Default::default(),
                refused: Default::default(),
                dropped_once: Default::default(),
            }
        }
    }

    impl Attempts for Shedding {
        type Session = ();

        async fn attempt(&self, lane: &mut Lane<()>, c: &Credential) -> Result<Step, ProbeError> {
            lane.connections += 1;
            let i: usize = c.password.parse().expect("test pair");
            let random_drop = i.is_multiple_of(self.every)
                && self.dropped_once.lock().expect("test lock").insert(i);
            if random_drop || self.in_flight.load(Ordering::Relaxed) >= self.cap {
                self.shed.fetch_add(1, Ordering::Relaxed);
                *self.last_shed.lock().expect("test lock") = Some(Instant::now());
                return Err(ProbeError::Closed { what: "test" });
            }
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            lane.tried += 1;
            tokio::time::sleep(self.delay).await;
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            self.refused.lock().expect("test lock").push(i);
            Ok(Step::Refused { took: self.delay })
        }

        async fn close(&self, _session: ()) {}
    }

    async fn run_shedding(daemon: Arc<Shedding>, n: usize) -> Tally {
        let deadline = Instant::now() + Duration::from_secs(600);
        let mut evidence = Vec::new();
        run(daemon, pairs(n), 16, n, deadline, None, &mut evidence).await
    }

    #[tokio::test(start_paused = true)]
    async fn random_drops_do_not_keep_the_lanes_from_growing() {
        let daemon = Arc::new(Shedding::new(usize::MAX, 5));
        let t = run_shedding(daemon.clone(), 80).await;
        let mut refused = daemon.refused.lock().expect("test lock").clone();
        refused.sort_unstable();
        assert_eq!(
            refused,
            (0..80).collect::<Vec<_>>(),
            "each pair refused once"
        );
        assert_eq!(t.retries, 16, "one retry per dropped pair: {t:?}");
        assert_eq!(t.stopped, None);
        assert_eq!(t.lanes, 16, "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_limit_caps_the_lanes_and_no_pair_is_lost() {
        let cap = 6;
        let daemon = Arc::new(Shedding::new(cap, usize::MAX));
        let started = Instant::now();
        let t = run_shedding(daemon.clone(), 60).await;
        let took = started.elapsed();
        let mut refused = daemon.refused.lock().expect("test lock").clone();
        refused.sort_unstable();
        assert_eq!(
            refused,
            (0..60).collect::<Vec<_>>(),
            "each pair refused once"
        );
        assert_eq!(t.stopped, None, "{t:?}");
        assert_eq!(t.tried, 60);
        // The lanes over the limit (one round's growth at most) knock MAX_RETRIES + 1 times
        // and leave; after that the daemon sees no connection it must shed.
        assert!(t.lanes > cap && t.lanes <= cap + START_LANES, "{t:?}");
        let last_shed = daemon
            .last_shed
            .lock()
            .expect("test lock")
            .expect("some shed");
        assert!(
            last_shed - started < Duration::from_secs(8) && took >= Duration::from_secs(20),
            "last shed {:?} into a run of {took:?}",
            last_shed - started
        );
        assert!(t.retries > MAX_RETRIES, "{t:?}");
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

    /// Refuses every pair after `delay`, on sessions bound to one user name (as OpenSSH's
    /// are): a pair for another user needs a new connection. Records the pairs in the order
    /// they were tried.
    struct BoundDaemon {
        delay: Duration,
        order: std::sync::Mutex<Vec<usize>>,
    }

    impl Attempts for BoundDaemon {
        type Session = String;

        async fn attempt(
            &self,
            lane: &mut Lane<String>,
            c: &Credential,
        ) -> Result<Step, ProbeError> {
            if lane.session.as_deref() != Some(c.username.as_str()) {
                lane.connections += 1;
                lane.session = Some(c.username.clone());
            }
            lane.tried += 1;
            let i: usize = c.password.parse().expect("test pair");
            self.order.lock().expect("test lock").push(i);
            tokio::time::sleep(self.delay).await;
            Ok(Step::Refused { took: self.delay })
        }

        async fn close(&self, _session: String) {}

        fn bound_user<'s>(&self, session: &'s String) -> Option<&'s str> {
            Some(session)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lane_bound_to_a_user_prefers_that_users_next_pairs() {
        // Users alternate, as in the built-in list; in list order every pair would need a
        // connection of its own.
        let n = 40;
        let creds: Vec<Credential> = (0..n)
            .map(|i| Credential {
                username: if i % 2 == 0 { "root" } else { "admin" }.into(),
                password: i.to_string(),
                source: CredentialSource::MiraiList,
            })
            .collect();
        for lanes in [1, 4] {
            let daemon = Arc::new(BoundDaemon {
                delay: Duration::from_secs(2),
                order: Default::default(),
            });
            let mut evidence = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(600);
            let t = run(
                daemon.clone(),
                Arc::new(creds.clone()),
                lanes,
                n,
                deadline,
                None,
                &mut evidence,
            )
            .await;
            let order = daemon.order.lock().expect("test lock").clone();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                (0..n).collect::<Vec<_>>(),
                "each pair once: {order:?}"
            );
            // No pair is tried much later than in list order.
            for (k, i) in order.iter().enumerate() {
                assert!(k.abs_diff(*i) <= SAME_USER_LOOKAHEAD, "{order:?}");
            }
            assert!(
                t.connections <= n / 4,
                "{lanes} lanes: {} connections for {n} pairs: {order:?}",
                t.connections
            );
        }
    }
}
