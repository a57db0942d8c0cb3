//! Reports: `results.json`, `summary.md` and SVG plots in one folder
//! (`reports/simulation/<name>/` by default).

mod plots;
mod summary;

use std::path::Path;

use crate::sweep::{Document, Estimate};
use crate::{RunResult, SimError};

/// Wall-clock facts about runs, kept out of `results.json` so that file stays deterministic.
#[derive(Clone, Debug, Default)]
pub struct Performance {
    /// Wall time of the whole invocation, seconds.
    pub wall_s: f64,
    /// Events processed by all runs together.
    pub events: u64,
    /// Threads used.
    pub threads: usize,
}

/// Every file a report consists of.
pub const REPORT_FILES: [&str; 9] = [
    "results.json",
    "summary.md",
    "throughput.svg",
    "latency_cdf.svg",
    "queue_depth.svg",
    "buffered_bytes.svg",
    "connected.svg",
    "cpu.svg",
    "expired.svg",
];

/// What [`write()`] did with the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// The report was written (new, or its results changed).
    Rewritten,
    /// A complete report with the same results was already there and was left untouched. It
    /// still names the provenance and wall time of the run that wrote it.
    Unchanged {
        /// The commit the existing report names.
        commit: String,
    },
}

/// Writes `results.json`, `summary.md` and the plots into `dir` (created if missing), unless
/// `dir` already holds a complete report whose results equal `doc`'s in everything but the
/// provenance: then nothing is written, so rerunning a committed report (the README's main
/// command) leaves a clone clean. Only the provenance and the wall-clock lines of `summary.md`
/// differ between runs of the same inputs; they stay those of the run that first produced
/// these results.
///
/// # Errors
/// [`SimError::Io`] or [`SimError::Plot`].
pub fn write(doc: &Document, perf: &Performance, dir: &Path) -> Result<Written, SimError> {
    if let Some(commit) = unchanged_report(doc, dir) {
        return Ok(Written::Unchanged { commit });
    }
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
    let json = results_json(doc);
    let path = dir.join("results.json");
    std::fs::write(&path, json).map_err(|e| SimError::io(&path, e))?;
    plots::all(doc, dir)?;
    let path = dir.join("summary.md");
    std::fs::write(&path, summary::markdown(doc, perf)).map_err(|e| SimError::io(&path, e))?;
    Ok(Written::Rewritten)
}

/// The commit named by the report in `dir` when every report file is there and its
/// `results.json` equals `doc` apart from the provenance.
fn unchanged_report(doc: &Document, dir: &Path) -> Option<String> {
    if !REPORT_FILES.iter().all(|name| dir.join(name).is_file()) {
        return None;
    }
    let text = std::fs::read_to_string(dir.join("results.json")).ok()?;
    let existing: Document = serde_json::from_str(&text).ok()?;
    // Byte for byte: `doc` written with the existing provenance must be the file as it is.
    let same = results_json(&Document {
        provenance: existing.provenance.clone(),
        ..doc.clone()
    }) == text;
    same.then(|| existing.provenance.commit_label())
}

/// The exact bytes of `results.json`.
#[must_use]
pub fn results_json(doc: &Document) -> String {
    let mut json = serde_json::to_string_pretty(doc).expect("results serialise");
    json.push('\n');
    json
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
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let ci95 = if values.len() < 2 {
                0.0
            } else {
                let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
                t975(values.len() - 1) * (var / n).sqrt()
            };
            Estimate {
                metric: first[i].0.to_owned(),
                mean,
                ci95,
                min: values.iter().copied().fold(f64::INFINITY, f64::min),
                max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
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
