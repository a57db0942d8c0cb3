//! Line charts: series of (x, y) points over two axes, an optional dashed vertical marker
//! and shaded span, the legend below; several charts side by side with [`grid`].

use std::path::Path;

use super::axis::{Axis, Ticks};
use super::legend::{self, Entry, Swatch};
use super::svg::{Anchor, Stroke, Svg, TextStyle};
use super::{Color, LABEL_SIZE, PALETTE, TICK_SIZE, TITLE_SIZE};

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its legend text.
    pub name: String,
    /// Its colour; `None` takes the [`PALETTE`] colour of its position.
    pub color: Option<Color>,
    /// Its points in data units, drawn in this order. Points an axis cannot place (not
    /// finite, or not positive on a log axis) are left out.
    pub points: Vec<(f64, f64)>,
    /// Whether each point also gets a dot (few points, each a measurement).
    pub dots: bool,
}

impl Series {
    /// A line named `name` through `points`, coloured by its position, without dots.
    #[must_use]
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            color: None,
            points,
            dots: false,
        }
    }

    /// The same line in `color`.
    #[must_use]
    pub fn color(self, color: Color) -> Self {
        Self {
            color: Some(color),
            ..self
        }
    }

    /// The same line with a dot at each point.
    #[must_use]
    pub fn dots(self) -> Self {
        Self { dots: true, ..self }
    }
}

/// A shaded range of x (the measured phase of a load test), with its legend text.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Legend text.
    pub label: String,
    /// Where it starts and ends on the x axis.
    pub from: f64,
    /// See `from`.
    pub to: f64,
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The lines.
    pub series: Vec<Series>,
    /// A dashed vertical line with its legend text (the end of a warm-up); drawn only
    /// strictly inside the x axis.
    pub marker: Option<(String, f64)>,
    /// A shaded range of x.
    pub span: Option<Span>,
}

const TOP: f64 = 44.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 24.0;
/// From the plot's bottom edge to the legend: tick labels and the axis title.
const BELOW: f64 = 46.0;

impl LineChart {
    /// A chart without lines.
    #[must_use]
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            marker: None,
            span: None,
        }
    }

    /// The chart with `series` added.
    #[must_use]
    pub fn with(mut self, series: impl IntoIterator<Item = Series>) -> Self {
        self.series.extend(series);
        self
    }

    /// The chart with a dashed vertical line at `x`, named `label` in the legend.
    #[must_use]
    pub fn with_marker(self, label: impl Into<String>, x: f64) -> Self {
        Self {
            marker: Some((label.into(), x)),
            ..self
        }
    }

    /// The chart with `from..to` of x shaded, named `label` in the legend.
    #[must_use]
    pub fn with_span(self, label: impl Into<String>, from: f64, to: f64) -> Self {
        Self {
            span: Some(Span {
                label: label.into(),
                from,
                to,
            }),
            ..self
        }
    }

    /// The chart as an SVG document of `width` × `height` px.
    #[must_use]
    pub fn render(&self, width: f64, height: f64) -> String {
        let mut svg = Svg::new(width, height);
        self.draw(&mut svg, width, height);
        svg.finish()
    }

    /// Writes [`LineChart::render`] to `path`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path, width: f64, height: f64) -> std::io::Result<()> {
        std::fs::write(path, self.render(width, height))
    }

    /// The points of every series that both axes can place, with each series' index.
    fn placed(&self) -> impl Iterator<Item = (usize, (f64, f64))> + '_ {
        self.series.iter().enumerate().flat_map(move |(i, s)| {
            s.points
                .iter()
                .filter(move |p| self.x.accepts(p.0) && self.y.accepts(p.1))
                .map(move |p| (i, *p))
        })
    }

    fn ticks(&self) -> (Ticks, Ticks) {
        let range = |pick: fn((f64, f64)) -> f64| {
            self.placed()
                .map(|(_, p)| pick(p))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let (x_lo, x_hi) = range(|p| p.0);
        let (y_lo, y_hi) = range(|p| p.1);
        (self.x.ticks(x_lo, x_hi), self.y.ticks(y_lo, y_hi))
    }

    /// Draws the chart into the `width` × `height` box at the origin of `svg`.
    fn draw(&self, svg: &mut Svg, width: f64, height: f64) {
        let (x_ticks, y_ticks) = self.ticks();
        let marker = self
            .marker
            .as_ref()
            .filter(|(_, at)| *at > x_ticks.low && *at < x_ticks.high);
        let mut entries = Vec::new();
        if let Some(span) = &self.span {
            entries.push(Entry {
                label: span.label.clone(),
                swatch: Swatch::Block(Color::PALE_GREEN),
            });
        }
        if let Some((label, _)) = marker {
            entries.push(Entry {
                label: label.clone(),
                swatch: Swatch::Line {
                    color: Color::GREY,
                    dashed: true,
                },
            });
        }
        for (i, series) in self.series.iter().enumerate() {
            entries.push(Entry {
                label: series.name.clone(),
                swatch: Swatch::Line {
                    color: color_of(series, i),
                    dashed: false,
                },
            });
        }
        let legend_width = width - 2.0 * 16.0;
        let legend_height = legend::height(&entries, legend_width);
        let plot = Frame {
            left: LEFT,
            right: width - RIGHT,
            top: TOP,
            bottom: height - BELOW - legend_height - 8.0,
        };
        svg.text(
            (width / 2.0, 22.0),
            &self.title,
            TextStyle::new(TITLE_SIZE, Anchor::Middle),
        );
        plot.axes(svg, self, &x_ticks, &y_ticks);
        let at = |p: (f64, f64)| {
            (
                plot.left + self.x.fraction(&x_ticks, p.0) * plot.width(),
                plot.bottom - self.y.fraction(&y_ticks, p.1) * plot.height(),
            )
        };
        if let Some(span) = &self.span {
            let from = span.from.clamp(x_ticks.low, x_ticks.high);
            let to = span.to.clamp(x_ticks.low, x_ticks.high);
            let (x0, _) = at((from, y_ticks.low));
            let (x1, _) = at((to, y_ticks.low));
            svg.rect(
                (x0, plot.top),
                (x1 - x0, plot.height()),
                Color::PALE_GREEN,
                0.5,
            );
        }
        if let Some((_, x)) = marker {
            let (px, _) = at((*x, y_ticks.low));
            let stroke = Stroke {
                dashed: true,
                opacity: 0.7,
                ..Stroke::solid(Color::GREY, 1.0)
            };
            svg.line((px, plot.bottom), (px, plot.top), stroke);
        }
        for (i, series) in self.series.iter().enumerate() {
            let color = color_of(series, i);
            let points: Vec<(f64, f64)> = self
                .placed()
                .filter(|(k, _)| *k == i)
                .map(|(_, p)| at(p))
                .collect();
            svg.polyline(&points, Stroke::solid(color, 2.0));
            if series.dots {
                for p in points {
                    svg.circle(p, 3.0, color);
                }
            }
        }
        legend::draw(svg, &entries, 16.0, plot.bottom + BELOW - 4.0, legend_width);
    }
}

