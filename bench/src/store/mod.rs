//! The store bench behind `saltrelay bench store` (spec/09-measurements.md, MEAS-11, MEAS-12):
//! the disk's flush rate, group commit through the relay's `Committer` in closed and open loop
//! ([`load`]), and criterion's per-operation costs of the store, all in one invocation with one
//! provenance, written to `results.json`; [`markdown`] writes the report from that file alone
//! so that `saltrelay reports check` can regenerate and compare it (MEAS-13).
//!
//! The engine comparison that chose the log (fjall, redb, `SQLite`, Redis) is not part of it: those
//! engines are not built into `saltrelay` (`relay/store-compare` is a separate Cargo workspace)
//! and Redis is an outside server. The report keeps it as a marked historical section (MEAS-12).

pub mod load;
mod markdown;

use std::path::Path;

use saltrelay_measure::Provenance;
use saltrelay_measure::check::Regenerate;
use serde::{Deserialize, Serialize};

pub use markdown::markdown;

use crate::ReportError;
use crate::load::Results;
use load::{FLUSH_CASES, LoadCell};

/// The schema name of a store bench's `results.json`.
pub const SCHEMA: &str = "saltrelay_store_v1";

/// The report file written beside `results.json`.
pub const REPORT_FILE: &str = "README.md";

/// A whole store bench: its `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreResults {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The bench, recorded when it started (MEAS-1).
    pub provenance: Provenance,
    /// `full`, `quick` or `smoke`: which [`Plan`] ran.
    pub profile: String,
    /// The data directory as given: the disk measured.
    pub data_dir: String,
    /// Its mount from `/proc/self/mounts`: device, file system type and options; `unknown`
    /// where that cannot be read.
    pub filesystem: String,
    /// Seconds each flush case ran, per run.
    pub flush_seconds: f64,
    /// Seconds each group-commit cell ran.
    pub cell_seconds: f64,
    /// Every run of every flush case.
    pub flush: Vec<FlushRun>,
    /// Every closed-loop cell run.
    pub closed_loop: Vec<LoadRun>,
    /// Every open-loop cell run.
    pub open_loop: Vec<LoadRun>,
    /// Criterion's per-operation costs, or `null` when not measured (`--no-criterion`).
    pub criterion: Option<CriterionRun>,
}

/// One run of one flush case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlushRun {
    /// The case's label (`fdatasync, 64 B append`).
    pub case: String,
    /// Which run (0, 1, …); runs of all cases interleave.
    pub run: u32,
    /// Flushes made.
    pub flushes: u64,
    /// Seconds they took.
    pub seconds: f64,
    /// Median flush (with its append), ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
}

/// One run of one group-commit cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRun {
    /// Closed-loop senders (0 in open loop).
    pub senders: u32,
    /// Offered messages per second (0 in closed loop).
    pub offered_per_s: u64,
    /// `CommitterConfig::max_wait`, µs.
    pub max_wait_us: u64,
    /// `CommitterConfig::max_flushes_in_flight`.
    pub flushes_in_flight: u32,
    /// Which run (0, 1, …); runs of all cells interleave.
    pub run: u32,
    /// Messages acked durable (including those acked after the offering stopped).
    pub acked: u64,
    /// Group commits made.
    pub commits: u64,
    /// Seconds messages were offered.
    pub seconds: f64,
    /// Median send→durable-ack latency, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
}

impl LoadRun {
    /// The cell this run belongs to.
    #[must_use]
    pub fn cell(&self) -> LoadCell {
        LoadCell {
            senders: self.senders,
            offered_per_s: self.offered_per_s,
            max_wait_us: self.max_wait_us,
            flushes_in_flight: self.flushes_in_flight,
        }
    }
}

/// Criterion's run of `relay/benches/store.rs`, made by the same invocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionRun {
    /// The cargo command that ran it.
    pub command: String,
    /// One entry per benchmark, in id order.
    pub results: Vec<CriterionResult>,
}

