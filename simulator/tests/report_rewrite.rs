//! Rerunning a report with the same inputs leaves its files untouched (the README's main command
//! must not dirty a clone); changed results rewrite it.

use saltrelay_measure::Provenance;
use saltrelay_simulator::report::{self, Performance, REPORT_FILES, Written};
use saltrelay_simulator::scenario::parse_override;
use saltrelay_simulator::sweep::{Document, Plan, run_all};

const SCENARIO: &str = include_str!("../scenarios/small.toml");

fn document(clients: u32, commit: &str) -> Document {
    let sets = [
        parse_override(&format!("clients={clients}")).unwrap(),
        parse_override("duration=20m").unwrap(),
    ];
    let plan = Plan::new(SCENARIO, "small.toml", &sets, &[], Some(1)).unwrap();
    run_all(&plan, 1, &Provenance::fixed("run", commit, true), &()).unwrap()
}

fn performance(wall_s: f64) -> Performance {
    Performance {
        wall_s,
        events: 1000,
        threads: 1,
    }
}

fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    REPORT_FILES
        .iter()
        .map(|name| std::fs::read(dir.join(name)).unwrap())
        .collect()
}

#[test]
fn same_results_at_another_commit_leave_the_report_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let first = document(200, "aaaaaaaaaaaa");
    let written = report::write(&first, &performance(1.0), dir.path()).unwrap();
    assert_eq!(written, Written::Rewritten);
    let before = files(dir.path());

    let again = document(200, "bbbbbbbbbbbb");
    let written = report::write(&again, &performance(2.5), dir.path()).unwrap();
    assert_eq!(
        written,
        Written::Unchanged {
            commit: "aaaaaaaaaaaa".to_owned()
        }
    );
    assert_eq!(files(dir.path()), before, "no file may change");
}

#[test]
fn changed_results_or_a_missing_file_rewrite_the_report() {
    let dir = tempfile::tempdir().unwrap();
    report::write(
        &document(200, "aaaaaaaaaaaa"),
        &performance(1.0),
        dir.path(),
    )
    .unwrap();

    let changed = document(250, "bbbbbbbbbbbb");
    let written = report::write(&changed, &performance(1.0), dir.path()).unwrap();
    assert_eq!(written, Written::Rewritten);
    let text = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
    assert!(text.contains("bbbbbbbbbbbb"));

    std::fs::remove_file(dir.path().join("cpu.svg")).unwrap();
    let written = report::write(&changed, &performance(1.0), dir.path()).unwrap();
    assert_eq!(written, Written::Rewritten);
    assert!(dir.path().join("cpu.svg").is_file());
}
