//! Every committed vector passes, the files equal their generators, and a changed byte is
//! caught and reported with its file and tcId.

use std::path::{Path, PathBuf};

use saltrelay_vectors::check::Failure;
use saltrelay_vectors::generate::check_all;
use saltrelay_vectors::registry::FILES;
use saltrelay_vectors::verify::{verify_dir, verify_text};

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("saltrelay")
}

#[test]
fn every_vector_passes() {
    let reports = verify_dir(&vector_dir(), None, None).expect("vector files readable");
    assert_eq!(reports.len(), FILES.len());
    for report in &reports {
        assert!(
            report.failures.is_empty(),
            "{}: {:#?}",
            report.file,
            report.failures
        );
        assert!(report.passed > 0, "{} ran no test", report.file);
    }
}

#[test]
fn committed_files_equal_their_generators() {
    let drift = check_all(&vector_dir()).expect("generation succeeds");
    assert!(
        drift.is_empty(),
        "run `saltrelay vectors generate`: {drift:?}"
    );
}

/// Changes the first hex digit of `field` in test `index` of `name` and verifies the result.
fn verify_with_changed_digit(name: &str, index: usize, field: &str) -> Vec<Failure> {
    let text = std::fs::read_to_string(vector_dir().join(name)).unwrap();
    let mut document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let value = document["tests"][index][field].as_str().unwrap().to_owned();
    let digit = if value.starts_with('0') { "1" } else { "0" };
    document["tests"][index][field] = format!("{digit}{}", &value[1..]).into();
    let report = verify_text(name, &document.to_string(), None);
    assert_eq!(report.failed, 1, "exactly the changed case fails");
    report.failures
}

#[test]
fn a_changed_output_byte_fails_naming_file_tc_id_and_field() {
    let failures = verify_with_changed_digit("prim_x25519.json", 2, "shared");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].file, "prim_x25519.json");
    assert_eq!(failures[0].tc_id, Some(3));
    assert_eq!(failures[0].field, "shared");
    assert_ne!(failures[0].expected, failures[0].actual);
}

#[test]
fn a_changed_input_byte_fails_too() {
    let failures = verify_with_changed_digit("prim_x25519.json", 0, "private");
    assert_eq!(
        (failures[0].tc_id, failures[0].field.as_str()),
        (Some(1), "shared")
    );
    // A changed ciphertext no longer authenticates: the case is rejected instead of accepted.
    let failures = verify_with_changed_digit("prim_secretbox.json", 2, "ct");
    assert_eq!(
        (failures[0].tc_id, failures[0].field.as_str()),
        (Some(3), "result")
    );
}

#[test]
fn a_broken_envelope_is_reported() {
    let report = verify_text("prim_x25519.json", "{\"schema\": \"kat_v1\"}", None);
    assert_eq!(report.failed, 1);
    assert_eq!(report.failures[0].tc_id, None);
    let unknown = verify_text("nobody_wrote_this.json", "{}", None);
    assert_eq!(unknown.failed, 1);
}

#[test]
fn tc_id_filter_runs_one_case() {
    let text = std::fs::read_to_string(vector_dir().join("identity_parse.json")).unwrap();
    let report = verify_text("identity_parse.json", &text, Some(5));
    assert_eq!((report.passed, report.failed), (1, 0));
}
