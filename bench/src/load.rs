//! Reads criterion's results: every `new/benchmark.json` + `new/estimates.json` below a
//! directory, each assigned to the layer whose marker sits nearest above it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ReportError;
use crate::id::BenchId;
use crate::layer::{LayerMarker, MARKER_FILE};

/// Name of the pseudo-layer of benchmarks found outside any marked directory.
pub const UNLAYERED: &str = "unlayered";

/// One point estimate with its confidence interval, in nanoseconds per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimate {
    /// The estimate.
    #[serde(rename = "point_estimate")]
    pub point: f64,
    /// Its confidence interval.
    pub confidence_interval: Interval,
}

/// A confidence interval as criterion writes it.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Interval {
    /// For example 0.95.
    pub confidence_level: f64,
    /// Lower bound, ns.
    pub lower_bound: f64,
    /// Upper bound, ns.
    pub upper_bound: f64,
}

/// What one iteration processed, as declared with criterion's `Throughput`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Throughput {
    /// Bits per iteration.
    Bits(u64),
    /// Bytes per iteration (binary prefixes in the report).
    Bytes(u64),
    /// Bytes per iteration (decimal prefixes in criterion's own output).
    BytesDecimal(u64),
    /// Elements per iteration.
    Elements(u64),
    /// Both.
    ElementsAndBytes {
        /// Elements per iteration.
        elements: u64,
        /// Bytes per iteration.
        bytes: u64,
    },
}

impl Throughput {
    /// Bytes per iteration, if declared.
    #[must_use]
    pub fn bytes(self) -> Option<u64> {
        match self {
            Self::Bytes(b) | Self::BytesDecimal(b) | Self::ElementsAndBytes { bytes: b, .. } => {
                Some(b)
            }
            Self::Bits(b) => Some(b / 8),
            Self::Elements(_) => None,
        }
    }

    /// Elements per iteration, if declared.
    #[must_use]
    pub fn elements(self) -> Option<u64> {
        match self {
            Self::Elements(e) | Self::ElementsAndBytes { elements: e, .. } => Some(e),
            _ => None,
        }
    }
}

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Its id.
    pub id: BenchId,
    /// The layer name (`primitives`, …) or [`UNLAYERED`].
    pub layer: String,
    /// Median time per iteration, ns, with its bootstrap confidence interval.
    pub median: Estimate,
    /// Mean time per iteration, ns.
    pub mean: Estimate,
    /// Declared throughput, if any.
    pub throughput: Option<Throughput>,
}

/// Everything found below a criterion directory.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Layers by name.
    pub layers: BTreeMap<String, LayerMarker>,
    /// Measurements sorted by layer order, then id.
    pub measurements: Vec<Measurement>,
}

impl Results {
    /// The measurement of exactly this id, if present.
    #[must_use]
    pub fn get(&self, id: &BenchId) -> Option<&Measurement> {
        self.measurements.iter().find(|m| &m.id == id)
    }

    /// The baseline measurement mirroring `ours`, with the baseline's name.
    #[must_use]
    pub fn baseline_of(&self, ours: &BenchId) -> Option<&Measurement> {
        crate::id::BASELINES
            .iter()
            .find_map(|b| self.get(&ours.with_baseline(b)))
    }

    /// Layers in report order, each with its measurements; unlayered results come last.
    #[must_use]
    pub fn by_layer(&self) -> Vec<(Option<&LayerMarker>, Vec<&Measurement>)> {
        let mut names: Vec<&str> = self.layers.keys().map(String::as_str).collect();
        names.sort_by_key(|n| (self.layers.get(*n).map_or(u32::MAX, |l| l.order), *n));
        if self.measurements.iter().any(|m| m.layer == UNLAYERED) {
            names.push(UNLAYERED);
        }
        names
            .into_iter()
            .map(|name| {
                let rows = self
                    .measurements
                    .iter()
                    .filter(|m| m.layer == name)
                    .collect();
                (self.layers.get(name), rows)
            })
            .filter(|(_, rows): &(_, Vec<_>)| !rows.is_empty())
            .collect()
    }
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
struct EstimatesFile {
    mean: Estimate,
    median: Estimate,
}

/// Reads every result below `dir`.
///
/// # Errors
/// [`ReportError::NoResults`] when there are none; I/O, JSON and id errors name the file.
pub fn load(dir: &Path) -> Result<Results, ReportError> {
    let mut results = Results::default();
    let mut found = Vec::new();
    walk(dir, None, &mut results.layers, &mut found)?;
    if found.is_empty() {
        return Err(ReportError::NoResults {
            dir: dir.to_owned(),
        });
    }
    for (new_dir, layer) in found {
        let bench_path = new_dir.join("benchmark.json");
        let bench: BenchmarkFile = read_json(&bench_path)?;
        let estimates: EstimatesFile = read_json(&new_dir.join("estimates.json"))?;
        results.measurements.push(Measurement {
            id: BenchId::parse(&bench.full_id)?,
            layer: layer.unwrap_or_else(|| UNLAYERED.to_owned()),
            median: estimates.median,
            mean: estimates.mean,
            throughput: bench.throughput,
        });
    }
    let order = |m: &Measurement| results.layers.get(&m.layer).map_or(u32::MAX, |l| l.order);
    let mut measurements = core::mem::take(&mut results.measurements);
    measurements.sort_by(|a, b| {
        (order(a), &a.layer, sort_key(&a.id)).cmp(&(order(b), &b.layer, sort_key(&b.id)))
    });
    results.measurements = measurements;
    Ok(results)
}

/// Ours before the baseline, numeric parameters in numeric order.
fn sort_key(id: &BenchId) -> (String, String, Option<u64>, Option<String>, Option<String>) {
    (
        id.area.clone(),
        id.operation.clone(),
        id.numeric_parameter(),
        id.parameter.clone(),
        id.baseline.clone(),
    )
}

fn walk(
    dir: &Path,
    layer: Option<&str>,
    layers: &mut BTreeMap<String, LayerMarker>,
    found: &mut Vec<(PathBuf, Option<String>)>,
) -> Result<(), ReportError> {
    let marker_path = dir.join(MARKER_FILE);
    let mut layer = layer.map(str::to_owned);
    if marker_path.is_file() {
        let marker = LayerMarker::read(&marker_path)?;
        layer = Some(marker.name.clone());
        layers.insert(marker.name.clone(), marker);
    }
    let new_dir = dir.join("new");
    if new_dir.join("benchmark.json").is_file() && new_dir.join("estimates.json").is_file() {
        found.push((new_dir, layer.clone()));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))?;
    let mut children = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(dir, e))?;
        let name = entry.file_name();
        // `new` was handled above; `base`, `change` and named baselines are older runs.
        let skip = ["new", "base", "change", "report"]
            .iter()
            .any(|s| name == *s);
        if !skip
            && entry
                .file_type()
                .map_err(|e| ReportError::io(dir, e))?
                .is_dir()
        {
            children.push(entry.path());
        }
    }
    children.sort();
    for child in children {
        walk(&child, layer.as_deref(), layers, found)?;
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| ReportError::json(path, e))
}

#[cfg(test)]
pub(crate) mod tests;
