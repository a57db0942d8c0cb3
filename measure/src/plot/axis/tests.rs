use super::*;

/// Whether `step` is 1, 2 or 5 × 10^k.
fn is_round_step(step: f64) -> bool {
    let exponent = step.log10().floor();
    let mantissa = step / 10f64.powf(exponent);
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-9)
}

fn assert_round_linear(ticks: &Ticks, low: f64, high: f64) {
    assert!(ticks.values.len() >= 2, "{low}..{high}: {ticks:?}");
    assert!(
        ticks.values.len() <= MAX_TICKS + 1,
        "{low}..{high}: {ticks:?}"
    );
    assert!(
        ticks.low <= low + 1e-9 && ticks.high >= high - 1e-9,
        "{low}..{high}: {ticks:?}"
    );
    let step = ticks.values[1] - ticks.values[0];
    assert!(is_round_step(step), "{low}..{high}: step {step}");
    for (i, v) in ticks.values.iter().enumerate() {
        let units = v / step;
        assert!(
            (units - units.round()).abs() < 1e-6,
            "{low}..{high}: tick {v} is not a multiple of {step}"
        );
        let expected = ticks.values[0] + step * to_f64(i);
        assert!(
            (v - expected).abs() <= step * 1e-9,
            "{low}..{high}: uneven ticks {ticks:?}"
        );
    }
}

#[test]
fn linear_ticks_are_round_units() {
    let axis = Axis::linear("x", Unit::Number);
    for (low, high) in [
        (0.0, 1.0),
        (0.0, 17.3),
        (0.0, 23.9),
        (10.0, 100.0),
        (0.0, 0.037),
        (-3.2, 7.9),
        (1_234.0, 98_765.0),
        (0.0, 2_000_000.0),
        (5.0, 5.0),
        (0.0, 0.0),
        (0.1, 0.7),
    ] {
        assert_round_linear(&axis.ticks(low, high), low, high);
    }
    // Labels of round ticks are short and never repeat (plotters printed "0 0 0 1 1 1").
    let ticks = axis.ticks(0.0, 1.4);
    let labels: Vec<String> = ticks.values.iter().map(|v| axis.label(*v)).collect();
    assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1", "1.2", "1.4"]);
}

#[test]
fn from_zero_includes_zero() {
    let ticks = Axis::from_zero("y", Unit::Number).ticks(40.0, 173.0);
    assert_eq!((ticks.low, ticks.high), (0.0, 180.0));
    assert_eq!(ticks.values.first(), Some(&0.0));
}

#[test]
fn log_ticks_are_whole_decades() {
    // MEAS-9: the axis spans whole decades and ticks only at powers of ten.
    let axis = Axis::log10("latency", Unit::Milliseconds);
    let ticks = axis.ticks(3.98, 2_000.0);
    assert_eq!((ticks.low, ticks.high), (1.0, 10_000.0));
    assert_eq!(ticks.values, [1.0, 10.0, 100.0, 1_000.0, 10_000.0]);
    let labels: Vec<String> = ticks.values.iter().map(|v| axis.label(*v)).collect();
    assert_eq!(labels, ["1 ms", "10 ms", "100 ms", "1 s", "10 s"]);
    for (low, high) in [
        (0.001, 0.5),
        (1.0, 1.0),
        (1e-3, 1e8),
        (370.0, 3.7e6),
        (1000.0, 1000.0),
    ] {
        let ticks = axis.ticks(low, high);
        // Powers of ten below 1 are not exact in binary: compare with a relative slack.
        let slack = 1.0 + 1e-12;
        assert!(
            ticks.low <= low * slack && ticks.high * slack >= high,
            "{low}..{high}: {ticks:?}"
        );
        assert!(ticks.high > ticks.low, "{low}..{high}: {ticks:?}");
        for v in [ticks.low, ticks.high]
            .into_iter()
            .chain(ticks.values.clone())
        {
            let decade = v.log10();
            assert!(
                (decade - decade.round()).abs() < 1e-9,
                "{low}..{high}: {v} is not a power of ten"
            );
        }
        assert!(ticks.values.len() <= MAX_TICKS, "{low}..{high}: {ticks:?}");
    }
    let ns = Axis::log10("time", Unit::Nanoseconds);
    let labels: Vec<String> = ns
        .ticks(361.0, 3.4e6)
        .values
        .iter()
        .map(|v| ns.label(*v))
        .collect();
    assert_eq!(
        labels,
        ["100 ns", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms"]
    );
}

#[test]
fn byte_axes_tick_at_powers_of_two() {
    let axis = Axis::log2_bytes("message size");
    let ticks = axis.ticks(64.0, 1_048_576.0);
    assert_eq!((ticks.low, ticks.high), (64.0, 1_048_576.0));
    let labels: Vec<String> = ticks.values.iter().map(|v| axis.label(*v)).collect();
    assert_eq!(
        labels,
        [
            "64 B", "256 B", "1 KiB", "4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB"
        ]
    );
    let short = axis.ticks(100.0, 8192.0);
    assert_eq!((short.low, short.high), (64.0, 8192.0));
    assert_eq!(short.values.len(), 8);
}

#[test]
fn categories_tick_each_name() {
    let names = vec!["p50".to_owned(), "p99".to_owned()];
    let axis = Axis::categories("percentile", names);
    let ticks = axis.ticks(0.0, 1.0);
    assert_eq!(ticks.values, [0.0, 1.0]);
    assert_eq!((ticks.low, ticks.high), (-0.5, 1.5));
    assert_eq!(axis.label(1.0), "p99");
    assert_eq!(axis.label(0.5), "");
}

#[test]
fn no_data_gives_a_default_span() {
    let linear = Axis::linear("x", Unit::Number).ticks(f64::INFINITY, f64::NEG_INFINITY);
    assert_eq!((linear.low, linear.high), (0.0, 1.0));
    let log = Axis::log10("x", Unit::Number).ticks(f64::NAN, f64::NAN);
    assert_eq!((log.low, log.high), (1.0, 10.0));
}

#[test]
fn numbers_read_short() {
    for (value, text) in [
        (0.0, "0"),
        (0.001, "0.001"),
        (0.25, "0.25"),
        (20.0, "20"),
        (1_500.0, "1.5k"),
        (100_000.0, "100k"),
        (2_000_000.0, "2M"),
        (-40.0, "-40"),
        (12.345, "12.3"),
    ] {
        assert_eq!(number(value), text);
    }
    assert_eq!(Unit::Bytes.label(100.0), "100 B");
    assert_eq!(Unit::Bytes.label(16_384.0), "16 KiB");
    assert_eq!(Unit::Nanoseconds.label(7_768.0), "7.77 µs");
}
