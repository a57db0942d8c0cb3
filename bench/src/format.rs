//! Number formatting and small statistics for the report: durations, throughputs, ratios,
//! least-squares fits and geometric means.

/// A duration in nanoseconds with three significant digits and a fitting unit: `812 ns`,
/// `7.77 µs`, `4.68 ms`, `1.20 s`.
#[must_use]
pub fn duration(ns: f64) -> String {
    // Thresholds just below each power: 999.7 ns rounds to "1.00 µs", not "1000 ns".
    let (value, unit) = if ns < 999.5 {
        (ns, "ns")
    } else if ns < 999_500.0 {
        (ns / 1e3, "µs")
    } else if ns < 999_500_000.0 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// Bytes per second with binary prefixes: `335 MiB/s`, `1.02 GiB/s`.
#[must_use]
pub fn bytes_per_second(bytes_per_s: f64) -> String {
    const UNITS: [&str; 5] = ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"];
    let mut value = bytes_per_s;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", significant(value), UNITS[unit])
}

/// Elements per second: `1.23 k/s`, `4.56 M/s`.
#[must_use]
pub fn elements_per_second(per_s: f64) -> String {
    let (value, unit) = if per_s < 1e3 {
        (per_s, "/s")
    } else if per_s < 1e6 {
        (per_s / 1e3, "k/s")
    } else if per_s < 1e9 {
        (per_s / 1e6, "M/s")
    } else {
        (per_s / 1e9, "G/s")
    };
    format!("{} {unit}", significant(value))
}

/// A byte count with a binary prefix when it is a whole number of them: `64 B`, `1 KiB`,
/// `16 KiB`, `1 MiB`, `100 B`.
#[must_use]
pub fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// A ratio with two decimals and a times sign: `3.02×`.
#[must_use]
pub fn ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// Three significant digits without exponent: `812`, `7.77`, `0.123`.
#[must_use]
pub fn significant(value: f64) -> String {
    let magnitude = if value.abs() < f64::MIN_POSITIVE {
        0
    } else {
        // A value between 1e-300 and 1e300 has a magnitude that fits an i32 comfortably.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "log10 of a finite f64 is small"
        )]
        let m = value.abs().log10().floor() as i32;
        m
    };
    // 0.99999 has magnitude -1 but prints as "1.00": take the magnitude after rounding.
    let rounds_up = value.abs() >= 10f64.powi(magnitude + 1) - 0.5 * 10f64.powi(magnitude - 2);
    let magnitude = if rounds_up { magnitude + 1 } else { magnitude };
    let decimals = usize::try_from((2 - magnitude).max(0)).unwrap_or(0);
    format!("{value:.decimals$}")
}

/// A line `y = base + slope · x` fitted by least squares on relative errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Intercept: the fixed cost per call.
    pub base: f64,
    /// Slope: the cost per unit (byte, record).
    pub slope: f64,
    /// Weighted coefficient of determination (1 for a perfect line).
    pub r_squared: f64,
}

/// Fits a line through `points` (x, y > 0), weighting each point by `1/y²` so that every
/// point counts by its relative error: a 64-byte and a 1-MiB message weigh the same, and the
/// fixed cost is not drowned by the large sizes. `None` for fewer than two distinct x or a
/// non-positive y.
#[must_use]
pub fn fit_line(points: &[(f64, f64)]) -> Option<Fit> {
    if points.len() < 2 || points.iter().any(|p| p.1 <= 0.0 || !p.1.is_finite()) {
        return None;
    }
    let weight = |p: &(f64, f64)| 1.0 / (p.1 * p.1);
    let total: f64 = points.iter().map(weight).sum();
    let mean_x = points.iter().map(|p| weight(p) * p.0).sum::<f64>() / total;
    let mean_y = points.iter().map(|p| weight(p) * p.1).sum::<f64>() / total;
    let sxx: f64 = points
        .iter()
        .map(|p| weight(p) * (p.0 - mean_x).powi(2))
        .sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points
        .iter()
        .map(|p| weight(p) * (p.0 - mean_x) * (p.1 - mean_y))
        .sum();
    let slope = sxy / sxx;
    let base = mean_y - slope * mean_x;
    let ss_tot: f64 = points
        .iter()
        .map(|p| weight(p) * (p.1 - mean_y).powi(2))
        .sum();
    let ss_res: f64 = points
        .iter()
        .map(|p| weight(p) * (p.1 - (base + slope * p.0)).powi(2))
        .sum();
    let r_squared = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        1.0
    };
    Some(Fit {
        base,
        slope,
        r_squared,
    })
}

/// `u64` to `f64`: exact below 2^53, which every size and count here is.
#[must_use]
pub fn to_f64(value: u64) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "sizes and counts are far below 2^53"
    )]
    let float = value as f64;
    float
}

/// The geometric mean of positive values; `None` when empty or any is not positive.
#[must_use]
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| *v <= 0.0 || !v.is_finite()) {
        return None;
    }
    let n = f64::from(u32::try_from(values.len()).ok()?);
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / n).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit_and_three_digits() {
        assert_eq!(duration(812.4), "812 ns");
        assert_eq!(duration(7768.9), "7.77 µs");
        assert_eq!(duration(4_678_666.0), "4.68 ms");
        assert_eq!(duration(1.2e9), "1.20 s");
        assert_eq!(duration(0.0), "0.00 ns");
        assert_eq!(duration(999.99), "1.00 µs");
        assert_eq!(significant(0.99999), "1.00");
        assert_eq!(significant(9.996), "10.0");
        assert_eq!(significant(0.123), "0.123");
    }

    #[test]
    fn throughputs_and_sizes_use_binary_prefixes() {
        assert_eq!(bytes_per_second(1024.0 * 1024.0 * 335.2), "335 MiB/s");
        assert_eq!(
            bytes_per_second(1.5 * 1024.0 * 1024.0 * 1024.0),
            "1.50 GiB/s"
        );
        assert_eq!(elements_per_second(4_560_000.0), "4.56 M/s");
        assert_eq!(size(64), "64 B");
        assert_eq!(size(100), "100 B");
        assert_eq!(size(16 * 1024), "16 KiB");
        assert_eq!(size(1024 * 1024), "1 MiB");
        assert_eq!(ratio(3.0149), "3.01×");
    }

    #[test]
    fn fit_recovers_a_line_and_refuses_a_point() {
        let points = [(100.0, 1300.0), (1024.0, 3148.0), (8192.0, 17484.0)];
        let fit = fit_line(&points).unwrap();
        assert!((fit.base - 1100.0).abs() < 1e-6, "{fit:?}");
        assert!((fit.slope - 2.0).abs() < 1e-9);
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
        assert_eq!(fit_line(&[(1.0, 2.0)]), None);
        assert_eq!(fit_line(&[(1.0, 2.0), (1.0, 3.0)]), None);
        assert_eq!(fit_line(&[(1.0, 2.0), (2.0, 0.0)]), None);
    }

    #[test]
    fn fit_weighs_points_by_relative_error() {
        // A 5 % error on the large point must not swamp the small point's fixed cost.
        let points = [
            (64.0, 1000.0 + 64.0),
            (1024.0, 1000.0 + 1024.0),
            (1_048_576.0, 1.05 * (1000.0 + 1_048_576.0)),
        ];
        let fit = fit_line(&points).unwrap();
        assert!((fit.base - 1000.0).abs() < 100.0, "{fit:?}");
    }

    #[test]
    fn geometric_mean_of_ratios() {
        let mean = geometric_mean(&[2.0, 8.0]).unwrap();
        assert!((mean - 4.0).abs() < 1e-12);
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }
}
