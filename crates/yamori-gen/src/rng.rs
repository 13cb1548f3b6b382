//! Deterministic randomness: ChaCha8 (a specified stream cipher, so the stream for a seed is the
//! same on every platform) with integer-only helpers. No floating-point transcendental functions
//! are used anywhere in generation: `powf`/`ln` may differ by one ulp between libms, which would
//! change the bytes of a capture across platforms.
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    pub(crate) fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    pub(crate) fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    pub(crate) fn u16(&mut self) -> u16 {
        (self.0.next_u32() >> 16) as u16
    }

    /// Uniform in `0..n` (`n > 0`) by a 64×64→128 multiply; the bias is below n / 2^64.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub(crate) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Index into `weights` drawn proportionally to the weights (which must not all be 0).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// Roughly log-uniform in `lo..hi` (integer-only): a random octave, then uniform inside it.
    pub(crate) fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let lo = lo.max(1);
        if hi <= lo {
            return lo;
        }
        let octaves = 64 - (hi / lo).leading_zeros() as u64; // ≥ 1
        let base = lo << self.below(octaves);
        self.range(base, (base * 2).min(hi))
    }

    /// An unprivileged source port (1024..=65535).
    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        self.range(1024, 65_535) as u16
    }
}

/// The murmur3 32-bit finaliser: a bijection on `u32` (each step is invertible), used to turn
/// a counter into distinct, random-looking addresses without remembering which were used.
pub(crate) fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^= x >> 16;
    x
}

/// A permutation of `0..n` (`a·k + b mod n` with `gcd(a, n) = 1`): visiting `k = 0, 1, …`
/// reaches `min(k, n)` distinct values, which is how scanners' distinct-destination counts are
/// known by construction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Perm {
    n: u64,
    a: u64,
    b: u64,
}

impl Perm {
    pub(crate) fn new(rng: &mut Rng, n: u64) -> Self {
        let n = n.clamp(1, 1 << 32);
        let mut a = if n > 1 { 1 + rng.below(n - 1) } else { 1 };
        while gcd(a, n) != 1 {
            a = if a + 1 >= n { 1 } else { a + 1 };
        }
        Self {
            n,
            a,
            b: rng.below(n),
        }
    }

    pub(crate) fn at(&self, k: u64) -> u64 {
        // n ≤ 2^32 (an IPv4 index space), so a·k + b < 2^64: u64 arithmetic, no u128 division.
        (self.a * (k % self.n) + self.b) % self.n
    }
}

/// `start + (span·k + jitter) / total` with `jitter < span`: the time of event `k` of `total`
/// spread evenly over `span` (u128 only when the product does not fit in 64 bits).
pub(crate) fn slice_time(start: u64, span: u64, k: u64, jitter: u64, total: u64) -> u64 {
    let total = total.max(1);
    match span.checked_mul(k).and_then(|x| x.checked_add(jitter)) {
        Some(x) => start + x / total,
        None => {
            start
                + ((u128::from(span) * u128::from(k) + u128::from(jitter)) / u128::from(total))
                    as u64
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_is_a_permutation() {
        let mut rng = Rng::new(3);
        for n in [1u64, 2, 3, 64, 100, 256, 1000] {
            let p = Perm::new(&mut rng, n);
            let mut seen: Vec<u64> = (0..n).map(|k| p.at(k)).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len() as u64, n, "n = {n}");
        }
    }

    #[test]
    fn mix32_is_injective_on_a_sample() {
        let mut v: Vec<u32> = (0..100_000u32).map(mix32).collect();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), 100_000);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut rng = Rng::new(9);
        for _ in 0..10_000 {
            let x = rng.log_uniform(30, 400);
            assert!((30..=400).contains(&x), "{x}");
            assert!(rng.below(7) < 7);
            assert!(rng.ephemeral_port() >= 1024);
        }
    }
}
