//! Default paths come from the working directory (issue 12, item 8): `vectors verify`,
//! `bench report` and `simulate` find a checkout's files under the folder they run in or the
//! nearest folder above it, and fail with a hint where there is none, whatever checkout the
//! binary was built from.

mod relay_process;

use std::path::Path;

use relay_process::saltrelay;

/// The repository this test runs in; the binary is never told about it.
fn checkout() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn vectors_are_found_from_a_subfolder_of_the_checkout() {
    let out = saltrelay()
        .current_dir(checkout().join("vectors/src"))
        .args(["vectors", "verify", "prim_box.json", "--tc-id", "1"])
        .output()
        .expect("verify runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("vectors: 1 passed, 0 failed"));
}

#[test]
fn outside_a_checkout_the_defaults_fail_with_a_hint() {
    let empty = tempfile::tempdir().expect("temp dir");
    let out = saltrelay()
        .current_dir(empty.path())
        .args(["bench", "report"])
        .output()
        .expect("bench report runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "no checkout here, none compiled in");
    assert!(stderr.contains("no bench/Cargo.toml in"), "{stderr}");
    assert!(stderr.contains("--criterion-dir"), "{stderr}");

    // A scenario without a `costs` key reads reports/bench/costs.json of the checkout around
    // the working directory: here there is none.
    let scenario = empty.path().join("tiny.toml");
    std::fs::copy(checkout().join("simulator/scenarios/small.toml"), &scenario).expect("copy");
    let out = saltrelay()
        .current_dir(empty.path())
        .args(["simulate", "tiny.toml", "--out", "report", "--quiet"])
        .output()
        .expect("simulate runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no reports/bench/costs.json in"),
        "{stderr}"
    );
    assert!(stderr.contains("--set costs=FILE"), "{stderr}");
    assert!(!empty.path().join("report/results.json").exists());
}
