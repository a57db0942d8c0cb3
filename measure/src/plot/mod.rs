//! The one plotting module of saltrelay's reports (spec/09-measurements.md, MEAS-9, MEAS-14):
//! bench, simulator, validation and load-test reports draw their SVG charts here.
//!
//! - [`axis`]: scales (linear, log10, log2 for byte sizes, named categories), the round-unit
//!   ticks of each and their labels.
//! - [`LineChart`] ([`line`](mod@line)): lines over shared axes, with an optional dashed marker (the
//!   end of a warm-up) and a shaded span (a measured phase); [`line::grid`] puts several in
//!   one file.
//! - [`BarChart`] ([`bars`]): horizontal bars, one row per label, several bars per row.
//!
//! Charts render to a `String` that depends only on their data, so a report regenerated from
//! the same results is byte for byte the same. The legend sits below the plot, where it can
//! cover no data.

pub mod axis;
pub mod bars;
mod legend;
pub mod line;
mod svg;

pub use axis::{Axis, Scale, Unit};
pub use bars::{Bar, BarChart, BarRow};
pub use line::{LineChart, Series};

/// An opaque RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    /// White, the background.
    pub const WHITE: Self = Self(255, 255, 255);
    /// Black: axes and text.
    pub const BLACK: Self = Self(0, 0, 0);
    /// Blue, the first series: our implementation, acked messages.
    pub const BLUE: Self = Self(31, 119, 180);
    /// Orange, the second series: the baseline (libsodium), delivered messages.
    pub const ORANGE: Self = Self(230, 120, 20);
    /// Grey, for context: messages sent, markers.
    pub const GREY: Self = Self(120, 120, 120);
    /// Pale green, the fill of a shaded span.
    pub const PALE_GREEN: Self = Self(200, 230, 200);

    /// `#rrggbb`.
    #[must_use]
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Colours of series that name none, in order (the blue and orange above come first).
pub const PALETTE: [Color; 10] = [
    Color::BLUE,
    Color::ORANGE,
    Color(44, 160, 44),
    Color(214, 39, 40),
    Color(148, 103, 189),
    Color(140, 86, 75),
    Color(227, 119, 194),
    Color(127, 127, 127),
    Color(188, 189, 34),
    Color(23, 190, 207),
];

/// Title font size, px.
const TITLE_SIZE: f64 = 18.0;
/// Axis titles and row labels, px.
const LABEL_SIZE: f64 = 13.0;
/// Tick labels and legend text, px.
const TICK_SIZE: f64 = 12.0;

/// An estimate of the width of `text` at `size` px in a sans-serif font: enough to lay out a
/// legend, no font file needed.
fn text_width(text: &str, size: f64) -> f64 {
    let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    f64::from(chars) * size * 0.58
}
