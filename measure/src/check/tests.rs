//! MEAS-6 and MEAS-7 on a scratch repository: a report naming a commit not in history fails,
//! one naming a clean ancestor passes, a pending one is a warning; a regenerable report edited
//! by hand fails (MEAS-13).

use std::path::Path;

use super::*;
use crate::testing::scratch_repository;

fn record(dir: &Path, commit: &str, clean: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let doc = serde_json::json!({
        "schema": "test",
        "provenance": Provenance::fixed("r", commit, clean),
    });
    std::fs::write(dir.join("results.json"), doc.to_string()).unwrap();
    std::fs::write(dir.join("summary.md"), "# report\n").unwrap();
}

#[test]
fn a_report_naming_a_commit_not_in_history_fails() {
    let dir = tempfile::tempdir().unwrap();
    let head = scratch_repository(dir.path(), &[("file", "x")]);
    record(&dir.path().join("reports/good"), &head, true);
    record(&dir.path().join("reports/foreign"), &"f".repeat(40), true);
    record(&dir.path().join("reports/dirty"), &head, false);
    std::fs::create_dir_all(dir.path().join("reports/by-hand")).unwrap();
    std::fs::write(dir.path().join("reports/by-hand/README.md"), "# typed\n").unwrap();
    std::fs::write(dir.path().join("reports/README.md"), "# index\n").unwrap();

    let outcome = check(dir.path()).unwrap();
    let failed: Vec<&str> = outcome
        .failures()
        .iter()
        .map(|f| f.report.as_str())
        .collect();
    assert_eq!(
        failed,
        ["reports/by-hand", "reports/dirty", "reports/foreign"]
    );
    assert!(!outcome.passes());
    let foreign = &outcome.findings[2];
    assert!(
        foreign.problems[0].contains("not an ancestor of HEAD"),
        "{foreign:?}"
    );
    assert!(outcome.findings[0].problems[0].contains("no record"));
    assert!(outcome.findings[1].problems[0].contains("uncommitted changes"));
    assert!(outcome.lines().iter().any(|l| l == "ok       reports/good"));
}

#[test]
fn pending_reports_warn_and_stale_entries_fail() {
    let dir = tempfile::tempdir().unwrap();
    let head = scratch_repository(dir.path(), &[("file", "x")]);
    record(&dir.path().join("reports/old"), &"f".repeat(40), false);
    record(&dir.path().join("reports/good"), &head, true);
    std::fs::write(
        dir.path().join("reports").join(PENDING_FILE),
        "# Pending\n\n- `reports/old`: predates provenance\n",
    )
    .unwrap();
    let outcome = check(dir.path()).unwrap();
    assert!(outcome.passes(), "{:?}", outcome.lines());
    assert!(outcome.lines()[1].starts_with("warning  reports/old"));

    // An entry naming no report, and a pending report that now passes, are both reported.
    std::fs::write(
        dir.path().join("reports").join(PENDING_FILE),
        "- `reports/good`: was old\n- `reports/gone`: removed\n",
    )
    .unwrap();
    let outcome = check(dir.path()).unwrap();
    assert!(!outcome.passes());
    let lines = outcome.lines();
    assert!(lines.iter().any(|l| l.contains("take it off")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("lists reports/gone")),
        "{lines:?}"
    );
}

/// A report kind whose `summary.md` is `# <title>` of its record.
struct Titled;

impl Regenerate for Titled {
    fn schema(&self) -> &'static str {
        "titled_v1"
    }

    fn regenerate(&self, record: &str) -> Result<Vec<(String, String)>, String> {
        let value: serde_json::Value = serde_json::from_str(record).map_err(|e| e.to_string())?;
        let title = value["title"].as_str().ok_or("no title")?;
        Ok(vec![("summary.md".to_owned(), format!("# {title}\n"))])
    }
}

#[test]
fn a_regenerable_report_must_equal_its_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let head = scratch_repository(dir.path(), &[("file", "x")]);
    let folder = dir.path().join("reports/titled");
    std::fs::create_dir_all(&folder).unwrap();
    let doc = serde_json::json!({
        "schema": "titled_v1",
        "title": "scale",
        "provenance": Provenance::fixed("r", &head, true),
    });
    std::fs::write(folder.join("results.json"), doc.to_string()).unwrap();
    std::fs::write(folder.join("summary.md"), "# scale\n").unwrap();
    assert!(check_with(dir.path(), &[&Titled]).unwrap().passes());

    // One character changed by hand: the check without the kind cannot see it, with it fails.
    std::fs::write(folder.join("summary.md"), "# scalE\n").unwrap();
    assert!(check(dir.path()).unwrap().passes());
    let outcome = check_with(dir.path(), &[&Titled]).unwrap();
    assert!(!outcome.passes());
    assert!(
        outcome.findings[0].problems[0].contains("differs from what results.json regenerates"),
        "{:?}",
        outcome.lines()
    );

    // A record the kind cannot read, and a missing report file, are named too.
    std::fs::remove_file(folder.join("summary.md")).unwrap();
    std::fs::write(folder.join("notes.md"), "kept\n").unwrap();
    let outcome = check_with(dir.path(), &[&Titled]).unwrap();
    assert!(outcome.findings[0].problems[0].contains("summary.md: missing"));
    let doc = serde_json::json!({
        "schema": "titled_v1",
        "provenance": Provenance::fixed("r", &head, true),
    });
    std::fs::write(folder.join("results.json"), doc.to_string()).unwrap();
    let outcome = check_with(dir.path(), &[&Titled]).unwrap();
    assert!(
        outcome.findings[0].problems[0].contains("cannot be regenerated from: no title"),
        "{:?}",
        outcome.lines()
    );
}

/// A validation report wraps the recorder's object with the end of its run (VAL-7): the check
/// reads the provenance inside, so a dirty one fails and a clean ancestor passes.
#[test]
fn a_validation_record_is_read_through_its_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let head = scratch_repository(dir.path(), &[("file", "x")]);
    for (name, clean) in [("clean", true), ("dirty", false)] {
        let folder = dir.path().join("reports").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let doc = serde_json::json!({
            "schema": "saltrelay_validation_v1",
            "provenance": {
                "measured": Provenance::fixed("r", &head, clean),
                "load_average_end": "0.1 0.1 0.1",
                "wall_s": 1.0,
            },
        });
        std::fs::write(folder.join("results.json"), doc.to_string()).unwrap();
        std::fs::write(folder.join("summary.md"), "# validation\n").unwrap();
    }
    std::fs::write(dir.path().join("reports/README.md"), "# index\n").unwrap();

    let outcome = check(dir.path()).unwrap();
    let failed: Vec<&str> = outcome
        .failures()
        .iter()
        .map(|f| f.report.as_str())
        .collect();
    assert_eq!(failed, ["reports/dirty"]);
    assert!(
        outcome
            .lines()
            .iter()
            .any(|l| l == "ok       reports/clean")
    );
}
