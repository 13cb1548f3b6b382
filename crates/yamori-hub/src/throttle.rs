//! Login throttling: failed credential checks are counted per user name (password attempts) and
//! per client address.
//! Past a few failures, the next attempt for that name or from that address must wait — one
//! second, doubling with each further failure up to [`MAX_DELAY`] — and is refused with 429 and
//! `Retry-After` without its credentials being checked.
//!
//! Choices, after OWASP's authentication cheat sheet (throttle rather than lock for good),
//! fail2ban (ban an address after `maxretry` = 5 failures) and django-axes (refuse a locked-out
//! user even with the right password):
//!
//! - During a wait even the right password is refused, unchecked. Were it accepted, a guesser
//!   would lose nothing by guessing on at full speed: the guess that succeeds would get in.
//!   Not checking also spares the hub argon2's deliberate cost under a guessing flood. This
//!   holds for a credential verified moments ago too ([`crate::auth::CACHE_TTL`]): a client
//!   polling with the right password would otherwise keep the right guess open.
//! - Every attempt counts as a failure from the moment it starts ([`LoginThrottle::begin`]) and
//!   is taken back if it succeeds: otherwise a guesser sending hundreds of requests at once
//!   would have them all checked before the first failure was counted.
//! - A success resets the user's counter (a person who mistyped is not slowed once in) and takes
//!   back its own count for the address; it does not reset the address's other failures, or a
//!   guesser holding one valid account could clear its address's record at will.
//! - Tokens (bearer, or as the password of Basic) are 256 random bits: guessing one is hopeless,
//!   so token attempts are not counted or stopped per user name (a user whose name someone is
//!   guessing at keeps working with a token); they are per address, like anything that fails.
//! - Attempts refused with 429 are not counted: counting them would let anyone keep a user
//!   locked out for ever by knocking at each expiry.
//!
//! The state is in memory, bounded by [`MAX_TRACKED`]; a restart forgets it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Failures for one user name before its attempts wait. Five lets a person mistype a password a
/// few times unhindered (fail2ban's default `maxretry` is 5) while a guesser gets a handful of
/// free tries, and then one per doubling delay.
pub const USER_FREE_FAILURES: u32 = 5;
/// Failures from one address before its attempts wait. Higher than per name because several
/// people may share an address (NAT, a proxy) and each may mistype; an address trying many
/// names (password spraying), which the per-name count does not see, still reaches it quickly.
pub const ADDR_FREE_FAILURES: u32 = 20;
/// The wait after the last free failure; it doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait: a guesser gets at most four tries an hour per name (and per address), and
/// a user whose name someone else is guessing at is held up at most this long at a time.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A counter with no failure for this long starts again from zero (longer than [`MAX_DELAY`],
/// so a guesser at the longest wait does not start over).
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Counters kept at once, names and addresses together. Both come from the network, so the map
/// is bounded: about 100 bytes an entry, some 6.5 MiB at most. When it is full, the eighth that
/// failed longest ago is dropped (those have the least to lose: their waits are over or
/// nearly), which makes eviction cost O(1) per insertion on average.
pub const MAX_TRACKED: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// SHA-256 of the user name: a fixed size whatever the client sends.
    User([u8; 32]),
    /// IPv4 address, or the /64 of an IPv6 address (one host commonly holds a whole /64).
    Addr(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
}

/// Failure counters by user name and client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    map: Mutex<HashMap<Key, Entry>>,
}

/// The address a counter is kept under: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
pub fn addr_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn user_key(name: &str) -> Key {
    Key::User(Sha256::digest(name.as_bytes()).into())
}

/// How long a counter with `failures` makes the next attempt wait after its last failure.
fn delay(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
    Some(FIRST_DELAY.saturating_mul(factor).min(MAX_DELAY))
}

