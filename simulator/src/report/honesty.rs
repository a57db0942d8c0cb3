//! What a reader must be told before trusting a figure (spec/09-measurements.md, MEAS-8):
//! whether the measured window is stationary, how many messages the latency figures leave
//! out (censored), and which scenario keys the chosen model ignores.

use crate::RunResult;
use crate::results::Latency;
use crate::scenario::Scenario;

/// The trend of the queued-message count over the measured window of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Trend {
    /// Least-squares slope, messages per hour.
    pub per_hour: f64,
    /// Rise over the window (slope × window length), messages.
    pub rise: f64,
    /// Mean queued messages over the window.
    pub mean: f64,
    /// Whether the queue grows: the rise exceeds 10 % of the mean and three standard errors.
    pub growing: bool,
}

/// The queue's trend over the samples at or after `warmup_h`; `None` with fewer than three.
pub(super) fn queue_trend(run: &RunResult, warmup_h: f64) -> Option<Trend> {
    let points: Vec<(f64, f64)> = run
        .series
        .hours
        .iter()
        .zip(&run.series.queued)
        .filter(|(h, _)| **h >= warmup_h)
        .map(|(h, q)| (*h, *q as f64))
        .collect();
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let residual: f64 = points
        .iter()
        .map(|p| (p.1 - (my + slope * (p.0 - mx))).powi(2))
        .sum();
    let se = (residual / (n - 2.0) / sxx).sqrt();
    let span = points.last().map_or(0.0, |p| p.0) - points[0].0;
    let rise = slope * span;
    Some(Trend {
        per_hour: slope,
        rise,
        mean: my,
        growing: rise > 0.1 * my.max(1.0) && slope > 3.0 * se,
    })
}

/// Messages the latency figures leave out: still queued or in transit at the end (their
/// latency is unknown, at least their age).
pub(super) fn censored(run: &RunResult) -> u64 {
    run.conservation.queued + run.conservation.in_transit
}

/// A lower bound on the `p` quantile over delivered and censored messages together: the
/// quantile of the delivered ones at the level left after assuming every censored message
/// ranks lowest. `None` when that level is not above 0 (nothing can be said).
pub(super) fn lower_bound_ms(l: &Latency, p: f64, censored: u64) -> Option<f64> {
    if censored == 0 {
        return Some(match p {
            x if x >= 0.999 => l.p999_ms,
            x if x >= 0.99 => l.p99_ms,
            x if x >= 0.9 => l.p90_ms,
            _ => l.p50_ms,
        });
    }
    let (n, c) = (l.count as f64, censored as f64);
    if n <= 0.0 {
        return None;
    }
    let level = (p * (n + c) - c) / n;
    if level <= 0.0 {
        return None;
    }
    l.cdf
        .iter()
        .find(|point| point[1] >= level)
        .or(l.cdf.last())
        .map(|point| point[0])
}

/// Scenario keys that have no effect under the scenario's churn model.
pub(super) fn ignored_keys(s: &Scenario) -> Vec<&'static str> {
    const DIURNAL: [&str; 2] = ["churn.diurnal_amplitude", "churn.diurnal_peak"];
    const MEANS: [&str; 2] = ["churn.online_mean", "churn.offline_mean"];
    let mut keys: Vec<&'static str> = Vec::new();
    match s.churn.model.as_str() {
        "exponential" => keys.extend(DIURNAL),
        "diurnal" => {}
        // `trace` replays sessions from a file; `always` never goes offline.
        _ => keys.extend(MEANS.iter().chain(&DIURNAL)),
    }
    if s.churn.model != "trace" {
        keys.push("churn.trace");
    }
    keys
}
