//! SVG plots of a results document (plotters): one line per sweep point, first seed.

use std::path::Path;

use plotters::prelude::*;

use crate::sweep::Document;
use crate::{RunResult, SimError};

/// One named line.
pub(crate) type Line = (String, Vec<(f64, f64)>);

/// The first run of each point, with its label.
type Runs<'a> = [(&'a str, &'a RunResult)];

/// Draws every plot of the report into `dir`.
///
/// # Errors
/// [`SimError::Plot`].
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
fn over_time(runs: &Runs<'_>, suffix: &str, pick: impl Fn(&RunResult) -> Vec<f64>) -> Vec<Line> {
    runs.iter()
        .map(|(label, run)| {
            let name = if suffix.is_empty() {
                (*label).to_owned()
            } else {
                format!("{label} {suffix}")
            };
            (
                name,
                run.series.hours.iter().copied().zip(pick(run)).collect(),
            )
        })
        .collect()
}

fn as_f64(values: &[u64]) -> Vec<f64> {
    values.iter().map(|&x| x as f64).collect()
}

fn time_series(runs: &Runs<'_>, dir: &Path, warmup_h: f64) -> Result<(), SimError> {
    let single = runs.len() == 1;
    let hours = "simulated hours";
    let mut throughput = over_time(runs, if single { "in" } else { "" }, |r| {
        r.series.relay_in_per_s.clone()
    });
    if single {
        throughput.extend(over_time(runs, "out", |r| r.series.relay_out_per_s.clone()));
    }
    chart(
        &dir.join("throughput.svg"),
        "Relay messages per second",
        hours,
        "messages/s",
        &throughput,
        warmup_h,
        false,
    )?;
    let queued = over_time(runs, "", |r| as_f64(&r.series.queued));
    chart(
        &dir.join("queue_depth.svg"),
        "Messages queued in mailboxes",
        hours,
        "messages",
        &queued,
        warmup_h,
        false,
    )?;
    let bytes = over_time(runs, "", |r| {
        r.series
            .queued_bytes
            .iter()
            .map(|&b| b as f64 / 1_048_576.0)
            .collect()
    });
    chart(
        &dir.join("buffered_bytes.svg"),
        "Bytes buffered in mailboxes",
        hours,
        "MiB",
        &bytes,
        warmup_h,
        false,
    )?;
    let connected = over_time(runs, "", |r| as_f64(&r.series.connected));
    chart(
        &dir.join("connected.svg"),
        "Connected clients",
        hours,
        "clients",
        &connected,
        warmup_h,
        false,
    )?;
    let mut losses = over_time(runs, "expired", |r| as_f64(&r.series.expired));
    losses.extend(over_time(runs, "dropped or refused", |r| {
        as_f64(&r.series.dropped)
    }));
    let title = "Messages expired and dropped per sample interval";
    chart(
        &dir.join("expired.svg"),
        title,
        hours,
        "messages",
        &losses,
        warmup_h,
        false,
    )
}

/// Per relay utilisation for one run with several relays, else the busiest relay per run.
fn cpu(runs: &Runs<'_>, dir: &Path, warmup_h: f64) -> Result<(), SimError> {
    let lines: Vec<Line> = match runs {
        [(_, run)] if run.series.cpu_per_relay.len() > 1 => run
            .series
            .cpu_per_relay
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
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
    let title = "Relay CPU utilisation";
    chart(
        &dir.join("cpu.svg"),
        title,
        "simulated hours",
        "% of cores",
        &lines,
        warmup_h,
        false,
    )
}

/// Latency CDFs: per class for one point, class `all` per point for a sweep.
fn latency(runs: &Runs<'_>, dir: &Path) -> Result<(), SimError> {
    let log_cdf = |cdf: &[[f64; 2]]| {
        cdf.iter()
            .map(|p| (p[0].max(1e-3).log10(), p[1]))
            .collect::<Vec<_>>()
    };
    let lines: Vec<Line> = match runs {
        [(_, run)] => run
            .latency
            .iter()
            .filter(|l| !l.cdf.is_empty())
            .map(|l| (l.class.clone(), log_cdf(&l.cdf)))
            .collect(),
        _ => runs
            .iter()
            .filter_map(|(label, run)| {
                run.latency
                    .first()
                    .map(|l| ((*label).to_owned(), log_cdf(&l.cdf)))
            })
            .collect(),
    };
    let title = "Delivery latency CDF (measured span)";
    chart(
        &dir.join("latency_cdf.svg"),
        title,
        "latency (log scale)",
        "fraction delivered",
        &lines,
        -1.0,
        true,
    )
}

/// A line chart. `log_x`: x values are log10 and ticks print 10^x. `marker_x`: a dashed
/// vertical line (end of the warm-up), drawn when positive.
pub(crate) fn chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    marker_x: f64,
    log_x: bool,
) -> Result<(), SimError> {
    let plot_err = |e: &dyn std::fmt::Display| SimError::Plot {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let points = || lines.iter().flat_map(|(_, l)| l.iter());
    let (mut x0, mut x1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let y1 = points().fold(0.0_f64, |a, p| a.max(p.1));
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if log_x {
        // Whole decades, so the ticks fall on 1, 10, 100 ms, 1 s, 10 s ... (MEAS-9).
        (x0, x1) = (x0.floor(), x1.ceil().max(x0.floor() + 1.0));
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a handful of decades"
    )]
    let x_labels = if log_x { (x1 - x0) as usize + 1 } else { 10 };
    // Headroom above the data keeps the legend (upper right) off the lines.
    let y1 = if y1 <= 0.0 {
        1.0
    } else if log_x {
        y1 * 1.05
    } else {
        y1 * 1.35
    };
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(x0..x1, 0.0..y1)
        .map_err(|e| plot_err(&e))?;
    let x_fmt = |x: &f64| {
        if log_x {
            // Only whole decades are labelled: a tick between them would read 3.98 ms.
            if (x - x.round()).abs() < 1e-6 {
                duration_ms(10_f64.powf(x.round()))
            } else {
                String::new()
            }
        } else {
            short(*x)
        }
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(x_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|y| short(*y))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| plot_err(&e))?;
    if marker_x > x0 && marker_x < x1 {
        let dashed = DashedLineSeries::new(
            [(marker_x, 0.0), (marker_x, y1)],
            6,
            4,
            BLACK.mix(0.5).stroke_width(1),
        );
        chart
            .draw_series(dashed)
            .map_err(|e| plot_err(&e))?
            .label("end of warm-up")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5)));
    }
    for (i, (name, line)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(line.iter().copied(), color.stroke_width(2)))
            .map_err(|e| plot_err(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(if log_x {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        })
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| plot_err(&e))?;
    root.present().map_err(|e| plot_err(&e))
}

/// Milliseconds as a readable duration: "80 ms", "1.5 s", "12 min", "3.2 h", "2 d".
fn duration_ms(ms: f64) -> String {
    let (value, unit) = if ms < 1_000.0 {
        (ms, "ms")
    } else if ms < 60_000.0 {
        (ms / 1e3, "s")
    } else if ms < 3_600_000.0 {
        (ms / 6e4, "min")
    } else if ms < 86_400_000.0 {
        (ms / 3.6e6, "h")
    } else {
        (ms / 8.64e7, "d")
    };
    format!("{} {unit}", short(value))
}

/// 1234567 as "1.23M", 0.05 as "0.05".
fn short(v: f64) -> String {
    let a = v.abs();
    let (scaled, unit) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if scaled.abs() >= 100.0 || scaled.fract().abs() < 1e-9 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    format!("{text}{unit}")
}