impl Entry {
    /// Failures still remembered at `now`.
    fn live(&self, now: Instant) -> u32 {
        if now.saturating_duration_since(self.last) >= FORGET_AFTER {
            0
        } else {
            self.failures
        }
    }
    /// Time left to wait at `now`, if any.
    fn wait(&self, now: Instant, free: u32) -> Option<Duration> {
        let d = delay(self.live(now), free)?;
        let left = (self.last + d).saturating_duration_since(now);
        (!left.is_zero()).then_some(left)
    }
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long an attempt for `user` (None: a token or unreadable credentials) from `addr`
    /// must still wait, if at all. Counts nothing.
    pub fn wait(&self, user: Option<&str>, addr: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        wait_in(&map, &keys(user, addr), now)
    }

    /// Start an attempt for `user` (None: a token or unreadable credentials) from `addr`: Err
    /// with the time to wait if either must wait; otherwise the attempt is counted as a failure
    /// until [`LoginThrottle::succeeded`] or [`LoginThrottle::undo`] says otherwise.
    pub fn begin(
        &self,
        user: Option<&str>,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let keys = keys(user, addr);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = wait_in(&map, &keys, now) {
            return Err(w);
        }
        for (k, _) in keys.into_iter().flatten() {
            if !map.contains_key(&k) && map.len() >= MAX_TRACKED {
                evict(&mut map, now);
            }
            let e = map.entry(k).or_insert(Entry {
                failures: 0,
                last: now,
            });
            e.failures = e.live(now).saturating_add(1);
            e.last = now;
        }
        Ok(())
    }

    /// The attempt begun for `user` from `addr` failed (it was counted when it began): the
    /// wait runs from now, the end of the check, rather than from its start.
    pub fn failed(&self, user: Option<&str>, addr: Option<IpAddr>, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for (k, _) in keys(user, addr).into_iter().flatten() {
            if let Some(e) = map.get_mut(&k) {
                e.last = e.last.max(now);
            }
        }
    }

    /// The attempt begun for `user` from `addr` succeeded: the user's counter is reset and the
    /// attempt's count for the address taken back.
    pub fn succeeded(&self, user: Option<&str>, addr: Option<IpAddr>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = user {
            map.remove(&user_key(u));
        }
        if let Some(a) = addr {
            take_back(&mut map, Key::Addr(addr_key(a)));
        }
    }

    /// The attempt ended without a verdict (e.g. the database failed): take its counts back.
    pub fn undo(&self, user: Option<&str>, addr: Option<IpAddr>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for (k, _) in keys(user, addr).into_iter().flatten() {
            take_back(&mut map, k);
        }
    }

    /// Counters held (for tests of the bound).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn keys(user: Option<&str>, addr: Option<IpAddr>) -> [Option<(Key, u32)>; 2] {
    [
        user.map(|u| (user_key(u), USER_FREE_FAILURES)),
        addr.map(|a| (Key::Addr(addr_key(a)), ADDR_FREE_FAILURES)),
    ]
}

fn wait_in(
    map: &HashMap<Key, Entry>,
    keys: &[Option<(Key, u32)>; 2],
    now: Instant,
) -> Option<Duration> {
    keys.iter()
        .flatten()
        .filter_map(|(k, free)| map.get(k).and_then(|e| e.wait(now, *free)))
        .max()
}

fn take_back(map: &mut HashMap<Key, Entry>, k: Key) {
    if let Some(e) = map.get_mut(&k) {
        e.failures = e.failures.saturating_sub(1);
        if e.failures == 0 {
            map.remove(&k);
        }
    }
}

/// Make room: drop forgotten counters, and if that is not enough, the eighth that failed
/// longest ago.
fn evict(map: &mut HashMap<Key, Entry>, now: Instant) {
    map.retain(|_, e| e.live(now) > 0);
    if map.len() < MAX_TRACKED {
        return;
    }
    let mut by_age: Vec<(Instant, Key)> = map.iter().map(|(k, e)| (e.last, *k)).collect();
    let nth = by_age.len() / 8;
    by_age.select_nth_unstable_by_key(nth, |(last, _)| *last);
    for (_, k) in &by_age[..=nth] {
        map.remove(k);
    }
}

/// Whole seconds for `Retry-After` (rounded up, at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

tokio::task_local! {
    static PEER: Option<IpAddr>;
}

