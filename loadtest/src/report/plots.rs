//! What the two plots of a load-test report show: latency by percentile (send-to-ack,
//! send-to-deliver; ms, log scale) and messages per second over the run (sent, acked,
//! delivered), the measured phase shaded. Drawn by `saltrelay_measure::plot`.

use std::path::Path;

use saltrelay_measure::plot::{Axis, Color, LineChart, Series, Unit};

use crate::{LoadError, Results};

const SIZE: (f64, f64) = (900.0, 500.0);
const ACK: Color = Color::BLUE;
const DELIVER: Color = Color::ORANGE;
const SENT: Color = Color::GREY;

fn write(chart: &LineChart, path: &Path) -> Result<(), LoadError> {
    chart
        .write(path, SIZE.0, SIZE.1)
        .map_err(|e| LoadError::io(path, e))
}

/// Latency at each listed percentile; x is the percentile's position, labelled with it.
pub(super) fn latency(path: &Path, results: &Results) -> Result<(), LoadError> {
    let names = crate::latency::PERCENTILES
        .iter()
        .map(|p| format!("p{p}"))
        .collect();
    let lines = [
        ("send to ack", ACK, &results.ack_latency),
        (
            "send to deliver (online recipients)",
            DELIVER,
            &results.deliver_latency,
        ),
    ]
    .into_iter()
    .filter(|(_, _, s)| s.count > 0)
    .map(|(label, color, summary)| {
        // A latency below the histogram's 1 µs resolution is drawn at 1 µs (log axis).
        let points = summary
            .percentiles_ms
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (i as f64, v.max(0.001)))
            .collect();
        Series::new(format!("{label} ({} samples)", summary.count), points)
            .color(color)
            .dots()
    });
    let chart = LineChart::new(
        format!("{}: latency by percentile", results.config.name),
        Axis::categories("percentile", names),
        Axis::log10("latency (log scale)", Unit::Milliseconds),
    )
    .with(lines);
    write(&chart, path)
}

/// Messages per second in each second of the run, each drawn at the second's middle; the
/// measured phase is shaded.
pub(super) fn throughput(path: &Path, results: &Results) -> Result<(), LoadError> {
    let counts = &results.per_second;
    let lines = [
        ("sent", SENT, &counts.sent),
        ("acked", ACK, &counts.acked),
        ("delivered", DELIVER, &counts.delivered),
    ]
    .map(|(label, color, values)| {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 + 0.5, *v as f64))
            .collect();
        Series::new(label, points).color(color)
    });
    let (from, until) = (
        results.config.warmup,
        results.config.warmup + results.config.duration,
    );
    let chart = LineChart::new(
        format!("{}: messages per second", results.config.name),
        Axis::from_zero("time since the load started (s)", Unit::Number),
        Axis::from_zero("messages per second", Unit::Number),
    )
    .with_span("measured phase", from, until)
    .with(lines);
    write(&chart, path)
}
