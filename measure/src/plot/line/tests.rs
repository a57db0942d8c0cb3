use super::*;
use crate::plot::Unit;

/// The text of every `<text>` element, in order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .filter_map(|(_, rest)| rest.split_once("</text>"))
        .map(|(text, _)| text.to_owned())
        .collect()
}

fn hours_chart() -> LineChart {
    LineChart::new(
        "Relay messages per second",
        Axis::linear("simulated hours", Unit::Number),
        Axis::from_zero("messages/s", Unit::Number),
    )
    .with([
        Series::new("in", vec![(0.0, 3.0), (10.0, 17.3), (20.0, 12.0)]),
        Series::new("out", vec![(0.0, 2.0), (20.0, f64::NAN)]).color(Color::GREY),
    ])
}

#[test]
fn a_plot_ticks_round_units_and_names_everything() {
    let svg = hours_chart()
        .with_marker("end of warm-up", 2.0)
        .render(900.0, 480.0);
    let texts = texts(&svg);
    for expected in [
        "Relay messages per second",
        "simulated hours",
        "messages/s",
        "in",
        "out",
        "end of warm-up",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing: {texts:?}"
        );
    }
    // y: 0..17.3 from zero, ticked every 2 up to 18; x: 0..20 every 2.
    let y: Vec<String> = ["0", "2", "4", "6", "8", "10", "12", "14", "16", "18"]
        .map(str::to_owned)
        .to_vec();
    let at = texts
        .iter()
        .position(|t| t == "20")
        .expect("x ticks end at 20");
    assert_eq!(texts[at + 1..at + 1 + y.len()], y[..], "{texts:?}");
    assert_eq!(svg.matches("<polyline").count(), 2);
    assert!(
        svg.contains("stroke-dasharray"),
        "the warm-up marker is dashed"
    );
    assert!(svg.contains(&Color::GREY.hex()));
}

#[test]
fn a_marker_outside_the_axis_is_left_out() {
    let svg = hours_chart()
        .with_marker("end of warm-up", -1.0)
        .render(900.0, 480.0);
    assert!(!svg.contains("end of warm-up"));
    assert!(!svg.contains("stroke-dasharray"));
}

#[test]
fn same_data_same_bytes() {
    let a = hours_chart().render(900.0, 480.0);
    assert_eq!(a, hours_chart().render(900.0, 480.0));
    assert!(a.starts_with("<svg") && a.trim_end().ends_with("</svg>"));
}

#[test]
fn log_axes_drop_points_they_cannot_place() {
    let chart = LineChart::new(
        "latency",
        Axis::categories("percentile", vec!["p50".into(), "p99".into()]),
        Axis::log10("latency (ms, log scale)", Unit::Number),
    )
    .with([Series::new("ack", vec![(0.0, 0.0), (1.0, 4.2)]).dots()])
    .with_span("measured", -3.0, 0.5);
    let svg = chart.render(900.0, 500.0);
    assert_eq!(
        svg.matches("<circle").count(),
        1,
        "the zero latency has no place"
    );
    let texts = texts(&svg);
    for expected in ["p50", "p99", "1", "10", "measured"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing: {texts:?}"
        );
    }
}

#[test]
fn a_grid_places_panels_in_rows() {
    let svg = grid(
        &[hours_chart(), hours_chart(), hours_chart()],
        2,
        (520.0, 340.0),
    );
    assert!(svg.starts_with("<svg width=\"1040\" height=\"680\""));
    assert_eq!(svg.matches("<g transform").count(), 3);
    assert!(svg.contains("translate(0.0,340.0)"));
}
