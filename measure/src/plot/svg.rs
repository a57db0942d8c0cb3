//! The SVG writer under every chart: a handful of elements, coordinates rounded to a tenth
//! of a pixel so the same data always gives the same bytes (a report is reproducible).

use std::fmt::Write as _;

use super::Color;

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stroke {
    pub(crate) color: Color,
    pub(crate) width: f64,
    pub(crate) opacity: f64,
    pub(crate) dashed: bool,
}

impl Stroke {
    /// A solid, opaque line.
    pub(crate) fn solid(color: Color, width: f64) -> Self {
        Self {
            color,
            width,
            opacity: 1.0,
            dashed: false,
        }
    }
}

/// Which point of a text its position names, horizontally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// Font size, anchor, and whether the text reads bottom to top (a y axis title).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    pub(crate) size: f64,
    pub(crate) anchor: Anchor,
    pub(crate) vertical: bool,
}

impl TextStyle {
    pub(crate) fn new(size: f64, anchor: Anchor) -> Self {
        Self {
            size,
            anchor,
            vertical: false,
        }
    }
}

/// An SVG document being written.
#[derive(Debug)]
pub(crate) struct Svg {
    out: String,
}

impl Svg {
    /// A `width` × `height` document on a white background.
    pub(crate) fn new(width: f64, height: f64) -> Self {
        let mut svg = Self { out: String::new() };
        svg.push(format_args!(
            "<svg width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
             xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\">\n"
        ));
        svg.rect((0.0, 0.0), (width, height), Color::WHITE, 1.0);
        svg
    }

    fn push(&mut self, args: std::fmt::Arguments<'_>) {
        self.out
            .write_fmt(args)
            .expect("writing to a String cannot fail");
    }

    /// Everything up to [`Svg::close_group`] is drawn shifted by `(dx, dy)`.
    pub(crate) fn open_group(&mut self, dx: f64, dy: f64) {
        self.push(format_args!(
            "<g transform=\"translate({dx:.1},{dy:.1})\">\n"
        ));
    }

    pub(crate) fn close_group(&mut self) {
        self.out.push_str("</g>\n");
    }

    pub(crate) fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: Stroke) {
        self.push(format_args!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"{}/>\n",
            from.0,
            from.1,
            to.0,
            to.1,
            stroke_attributes(stroke)
        ));
    }

    pub(crate) fn polyline(&mut self, points: &[(f64, f64)], stroke: Stroke) {
        if points.is_empty() {
            return;
        }
        let mut coordinates = String::new();
        for (i, (x, y)) in points.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(coordinates, "{sep}{x:.1},{y:.1}").expect("writing to a String cannot fail");
        }
        self.push(format_args!(
            "<polyline fill=\"none\" stroke-linejoin=\"round\" points=\"{coordinates}\"{}/>\n",
            stroke_attributes(stroke)
        ));
    }

    /// A filled rectangle from its top-left corner `at`, `size` = (width, height).
    pub(crate) fn rect(&mut self, at: (f64, f64), size: (f64, f64), fill: Color, opacity: f64) {
        self.push(format_args!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"{}/>\n",
            at.0,
            at.1,
            size.0.max(0.0),
            size.1.max(0.0),
            fill.hex(),
            opacity_attribute("fill-opacity", opacity)
        ));
    }

    pub(crate) fn circle(&mut self, center: (f64, f64), radius: f64, fill: Color) {
        self.push(format_args!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{radius:.1}\" fill=\"{}\"/>\n",
            center.0,
            center.1,
            fill.hex()
        ));
    }

    /// `text` centred vertically on `at`.
    pub(crate) fn text(&mut self, at: (f64, f64), text: &str, style: TextStyle) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let rotate = if style.vertical {
            format!(" transform=\"rotate(-90 {:.1} {:.1})\"", at.0, at.1)
        } else {
            String::new()
        };
        self.push(format_args!(
            "<text x=\"{:.1}\" y=\"{:.1}\" dy=\"0.35em\" font-size=\"{:.0}\" text-anchor=\"{anchor}\"{rotate}>{}</text>\n",
            at.0,
            at.1,
            style.size,
            escape(text)
        ));
    }

    /// The finished document.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

fn stroke_attributes(stroke: Stroke) -> String {
    let mut text = format!(
        " stroke=\"{}\" stroke-width=\"{:.1}\"",
        stroke.color.hex(),
        stroke.width
    );
    text.push_str(&opacity_attribute("stroke-opacity", stroke.opacity));
    if stroke.dashed {
        text.push_str(" stroke-dasharray=\"6 4\"");
    }
    text
}

fn opacity_attribute(name: &str, opacity: f64) -> String {
    if opacity < 1.0 {
        format!(" {name}=\"{opacity:.2}\"")
    } else {
        String::new()
    }
}

/// Text as SVG character data: series names and titles come from scenario files.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_closed_document_with_escaped_text() {
        let mut svg = Svg::new(100.0, 50.0);
        svg.polyline(&[(0.0, 1.0), (2.5, 3.0)], Stroke::solid(Color::BLACK, 2.0));
        svg.text(
            (1.0, 2.0),
            "a < b & c",
            TextStyle::new(12.0, Anchor::Middle),
        );
        let text = svg.finish();
        assert!(text.starts_with("<svg width=\"100\" height=\"50\""));
        assert!(text.trim_end().ends_with("</svg>"));
        assert!(text.contains("points=\"0.0,1.0 2.5,3.0\""));
        assert!(text.contains(">a &lt; b &amp; c</text>"));
    }
}
