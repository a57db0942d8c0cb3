//! Validation against the real relay (simulator/MODEL.md, "Validation against the real
//! relay", VAL-1 to VAL-11): one load-test workload, measured on a real relay and predicted by
//! the model, compared figure by figure.
//!
//! Driving steps (the `saltrelay validate` command does them):
//! 1. Describe the load test's workload as a [`Workload`].
//! 2. Run it on the real relay, once per seed, and turn each run into [`Figures`].
//! 3. [`mapping::scenario`] turns the workload into a scenario (plus its churn trace); run it
//!    with the costs measured in the same invocation and take [`Figures::predicted`].
//! 4. [`Case::new`] compares the two sides; [`report::write`] writes the report.

pub mod mapping;
pub mod report;

use serde::{Deserialize, Serialize};

use crate::RunResult;
use crate::costs::CostFile;
use crate::sweep::Estimate;

/// The schema name of `reports/validation/results.json` (VAL-6).
pub const SCHEMA: &str = "saltrelay_validation_v1";

/// Relative error above which a figure counts as a miss (issue 16: within 10 %).
pub const TOLERANCE: f64 = 0.10;

/// A load-test workload in the terms both sides share (VAL-2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Connections.
    pub clients: u32,
    /// Clients that send (the first ones, never offline).
    pub senders: u32,
    /// Copies per second, all senders together (open loop, periodic per sender).
    pub rate: f64,
    /// Recipients per message: one copy each (1 is a 1:1 message).
    pub group_size: u32,
    /// Mean frame payload on the wire per copy, bytes (the load test's text body plus the
    /// end-to-end and transport overhead, VAL-3).
    pub wire_size: f64,
    /// Clients offline for the whole run (the last ones; never senders).
    pub offline_clients: u32,
    /// Seconds of load before the measured phase.
    pub warmup_s: f64,
    /// Measured seconds.
    pub duration_s: f64,
    /// Cores the relay's runtime may use.
    pub relay_cores: u32,
    /// VAL-9: kernel cost per frame read or written, measured on this machine.
    pub frame_io_ns: f64,
    /// VAL-9: cores the load generator kept busy in this run (its CPU seconds over the
    /// measured wall time).
    pub background_cores: f64,
    /// VAL-10: CPU of a frame that finds its reader asleep beyond `frame_io_ns`, ns, measured
    /// on this machine (0 in reports made before the term existed).
    #[serde(default)]
    pub wakeup_ns: f64,
    /// VAL-11: wall time of a loopback round trip through a sleeping reader at each end, ns,
    /// measured on this machine (0 in reports made before the term existed: the model then
    /// uses [`mapping::LOOPBACK_RTT`]).
    #[serde(default)]
    pub loopback_rtt_ns: f64,
    /// VAL-12: the relay's cores busy while every client was logged in and nothing was sent,
    /// measured in this run (0 in reports made before the term existed).
    #[serde(default)]
    pub idle_cores: f64,
}

/// The compared figures of one run, measured or predicted (VAL-4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Seed of the run.
    pub seed: u64,
    /// Copies acked by the relay per second, measured phase.
    pub acked_per_s: f64,
    /// Copies delivered (first deliveries) per second, measured phase.
    pub delivered_per_s: f64,
    /// Send-to-deliver latency percentiles, ms.
    pub deliver_p50_ms: f64,
    /// 90th percentile.
    pub deliver_p90_ms: f64,
    /// 99th percentile.
    pub deliver_p99_ms: f64,
    /// Mean mailbox depth (messages accepted and not yet delivered) over the measured phase.
    pub mailbox_mean: f64,
    /// Mailbox depth at the end of the measured phase.
    pub mailbox_end: f64,
    /// Relay CPU, cores busy on average over the measured phase.
    pub relay_cpu_cores: f64,
    /// Mailbox depth once per second from the start of the warm-up: `[seconds, messages]`.
    pub mailbox_series: Vec<[f64; 2]>,
}

