//! The simulator's own speed and memory at growing client counts (spec/09-measurements.md,
//! MEAS-10): `saltrelay simulate --scale` runs one scenario at each size in a child process of
//! its own, one seed, one thread, and each child measures itself ([`measure_point`]): the
//! simulation's wall time, the process's user and system CPU time and its peak resident set.
//! [`markdown`] writes `summary.md` from `results.json` alone, so `saltrelay reports check`
//! can regenerate it and compare (MEAS-13).

use std::fmt::Write as _;
use std::time::Instant;

use saltrelay_measure::Provenance;
use saltrelay_measure::check::Regenerate;
use saltrelay_measure::process::self_usage;
use serde::{Deserialize, Serialize};

use crate::SimError;
use crate::scenario::Override;
use crate::sweep::{Plan, run_all};

/// The schema name of a scale run's `results.json`.
pub const SCHEMA: &str = "saltrelay_scale_v1";

/// The file the report is written to, beside `results.json`.
pub const SUMMARY_FILE: &str = "summary.md";

/// The sizes a scale run measures unless told otherwise: 10^3 to 10^6 clients at the
/// scenario's own duration (the default scenario: 24 h, about 4 minutes of CPU in all).
pub const DEFAULT_SIZES: &str = "1000,10000,100000,1000000";

/// A whole scale run: its `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleResults {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The scale run, recorded when it started (MEAS-1).
    pub provenance: Provenance,
    /// The scenario file every size ran.
    pub scenario: String,
    /// The `--set KEY=VALUE` overrides given for every size, as typed.
    pub sets: Vec<String>,
    /// The cost file the scenario read, and the commit it was measured at (`synthetic` for a
    /// synthetic cost file).
    pub cost_file: String,
    /// [`Provenance::commit_label`] of the cost file's bench run, or `synthetic`.
    pub costs_commit: String,
    /// One row per size, in the order run.
    pub rows: Vec<ScaleRow>,
}

/// One size: what its child process simulated and what it used doing so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleRow {
    /// The child's command line.
    pub command: String,
    /// Clients simulated.
    pub clients: u32,
    /// Simulated time (the scenario's `duration`), as the scenario writes it (`24h`).
    pub duration: String,
    /// Of which warm-up (`warmup`).
    pub warmup: String,
    /// The seed.
    pub seed: u64,
    /// Events the simulation processed.
    pub events: u64,
    /// Whether every message was accounted for at the end (MODEL.md's conservation check).
    pub conservation_holds: bool,
    /// Wall seconds of the simulation itself (scenario set-up and the run; no report written).
    pub wall_s: f64,
    /// CPU seconds of the whole child in user mode, read just before it exited.
    pub user_s: f64,
    /// CPU seconds of the whole child in kernel mode.
    pub system_s: f64,
    /// Peak resident set of the child (`VmHWM`), bytes.
    pub peak_rss_bytes: u64,
}

/// One size as asked for on the command line: `100000`, `1e6`, or `10000000@1h` (clients,
/// and a simulated duration for this size only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    /// Clients.
    pub clients: u32,
    /// `duration` for this size, if not the scenario's.
    pub duration: Option<String>,
}

/// Parses `--sizes`: comma-separated sizes, each `N` or `N@DURATION`; `N` may be written
/// `1e6`.
///
/// # Errors
/// [`SimError::Scenario`] on `sizes` naming the size that does not parse.
pub fn parse_sizes(text: &str) -> Result<Vec<Size>, SimError> {
    text.split(',')
        .map(|item| {
            let (count, duration) = match item.trim().split_once('@') {
                Some((n, d)) => (n, Some(d.trim().to_owned())),
                None => (item.trim(), None),
            };
            let clients = count
                .parse::<u32>()
                .ok()
                .or_else(|| {
                    let value: f64 = count.parse().ok()?;
                    let whole =
                        value.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&value);
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "a whole number checked to fit u32"
                    )]
                    let clients = value as u32;
                    whole.then_some(clients)
                })
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    SimError::range(
                        "sizes",
                        format!("{item:?} is not a client count such as 1000, 1e6 or 1e7@1h"),
                    )
                })?;
            Ok(Size { clients, duration })
        })
        .collect()
}

/// Runs one size in this process, one seed on one thread, and measures it: the child's half
/// of a scale run. `sets` already hold `clients` (and `duration` when the size names one).
///
/// # Errors
/// As [`Plan::new`] and [`run_all`]; [`SimError::Io`] when /proc cannot be read.
pub fn measure_point(
    text: &str,
    origin: &str,
    sets: &[Override],
    provenance: &Provenance,
) -> Result<ScaleRow, SimError> {
    let started = Instant::now();
    let plan = Plan::new(text, origin, sets, &[], Some(1))?;
    let doc = run_all(&plan, 1, provenance, &())?;
    let wall_s = started.elapsed().as_secs_f64();
    let usage = self_usage().ok_or_else(|| SimError::Io {
        path: "/proc/self".into(),
        source: std::io::Error::other("cannot read this process's CPU time and peak memory"),
    })?;
    let point = doc
        .points
        .first()
        .expect("a plan without a sweep has one point");
    let run = point.runs.first().expect("one seed was asked for");
    Ok(ScaleRow {
        command: provenance.command.clone(),
        clients: point.scenario.clients,
        duration: point.scenario.duration.to_string(),
        warmup: point.scenario.warmup.to_string(),
        seed: run.seed,
        events: run.events,
        conservation_holds: run.conservation.holds,
        wall_s,
        user_s: usage.user_s,
        system_s: usage.system_s,
        peak_rss_bytes: usage.peak_rss_bytes,
    })
}