/// One criterion benchmark of the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionResult {
    /// `relay/store_commit/64`.
    pub id: String,
    /// Median time per iteration, ns.
    pub median_ns: f64,
    /// Lower bound of its 95 % confidence interval, ns.
    pub lower_ns: f64,
    /// Upper bound, ns.
    pub upper_ns: f64,
    /// Elements per iteration, if declared.
    pub elements: Option<u64>,
    /// Bytes per iteration, if declared.
    pub bytes: Option<u64>,
}

/// What one store bench measures: a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `full`, `quick` or `smoke`.
    pub profile: &'static str,
    /// Seconds per flush case and run.
    pub flush_seconds: f64,
    /// Runs of the flush cases.
    pub flush_runs: u32,
    /// Seconds per group-commit cell and run.
    pub cell_seconds: f64,
    /// Closed-loop cells, each run once.
    pub closed: Vec<LoadCell>,
    /// Open-loop cells.
    pub open: Vec<LoadCell>,
    /// Runs of the open-loop cells (all cells once per run, so runs interleave in time).
    pub open_runs: u32,
}

impl Plan {
    /// The committed report: the cells of the 2026-11-22 measurement (flush 3 × 2 s; 18
    /// closed-loop cells of 3 s; 8 open-loop cells of 3 s, 3 runs): about 2.5 minutes.
    #[must_use]
    pub fn full() -> Self {
        Self {
            profile: "full",
            flush_seconds: 2.0,
            flush_runs: 3,
            cell_seconds: 3.0,
            closed: closed_cells(&[1, 64, 1000], &[0, 500, 2000], &[1, 4]),
            open: open_cells(&[10_000, 30_000, 45_000, 60_000], &[1, 4]),
            open_runs: 3,
        }
    }

    /// A look in about 20 seconds.
    #[must_use]
    pub fn quick() -> Self {
        Self {
            profile: "quick",
            flush_seconds: 1.0,
            flush_runs: 1,
            cell_seconds: 1.0,
            closed: closed_cells(&[1, 64, 1000], &[0], &[1, 4]),
            open: open_cells(&[10_000, 30_000], &[1, 4]),
            open_runs: 1,
        }
    }

    /// CI and tests: every part once, briefly.
    #[must_use]
    pub fn smoke() -> Self {
        Self {
            profile: "smoke",
            flush_seconds: 0.05,
            flush_runs: 1,
            cell_seconds: 0.05,
            closed: closed_cells(&[1, 8], &[0], &[1, 4]),
            open: open_cells(&[1000], &[4]),
            open_runs: 1,
        }
    }
}

fn closed_cells(senders: &[u32], waits_us: &[u64], flushes: &[u32]) -> Vec<LoadCell> {
    let mut cells = Vec::new();
    for &senders in senders {
        for &max_wait_us in waits_us {
            for &flushes_in_flight in flushes {
                cells.push(LoadCell {
                    senders,
                    offered_per_s: 0,
                    max_wait_us,
                    flushes_in_flight,
                });
            }
        }
    }
    cells
}

fn open_cells(rates: &[u64], flushes: &[u32]) -> Vec<LoadCell> {
    let mut cells = Vec::new();
    for &offered_per_s in rates {
        for &flushes_in_flight in flushes {
            cells.push(LoadCell {
                senders: 0,
                offered_per_s,
                max_wait_us: 0,
                flushes_in_flight,
            });
        }
    }
    cells
}

