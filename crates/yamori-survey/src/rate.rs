//! Global token-bucket rate limit (probes/connections per second) and per-host back-off.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Token bucket: `rate` tokens per second, holding at most `burst` tokens.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// `rate` ≥ 1 per second. The burst is a tenth of a second's worth (at least 1) so the
    /// peak rate over any 100 ms stays close to the cap.
    pub fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        let burst = (rate / 10.0).max(1.0);
        RateLimiter {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until one token is available and takes it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut st = self.state.lock().await;
                let now = Instant::now();
                let elapsed = now.saturating_duration_since(st.1).as_secs_f64();
                st.0 = (st.0 + elapsed * self.rate).min(self.burst);
                st.1 = now;
                if st.0 >= 1.0 {
                    st.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - st.0) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
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
