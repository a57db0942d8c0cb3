//! SVG plots: latency by percentile (send-to-ack, send-to-deliver; ms, log scale) and
//! messages per second over the run (sent, acked, delivered).

use std::path::Path;

use plotters::prelude::*;

use crate::latency::LatencySummary;
use crate::{LoadError, Results};

const SIZE: (u32, u32) = (900, 500);
const ACK: RGBColor = RGBColor(31, 119, 180);
const DELIVER: RGBColor = RGBColor(230, 120, 20);
const SENT: RGBColor = RGBColor(120, 120, 120);

fn plot_error(path: &Path, e: &impl std::fmt::Display) -> LoadError {
    LoadError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Latency at each listed percentile; x is the percentile's position, labelled with it.
pub(super) fn latency(path: &Path, results: &Results) -> Result<(), LoadError> {
    let lines: Vec<(&str, RGBColor, &LatencySummary)> = [
        ("send to ack", ACK, &results.ack_latency),
        (
            "send to deliver (online recipients)",
            DELIVER,
            &results.deliver_latency,
        ),
    ]
    .into_iter()
    .filter(|(_, _, s)| s.count > 0)
    .collect();
    let labels: Vec<String> = crate::latency::PERCENTILES
        .iter()
        .map(|p| format!("p{p}"))
        .collect();
    let values = lines
        .iter()
        .flat_map(|(_, _, s)| s.percentiles_ms.iter().map(|(_, v)| *v));
    let (lo, hi) = values.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi > 0.0 {
        ((lo * 0.5).max(0.001), hi * 2.0)
    } else {
        (0.001, 1.0)
    };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, &e))?;
    let title = format!("{}: latency by percentile", results.config.name);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.3f64..(labels.len() as f64 - 0.7), (lo..hi).log_scale())
        .map_err(|e| plot_error(path, &e))?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (ms, log scale)")
        .x_labels(labels.len())
        .x_label_formatter(&|x| {
            let rounded = x.round();
            if (x - rounded).abs() > 0.01 || rounded < 0.0 {
                return String::new();
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a small non-negative index"
            )]
            let index = rounded as usize;
            labels.get(index).cloned().unwrap_or_default()
        })
        .draw()
        .map_err(|e| plot_error(path, &e))?;
    for (label, color, summary) in &lines {
        let points: Vec<(f64, f64)> = summary
            .percentiles_ms
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (i as f64, v.max(lo)))
            .collect();
        let color = *color;
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| plot_error(path, &e))?
            .label(format!("{label} ({} samples)", summary.count))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(|e| plot_error(path, &e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path, &e))?;
    root.present().map_err(|e| plot_error(path, &e))
}

/// Messages per second in each second of the run; the measured phase is shaded.
pub(super) fn throughput(path: &Path, results: &Results) -> Result<(), LoadError> {
    let series = [
        ("sent", SENT, &results.per_second.sent),
        ("acked", ACK, &results.per_second.acked),
        ("delivered", DELIVER, &results.per_second.delivered),
    ];
    let seconds = series
        .iter()
        .map(|(_, _, s)| s.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let top = series
        .iter()
        .flat_map(|(_, _, s)| s.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.15;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, &e))?;
    let title = format!("{}: messages per second", results.config.name);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..seconds as f64, 0f64..top)
        .map_err(|e| plot_error(path, &e))?;
    chart
        .configure_mesh()
        .x_desc("time since the load started (s)")
        .y_desc("messages per second")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| plot_error(path, &e))?;
    let (from, until) = (
        results.config.warmup,
        results.config.warmup + results.config.duration,
    );
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(from, 0.0), (until, top)],
            RGBColor(200, 230, 200).mix(0.35).filled(),
        )))
        .map_err(|e| plot_error(path, &e))?
        .label("measured phase")
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 20, y + 5)],
                RGBColor(200, 230, 200).filled(),
            )
        });
    for (label, color, values) in series {
        // Each second's count is drawn at the second's middle.
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 + 0.5, *v as f64));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| plot_error(path, &e))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path, &e))?;
    root.present().map_err(|e| plot_error(path, &e))
}