impl Figures {
    /// The model's figures of one simulated run of a [`mapping::scenario`].
    #[must_use]
    pub fn predicted(run: &RunResult, relay_cores: u32) -> Self {
        let all = run.latency.iter().find(|l| l.class == "all");
        let measured = &run.measured;
        Self {
            seed: run.seed,
            acked_per_s: measured.relay_in_per_s,
            delivered_per_s: measured.delivered_per_s,
            deliver_p50_ms: all.map_or(0.0, |l| l.p50_ms),
            deliver_p90_ms: all.map_or(0.0, |l| l.p90_ms),
            deliver_p99_ms: all.map_or(0.0, |l| l.p99_ms),
            mailbox_mean: measured.queued_mean,
            mailbox_end: run.series.queued.last().map_or(0.0, |&q| q as f64),
            relay_cpu_cores: measured.cpu_mean * f64::from(relay_cores),
            mailbox_series: run
                .series
                .hours
                .iter()
                .zip(&run.series.queued)
                .map(|(&h, &q)| [h * 3600.0, q as f64])
                .collect(),
        }
    }

    /// The scalar figures, in report order, with their IDs (VAL-4).
    #[must_use]
    pub fn scalars(&self) -> [(&'static str, f64); 8] {
        [
            ("acked_per_s", self.acked_per_s),
            ("delivered_per_s", self.delivered_per_s),
            ("deliver_p50_ms", self.deliver_p50_ms),
            ("deliver_p90_ms", self.deliver_p90_ms),
            ("deliver_p99_ms", self.deliver_p99_ms),
            ("mailbox_mean", self.mailbox_mean),
            ("mailbox_end", self.mailbox_end),
            ("relay_cpu_cores", self.relay_cpu_cores),
        ]
    }
}

/// One figure, predicted beside measured across seeds (VAL-5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The figure's ID (VAL-4).
    pub metric: String,
    /// Real relay: mean and 95 % confidence interval over seeds.
    pub measured: Estimate,
    /// Model: mean and 95 % confidence interval over seeds.
    pub predicted: Estimate,
    /// (predicted − measured) / measured of the means; `None` when nothing was measured.
    pub relative_error: Option<f64>,
    /// The same for the model without the VAL-9 to VAL-11 terms (what they change).
    pub baseline_relative_error: Option<f64>,
    /// |relative error| at most [`TOLERANCE`].
    pub within_tolerance: bool,
}

/// One workload at one load level (VAL-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// `<scenario>@<percent>` (`one-to-one@70`), stable across runs of the command.
    pub id: String,
    /// The scenario's name (`one-to-one`, `group`).
    pub scenario: String,
    /// Share of the measured peak this case offers.
    pub level: f64,
    /// The workload.
    pub workload: Workload,
    /// The real relay, one entry per seed.
    pub measured: Vec<Figures>,
    /// The model, one entry per seed.
    pub predicted: Vec<Figures>,
    /// The model without the VAL-9 to VAL-11 terms (no frame I/O, no load generator, no
    /// wake-ups, the fixed loopback round trip), per seed.
    pub baseline: Vec<Figures>,
    /// Figure by figure.
    pub comparisons: Vec<Comparison>,
}

impl Case {
    /// Compares `measured` with `predicted` and `baseline` runs (same seeds, same order).
    #[must_use]
    pub fn new(
        scenario: &str,
        level: f64,
        workload: Workload,
        measured: Vec<Figures>,
        [predicted, baseline]: [Vec<Figures>; 2],
    ) -> Self {
        let comparisons = (0..8)
            .map(|i| {
                let metric = measured
                    .first()
                    .or(predicted.first())
                    .map_or("", |f| f.scalars()[i].0);
                let side = |runs: &[Figures]| {
                    let values: Vec<f64> = runs.iter().map(|f| f.scalars()[i].1).collect();
                    crate::estimate::estimate(metric, &values)
                };
                let (m, p) = (side(&measured), side(&predicted));
                let relative_error = relative_error(p.mean, m.mean);
                Comparison {
                    baseline_relative_error: crate::validate::relative_error(
                        side(&baseline).mean,
                        m.mean,
                    ),
                    metric: metric.to_owned(),
                    within_tolerance: relative_error.is_some_and(|e| e.abs() <= TOLERANCE),
                    measured: m,
                    predicted: p,
                    relative_error,
                }
            })
            .collect();
        Self {
            id: case_id(scenario, level),
            scenario: scenario.to_owned(),
            level,
            workload,
            measured,
            predicted,
            baseline,
            comparisons,
        }
    }
}

