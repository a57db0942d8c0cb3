//! Counter-based random streams, one per entity (MODEL.md, "Randomness").
//!
//! Draw `k` of entity `e` under seed `s` is `mix64(key(s, e) + k * GAMMA)`: the `SplitMix64`
//! generator with a per-entity starting point. An entity stores only its draw counter (4
//! bytes), and what it draws depends on nothing but its own history, never on how the events
//! of other entities interleave.

/// The `SplitMix64` increment (odd, close to 2^64 / golden ratio).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The `SplitMix64` finaliser.
#[must_use]
pub const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The stream of one entity: its key and a borrowed draw counter.
pub struct Stream<'a> {
    key: u64,
    counter: &'a mut u32,
}

impl<'a> Stream<'a> {
    /// The stream of entity `entity` under `seed`, continuing at `*counter`.
    pub fn new(seed: u64, entity: u64, counter: &'a mut u32) -> Self {
        Self {
            key: mix64(seed ^ mix64(entity.wrapping_add(GAMMA))),
            counter,
        }
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let k = u64::from(*self.counter);
        *self.counter = self.counter.wrapping_add(1);
        mix64(self.key.wrapping_add(k.wrapping_mul(GAMMA)))
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// Uniform in `(0, 1]`, safe to take the logarithm of.
    pub fn open_uniform(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.open_uniform().ln()
    }

    /// Standard normal (Box-Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let radius = (-2.0 * self.open_uniform().ln()).sqrt();
        radius * (core::f64::consts::TAU * self.uniform()).cos()
    }

    /// Log-normal with the given mean and shape `sigma` (of the underlying normal).
    pub fn lognormal_mean(&mut self, mean: f64, sigma: f64) -> f64 {
        mean * (sigma * self.normal() - sigma * sigma / 2.0).exp()
    }

    /// Log-normal with the given median and shape `sigma`.
    pub fn lognormal_median(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Pareto with shape `alpha > 1`, scaled to mean 1.
    pub fn pareto_unit_mean(&mut self, alpha: f64) -> f64 {
        let scale = (alpha - 1.0) / alpha;
        scale / self.open_uniform().powf(1.0 / alpha)
    }

    /// Whether an event of probability `p` happens.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}

#[cfg(test)]
mod tests {
    use super::Stream;

    #[test]
    fn streams_are_reproducible_and_independent_of_other_entities() {
        let (mut c1, mut c2, mut other) = (0, 0, 0);
        let first: Vec<u64> = {
            let mut s = Stream::new(7, 3, &mut c1);
            (0..4).map(|_| s.next_u64()).collect()
        };
        Stream::new(7, 4, &mut other).next_u64();
        let second: Vec<u64> = {
            let mut s = Stream::new(7, 3, &mut c2);
            (0..4).map(|_| s.next_u64()).collect()
        };
        assert_eq!(first, second);
        assert_ne!(
            Stream::new(8, 3, &mut 0).next_u64(),
            first[0],
            "seed changes the stream"
        );
    }

    #[test]
    fn distributions_have_their_means() {
        let mut counter = 0;
        let mut s = Stream::new(1, 1, &mut counter);
        let n = 200_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / f64::from(n);
        let exp = mean(&mut || s.exponential(2.0));
        assert!((exp - 2.0).abs() < 0.03, "exponential mean {exp}");
        let mut s = Stream::new(1, 2, &mut counter);
        let logn = mean(&mut || s.lognormal_mean(5.0, 0.5));
        assert!((logn - 5.0).abs() < 0.05, "lognormal mean {logn}");
        let mut s = Stream::new(1, 3, &mut counter);
        let below = mean(&mut || f64::from(s.below(10)));
        assert!((below - 4.5).abs() < 0.03, "uniform integer mean {below}");
    }
}
