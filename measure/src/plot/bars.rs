//! Horizontal bar charts: one row per label, one or more bars per row (ours beside a
//! baseline), each bar with its value printed at its end; the value axis below.

use std::path::Path;

use super::axis::{Axis, Scale};
use super::legend::{self, Entry, Swatch};
use super::svg::{Anchor, Stroke, Svg, TextStyle};
use super::{Color, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Its length in axis units; a bar the axis cannot place is left out.
    pub value: f64,
    /// Its colour.
    pub color: Color,
    /// The text printed at its end (`7.77 µs`).
    pub text: String,
}

/// One row: a label and its bars, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Printed left of the bars.
    pub label: String,
    /// The bars.
    pub bars: Vec<Bar>,
}

/// A horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title above the bars.
    pub title: String,
    /// The value axis, below the bars.
    pub axis: Axis,
    /// The rows, top to bottom.
    pub rows: Vec<BarRow>,
    /// Legend entries: what each colour means; none for a single kind of bar.
    pub legend: Vec<(String, Color)>,
}

/// Width of the label column, px.
const LABEL_WIDTH: f64 = 230.0;
const ROW_HEIGHT: f64 = 30.0;
const TOP: f64 = 44.0;
const RIGHT: f64 = 48.0;
const BELOW: f64 = 46.0;
const VALUE_SIZE: f64 = 10.0;
/// The value axis reaches this many times the largest bar, so its text fits beside it.
const ROOM_FOR_TEXT: f64 = 3.0;

impl BarChart {
    /// The chart as an SVG document `width` px wide and as tall as its rows need.
    #[must_use]
    pub fn render(&self, width: f64) -> String {
        let entries: Vec<Entry> = self
            .legend
            .iter()
            .map(|(label, color)| Entry {
                label: label.clone(),
                swatch: Swatch::Block(*color),
            })
            .collect();
        let legend_width = width - 32.0;
        let legend_height = legend::height(&entries, legend_width);
        let rows = f64::from(u32::try_from(self.rows.len().max(1)).unwrap_or(u32::MAX));
        let bottom = TOP + rows * ROW_HEIGHT;
        let height = bottom + BELOW + legend_height + 8.0;
        let (left, right) = (LABEL_WIDTH, width - RIGHT);
        let mut svg = Svg::new(width, height);
        svg.text(
            (width / 2.0, 22.0),
            &self.title,
            TextStyle::new(TITLE_SIZE, Anchor::Middle),
        );

        let values = move || {
            self.rows
                .iter()
                .flat_map(|r| r.bars.iter().map(|b| b.value))
                .filter(move |v| self.axis.accepts(*v))
        };
        let low = values().fold(f64::INFINITY, f64::min);
        let high = values().fold(f64::NEG_INFINITY, f64::max) * ROOM_FOR_TEXT;
        let low = if matches!(self.axis.scale, Scale::Linear) {
            low.min(0.0)
        } else {
            low
        };
        let ticks = self.axis.ticks(low, high);
        let x_of = |v: f64| left + self.axis.fraction(&ticks, v) * (right - left);

        let grid = Stroke {
            opacity: 0.12,
            ..Stroke::solid(Color::BLACK, 1.0)
        };
        for &v in &ticks.values {
            let x = x_of(v);
            svg.line((x, TOP), (x, bottom), grid);
            svg.line(
                (x, bottom),
                (x, bottom + 5.0),
                Stroke::solid(Color::BLACK, 1.0),
            );
            svg.text(
                (x, bottom + 15.0),
                &self.axis.label(v),
                TextStyle::new(TICK_SIZE, Anchor::Middle),
            );
        }
        let axis = Stroke::solid(Color::BLACK, 1.0);
        svg.line((left, bottom), (right, bottom), axis);
        svg.line((left, bottom), (left, TOP), axis);
        svg.text(
            (f64::midpoint(left, right), bottom + 33.0),
            &self.axis.title,
            TextStyle::new(LABEL_SIZE, Anchor::Middle),
        );

        for (i, row) in self.rows.iter().enumerate() {
            let top = TOP + f64::from(u32::try_from(i).unwrap_or(u32::MAX)) * ROW_HEIGHT;
            svg.text(
                (left - 6.0, top + ROW_HEIGHT / 2.0),
                &row.label,
                TextStyle::new(LABEL_SIZE, Anchor::End),
            );
            // The bars share the middle 76 % of the row, with a small gap between them.
            let count = f64::from(u32::try_from(row.bars.len().max(1)).unwrap_or(u32::MAX));
            let band = ROW_HEIGHT * 0.76 / count;
            for (k, bar) in row.bars.iter().enumerate() {
                if !self.axis.accepts(bar.value) {
                    continue;
                }
                let y = top
                    + ROW_HEIGHT * 0.12
                    + band * f64::from(u32::try_from(k).unwrap_or(u32::MAX));
                let end = x_of(bar.value);
                svg.rect((left, y + 1.0), (end - left, band - 2.0), bar.color, 1.0);
                svg.text(
                    (end + 4.0, y + band / 2.0),
                    &bar.text,
                    TextStyle::new(VALUE_SIZE, Anchor::Start),
                );
            }
        }
        legend::draw(&mut svg, &entries, 16.0, bottom + BELOW - 4.0, legend_width);
        svg.finish()
    }

    /// Writes [`BarChart::render`] to `path`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path, width: f64) -> std::io::Result<()> {
        std::fs::write(path, self.render(width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::Unit;

    fn chart() -> BarChart {
        BarChart {
            title: "Primitives: median time per operation".into(),
            axis: Axis::log10("median time per operation (log scale)", Unit::Nanoseconds),
            rows: vec![
                BarRow {
                    label: "box/seal/1024".into(),
                    bars: vec![
                        Bar {
                            value: 7768.0,
                            color: Color::BLUE,
                            text: "7.77 µs".into(),
                        },
                        Bar {
                            value: 2467.0,
                            color: Color::ORANGE,
                            text: "2.47 µs".into(),
                        },
                    ],
                },
                BarRow {
                    label: "x25519/dh".into(),
                    bars: vec![Bar {
                        value: 25_600.0,
                        color: Color::BLUE,
                        text: "25.6 µs".into(),
                    }],
                },
            ],
            legend: vec![
                ("saltrelay".into(), Color::BLUE),
                ("libsodium".into(), Color::ORANGE),
            ],
        }
    }

    #[test]
    fn draws_each_bar_with_its_text_on_decade_ticks() {
        let svg = chart().render(900.0);
        for text in [
            "Primitives: median time per operation",
            "box/seal/1024",
            "x25519/dh",
            "7.77 µs",
            "2.47 µs",
            "25.6 µs",
            "saltrelay",
            "libsodium",
            // MEAS-9: 2467 ns .. 3 × 25.6 µs spans 1 µs .. 100 µs, ticked at each decade.
            ">1 µs<",
            ">10 µs<",
            ">100 µs<",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(!svg.contains(">20 µs<"));
        // Three bars and two legend blocks, on the white background.
        assert_eq!(svg.matches("<rect").count(), 1 + 3 + 2);
        assert!(svg.starts_with("<svg width=\"900\" height=\""));
    }
}