/// Runs the flush cases and group-commit cells of `plan` in `data_dir` (removed afterwards),
/// reporting each result line to `progress`. The caller adds criterion's run.
///
/// # Errors
/// [`ReportError::Io`] when the data directory or a flush fails, [`ReportError::Store`] when
/// the store does.
pub fn measure(
    plan: &Plan,
    data_dir: &Path,
    provenance: Provenance,
    progress: &mut dyn FnMut(&str),
) -> Result<StoreResults, ReportError> {
    std::fs::create_dir_all(data_dir).map_err(|e| ReportError::io(data_dir, e))?;
    let filesystem = filesystem_of(data_dir);
    let mut flush = Vec::new();
    for run in 0..plan.flush_runs {
        for case in FLUSH_CASES {
            let r = load::flush_rate(&data_dir.join("flush"), case, plan.flush_seconds, run)
                .map_err(|e| ReportError::io(data_dir, e))?;
            progress(&format!(
                "flush {} (run {run}): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
                r.case,
                crate::format::to_f64(r.flushes) / r.seconds,
                r.p50_ms,
                r.p99_ms
            ));
            flush.push(r);
        }
    }
    let cell = |cell: LoadCell, run: u32, progress: &mut dyn FnMut(&str)| {
        let r = load::group_commit(&data_dir.join("load"), cell, plan.cell_seconds, run)
            .map_err(|source| ReportError::Store { source })?;
        progress(&format!(
            "group commit senders {} offered {} wait {} µs flushes {} (run {run}): {:.0} acked/s, p99 {:.2} ms",
            r.senders,
            r.offered_per_s,
            r.max_wait_us,
            r.flushes_in_flight,
            crate::format::to_f64(r.acked) / r.seconds,
            r.p99_ms
        ));
        Ok::<_, ReportError>(r)
    };
    let mut closed_loop = Vec::new();
    for &c in &plan.closed {
        closed_loop.push(cell(c, 0, &mut *progress)?);
    }
    let mut open_loop = Vec::new();
    for run in 0..plan.open_runs {
        for &c in &plan.open {
            open_loop.push(cell(c, run, &mut *progress)?);
        }
    }
    let _ = std::fs::remove_dir_all(data_dir);
    Ok(StoreResults {
        schema: SCHEMA.to_owned(),
        provenance,
        profile: plan.profile.to_owned(),
        data_dir: data_dir.display().to_string(),
        filesystem,
        flush_seconds: plan.flush_seconds,
        cell_seconds: plan.cell_seconds,
        flush,
        closed_loop,
        open_loop,
        criterion: None,
    })
}

/// The store's benchmarks from criterion's results (`relay/…` ids), in id order.
#[must_use]
pub fn criterion_results(results: &Results) -> Vec<CriterionResult> {
    let mut out: Vec<CriterionResult> = results
        .measurements
        .iter()
        .map(|m| CriterionResult {
            id: m.id.to_string(),
            median_ns: m.median.point,
            lower_ns: m.median.confidence_interval.lower_bound,
            upper_ns: m.median.confidence_interval.upper_bound,
            elements: m.throughput.and_then(crate::load::Throughput::elements),
            bytes: m.throughput.and_then(crate::load::Throughput::bytes),
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The mount holding `dir` (longest mount point that is a prefix of its canonical path), as
/// `device type (options)`.
fn filesystem_of(dir: &Path) -> String {
    let Ok(probe) = std::fs::canonicalize(dir) else {
        return "unknown".to_owned();
    };
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (device, point, kind, options) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            probe
                .starts_with(point)
                .then(|| (point.len(), format!("{device} {kind} ({options})")))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".to_owned(), |(_, text)| text)
}

/// The store report as `saltrelay reports check` regenerates it (MEAS-13).
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreReport;

impl Regenerate for StoreReport {
    fn schema(&self) -> &'static str {
        SCHEMA
    }

    fn regenerate(&self, record: &str) -> Result<Vec<(String, String)>, String> {
        let results: StoreResults = serde_json::from_str(record).map_err(|e| e.to_string())?;
        Ok(vec![(REPORT_FILE.to_owned(), markdown(&results))])
    }
}

/// The exact bytes of `results.json`.
#[must_use]
pub fn results_json(results: &StoreResults) -> String {
    let mut json = serde_json::to_string_pretty(results).expect("plain data serialises");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests;
