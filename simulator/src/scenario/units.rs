//! Durations in scenarios: `"24h"`, `"10m"`, `"1.5s"`, `"80ms"`, `"250us"`, `"14d"` or a
//! number of seconds, held as whole microseconds.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds per unit, largest first (the order [`fmt::Display`] tries them in).
const UNITS: [(&str, u64); 6] = [
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

/// A span of simulated time in whole microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Dur(pub u64);

impl Dur {
    /// From seconds.
    #[must_use]
    pub const fn secs(secs: u64) -> Self {
        Self(secs * 1_000_000)
    }

    /// Microseconds.
    #[must_use]
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Seconds as a float.
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Parses `"1.5h"`, `"80ms"`, or a plain number of seconds.
    ///
    /// # Errors
    /// A message naming the accepted forms.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let scale = if unit.is_empty() {
            1_000_000
        } else {
            UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, us)| *us)
                .ok_or_else(|| {
                    format!("unknown unit {unit:?} in {text:?}: use d, h, m, s, ms or us")
                })?
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a duration such as \"10m\""))?;
        Self::from_scaled(value, scale).ok_or_else(|| format!("{text:?} is negative or too large"))
    }

    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn from_scaled(value: f64, scale: u64) -> Option<Self> {
        let micros = (value * scale as f64).round();
        (micros.is_finite() && (0.0..1e17).contains(&micros)).then_some(Self(micros as u64))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (name, us) = UNITS
            .iter()
            .find(|(_, us)| self.0.is_multiple_of(*us))
            .expect("us divides everything");
        write!(f, "{}{name}", self.0 / us)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurVisitor;
        impl Visitor<'_> for DurVisitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"24h\", \"10m\", \"80ms\" or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                Dur::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                let secs =
                    u64::try_from(v).map_err(|_| E::custom("a duration cannot be negative"))?;
                Dur::from_scaled(
                    f64::from(u32::try_from(secs).unwrap_or(u32::MAX)),
                    1_000_000,
                )
                .ok_or_else(|| E::custom("duration too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Dur::from_scaled(v, 1_000_000)
                    .ok_or_else(|| E::custom("duration negative or too large"))
            }
        }
        deserializer.deserialize_any(DurVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Dur;

    #[test]
    fn parses_units_and_prints_the_largest_exact_one() {
        assert_eq!(Dur::parse("24h"), Ok(Dur::secs(86_400)));
        assert_eq!(Dur::parse("1.5m"), Ok(Dur::secs(90)));
        assert_eq!(Dur::parse("80ms"), Ok(Dur(80_000)));
        assert_eq!(Dur::parse("3"), Ok(Dur::secs(3)));
        assert_eq!(Dur::secs(86_400).to_string(), "1d");
        assert_eq!(Dur(1_500).to_string(), "1500us");
        assert!(Dur::parse("3 weeks").unwrap_err().contains("unknown unit"));
        assert!(Dur::parse("-1s").is_err());
    }
}
