//! Latency histograms (HDR, µs, three significant digits) and per-second counts of sent,
//! acked and delivered messages.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency recorded exactly: five minutes in µs; above it values are clamped.
const MAX_US: u64 = 300_000_000;
/// Seconds of per-second counts kept (longer runs fold into the last bucket).
const MAX_SECONDS: usize = 3600;

/// The percentiles every report lists.
pub const PERCENTILES: [f64; 8] = [50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0];

/// Which series a per-second count belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Series {
    /// Messages handed to the client.
    Sent = 0,
    /// Acks received.
    Acked = 1,
    /// First deliveries.
    Delivered = 2,
}

/// Histograms and per-second counts, shared by every task of a run.
#[derive(Debug)]
pub struct Recorder {
    ack: Mutex<Histogram<u64>>,
    deliver: Mutex<Histogram<u64>>,
    per_second: [Vec<AtomicU64>; 3],
}

/// A histogram's summary, in ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// (percentile, ms) for each of [`PERCENTILES`].
    pub percentiles_ms: Vec<(f64, f64)>,
}

impl LatencySummary {
    /// The value at a listed percentile, ms.
    #[must_use]
    pub fn at(&self, percentile: f64) -> Option<f64> {
        self.percentiles_ms
            .iter()
            .find(|(p, _)| (p - percentile).abs() < 1e-9)
            .map(|(_, v)| *v)
    }
}

impl Default for Recorder {
    fn default() -> Self {
        let histogram =
            || Mutex::new(Histogram::new_with_bounds(1, MAX_US, 3).expect("valid static bounds"));
        let series = || (0..MAX_SECONDS).map(|_| AtomicU64::new(0)).collect();
        Self {
            ack: histogram(),
            deliver: histogram(),
            per_second: [series(), series(), series()],
        }
    }
}

impl Recorder {
    /// A send-to-ack latency.
    pub fn ack_latency(&self, us: u64) {
        Self::record(&self.ack, us);
    }

    /// A send-to-deliver latency.
    pub fn deliver_latency(&self, us: u64) {
        Self::record(&self.deliver, us);
    }

    fn record(histogram: &Mutex<Histogram<u64>>, us: u64) {
        histogram
            .lock()
            .expect("no panic under a histogram lock")
            .saturating_record(us.clamp(1, MAX_US));
    }

    /// Counts one event of `series` at `at_us` since the start.
    pub fn count(&self, series: Series, at_us: u64) {
        let second = usize::try_from(at_us / 1_000_000)
            .unwrap_or(usize::MAX)
            .min(MAX_SECONDS - 1);
        self.per_second[series as usize][second].fetch_add(1, Ordering::Relaxed);
    }

    /// Per-second counts of `series` for the first `seconds` seconds.
    #[must_use]
    pub fn per_second(&self, series: Series, seconds: usize) -> Vec<u64> {
        self.per_second[series as usize]
            .iter()
            .take(seconds.min(MAX_SECONDS))
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// The send-to-ack summary.
    #[must_use]
    pub fn ack_summary(&self) -> LatencySummary {
        summarise(&self.ack.lock().expect("no panic under a histogram lock"))
    }

    /// The send-to-deliver summary.
    #[must_use]
    pub fn deliver_summary(&self) -> LatencySummary {
        summarise(
            &self
                .deliver
                .lock()
                .expect("no panic under a histogram lock"),
        )
    }
}

fn summarise(histogram: &Histogram<u64>) -> LatencySummary {
    if histogram.is_empty() {
        return LatencySummary::default();
    }
    LatencySummary {
        count: histogram.len(),
        mean_ms: histogram.mean() / 1000.0,
        percentiles_ms: PERCENTILES
            .iter()
            .map(|&p| (p, histogram.value_at_percentile(p) as f64 / 1000.0))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_in_milliseconds() {
        let recorder = Recorder::default();
        for us in 1..=1000 {
            recorder.ack_latency(us * 10);
        }
        let summary = recorder.ack_summary();
        assert_eq!(summary.count, 1000);
        let p50 = summary.at(50.0).expect("listed");
        assert!((p50 - 5.0).abs() < 0.01, "{p50}");
        assert_eq!(recorder.deliver_summary().count, 0);
    }
}
