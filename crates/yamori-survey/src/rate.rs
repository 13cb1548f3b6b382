//! Global token-bucket rate limit (probes/connections per second) and per-host back-off.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How far ahead of its slot [`RateLimiter::acquire_blocking`] may send instead of sleeping.
pub const BLOCKING_SLACK: Duration = Duration::from_millis(1);

/// Token bucket as a schedule of send slots: each caller reserves the next slot (one every
/// `1/rate` seconds) and sleeps once until it; the schedule may lag `burst` slots behind now, so
/// an idle limiter lets a short burst through. One lock per call and no retry loop: thousands of
/// waiting tasks cost one timer each, not a wake-up storm.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    burst_window: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `rate` ≥ 1 per second. The burst is a tenth of a second's worth (at least 1) so the
    /// peak rate over any 100 ms stays close to the cap.
    pub fn new(rate: u32) -> Self {
        let rate = rate.max(1);
        let interval = Duration::from_secs(1) / rate;
        let burst = (rate / 10).max(1);
        RateLimiter {
            interval,
            burst_window: interval * burst,
            next: Mutex::new(None),
        }
    }

    /// Waits until this caller's slot comes.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let slot = self.reserve(now);
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// The blocking form, for the stateless SYN sender's own thread. A thread cannot sleep
    /// for the 10 µs between two slots at 100,000/s (one sleep costs ~60 µs), so it sleeps only
    /// when its slot is more than [`BLOCKING_SLACK`] ahead: sends may run up to that much early,
    /// but every send still takes the next slot, so the average rate is the cap.
    pub fn acquire_blocking(&self) {
        let now = Instant::now();
        let slot = self.reserve(now);
        if slot > now + BLOCKING_SLACK {
            std::thread::sleep(slot - now);
        }
    }

    /// Takes the next send slot.
    fn reserve(&self, now: Instant) -> Instant {
        // A poisoned lock only means another task panicked mid-update of an Instant: the
        // value is still a valid schedule.
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let earliest = now.checked_sub(self.burst_window).unwrap_or(now);
        let slot = next.map_or(earliest, |n| n.max(earliest));
        *next = Some(slot + self.interval);
        slot
    }
}

/// Exponential back-off for one host: after `n` consecutive errors wait `base·2^(n-1)`,
/// capped at `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    errors: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            errors: 0,
        }
    }
    pub fn failure(&mut self) {
        self.errors = self.errors.saturating_add(1);
    }
    pub fn success(&mut self) {
        self.errors = 0;
    }
    /// The delay to wait before the next attempt (zero after a success).
    pub fn delay(&self) -> Duration {
        if self.errors == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (self.errors - 1).min(16);
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_is_capped() {
        let lim = RateLimiter::new(100);
        let t0 = Instant::now();
        for _ in 0..210 {
            lim.acquire().await;
        }
        // 10 burst tokens, then 200 more at 100/s ≈ 2 s.
        let secs = t0.elapsed().as_secs_f64();
        assert!((1.9..2.2).contains(&secs), "took {secs}");
    }

    #[test]
    fn blocking_rate_is_capped() {
        // Real clock: 2,000/s for 1,200 sends = 200 burst + 1,000 at the cap ≈ 0.5 s.
        let lim = RateLimiter::new(2000);
        let t0 = std::time::Instant::now();
        for _ in 0..1200 {
            lim.acquire_blocking();
        }
        let secs = t0.elapsed().as_secs_f64();
        // The lower bound is the cap; the upper one only catches a limiter that stalls.
        assert!((0.49..3.0).contains(&secs), "took {secs}");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.delay(), Duration::ZERO);
        b.failure();
        assert_eq!(b.delay(), Duration::from_millis(100));
        b.failure();
        b.failure();
        assert_eq!(b.delay(), Duration::from_millis(400));
        for _ in 0..40 {
            b.failure();
        }
        assert_eq!(b.delay(), Duration::from_secs(1));
        b.success();
        assert_eq!(b.delay(), Duration::ZERO);
    }
}
