//! Axes (MEAS-9, MEAS-14): the range an axis spans, where its ticks go and how they read.
//! A linear axis has its ticks at whole multiples of 1, 2 or 5 × 10^k of its unit; a
//! logarithmic axis spans whole decades (or, for byte sizes, whole powers of two) and has its
//! ticks only there; a category axis has one tick per named category.

/// How values map onto an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Base-10 logarithmic: ticks at 1, 10, 100, … of the unit.
    Log10,
    /// Base-2 logarithmic, for byte sizes: ticks at powers of two (`64 B`, `256 B`, `1 KiB`).
    Log2,
    /// Named positions 0, 1, 2, …, one tick each (`p50`, `p90`, `p99`).
    Categories(Vec<String>),
}

/// What one unit of an axis is, which decides how its tick labels read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number: `0.05`, `20`, `1.5k`, `2M`.
    Number,
    /// Bytes, with binary prefixes where whole: `64 B`, `1 KiB`, `16 MiB`.
    Bytes,
    /// Nanoseconds, shown in the largest unit below the value: `100 ns`, `1 µs`, `10 ms`.
    Nanoseconds,
    /// Milliseconds, shown the same way: `10 ms`, `1 s`, `100 s`.
    Milliseconds,
}

impl Unit {
    /// The tick label of `value`.
    #[must_use]
    pub fn label(self, value: f64) -> String {
        match self {
            Self::Number => number(value),
            Self::Bytes => bytes(value),
            Self::Nanoseconds => duration_ns(value),
            Self::Milliseconds => duration_ns(value * 1e6),
        }
    }
}

/// One axis of a chart: its title, scale and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The title printed beside the axis (`latency (log scale)`).
    pub title: String,
    /// How values map onto it.
    pub scale: Scale,
    /// What its values count.
    pub unit: Unit,
    /// Whether a linear axis starts at zero whatever its data (counts, rates).
    pub from_zero: bool,
}

/// Where an axis starts and ends and where its ticks are, in data units.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The value at the axis's start.
    pub low: f64,
    /// The value at its end.
    pub high: f64,
    /// The ticked values, ascending, each between `low` and `high`.
    pub values: Vec<f64>,
}

/// The most ticks an axis gets: more and the labels run into each other.
const MAX_TICKS: usize = 10;

impl Axis {
    /// A linear axis that spans its data.
    #[must_use]
    pub fn linear(title: &str, unit: Unit) -> Self {
        Self::new(title, Scale::Linear, unit)
    }

    /// A linear axis from zero to its data's maximum (counts, rates).
    #[must_use]
    pub fn from_zero(title: &str, unit: Unit) -> Self {
        Self {
            from_zero: true,
            ..Self::linear(title, unit)
        }
    }

    /// A base-10 logarithmic axis over whole decades (MEAS-9).
    #[must_use]
    pub fn log10(title: &str, unit: Unit) -> Self {
        Self::new(title, Scale::Log10, unit)
    }

    /// A base-2 logarithmic axis of byte sizes over whole powers of two.
    #[must_use]
    pub fn log2_bytes(title: &str) -> Self {
        Self::new(title, Scale::Log2, Unit::Bytes)
    }

    /// An axis of named positions 0, 1, 2, ….
    #[must_use]
    pub fn categories(title: &str, names: Vec<String>) -> Self {
        Self::new(title, Scale::Categories(names), Unit::Number)
    }

    fn new(title: &str, scale: Scale, unit: Unit) -> Self {
        Self {
            title: title.to_owned(),
            scale,
            unit,
            from_zero: false,
        }
    }

    /// Whether `value` can be placed on this axis (finite, and positive on a log axis).
    #[must_use]
    pub fn accepts(&self, value: f64) -> bool {
        value.is_finite()
            && (value > 0.0 || matches!(self.scale, Scale::Linear | Scale::Categories(_)))
    }

    /// The span and ticks of this axis for data from `low` to `high` (either may be `NaN` or
    /// infinite when there is no data; the axis then spans a default range).
    #[must_use]
    pub fn ticks(&self, low: f64, high: f64) -> Ticks {
        let (low, high) = if low.is_finite() && high.is_finite() && low <= high {
            (low, high)
        } else {
            (f64::NAN, f64::NAN)
        };
        match &self.scale {
            Scale::Linear => {
                let (low, high) = if low.is_nan() {
                    (0.0, 1.0)
                } else {
                    (low, high)
                };
                if self.from_zero {
                    linear_ticks(low.min(0.0), high.max(0.0))
                } else {
                    linear_ticks(low, high)
                }
            }
            Scale::Log10 => power_ticks(10.0, low, high),
            Scale::Log2 => power_ticks(2.0, low, high),
            Scale::Categories(names) => {
                let count = names.len().max(1);
                Ticks {
                    low: -0.5,
                    high: to_f64(count) - 0.5,
                    values: (0..names.len()).map(to_f64).collect(),
                }
            }
        }
    }

    /// The label of the tick at `value`.
    #[must_use]
    pub fn label(&self, value: f64) -> String {
        match &self.scale {
            Scale::Categories(names) => nearest_index(value)
                .and_then(|i| names.get(i).cloned())
                .unwrap_or_default(),
            _ => self.unit.label(value),
        }
    }

