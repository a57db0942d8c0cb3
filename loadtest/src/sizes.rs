//! Message size distributions: `1024`, or weighted sizes such as `64:0.5,1024:0.4,4096:0.1`.

use rand_core::Rng;
use serde::Serialize;

/// Largest text body a message may carry (E2E-8).
pub const MAX_SIZE: usize = saltrelay_protocol::e2e::MAX_TEXT_LEN;

/// Why a size distribution did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// Nothing was given.
    #[error("empty size distribution")]
    Empty,
    /// A size is not a whole number of bytes.
    #[error("`{0}` is not a size in bytes")]
    BadSize(String),
    /// A weight is not a positive number.
    #[error("`{0}` is not a positive weight")]
    BadWeight(String),
    /// A size is zero or above the text limit (E2E-8).
    #[error("size {0} is outside 1 to {MAX_SIZE} bytes")]
    OutOfRange(usize),
}

/// Text body sizes in bytes with their probabilities (weights normalised to sum to one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeDistribution {
    entries: Vec<(usize, f64)>,
}

impl SizeDistribution {
    /// Parses `SIZE` or `SIZE:WEIGHT,SIZE:WEIGHT,…`.
    ///
    /// # Errors
    /// A [`SizeError`] naming the first bad part.
    pub fn parse(text: &str) -> Result<Self, SizeError> {
        let mut entries = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (size, weight) = match part.split_once(':') {
                Some((size, weight)) => (size.trim(), Some(weight.trim())),
                None => (part, None),
            };
            let size: usize = size
                .parse()
                .map_err(|_| SizeError::BadSize(size.to_owned()))?;
            if size == 0 || size > MAX_SIZE {
                return Err(SizeError::OutOfRange(size));
            }
            let weight = match weight {
                None => 1.0,
                Some(w) => match w.parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => v,
                    _ => return Err(SizeError::BadWeight(w.to_owned())),
                },
            };
            entries.push((size, weight));
        }
        if entries.is_empty() {
            return Err(SizeError::Empty);
        }
        let total: f64 = entries.iter().map(|(_, w)| w).sum();
        for entry in &mut entries {
            entry.1 /= total;
        }
        Ok(Self { entries })
    }

    /// Draws one size.
    pub fn draw(&self, rng: &mut impl Rng) -> usize {
        // 53 random bits give a uniform f64 in [0, 1).
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let mut left = unit;
        for &(size, p) in &self.entries {
            if left < p {
                return size;
            }
            left -= p;
        }
        self.entries.last().map_or(1, |e| e.0)
    }

    /// The mean size in bytes.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.entries.iter().map(|&(s, p)| s as f64 * p).sum()
    }
}

impl core::fmt::Display for SizeDistribution {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let [(size, _)] = self.entries.as_slice() {
            return write!(f, "{size}");
        }
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|(s, p)| format!("{s}:{p:.3}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    #[test]
    fn parses_a_single_size() {
        let d = SizeDistribution::parse("1024").expect("valid");
        assert!((d.mean() - 1024.0).abs() < f64::EPSILON);
        assert_eq!(d.to_string(), "1024");
    }

    #[test]
    fn parses_weights_and_normalises_them() {
        let d = SizeDistribution::parse("64:1, 1024:3").expect("valid");
        assert!((d.mean() - (64.0 * 0.25 + 1024.0 * 0.75)).abs() < 1e-9);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let draws: Vec<usize> = (0..1000).map(|_| d.draw(&mut rng)).collect();
        assert!(draws.iter().all(|s| *s == 64 || *s == 1024));
        assert!(draws.contains(&64) && draws.contains(&1024));
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        assert_eq!(SizeDistribution::parse(""), Err(SizeError::Empty));
        assert_eq!(
            SizeDistribution::parse("abc"),
            Err(SizeError::BadSize("abc".into()))
        );
        assert_eq!(
            SizeDistribution::parse("64:-1"),
            Err(SizeError::BadWeight("-1".into()))
        );
        assert_eq!(
            SizeDistribution::parse("64:x"),
            Err(SizeError::BadWeight("x".into()))
        );
        assert_eq!(SizeDistribution::parse("0"), Err(SizeError::OutOfRange(0)));
        assert_eq!(
            SizeDistribution::parse("100000"),
            Err(SizeError::OutOfRange(100_000))
        );
    }
}
