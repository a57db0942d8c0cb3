//! Tests of the report writer: the files it writes and the links between them.

use super::*;
use crate::testing::{environment, results_of};

fn full_results() -> Results {
    results_of(&[
        ("x25519/keygen", 25_000.0),
        ("x25519/dh", 60_000.0),
        ("box/beforenm", 60_000.0),
        ("kdf/derive_key/32", 200.0),
        ("blake2b/mac/64", 400.0),
        ("box/seal/64", 2000.0),
        ("box/seal/1024", 4000.0),
        ("libsodium/box/seal/64", 500.0),
        ("libsodium/box/seal/1024", 1600.0),
        ("secretbox/seal/100", 2100.0),
        ("secretbox/seal/1024", 4000.0),
        ("secretbox/open/100", 2200.0),
        ("secretbox/open/1024", 4100.0),
        ("fs/fsync/4096", 200_000.0),
        ("fs/commit/1", 4_000_000.0),
        ("fs/commit/16", 4_100_000.0),
    ])
}

#[test]
fn writes_readme_plots_and_costs_that_link_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("costs-gone.svg"), "stale").unwrap();
    let written = write_report(&full_results(), &environment(), false, dir.path()).unwrap();
    assert!(written.costs_not_written.is_empty());
    assert!(written.mixed.is_empty());
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    for file in [
        "throughput-primitives.svg",
        "costs-primitives.svg",
        "costs.json",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} not written");
        assert!(
            readme.contains(&format!("({file})")),
            "README does not link {file}"
        );
    }
    assert!(
        !dir.path().join("costs-gone.svg").exists(),
        "stale plot kept"
    );
    let costs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(COSTS_JSON)).unwrap())
            .unwrap();
    assert_eq!(costs["schema"], "saltrelay_costs_v2");
    assert_eq!(costs["measured"]["run_id"], "run-1");
    assert_eq!(costs["costs"]["fsync_ns"]["value"], 200_000.0);
}

#[test]
fn leaves_costs_alone_when_a_source_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_of(&[("box/seal/64", 2000.0), ("box/seal/1024", 4000.0)]);
    let written = write_report(&results, &environment(), false, dir.path()).unwrap();
    assert!(
        written
            .costs_not_written
            .contains(&"no measurement for fsync_ns".to_owned())
    );
    assert!(!dir.path().join(COSTS_JSON).exists());
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    assert!(readme.contains("Not written: some costs had no measurement"));
}

#[test]
fn variants_written_by_one_command_are_quoted_by_the_next_report() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [VariantRun {
        variant: crate::variants::VARIANTS[0],
        results: full_results(),
    }];
    let files = write_variants(
        &runs,
        &crate::testing::measured(),
        &["cargo bench".to_owned()],
        dir.path(),
    )
    .unwrap();
    assert_eq!(files.len(), 2);
    write_report(&full_results(), &environment(), false, dir.path()).unwrap();
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    assert!(
        readme.contains("[build-variants.md](build-variants.md)"),
        "{readme}"
    );
    assert!(readme.contains("no portable variant beats the default"));
}
