//! Benchmark ids, `area/operation/parameter` (STYLE.md), and the baseline prefix.
//!
//! Our id `box/seal/1024` is mirrored by the baseline's `libsodium/box/seal/1024`: the report
//! pairs every id with the id that has a known baseline name in front of it.

use core::fmt;

use crate::ReportError;

/// The names that, as the first segment of an id, mark a baseline measured in the same run.
pub const BASELINES: &[&str] = &["libsodium"];

/// A parsed benchmark id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BenchId {
    /// The baseline this measures (`libsodium`), or `None` for ours.
    pub baseline: Option<String>,
    /// First segment without the baseline: `box`.
    pub area: String,
    /// Second segment: `seal`.
    pub operation: String,
    /// Everything after, if anything: `1024`.
    pub parameter: Option<String>,
}

impl BenchId {
    /// Parses `[baseline/]area/operation[/parameter]`.
    ///
    /// # Errors
    /// [`ReportError::BadId`] when the area or operation is missing or empty.
    pub fn parse(full: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::BadId {
            id: full.to_owned(),
        };
        let mut rest = full;
        let mut baseline = None;
        if let Some((first, tail)) = full.split_once('/')
            && BASELINES.contains(&first)
        {
            baseline = Some(first.to_owned());
            rest = tail;
        }
        let mut parts = rest.splitn(3, '/');
        let area = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
        let operation = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
        let parameter = parts.next().map(str::to_owned);
        if parameter.as_deref() == Some("") {
            return Err(bad());
        }
        Ok(Self {
            baseline,
            area: area.to_owned(),
            operation: operation.to_owned(),
            parameter,
        })
    }

    /// The id without its baseline prefix: what ours and the baseline have in common.
    #[must_use]
    pub fn key(&self) -> String {
        let mut key = self.series();
        if let Some(parameter) = &self.parameter {
            key.push('/');
            key.push_str(parameter);
        }
        key
    }

    /// `area/operation`: one line of a throughput plot, one group of rows in a table.
    #[must_use]
    pub fn series(&self) -> String {
        format!("{}/{}", self.area, self.operation)
    }

    /// The parameter as a number, when it is one (a message size, a member count).
    #[must_use]
    pub fn numeric_parameter(&self) -> Option<u64> {
        self.parameter.as_deref()?.parse().ok()
    }

    /// The same id measured by `baseline`.
    #[must_use]
    pub fn with_baseline(&self, baseline: &str) -> Self {
        Self {
            baseline: Some(baseline.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for BenchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(baseline) = &self.baseline {
            write!(f, "{baseline}/")?;
        }
        f.write_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ours_and_the_baseline_mirror() {
        let ours = BenchId::parse("box/seal/1024").unwrap();
        assert_eq!(ours.baseline, None);
        assert_eq!(ours.series(), "box/seal");
        assert_eq!(ours.numeric_parameter(), Some(1024));
        let theirs = BenchId::parse("libsodium/box/seal/1024").unwrap();
        assert_eq!(theirs.baseline.as_deref(), Some("libsodium"));
        assert_eq!(theirs.key(), ours.key());
        assert_eq!(ours.with_baseline("libsodium"), theirs);
        assert_eq!(theirs.to_string(), "libsodium/box/seal/1024");
    }

    #[test]
    fn parameter_is_optional_and_may_hold_slashes() {
        let id = BenchId::parse("x25519/keygen").unwrap();
        assert_eq!(id.parameter, None);
        assert_eq!(id.key(), "x25519/keygen");
        let id = BenchId::parse("group/fanout/10/cached").unwrap();
        assert_eq!(id.parameter.as_deref(), Some("10/cached"));
        assert_eq!(id.numeric_parameter(), None);
    }

    #[test]
    fn rejects_ids_without_an_operation() {
        for bad in ["", "box", "box/", "/seal", "libsodium/box", "box/seal/"] {
            assert!(BenchId::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
