//! Wall-clock time for the sans-IO machines: read here, passed in as an input (CONV-9).
//!
//! The machines take [`Timestamp`]s; tokio sleeps on monotonic [`Instant`]s. A [`Clock`]
//! reads the system time once and then advances it by the monotonic clock, so a step of the
//! system clock never makes a deadline fire early or late.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use saltrelay_protocol::time::Timestamp;
use tokio::time::Instant;

/// Maps between [`Timestamp`]s (ms since the epoch) and tokio [`Instant`]s.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_instant: Instant,
    base: Timestamp,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock anchored at the current system time.
    #[must_use]
    pub fn new() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Self {
            base_instant: Instant::now(),
            base: Timestamp::from_millis(u64::try_from(since_epoch.as_millis()).unwrap_or(0)),
        }
    }

    /// The time now.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        let elapsed = self.base_instant.elapsed().as_millis();
        self.base
            .plus_millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }

    /// The instant at which the clock reads `at` (now, if `at` has passed).
    #[must_use]
    pub fn instant_at(&self, at: Timestamp) -> Instant {
        let offset = Duration::from_millis(at.as_millis().saturating_sub(self.base.as_millis()));
        instant_after(self.base_instant, offset)
    }
}

/// `from + wait`, waiting at most a century. A peer or the configuration can name any 64-bit
/// time and `Instant + Duration` panics past the platform's range; a deadline further out
/// than a century waits a century instead (the machines check the time again when woken).
#[must_use]
pub fn instant_after(from: Instant, wait: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    from.checked_add(wait.min(CENTURY))
        .expect("tokio instants reach a century past any instant of a running process")
}

/// Sleeps until `deadline`, or forever when there is none (a `select!` branch that never fires).
pub(crate) async fn sleep_until_opt(clock: &Clock, deadline: Option<Timestamp>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(clock.instant_at(at)).await,
        None => std::future::pending().await,
    }
}

/// Sleeps until a tokio instant, or forever when there is none.
pub(crate) async fn sleep_until_instant(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
