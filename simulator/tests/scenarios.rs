//! Every shipped scenario loads and runs (shrunk), messages are conserved, and the features
//! behave as the model says: expiry, outages with reconnection, traces, reports.

use std::path::Path;

use saltrelay_simulator::scenario::{Scenario, parse_override};
use saltrelay_simulator::sweep::{Plan, run_all};
use saltrelay_simulator::{RunResult, report};

fn run(file: &str, sets: &[&str]) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let sets: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    let plan = Plan::new(&text, file, &sets, &[], Some(1)).unwrap();
    let mut doc = run_all(
        &plan,
        1,
        &saltrelay_measure::Provenance::fixed("test", "abc", true),
        &(),
    )
    .unwrap();
    doc.points.remove(0).runs.remove(0)
}

#[test]
fn every_shipped_scenario_loads_and_runs_shrunk() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        })
        .collect();
    names.sort();
    for required in [
        "default.toml",
        "group-heavy.toml",
        "million.toml",
        "relay-outage.toml",
        "small.toml",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "{required} missing from {names:?}"
        );
    }
    for name in &names {
        Scenario::load(&dir.join(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let result = run(
            name,
            &[
                "clients=300",
                "duration=20m",
                "warmup=5m",
                "sample_interval=1m",
                "outages=[]",
                "traffic.messages_per_day=100",
            ],
        );
        assert!(
            result.conservation.holds,
            "{name}: {:?}",
            result.conservation
        );
        assert!(result.conservation.sent > 0, "{name} sent nothing");
    }
}

#[test]
fn short_lived_messages_expire_for_offline_recipients() {
    let result = run(
        "small.toml",
        &[
            "clients=300",
            "duration=30m",
            "warmup=1m",
            "traffic.short_lived_fraction=1.0",
            "traffic.typing_weight=0",
        ],
    );
    assert!(
        result.measured.expired > 0,
        "no expiry: {:?}",
        result.conservation
    );
    assert!(result.conservation.holds);
    let series_expired: u64 = result.series.expired.iter().sum();
    assert!(series_expired > 0);
}

#[test]
fn outage_disconnects_a_relay_and_its_clients_come_back() {
    let sets = [
        "clients=2000",
        "duration=40m",
        "warmup=5m",
        "sample_interval=30s",
        "outages=[{relay = 0, at = \"20m\", duration = \"5m\"}]",
    ];
    let result = run("relay-outage.toml", &sets);
    let s = &result.series;
    let at = |minutes: f64| {
        s.hours
            .iter()
            .position(|h| (h * 60.0 - minutes).abs() < 1e-6)
            .unwrap()
    };
    let (before, during, after) = (
        s.connected[at(19.5)],
        s.connected[at(22.0)],
        s.connected[at(35.0)],
    );
    assert!(
        during * 10 < before * 9,
        "connections before {before}, during {during}"
    );
    assert!(
        after * 10 > before * 9,
        "connections before {before}, after {after}"
    );
    assert!(result.counters.reconnect_attempts > 0);
    assert!(result.conservation.holds);
}

#[test]
fn trace_churn_follows_the_sessions_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.csv");
    std::fs::write(&trace, "client,start,end\n0,0,4000\n1,0,4000\n2,600,1200\n").unwrap();
    let sets = [
        "clients=3".to_owned(),
        "duration=1h".to_owned(),
        "warmup=0s".to_owned(),
        "churn.model=trace".to_owned(),
        format!("churn.trace={}", trace.display()),
        "traffic.messages_per_day=2000".to_owned(),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let result = run("small.toml", &sets);
    assert_eq!(result.counters.logins, 3, "one login per session");
    assert!(
        result
            .series
            .connected
            .iter()
            .all(|&c| (2..=3).contains(&c))
    );
    assert!(result.conservation.holds);
}

#[test]
fn report_has_results_summary_and_every_plot() {
    let sets = [
        parse_override("clients=200").unwrap(),
        parse_override("duration=20m").unwrap(),
    ];
    let plan = Plan::new(
        include_str!("../scenarios/small.toml"),
        "small.toml",
        &sets,
        &[],
        Some(2),
    )
    .unwrap();
    let doc = run_all(
        &plan,
        1,
        &saltrelay_measure::Provenance::fixed("test", "abc", true),
        &(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    report::write(&doc, &report::Performance::default(), dir.path()).unwrap();
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.contains("| latency p99 |") && summary.contains(" ± "));
    for plot in [
        "throughput",
        "latency_cdf",
        "queue_depth",
        "buffered_bytes",
        "connected",
        "cpu",
        "expired",
    ] {
        let svg = std::fs::read_to_string(dir.path().join(format!("{plot}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{plot}.svg has no line"
        );
        assert!(
            summary.contains(&format!("({plot}.svg)")),
            "summary does not show {plot}.svg"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("results.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "saltrelay_simulation_v1");
    assert_eq!(json["points"][0]["runs"].as_array().unwrap().len(), 2);
}
