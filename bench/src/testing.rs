//! Test helpers: results built in memory and fake criterion directories on disk.

use std::path::Path;

use crate::id::BenchId;
use crate::layer::LayerMarker;
use crate::load::{Estimate, Interval, Measurement, Results, Throughput};
use saltrelay_measure::Provenance;

/// A fixed provenance of the report-writing command, so rendered text does not depend on the
/// machine running the tests.
pub(crate) fn environment() -> Provenance {
    let mut p = Provenance::fixed("report-run", "abc", true);
    p.command = "saltrelay bench report".to_owned();
    p
}

/// The provenance every test layer carries unless a test changes it: one clean run.
pub(crate) fn measured() -> Provenance {
    let mut p = Provenance::fixed("run-1", "abc", true);
    p.command = "saltrelay bench run".to_owned();
    p
}

/// An estimate of `ns` with a ±5 % interval.
pub(crate) fn estimate(ns: f64) -> Estimate {
    Estimate {
        point: ns,
        confidence_interval: Interval {
            confidence_level: 0.95,
            lower_bound: ns * 0.95,
            upper_bound: ns * 1.05,
        },
    }
}

/// Results of the layer `primitives` with these (id, median ns); numeric parameters become
/// byte throughputs.
pub(crate) fn results_of(rows: &[(&str, f64)]) -> Results {
    let mut results = Results::default();
    let mut marker = LayerMarker::new("primitives", "Primitives", 10, "Test layer.");
    marker.provenance = measured();
    results.layers.insert(marker.name.clone(), marker);
    for &(id, ns) in rows {
        let id = BenchId::parse(id).expect("test ids parse");
        let throughput = id.numeric_parameter().map(Throughput::Bytes);
        results.measurements.push(Measurement {
            id,
            layer: "primitives".to_owned(),
            median: estimate(ns),
            mean: estimate(ns),
            throughput,
        });
    }
    results
}

/// Writes one result as criterion 0.8 does: `<dir>/<id path>/new/{benchmark,estimates}.json`.
pub(crate) fn write_criterion_result(dir: &Path, full_id: &str, ns: f64, bytes: Option<u64>) {
    let new_dir = dir.join(full_id).join("new");
    std::fs::create_dir_all(&new_dir).unwrap();
    let throughput = bytes.map_or(
        serde_json::Value::Null,
        |b| serde_json::json!({ "Bytes": b }),
    );
    let benchmark = serde_json::json!({
        "group_id": "g", "function_id": null, "value_str": null,
        "throughput": throughput, "full_id": full_id,
        "directory_name": full_id, "title": full_id,
    });
    std::fs::write(new_dir.join("benchmark.json"), benchmark.to_string()).unwrap();
    let one = |v: f64| {
        serde_json::json!({
            "confidence_interval": {
                "confidence_level": 0.95, "lower_bound": v * 0.9, "upper_bound": v * 1.1
            },
            "point_estimate": v, "standard_error": v * 0.01,
        })
    };
    let estimates = serde_json::json!({
        "mean": one(ns * 1.02), "median": one(ns), "median_abs_dev": one(ns * 0.01),
        "slope": null, "std_dev": one(ns * 0.05),
    });
    std::fs::write(new_dir.join("estimates.json"), estimates.to_string()).unwrap();
}
