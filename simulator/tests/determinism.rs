//! The same scenario and seeds give byte-identical `results.json`, across runs and thread counts.

use saltrelay_measure::Provenance;
use saltrelay_simulator::report::results_json;
use saltrelay_simulator::scenario::parse_override;
use saltrelay_simulator::sweep::{Plan, run_all};

fn test_run() -> Provenance {
    Provenance::fixed("test", "abc", true)
}

const SCENARIO: &str = include_str!("../scenarios/small.toml");

fn results(threads: usize) -> String {
    let sets = [
        parse_override("clients=400").unwrap(),
        parse_override("duration=40m").unwrap(),
    ];
    let sweep = [
        parse_override("relays.count=1").unwrap(),
        parse_override("relays.count=3").unwrap(),
    ];
    let plan = Plan::new(SCENARIO, "small.toml", &sets, &sweep, Some(2)).unwrap();
    let doc = run_all(&plan, threads, &test_run(), &()).unwrap();
    results_json(&doc)
}

#[test]
fn results_are_byte_identical_across_runs_and_thread_counts() {
    let one = results(1);
    assert!(one.contains("\"holds\": true"));
    assert_eq!(one, results(1), "two runs on one thread differ");
    assert_eq!(one, results(2), "one thread and two threads differ");
}

#[test]
fn different_seeds_give_different_results() {
    let sets = [
        parse_override("clients=300").unwrap(),
        parse_override("duration=30m").unwrap(),
    ];
    let plan = Plan::new(SCENARIO, "small.toml", &sets, &[], Some(2)).unwrap();
    let doc = run_all(&plan, 1, &test_run(), &()).unwrap();
    let runs = &doc.points[0].runs;
    assert_eq!((runs[0].seed, runs[1].seed), (1, 2));
    assert_ne!(runs[0].conservation.sent, runs[1].conservation.sent);
}
