//! Figures estimated across seeds: the mean and 95 % confidence interval of each headline
//! figure of a point's runs. Its own module so that `sweep` (which computes them) and `report`
//! (which prints them) both depend on it and not on each other.

use serde::{Deserialize, Serialize};

use crate::RunResult;

/// A figure estimated across seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// What (`latency_all_p99_ms`, ...).
    pub metric: String,
    /// Mean across seeds.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval (Student t); 0 for one seed.
    pub ci95: f64,
    /// Smallest and largest across seeds.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// The headline figures of each run, by name.
fn headline(run: &RunResult) -> Vec<(&'static str, f64)> {
    let m = &run.measured;
    let lat = |class: &str| run.latency.iter().find(|l| l.class == class);
    let all = lat("all");
    let pct = |f: fn(&crate::results::Latency) -> f64| all.map_or(0.0, f);
    let relays = run.relays.len().max(1) as f64;

    vec![
        ("sent_per_s", m.sent_per_s),
        ("relay_in_per_s", m.relay_in_per_s),
        ("relay_in_per_s_peak", m.relay_in_per_s_peak),
        ("delivered_per_s", m.delivered_per_s),
        ("latency_p50_ms", pct(|l| l.p50_ms)),
        ("latency_p90_ms", pct(|l| l.p90_ms)),
        ("latency_p99_ms", pct(|l| l.p99_ms)),
        ("latency_p999_ms", pct(|l| l.p999_ms)),
        ("latency_max_ms", pct(|l| l.max_ms)),
        ("latency_mean_ms", pct(|l| l.mean_ms)),
        ("queued_mean", m.queued_mean),
        ("queued_peak", m.queued_peak as f64),
        ("queued_bytes_peak", m.queued_bytes_peak as f64),
        ("connected_mean", m.connected_mean),
        ("cpu_mean", m.cpu_mean),
        ("cpu_peak", m.cpu_peak),
        (
            "cpu_wait_mean_us",
            run.relays.iter().map(|r| r.mean_wait_us).sum::<f64>() / relays,
        ),
        ("expired", m.expired as f64),
        ("dropped", m.dropped as f64),
        ("refused_offline", m.refused_offline as f64),
        ("logins", m.logins as f64),
        ("handshake_timeouts", m.handshake_timeouts as f64),
    ]
}

/// Mean and 95 % confidence interval across seeds of every headline figure.
#[must_use]
pub fn estimates(runs: &[RunResult]) -> Vec<Estimate> {
    let rows: Vec<Vec<(&'static str, f64)>> = runs.iter().map(headline).collect();
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            let values: Vec<f64> = rows.iter().map(|r| r[i].1).collect();
            estimate(first[i].0, &values)
        })
        .collect()
}

/// Mean, 95 % confidence interval (Student t), minimum and maximum of one figure's values.
#[must_use]
pub fn estimate(metric: &str, values: &[f64]) -> Estimate {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ci95 = if values.len() < 2 {
        0.0
    } else {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        t975(values.len() - 1) * (var / n).sqrt()
    };
    Estimate {
        metric: metric.to_owned(),
        mean,
        ci95,
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.saturating_sub(1)).copied().unwrap_or(1.96)
}