    /// Where `value` falls between the ends of `ticks`: 0 at `low`, 1 at `high`.
    #[must_use]
    pub fn fraction(&self, ticks: &Ticks, value: f64) -> f64 {
        match self.scale {
            Scale::Log10 | Scale::Log2 => (value / ticks.low).ln() / (ticks.high / ticks.low).ln(),
            Scale::Linear | Scale::Categories(_) => (value - ticks.low) / (ticks.high - ticks.low),
        }
    }
}

/// Ticks at whole multiples of the smallest step 1, 2 or 5 × 10^k that needs at most
/// [`MAX_TICKS`] intervals; the axis runs from the tick at or below `low` to the one at or
/// above `high`.
fn linear_ticks(low: f64, high: f64) -> Ticks {
    let high = if high > low {
        high
    } else if low == 0.0 {
        1.0
    } else {
        low + low.abs()
    };
    let span = high - low;
    // A tolerance keeps 3.0000000001 steps from counting as four.
    let slack = 1e-9;
    let mut exponent = floor_i32((span / to_f64(MAX_TICKS)).log10());
    loop {
        for mantissa in [1.0, 2.0, 5.0] {
            let step = mantissa * 10f64.powi(exponent);
            let first = (low / step + slack).floor();
            let last = (high / step - slack).ceil();
            if last - first <= to_f64(MAX_TICKS) {
                let values: Vec<f64> = (0..=floor_i32(last - first + 0.5))
                    .map(|i| (first + f64::from(i)) * step)
                    .collect();
                return Ticks {
                    low: first * step,
                    high: last * step,
                    values,
                };
            }
        }
        exponent += 1;
    }
}

/// A log axis from the power of `base` at or below `low` to the one at or above `high` (at
/// least one apart), ticked at every power, or every second, fourth, … when there would be
/// more than [`MAX_TICKS`]; the ticked exponents are multiples of that stride.
fn power_ticks(base: f64, low: f64, high: f64) -> Ticks {
    let (low, high) = if low.is_nan() {
        (1.0, base)
    } else {
        (low, high)
    };
    let log = |v: f64| v.ln() / base.ln();
    // A tolerance keeps 1000.0000001 from opening a decade of its own.
    let first = floor_i32(log(low) + 1e-9);
    let last = floor_i32(log(high) - 1e-9) + 1;
    let last = last.max(first + 1);
    // How many multiples of `stride` lie in first..=last.
    let count = |stride: i32| last.div_euclid(stride) - (first + stride - 1).div_euclid(stride) + 1;
    let mut stride = 1;
    while usize::try_from(count(stride)).unwrap_or(0) > MAX_TICKS {
        stride *= 2;
    }
    let values = (first..=last)
        .filter(|e| e.rem_euclid(stride) == 0)
        .map(|e| base.powi(e))
        .collect();
    Ticks {
        low: base.powi(first),
        high: base.powi(last),
        values,
    }
}

fn nearest_index(value: f64) -> Option<usize> {
    let rounded = value.round();
    if (value - rounded).abs() < 1e-6 {
        usize::try_from(floor_i32(rounded)).ok()
    } else {
        None
    }
}

/// `value` rounded down to an i32, saturating; log10 and log2 of finite values fit easily.
#[expect(
    clippy::cast_possible_truncation,
    reason = "logarithms of finite f64 are within ±1100; `as` saturates anyway"
)]
fn floor_i32(value: f64) -> i32 {
    value.floor() as i32
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts of ticks and categories are far below 2^52"
)]
fn to_f64(n: usize) -> f64 {
    n as f64
}

/// Three significant digits, trailing zeros dropped, with k, M, G above a thousand:
/// `0.001`, `0.25`, `20`, `1.5k`, `100M`.
#[must_use]
pub fn number(value: f64) -> String {
    let size = value.abs();
    let (scaled, suffix) = if size >= 999.5e6 {
        (value / 1e9, "G")
    } else if size >= 999.5e3 {
        (value / 1e6, "M")
    } else if size >= 999.5 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let magnitude = if scaled == 0.0 {
        0
    } else {
        floor_i32(scaled.abs().log10())
    };
    let decimals = usize::try_from((2 - magnitude).max(0)).unwrap_or(0);
    let mut text = format!("{scaled:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if text == "-0" {
        text.remove(0);
    }
    format!("{text}{suffix}")
}

/// A byte count: `100 B`, `64 B`, `1 KiB`, `256 KiB`, `1 MiB`, with a binary prefix when it
/// is a whole number of them.
fn bytes(value: f64) -> String {
    const KIB: f64 = 1024.0;
    for (unit, size) in [("GiB", KIB * KIB * KIB), ("MiB", KIB * KIB), ("KiB", KIB)] {
        if value >= size && (value / size).fract() == 0.0 {
            return format!("{} {unit}", number(value / size));
        }
    }
    format!("{} B", number(value))
}

/// A duration in nanoseconds in the largest unit it reaches: `100 ns`, `1 µs`, `2.5 ms`, `10 s`.
fn duration_ns(ns: f64) -> String {
    let size = ns.abs();
    let (value, unit) = if size >= 999.5e6 {
        (ns / 1e9, "s")
    } else if size >= 999.5e3 {
        (ns / 1e6, "ms")
    } else if size >= 999.5 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", number(value))
}

#[cfg(test)]
mod tests;
