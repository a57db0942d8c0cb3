//! Tests of the criterion reader against directories laid out as criterion 0.8 writes them.

use super::*;
use crate::testing::write_criterion_result;

#[test]
fn reads_results_and_assigns_layers_by_marker() {
    let home = tempfile::tempdir().unwrap();
    let layer_dir = home.path().join("primitives");
    LayerMarker::new("primitives", "Primitives", 10, "")
        .write(&layer_dir)
        .unwrap();
    write_criterion_result(&layer_dir, "box/seal/1024", 7000.0, Some(1024));
    write_criterion_result(&layer_dir, "libsodium/box/seal/1024", 2500.0, Some(1024));
    write_criterion_result(&layer_dir, "box/seal/64", 3000.0, Some(64));
    write_criterion_result(home.path(), "loose/op", 10.0, None);

    let results = load(home.path()).unwrap();
    let ids: Vec<String> = results
        .measurements
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "box/seal/64",
            "box/seal/1024",
            "libsodium/box/seal/1024",
            "loose/op"
        ]
    );
    let seal = &results.measurements[1];
    assert_eq!(seal.layer, "primitives");
    assert!((seal.median.point - 7000.0).abs() < f64::EPSILON);
    assert!((seal.median.confidence_interval.upper_bound - 7700.0).abs() < 1e-6);
    assert_eq!(seal.throughput, Some(Throughput::Bytes(1024)));
    assert_eq!(results.measurements[3].layer, UNLAYERED);
    let theirs = results.baseline_of(&seal.id).unwrap();
    assert!((theirs.median.point - 2500.0).abs() < f64::EPSILON);
    let layers = results.by_layer();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].0.map(|l| l.name.as_str()), Some("primitives"));
    assert_eq!(layers[1].1.len(), 1);
}

#[test]
fn ignores_older_runs_and_reports_an_empty_directory() {
    let home = tempfile::tempdir().unwrap();
    assert!(matches!(
        load(home.path()),
        Err(ReportError::NoResults { .. })
    ));
    write_criterion_result(home.path(), "a/b", 1.0, None);
    // criterion keeps the previous run in `base/`: it must not be read twice.
    let base = home.path().join("a/b/base");
    std::fs::create_dir_all(&base).unwrap();
    for file in ["benchmark.json", "estimates.json"] {
        std::fs::copy(home.path().join("a/b/new").join(file), base.join(file)).unwrap();
    }
    assert_eq!(load(home.path()).unwrap().measurements.len(), 1);
}

#[test]
fn names_the_file_that_does_not_parse() {
    let home = tempfile::tempdir().unwrap();
    write_criterion_result(home.path(), "a/b", 1.0, None);
    let broken = home.path().join("a/b/new/estimates.json");
    std::fs::write(&broken, "{").unwrap();
    let error = load(home.path()).unwrap_err();
    assert!(error.to_string().contains("estimates.json"), "{error}");
}
