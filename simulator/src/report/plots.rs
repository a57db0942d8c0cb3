//! Which plots a simulation report holds and what each shows: one line per sweep point (its
//! first seed) over simulated hours, the end of the warm-up dashed, and the latency CDFs.
//! Drawn by the one plotting module, `saltrelay_measure::plot`.

use std::path::Path;

use saltrelay_measure::plot::{Axis, LineChart, Series, Unit};

use crate::sweep::Document;
use crate::{RunResult, SimError};

/// Size of every simulator and validation plot, px.
const SIZE: (f64, f64) = (900.0, 480.0);

/// The legend text of the dashed line at the end of the warm-up (simulator/MODEL.md).
pub(crate) const WARM_UP: &str = "end of warm-up";

/// The first run of each point, with its label.
type Runs<'a> = [(&'a str, &'a RunResult)];

/// Writes `chart` to `path` at the size of every simulator plot.
///
/// # Errors
/// [`SimError::Io`] when the file cannot be written.
pub(crate) fn write(chart: &LineChart, path: &Path) -> Result<(), SimError> {
    chart
        .write(path, SIZE.0, SIZE.1)
        .map_err(|e| SimError::io(path, e))
}

/// Draws every plot of the report into `dir`.
///
/// # Errors
/// [`SimError::Io`].
pub(super) fn all(doc: &Document, dir: &Path) -> Result<(), SimError> {
    let warmup_h = doc
        .points
        .first()
        .map_or(0.0, |p| p.scenario.warmup.as_secs_f64() / 3600.0);
    let runs: Vec<(&str, &RunResult)> = doc
        .points
        .iter()
        .filter_map(|p| p.runs.first().map(|r| (p.label.as_str(), r)))
        .collect();
    time_series(&runs, dir, warmup_h)?;
    cpu(&runs, dir, warmup_h)?;
    latency(&runs, dir)
}

/// Lines over simulated time, one per run, named by label and `suffix`.
fn over_time(runs: &Runs<'_>, suffix: &str, pick: impl Fn(&RunResult) -> Vec<f64>) -> Vec<Series> {
    runs.iter()
        .map(|(label, run)| {
            let name = if suffix.is_empty() {
                (*label).to_owned()
            } else {
                format!("{label} {suffix}")
            };
            Series::new(
                name,
                run.series.hours.iter().copied().zip(pick(run)).collect(),
            )
        })
        .collect()
}

/// A chart over simulated hours from zero, with the end of the warm-up dashed.
fn over_hours(title: &str, y: &str, lines: Vec<Series>, warmup_h: f64) -> LineChart {
    LineChart::new(
        title,
        Axis::linear("simulated hours", Unit::Number),
        Axis::from_zero(y, Unit::Number),
    )
    .with(lines)
    .with_marker(WARM_UP, warmup_h)
}

fn as_f64(values: &[u64]) -> Vec<f64> {
    values.iter().map(|&x| x as f64).collect()
}

fn time_series(runs: &Runs<'_>, dir: &Path, warmup_h: f64) -> Result<(), SimError> {
    let single = runs.len() == 1;
    let mut throughput = over_time(runs, if single { "in" } else { "" }, |r| {
        r.series.relay_in_per_s.clone()
    });
    if single {
        throughput.extend(over_time(runs, "out", |r| r.series.relay_out_per_s.clone()));
    }
    let title = "Relay messages per second";
    let chart = over_hours(title, "messages/s", throughput, warmup_h);
    write(&chart, &dir.join("throughput.svg"))?;
    let queued = over_time(runs, "", |r| as_f64(&r.series.queued));
    let chart = over_hours("Messages queued in mailboxes", "messages", queued, warmup_h);
    write(&chart, &dir.join("queue_depth.svg"))?;
    let bytes = over_time(runs, "", |r| {
        r.series
            .queued_bytes
            .iter()
            .map(|&b| b as f64 / 1_048_576.0)
            .collect()
    });
    let chart = over_hours("Bytes buffered in mailboxes", "MiB", bytes, warmup_h);
    write(&chart, &dir.join("buffered_bytes.svg"))?;
    let connected = over_time(runs, "", |r| as_f64(&r.series.connected));
    let chart = over_hours("Connected clients", "clients", connected, warmup_h);
    write(&chart, &dir.join("connected.svg"))?;
    let mut losses = over_time(runs, "expired", |r| as_f64(&r.series.expired));
    losses.extend(over_time(runs, "dropped or refused", |r| {
        as_f64(&r.series.dropped)
    }));
    let title = "Messages expired and dropped per sample interval";
    write(
        &over_hours(title, "messages", losses, warmup_h),
        &dir.join("expired.svg"),
    )
}

/// Per relay utilisation for one run with several relays, else the busiest relay per run.
fn cpu(runs: &Runs<'_>, dir: &Path, warmup_h: f64) -> Result<(), SimError> {
    let lines: Vec<Series> = match runs {
        [(_, run)] if run.series.cpu_per_relay.len() > 1 => run
            .series
            .cpu_per_relay
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Series::new(
                    format!("relay {i}"),
                    run.series
                        .hours
                        .iter()
                        .copied()
                        .zip(s.iter().map(|u| u * 100.0))
                        .collect(),
                )
            })
            .collect(),
        _ => over_time(runs, "busiest", |r| {
            r.series.cpu_max.iter().map(|u| u * 100.0).collect()
        }),
    };
    let chart = over_hours("Relay CPU utilisation", "% of cores", lines, warmup_h);
    write(&chart, &dir.join("cpu.svg"))
}

/// Latency CDFs: per class for one point, class `all` per point for a sweep; latency on a
/// log axis of whole decades (MEAS-9).
fn latency(runs: &Runs<'_>, dir: &Path) -> Result<(), SimError> {
    // A latency of 0 has no place on a log axis: it is drawn at 1 µs.
    let cdf = |name: &str, cdf: &[[f64; 2]]| {
        Series::new(name, cdf.iter().map(|p| (p[0].max(1e-3), p[1])).collect())
    };
    let lines: Vec<Series> = match runs {
        [(_, run)] => run
            .latency
            .iter()
            .filter(|l| !l.cdf.is_empty())
            .map(|l| cdf(&l.class, &l.cdf))
            .collect(),
        _ => runs
            .iter()
            .filter_map(|(label, run)| run.latency.first().map(|l| cdf(label, &l.cdf)))
            .collect(),
    };
    let chart = LineChart::new(
        "Delivery latency CDF (measured span)",
        Axis::log10("latency (log scale)", Unit::Milliseconds),
        Axis::from_zero("fraction delivered", Unit::Number),
    )
    .with(lines);
    write(&chart, &dir.join("latency_cdf.svg"))
}
