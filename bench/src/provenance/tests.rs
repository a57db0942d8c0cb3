//! MEAS-3 and MEAS-2: a report over mixed commits or a dirty tree is refused unless allowed,
//! and then says so at its top; a ratio of numbers from two runs is not printed.

use saltrelay_measure::Provenance;

use super::*;
use crate::layer::LayerMarker;
use crate::markdown::NOT_ONE_RUN;
use crate::report::{README, write_report};
use crate::testing::{environment, estimate, results_of};

/// Primitives (with a libsodium baseline) from `primitives`, and an `e2e` layer from `e2e`.
fn two_layers(primitives: Provenance, e2e: Provenance) -> Results {
    let mut results = results_of(&[
        ("box/seal/1024", 4000.0),
        ("libsodium/box/seal/1024", 1600.0),
    ]);
    results.layers.get_mut("primitives").unwrap().provenance = primitives;
    let mut marker = LayerMarker::new("e2e", "E2E", 20, "Test layer.");
    marker.provenance = e2e;
    results.layers.insert("e2e".to_owned(), marker);
    results.measurements.push(Measurement {
        id: crate::id::BenchId::parse("e2e/seal/text_1024").unwrap(),
        layer: "e2e".to_owned(),
        median: estimate(1000.0),
        mean: estimate(1000.0),
        throughput: None,
    });
    results
}

fn run(id: &str, commit: &str, clean: bool) -> Provenance {
    Provenance::fixed(id, commit, clean)
}

#[test]
fn one_clean_commit_is_combined_without_a_banner() {
    let results = two_layers(run("r1", "abc", true), run("r2", "abc", true));
    assert!(mixed_reasons(&results).is_empty());
    assert!(check(&results, false).unwrap().is_empty());
    assert!(common(&results).is_some());
}

#[test]
fn different_commits_are_refused_unless_allowed() {
    let results = two_layers(run("r1", "abc", true), run("r2", "def", true));
    let err = check(&results, false).unwrap_err();
    assert!(
        matches!(&err, ReportError::Mixed { reasons } if reasons[0].contains("2 different commits")),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        write_report(&results, &environment(), false, dir.path()),
        Err(ReportError::Mixed { .. })
    ));
    assert!(
        !dir.path().join(README).exists(),
        "a refused report wrote files"
    );
}

#[test]
fn a_dirty_tree_is_refused_and_an_allowed_report_says_so_at_the_top() {
    let results = two_layers(run("r1", "abc", true), run("r1", "abc", false));
    assert!(check(&results, false).is_err());
    let dir = tempfile::tempdir().unwrap();
    let written = write_report(&results, &environment(), true, dir.path()).unwrap();
    assert_eq!(written.mixed.len(), 1);
    assert!(written.mixed[0].contains("layer `e2e`"));
    assert!(written.mixed[0].contains("uncommitted changes"));
    // No derived cost file claims a provenance its numbers lack.
    assert!(!written.costs_not_written.is_empty());
    assert!(!dir.path().join(crate::report::COSTS_JSON).exists());
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    let top: String = readme.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(top.contains("**Mixed measurements**"), "{top}");
    assert!(top.contains("`--allow-mixed`"), "{top}");
    assert!(readme.contains("layer `e2e` was measured on a tree with uncommitted changes"));
}

#[test]
fn a_ratio_needs_both_numbers_from_one_run() {
    // Same clean commit, two runs: combined, but the cross-layer target is not a ratio.
    let results = two_layers(run("r1", "abc", true), run("r2", "abc", true));
    let dir = tempfile::tempdir().unwrap();
    write_report(&results, &environment(), false, dir.path()).unwrap();
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    let target = readme
        .lines()
        .find(|l| l.contains("`e2e/seal/text_1024`"))
        .unwrap();
    assert!(target.contains(NOT_ONE_RUN), "{target}");
    assert!(!target.contains("met ("), "{target}");
    // Ours against the baseline inside one layer: one run, so the ratio is printed.
    assert!(readme.contains("| `box/seal/1024` | 4.00 µs | 1.60 µs | 2.50× |"));

    // One run for both layers: the target is judged with its ratio.
    let results = two_layers(run("r1", "abc", true), run("r1", "abc", true));
    write_report(&results, &environment(), false, dir.path()).unwrap();
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    assert!(readme.contains("met (0.62×)"), "{readme}");
}
