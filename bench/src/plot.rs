//! SVG plots of the report, drawn with plotters: throughput against message size (ours and the
//! baseline, one panel per operation) and per-operation cost bars (one chart per layer).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ReportError;
use crate::format;

/// Colour of our implementation in every plot.
pub const OURS: RGBColor = RGBColor(31, 119, 180);
/// Colour of the baseline (libsodium) in every plot.
pub const BASELINE: RGBColor = RGBColor(230, 120, 20);

/// One line of a throughput panel: (message bytes, bytes per second) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend text: "saltrelay", "libsodium".
    pub label: String,
    /// Line colour.
    pub color: RGBColor,
    /// (bytes per message, bytes per second), ascending in bytes.
    pub points: Vec<(f64, f64)>,
}

/// One panel: an operation's lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Panel title: the series, `box/seal`.
    pub title: String,
    /// Its lines.
    pub lines: Vec<Line>,
}

/// One row of a cost chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// The id without baseline: `box/seal/1024`.
    pub label: String,
    /// Our median, ns.
    pub ours_ns: f64,
    /// The baseline's median, ns, if measured.
    pub baseline_ns: Option<f64>,
}

const PANEL_W: u32 = 520;
const PANEL_H: u32 = 340;
const ROW_H: u32 = 30;
const LABEL_W: u32 = 230;

/// Draws throughput panels into one SVG, two panels per row.
///
/// # Errors
/// [`ReportError::Plot`] when plotters fails (for instance, the file cannot be written).
pub fn throughput(path: &Path, panels: &[Panel]) -> Result<(), ReportError> {
    let cols = panels.len().clamp(1, 2);
    let rows = panels.len().div_ceil(2).max(1);
    let size = (
        PANEL_W * u32::try_from(cols).unwrap_or(2),
        PANEL_H * u32::try_from(rows).unwrap_or(1),
    );
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| ReportError::plot(path, &e))?;
    for (area, panel) in root.split_evenly((rows, cols)).iter().zip(panels) {
        throughput_panel(area, panel).map_err(|e| ReportError::plot(path, &e))?;
    }
    root.present().map_err(|e| ReportError::plot(path, &e))
}

type DrawResult<T> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

fn throughput_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, panel: &Panel) -> DrawResult<()> {
    // x is log2(bytes): ticks land on powers of two, labelled 64 B, 1 KiB, 1 MiB.
    let all = || panel.lines.iter().flat_map(|l| l.points.iter());
    let x_min = all().map(|p| p.0.log2()).fold(f64::INFINITY, f64::min);
    let x_max = all().map(|p| p.0.log2()).fold(f64::NEG_INFINITY, f64::max);
    let y_max = all().map(|p| p.1).fold(0.0, f64::max) / MIB;
    if !(x_min.is_finite() && x_max > x_min && y_max > 0.0) {
        return Ok(());
    }
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{}: throughput", panel.title), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x_min - 0.5..x_max + 0.5, 0.0..y_max * 1.12)?;
    chart
        .configure_mesh()
        .x_desc("message size (log scale)")
        .y_desc("MiB/s")
        .x_label_formatter(&|x| power_of_two_label(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for line in &panel.lines {
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|&(x, y)| (x.log2(), y / MIB))
            .collect();
        let color = line.color;
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(line.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

/// Axis label at `log2(bytes) = x`: `1 KiB` on whole powers of two, nothing in between.
fn power_of_two_label(x: f64) -> String {
    let rounded = x.round();
    if (x - rounded).abs() > 1e-9 || !(0.0..63.0).contains(&rounded) {
        return String::new();
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 <= x < 63"
    )]
    let exponent = rounded as u32;
    format::size(1u64 << exponent)
}

/// Draws horizontal cost bars (log scale): one row per id, ours above the baseline.
///
/// # Errors
/// [`ReportError::Plot`] when plotters fails.
pub fn cost_bars(path: &Path, title: &str, rows: &[BarRow]) -> Result<(), ReportError> {
    let height = 90 + ROW_H * u32::try_from(rows.len()).unwrap_or(1).max(1);
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| ReportError::plot(path, &e))?;
    draw_bars(&root, title, rows).map_err(|e| ReportError::plot(path, &e))?;
    root.present().map_err(|e| ReportError::plot(path, &e))
}

fn draw_bars(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    rows: &[BarRow],
) -> DrawResult<()> {
    let values = || {
        rows.iter()
            .flat_map(|r| std::iter::once(r.ours_ns).chain(r.baseline_ns))
            .filter(|v| *v > 0.0)
    };
    let lo = values().fold(f64::INFINITY, f64::min);
    let hi = values().fold(0.0, f64::max);
    if !(lo.is_finite() && hi > 0.0) {
        return Ok(());
    }
    let x_min = 10f64.powf(lo.log10().floor());
    // At least two decades: within one, plotters labels every step and the labels collide.
    let x_max = 10f64.powf((hi * 3.0).log10().ceil()).max(x_min * 100.0);
    let n = f64::from(u32::try_from(rows.len()).unwrap_or(u32::MAX));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .margin_left(LABEL_W)
        .margin_right(48)
        .x_label_area_size(36)
        .build_cartesian_2d((x_min..x_max).log_scale(), n..0.0)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("median time per operation (log scale)")
        .x_label_formatter(&|x| format::duration(*x))
        .draw()?;
    let label_style =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let value_style =
        TextStyle::from(("sans-serif", 10).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let y = f64::from(u32::try_from(i).unwrap_or(u32::MAX));
        let mut bars = vec![(row.ours_ns, OURS, y + 0.12, y + 0.48)];
        if let Some(b) = row.baseline_ns {
            bars.push((b, BASELINE, y + 0.52, y + 0.88));
        }
        for (value, color, top, bottom) in bars {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x_min, top), (value, bottom)],
                color.filled(),
            )))?;
            let (px, py) = chart.backend_coord(&(value, f64::midpoint(top, bottom)));
            root.draw_text(&format::duration(value), &value_style, (px + 4, py))?;
        }
        let (_, py) = chart.backend_coord(&(x_min, y + 0.5));
        let label_x = i32::try_from(LABEL_W).unwrap_or(0) - 6;
        root.draw_text(&row.label, &label_style, (label_x, py))?;
    }
    // Legend in the top-left corner, above the row labels, only when there is a comparison.
    if rows.iter().any(|r| r.baseline_ns.is_some()) {
        for (k, (color, text)) in [(OURS, "saltrelay"), (BASELINE, "libsodium")]
            .iter()
            .enumerate()
        {
            let y = 16 + 16 * i32::try_from(k).unwrap_or(0);
            root.draw(&Rectangle::new([(12, y - 5), (26, y + 5)], color.filled()))?;
            root.draw_text(text, &value_style, (32, y))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_svgs_with_titles_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let panel = Panel {
            title: "box/seal".into(),
            lines: vec![Line {
                label: "saltrelay".into(),
                color: OURS,
                points: vec![(64.0, 2.0e7), (1024.0, 1.3e8), (1_048_576.0, 2.0e8)],
            }],
        };
        let path = dir.path().join("t.svg");
        throughput(&path, &[panel]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("box/seal: throughput"));
        assert!(svg.contains("1 MiB"));
        let rows = [BarRow {
            label: "box/seal/1024".into(),
            ours_ns: 7768.0,
            baseline_ns: Some(2467.0),
        }];
        let path = dir.path().join("b.svg");
        cost_bars(&path, "Primitives", &rows).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for text in ["box/seal/1024", "7.77 µs", "2.47 µs", "libsodium"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }
}