/// The client address of the request being served, when the accept loop supplied one.
pub fn peer() -> Option<IpAddr> {
    PEER.try_with(|p| *p).ok().flatten()
}

/// Middleware: make the connection's address ([`axum::extract::ConnectInfo`], inserted by
/// [`crate::serve`]) available to the credential checks of this request through [`peer`].
pub async fn with_peer(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    PEER.scope(ip, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    fn fail_n(t: &LoginThrottle, user: &str, addr: IpAddr, n: u32, now: Instant) {
        for _ in 0..n {
            t.begin(Some(user), Some(addr), now)
                .expect("not waiting yet");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let t = LoginThrottle::new();
        let t0 = Instant::now();
        fail_n(&t, "alice", A, USER_FREE_FAILURES, t0);
        assert_eq!(
            t.begin(Some("alice"), Some(A), t0),
            Err(Duration::from_secs(1))
        );
        // Waiting out each delay allows exactly one more attempt, whose failure doubles it.
        let mut now = t0;
        for want in [1u64, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900] {
            let w = t.begin(Some("alice"), None, now).expect_err("waiting");
            assert_eq!(w, Duration::from_secs(want));
            now += w;
            t.begin(Some("alice"), None, now).expect("after the wait");
        }
        // Another user, and the same user after a success, are not slowed.
        t.begin(Some("bob"), None, now).expect("bob");
        t.succeeded(Some("alice"), None);
        t.begin(Some("alice"), None, now).expect("reset");
        // A long quiet period forgets.
        fail_n(&t, "carol", B, USER_FREE_FAILURES, now);
        assert!(t.begin(Some("carol"), None, now).is_err());
        assert!(t.begin(Some("carol"), None, now + FORGET_AFTER).is_ok());
    }

    #[test]
    fn the_wait_runs_from_the_end_of_a_failed_check() {
        let t = LoginThrottle::new();
        let t0 = Instant::now();
        fail_n(&t, "alice", A, USER_FREE_FAILURES, t0);
        // A slow check (argon2) ends half a second later.
        t.failed(Some("alice"), Some(A), t0 + Duration::from_millis(500));
        assert_eq!(
            t.wait(Some("alice"), None, t0 + Duration::from_secs(1)),
            Some(Duration::from_millis(500))
        );
        // Parallel attempts are counted as they begin: the sixth waits even before any of
        // the first five has failed.
        let t = LoginThrottle::new();
        fail_n(&t, "bob", A, USER_FREE_FAILURES, t0);
        assert!(t.begin(Some("bob"), Some(B), t0).is_err());
    }

    #[test]
    fn addresses_are_counted_across_names() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..ADDR_FREE_FAILURES {
            t.begin(Some(&format!("user{i}")), Some(A), now)
                .expect("free");
        }
        assert!(t.begin(Some("new"), Some(A), now).is_err());
        assert!(t.begin(None, Some(A), now).is_err());
        assert!(t.begin(Some("new"), Some(B), now).is_ok());
        // Successes take their own count back, so a busy good client never waits.
        let t = LoginThrottle::new();
        for _ in 0..100 {
            t.begin(Some("alice"), Some(A), now).expect("free");
            t.succeeded(Some("alice"), Some(A));
        }
        assert!(t.is_empty());
    }

    #[test]
    fn ipv6_is_counted_by_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(addr_key(a), addr_key(b));
        assert_ne!(addr_key(a), addr_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(addr_key(mapped), A);
    }

    #[test]
    fn the_map_is_bounded_and_keeps_the_recent() {
        let t = LoginThrottle::new();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 1000) {
            let now = t0 + Duration::from_millis(u64::from(i));
            t.begin(Some(&format!("u{i}")), None, now).expect("free");
        }
        assert!(t.len() <= MAX_TRACKED);
        // The newest are still counted.
        let now = t0 + Duration::from_secs(3000);
        let last = format!("u{}", MAX_TRACKED as u32 + 999);
        fail_n(&t, &last, A, USER_FREE_FAILURES - 1, now);
        assert!(t.begin(Some(&last), None, now).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
