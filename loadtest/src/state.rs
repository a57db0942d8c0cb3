//! What every task of a run shares: the clock, the phases, the ledger, the recorder, which
//! clients are online, and the run's counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use saltrelay_relay::runtime::clock::Clock;
use tokio::time::Instant;

use crate::accounting::Ledger;
use crate::latency::Recorder;

/// Shared by every task of a run.
pub(crate) struct State {
    epoch: Instant,
    pub(crate) clock: Clock,
    /// The measured phase, µs since `epoch`.
    pub(crate) measure_from_us: u64,
    pub(crate) measure_until_us: u64,
    pub(crate) ledger: Ledger,
    pub(crate) recorder: Recorder,
    /// Per client: logged in now.
    pub(crate) online: Vec<AtomicBool>,
    pub(crate) reconnects: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    /// Open-loop sends skipped because the sender already had its maximum in flight.
    pub(crate) skipped: AtomicU64,
    pub(crate) build_errors: AtomicU64,
}

impl State {
    pub(crate) fn new(clients: usize, warmup_secs: f64, duration_secs: f64) -> Self {
        let us = |secs: f64| {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "validated non-negative seconds, far below u64::MAX µs"
            )]
            let us = (secs * 1e6) as u64;
            us
        };
        Self {
            epoch: Instant::now(),
            clock: Clock::new(),
            measure_from_us: us(warmup_secs),
            measure_until_us: us(warmup_secs + duration_secs),
            ledger: Ledger::default(),
            recorder: Recorder::default(),
            online: (0..clients).map(|_| AtomicBool::new(false)).collect(),
            reconnects: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            build_errors: AtomicU64::new(0),
        }
    }

    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// µs since the start of the load.
    pub(crate) fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A send at `us` falls in the measured phase.
    pub(crate) fn measured(&self, us: u64) -> bool {
        (self.measure_from_us..self.measure_until_us).contains(&us)
    }

    pub(crate) fn is_online(&self, client: usize) -> bool {
        self.online[client].load(Ordering::Relaxed)
    }

    pub(crate) fn set_online(&self, client: usize, online: bool) {
        self.online[client].store(online, Ordering::Relaxed);
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
