//! The engine against queueing theory: an M/M/1 relay (simulator/scenarios/mm1.toml).
//!
//! Poisson arrivals at lambda = 25,000/s, exponential service of mean 1/mu = 20 µs, one core:
//! rho = 0.5, mean wait in queue Wq = rho / (mu - lambda) = 20 µs, mean service 20 µs.

use saltrelay_simulator::scenario::parse_override;
use saltrelay_simulator::sweep::{Plan, run_all};

const SCENARIO: &str = include_str!("../scenarios/mm1.toml");

#[test]
fn mean_wait_and_utilisation_match_mm1_theory() {
    let sets = [
        parse_override("duration=8s").unwrap(),
        parse_override("warmup=1s").unwrap(),
    ];
    let seeds = 5;
    let plan = Plan::new(SCENARIO, "mm1.toml", &sets, &[], Some(seeds)).unwrap();
    let doc = run_all(
        &plan,
        0,
        &saltrelay_measure::Provenance::fixed("test", "abc", true),
        &(),
    )
    .unwrap();
    let runs = &doc.points[0].runs;
    let waits: Vec<f64> = runs.iter().map(|r| r.relays[0].mean_wait_us).collect();
    let n = f64::from(seeds);
    let mean = waits.iter().sum::<f64>() / n;
    let sd = (waits.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Student t(0.975, 4) = 2.776; allow three half-widths so a correct engine fails rarely.
    let half_width = 2.776 * sd / n.sqrt();
    assert!(
        (mean - 20.0).abs() <= (3.0 * half_width).max(0.5),
        "mean wait {mean:.3} µs ± {half_width:.3}, theory 20 µs (runs {waits:?})"
    );
    assert!(
        (mean - 20.0).abs() < 2.0,
        "mean wait {mean:.3} µs, theory 20 µs"
    );
    for run in runs {
        let relay = &run.relays[0];
        assert!(
            (relay.utilisation - 0.5).abs() < 0.03,
            "rho {}",
            relay.utilisation
        );
        assert!(
            (relay.mean_service_us - 20.0).abs() < 0.6,
            "service {}",
            relay.mean_service_us
        );
        assert!(
            (run.measured.relay_in_per_s - 25_000.0).abs() < 500.0,
            "lambda {}",
            run.measured.relay_in_per_s
        );
        assert!(run.conservation.holds);
    }
}
