//! Per-connection limits (RELAY-20): a token bucket for the frame rate and a watch on write
//! progress for slow readers.

use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `rate` tokens per second, at most `burst` saved up.
#[derive(Debug)]
pub(crate) struct RateLimit {
    rate: u64,
    burst: u64,
    /// Tokens times one million, so refills need no floating point.
    micro_tokens: u64,
    last: Instant,
}

impl RateLimit {
    pub(crate) fn new(rate_per_sec: u32, burst: u32, now: Instant) -> Self {
        let burst = u64::from(burst.max(1));
        Self {
            rate: u64::from(rate_per_sec.max(1)),
            burst,
            // A u32 burst times a million fits a u64.
            micro_tokens: burst.saturating_mul(1_000_000),
            last: now,
        }
    }

    /// Takes `count` tokens; false when the bucket does not hold them (the caller closes the
    /// connection with `rate_limited`).
    pub(crate) fn take(&mut self, count: u64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        let refill = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .saturating_mul(self.rate);
        self.micro_tokens = self
            .micro_tokens
            .saturating_add(refill)
            .min(self.burst.saturating_mul(1_000_000));
        let cost = count.saturating_mul(1_000_000);
        if cost > self.micro_tokens {
            self.micro_tokens = 0;
            return false;
        }
        // `cost <= micro_tokens` was just checked.
        self.micro_tokens = self.micro_tokens.saturating_sub(cost);
        true
    }
}

/// When a connection's pending output last moved; past the timeout it is a slow reader.
#[derive(Debug)]
pub(crate) struct Progress {
    last: Instant,
    timeout: Duration,
}

impl Progress {
    pub(crate) fn new(timeout_ms: u64, now: Instant) -> Self {
        Self {
            last: now,
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    /// Bytes were written, or there was nothing to write.
    pub(crate) fn moved(&mut self, now: Instant) {
        self.last = now;
    }

    /// The instant at which waiting output makes the connection a slow reader.
    pub(crate) fn deadline(&self) -> Instant {
        crate::runtime::clock::instant_after(self.last, self.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = RateLimit::new(10, 5, start);
        assert!((0..5).all(|_| bucket.take(1, start)));
        assert!(!bucket.take(1, start), "burst spent");
        let later = start + Duration::from_millis(200);
        assert!(bucket.take(2, later), "two tokens refilled in 200 ms");
        assert!(!bucket.take(1, later));
    }
}
