//! The legend below a chart: one entry per series, marker or span, laid out left to right
//! and wrapped onto as many rows as the chart's width needs.

use super::svg::{Anchor, Stroke, Svg, TextStyle};
use super::{Color, TICK_SIZE, text_width};

/// What an entry shows beside its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    /// A short line, dashed or solid.
    Line { color: Color, dashed: bool },
    /// A filled square.
    Block(Color),
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) label: String,
    pub(crate) swatch: Swatch,
}

const ROW_HEIGHT: f64 = 18.0;
const SWATCH: f64 = 20.0;
const GAP: f64 = 18.0;

fn entry_width(entry: &Entry) -> f64 {
    SWATCH + 6.0 + text_width(&entry.label, TICK_SIZE) + GAP
}

/// The entries of each row when the legend may be `width` wide.
fn rows(entries: &[Entry], width: f64) -> Vec<&[Entry]> {
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0.0;
    for (i, entry) in entries.iter().enumerate() {
        let w = entry_width(entry);
        if i > start && used + w > width {
            rows.push(&entries[start..i]);
            start = i;
            used = 0.0;
        }
        used += w;
    }
    if start < entries.len() {
        rows.push(&entries[start..]);
    }
    rows
}

/// The height the legend needs at `width`; 0 without entries.
pub(crate) fn height(entries: &[Entry], width: f64) -> f64 {
    let count = u32::try_from(rows(entries, width).len()).unwrap_or(u32::MAX);
    f64::from(count) * ROW_HEIGHT
}

/// Draws the legend with its first row's top at `top`, between `left` and `left + width`.
pub(crate) fn draw(svg: &mut Svg, entries: &[Entry], left: f64, top: f64, width: f64) {
    let mut y = top + ROW_HEIGHT / 2.0;
    for row in rows(entries, width) {
        let mut x = left;
        for entry in row {
            match entry.swatch {
                Swatch::Line { color, dashed } => svg.line(
                    (x, y),
                    (x + SWATCH, y),
                    Stroke {
                        dashed,
                        ..Stroke::solid(color, 2.0)
                    },
                ),
                Swatch::Block(color) => svg.rect((x + 3.0, y - 6.0), (14.0, 12.0), color, 1.0),
            }
            svg.text(
                (x + SWATCH + 6.0, y),
                &entry.label,
                TextStyle::new(TICK_SIZE, Anchor::Start),
            );
            x += entry_width(entry);
        }
        y += ROW_HEIGHT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(label: &str) -> Entry {
        Entry {
            label: label.to_owned(),
            swatch: Swatch::Block(Color::BLUE),
        }
    }

    #[test]
    fn wraps_entries_onto_rows() {
        let entries: Vec<Entry> = (0..6)
            .map(|i| entry(&format!("series number {i}")))
            .collect();
        assert_eq!(rows(&entries, 2000.0).len(), 1);
        let narrow = rows(&entries, 300.0);
        assert!(narrow.len() > 1);
        assert_eq!(narrow.iter().map(|r| r.len()).sum::<usize>(), 6);
        // An entry wider than the legend still gets a row of its own.
        assert_eq!(rows(&entries, 10.0).len(), 6);
        assert!(height(&[], 300.0).abs() < f64::EPSILON);
    }
}