/// The exact bytes of `results.json`.
#[must_use]
pub fn results_json(results: &ScaleResults) -> String {
    let mut json = serde_json::to_string_pretty(results).expect("plain data serialises");
    json.push('\n');
    json
}

/// `summary.md`, a pure function of the results (MEAS-13).
#[must_use]
pub fn markdown(results: &ScaleResults) -> String {
    let p = &results.provenance;
    let mut out = String::from("# Simulator speed and memory\n\n");
    out.push_str(
        "Written by `saltrelay simulate --scale` from `results.json` beside this file \
         (spec/09-measurements.md, MEAS-10); re-run the command rather than editing it.\n\n",
    );
    let sets = if results.sets.is_empty() {
        String::new()
    } else {
        format!(
            " with {}",
            results
                .sets
                .iter()
                .map(|s| format!("`--set {s}`"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    out.push_str(&p.header_table(&[
        ("scenario", format!("`{}`{sets}", results.scenario)),
        (
            "costs",
            format!(
                "`{}` (measured at `{}`)",
                results.cost_file, results.costs_commit
            ),
        ),
    ]));
    out.push_str(
        "Each row is one child process running the scenario with one seed on one thread, \
         started after the previous one ended (its command is below the table). \"wall s\" is \
         the simulation itself, set-up included, without writing a report; \"user s\" and \
         \"system s\" are the child's whole CPU time and \"peak RSS\" its `VmHWM`, all read \
         from /proc just before it exited; \"M events/s (CPU)\" divides by user plus system \
         time. When other work shares the machine (load average above), wall time includes \
         waiting for a core and CPU time is the better measure of what the simulator costs.\n\n",
    );
    out.push_str(
        "| clients | simulated | warm-up | events | wall s | user s | system s | M events/s (wall) | M events/s (CPU) | peak RSS MiB | RSS bytes per client |\n\
         | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in &results.rows {
        let cpu = row.user_s + row.system_s;
        let rate = |secs: f64| {
            if secs > 0.0 {
                format!("{:.2}", row.events as f64 / secs / 1e6)
            } else {
                "—".to_owned()
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {:.0} | {:.0} |",
            row.clients,
            row.duration,
            row.warmup,
            row.events,
            row.wall_s,
            row.user_s,
            row.system_s,
            rate(row.wall_s),
            rate(cpu),
            row.peak_rss_bytes as f64 / f64::from(1 << 20),
            row.peak_rss_bytes as f64 / f64::from(row.clients),
        );
    }
    let broken: Vec<String> = results
        .rows
        .iter()
        .filter(|r| !r.conservation_holds)
        .map(|r| r.clients.to_string())
        .collect();
    if broken.is_empty() {
        out.push_str("\nConservation held in every run (every message accounted for).\n");
    } else {
        let _ = writeln!(
            out,
            "\n**Conservation failed** at {} clients: those figures count a model bug.",
            broken.join(", ")
        );
    }
    out.push_str("\nThe child processes ran:\n\n```sh\n");
    for row in &results.rows {
        let _ = writeln!(out, "{}", row.command);
    }
    out.push_str("```\n");
    out
}

/// The scale report as `saltrelay reports check` regenerates it (MEAS-13).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScaleReport;

impl Regenerate for ScaleReport {
    fn schema(&self) -> &'static str {
        SCHEMA
    }

    fn regenerate(&self, record: &str) -> Result<Vec<(String, String)>, String> {
        let results: ScaleResults = serde_json::from_str(record).map_err(|e| e.to_string())?;
        Ok(vec![(SUMMARY_FILE.to_owned(), markdown(&results))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_with_exponents_and_durations() {
        let sizes = parse_sizes("1000, 1e6,10000000@1h").unwrap();
        assert_eq!(
            sizes,
            [
                Size {
                    clients: 1000,
                    duration: None
                },
                Size {
                    clients: 1_000_000,
                    duration: None
                },
                Size {
                    clients: 10_000_000,
                    duration: Some("1h".to_owned())
                },
            ]
        );
        for bad in ["", "0", "1.5", "ten", "-5", "1e10"] {
            assert!(parse_sizes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_summary_is_a_function_of_the_results() {
        let results = ScaleResults {
            schema: SCHEMA.to_owned(),
            provenance: Provenance::fixed("r", &"a".repeat(40), true),
            scenario: "simulator/scenarios/default.toml".to_owned(),
            sets: vec!["duration=1h".to_owned()],
            cost_file: "reports/bench/costs.json".to_owned(),
            costs_commit: "6091f82".to_owned(),
            rows: vec![ScaleRow {
                command: "saltrelay simulate x --scale-child".to_owned(),
                clients: 1000,
                duration: "1h".to_owned(),
                warmup: "0s".to_owned(),
                seed: 1,
                events: 2_000_000,
                conservation_holds: true,
                wall_s: 2.0,
                user_s: 0.5,
                system_s: 0.5,
                peak_rss_bytes: 8 << 20,
            }],
        };
        let text = markdown(&results);
        assert!(
            text.contains(
                "| 1000 | 1h | 0s | 2000000 | 2.0 | 0.5 | 0.5 | 1.00 | 2.00 | 8 | 8389 |"
            ),
            "{text}"
        );
        assert!(text.contains("`--set duration=1h`"));
        let json = results_json(&results);
        let files = ScaleReport.regenerate(&json).unwrap();
        assert_eq!(files, [(SUMMARY_FILE.to_owned(), text)]);
        assert!(ScaleReport.regenerate("{}").is_err());
    }
}