fn color_of(series: &Series, index: usize) -> Color {
    series.color.unwrap_or(PALETTE[index % PALETTE.len()])
}

/// The plot area of a chart, px.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn width(self) -> f64 {
        self.right - self.left
    }

    fn height(self) -> f64 {
        self.bottom - self.top
    }

    /// Grid lines at the ticks, the two axis lines, tick labels and axis titles.
    fn axes(self, svg: &mut Svg, chart: &LineChart, x_ticks: &Ticks, y_ticks: &Ticks) {
        let grid = Stroke {
            opacity: 0.12,
            ..Stroke::solid(Color::BLACK, 1.0)
        };
        let tick_style = TextStyle::new(TICK_SIZE, Anchor::Middle);
        for &v in &x_ticks.values {
            let x = self.left + chart.x.fraction(x_ticks, v) * self.width();
            svg.line((x, self.top), (x, self.bottom), grid);
            svg.line(
                (x, self.bottom),
                (x, self.bottom + 5.0),
                Stroke::solid(Color::BLACK, 1.0),
            );
            svg.text((x, self.bottom + 15.0), &chart.x.label(v), tick_style);
        }
        for &v in &y_ticks.values {
            let y = self.bottom - chart.y.fraction(y_ticks, v) * self.height();
            svg.line((self.left, y), (self.right, y), grid);
            svg.line(
                (self.left - 5.0, y),
                (self.left, y),
                Stroke::solid(Color::BLACK, 1.0),
            );
            svg.text(
                (self.left - 8.0, y),
                &chart.y.label(v),
                TextStyle::new(TICK_SIZE, Anchor::End),
            );
        }
        let axis = Stroke::solid(Color::BLACK, 1.0);
        svg.line((self.left, self.bottom), (self.right, self.bottom), axis);
        svg.line((self.left, self.bottom), (self.left, self.top), axis);
        svg.text(
            (f64::midpoint(self.left, self.right), self.bottom + 33.0),
            &chart.x.title,
            TextStyle::new(LABEL_SIZE, Anchor::Middle),
        );
        svg.text(
            (16.0, f64::midpoint(self.top, self.bottom)),
            &chart.y.title,
            TextStyle {
                vertical: true,
                ..TextStyle::new(LABEL_SIZE, Anchor::Middle)
            },
        );
    }
}

/// Several charts in one SVG document, `columns` to a row, each `panel` = (width, height) px.
#[must_use]
pub fn grid(charts: &[LineChart], columns: usize, panel: (f64, f64)) -> String {
    let columns = columns.clamp(1, charts.len().max(1));
    let rows = charts.len().div_ceil(columns).max(1);
    let count = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    let mut svg = Svg::new(panel.0 * count(columns), panel.1 * count(rows));
    for (i, chart) in charts.iter().enumerate() {
        svg.open_group(panel.0 * count(i % columns), panel.1 * count(i / columns));
        chart.draw(&mut svg, panel.0, panel.1);
        svg.close_group();
    }
    svg.finish()
}

#[cfg(test)]
mod tests;