/// `(predicted − measured) / measured`, or `None` when `measured` is 0 (VAL-5).
#[must_use]
pub fn relative_error(predicted: f64, measured: f64) -> Option<f64> {
    (measured.abs() > f64::EPSILON).then(|| (predicted - measured) / measured)
}

/// The stable ID of a case: scenario name and load level in whole percent.
#[must_use]
pub fn case_id(scenario: &str, level: f64) -> String {
    format!("{scenario}@{:.0}", level * 100.0)
}

/// Provenance of a validation run (VAL-7): the shared recorder's facts at the start (MEAS-1)
/// and what only the end knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Commit, clean tree, date, machine, toolchain, command and load average at the start.
    pub measured: saltrelay_measure::Provenance,
    /// `/proc/loadavg` at the end (other work on the machine).
    pub load_average_end: String,
    /// Wall-clock seconds of the whole invocation.
    pub wall_s: f64,
    /// Short mode (CI): one level, one seed, a few seconds; not a validation.
    pub short: bool,
    /// Cores the whole machine kept busy over a 1 s window at the start, from /proc/stat
    /// (VAL-7); `None` where /proc/stat is missing or in reports made before it was taken.
    #[serde(default)]
    pub busy_cores_start: Option<f64>,
}

/// The relay's peak: how it was found (VAL-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    /// Scenario the peak was measured on (or `given`).
    pub scenario: String,
    /// Acked copies per second at the peak.
    pub acked_per_s: f64,
    /// `measured (closed loop, window W per sender)` or `given (--peak)`.
    pub how: String,
}

/// The whole `results.json` (VAL-6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What ran, where and when.
    pub provenance: Provenance,
    /// The costs the model used, with their own provenance.
    pub costs: CostFile,
    /// The peaks the load levels are shares of, per scenario.
    pub peaks: Vec<Peak>,
    /// Every case.
    pub cases: Vec<Case>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_is_against_the_measurement() {
        assert_eq!(relative_error(110.0, 100.0), Some(0.1));
        assert_eq!(relative_error(1.0, 0.0), None);
        assert_eq!(case_id("group", 0.95), "group@95");
    }

    #[test]
    fn a_case_compares_every_figure_across_seeds() {
        let run = |seed, acked| Figures {
            seed,
            acked_per_s: acked,
            delivered_per_s: acked,
            deliver_p99_ms: 2.0,
            ..Figures::default()
        };
        let workload = Workload {
            clients: 10,
            senders: 2,
            rate: 100.0,
            group_size: 1,
            wire_size: 200.0,
            offline_clients: 0,
            warmup_s: 1.0,
            duration_s: 2.0,
            relay_cores: 2,
            frame_io_ns: 0.0,
            background_cores: 0.0,
            wakeup_ns: 0.0,
            loopback_rtt_ns: 0.0,
            idle_cores: 0.0,
        };
        let case = Case::new(
            "one-to-one",
            0.3,
            workload,
            vec![run(1, 100.0), run(2, 102.0)],
            [
                vec![run(1, 120.0), run(2, 120.0)],
                vec![run(1, 101.0), run(2, 101.0)],
            ],
        );
        assert_eq!(case.comparisons[0].baseline_relative_error, Some(0.0));
        assert_eq!(case.id, "one-to-one@30");
        assert_eq!(case.comparisons.len(), 8);
        let acked = &case.comparisons[0];
        assert_eq!(acked.metric, "acked_per_s");
        assert!((acked.measured.mean - 101.0).abs() < 1e-9);
        assert!(acked.measured.ci95 > 0.0);
        assert!(!acked.within_tolerance, "18.8 % off is a miss");
        let p99 = &case.comparisons[4];
        assert_eq!(p99.relative_error, Some(0.0));
        assert!(p99.within_tolerance);
        // Nothing measured: no relative error, and not counted as within tolerance.
        assert_eq!(case.comparisons[5].relative_error, None);
        assert!(!case.comparisons[5].within_tolerance);
    }
}
