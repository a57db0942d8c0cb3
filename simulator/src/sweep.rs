//! Sweeps and seeds: many runs in parallel on rayon, gathered into one results document.
//!
//! Each run is single-threaded and a pure function of its scenario, so the results do not
//! depend on the thread count; rayon only decides which run goes where, and `collect` keeps
//! the input order.

use rayon::prelude::*;
use saltrelay_measure::Provenance;
use serde::{Deserialize, Serialize};

use crate::costs::{CostFile, DEFAULT_COST_FILE};
pub use crate::estimate::Estimate;
use crate::estimate::estimates;
use crate::model::{Progress, run};
use crate::scenario::{Override, Scenario};
use crate::{RunResult, SimError};

/// The schema name of `results.json`.
pub const SCHEMA: &str = "saltrelay_simulation_v1";

/// Receives progress of many runs.
pub trait SweepProgress: Sync {
    /// Run `job` reached `sim_us` after `events` events.
    fn update(&self, job: usize, sim_us: u64, events: u64);
}

impl SweepProgress for () {
    fn update(&self, _: usize, _: u64, _: u64) {}
}

struct One<'a> {
    job: usize,
    inner: &'a dyn SweepProgress,
}

impl Progress for One<'_> {
    fn update(&self, sim_us: u64, events: u64) {
        self.inner.update(self.job, sim_us, events);
    }
}

/// One point of a sweep: a scenario and its runs over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// `key=value`, or the scenario name without a sweep.
    pub label: String,
    /// The scenario of this point (seed = first seed).
    pub scenario: Scenario,
    /// The cost file used, as the scenario named it (or [`DEFAULT_COST_FILE`]).
    pub cost_file: String,
    /// Its contents, with the provenance of the bench run that measured them.
    pub costs: CostFile,
    /// One result per seed.
    pub runs: Vec<RunResult>,
    /// Mean and 95 % confidence interval across seeds of the headline figures.
    pub summary: Vec<Estimate>,
}

/// The whole `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Simulator version.
    pub version: String,
    /// The simulation run: commit, clean tree, command, machine (MEAS-1). Everything else in
    /// the document is a pure function of the scenario and the cost file.
    pub provenance: Provenance,
    /// The swept key, if any.
    pub sweep: Option<String>,
    /// The seeds every point ran with.
    pub seeds: Vec<u64>,
    /// One entry per sweep value (one entry without a sweep).
    pub points: Vec<Point>,
}

/// What to run: a base scenario text, overrides, an optional sweep and a number of seeds.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Scenario per point, seeds not yet applied, with labels.
    pub points: Vec<(String, Scenario)>,
    /// The swept key.
    pub sweep: Option<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
}

impl Plan {
    /// Builds the plan from a scenario file's text: `sets` apply to all points, each value of
    /// `sweep` makes one point, `seeds` runs each point with `seed`, `seed + 1`, ... (`None`:
    /// the scenario's `seeds` key)
    ///
    /// # Errors
    /// As [`Scenario::from_toml`].
    pub fn new(
        text: &str,
        origin: &str,
        sets: &[Override],
        sweep: &[Override],
        seeds: Option<u32>,
    ) -> Result<Self, SimError> {
        let base = Scenario::from_toml(text, origin, sets)?;
        let points = if sweep.is_empty() {
            vec![(base.name.clone(), base.clone())]
        } else {
            sweep
                .iter()
                .map(|value| {
                    let mut all = sets.to_vec();
                    all.push(value.clone());
                    Scenario::from_toml(text, origin, &all).map(|s| (value.label(), s))
                })
                .collect::<Result<_, _>>()?
        };
        let seeds = (0..u64::from(seeds.unwrap_or(base.seeds).max(1)))
            .map(|i| base.seed + i)
            .collect();
        Ok(Self {
            points,
            sweep: sweep.first().map(|o| o.key.clone()),
            seeds,
        })
    }

    /// Number of runs.
    #[must_use]
    pub fn runs(&self) -> usize {
        self.points.len() * self.seeds.len()
    }
}

/// Resolves a scenario's cost file ([`DEFAULT_COST_FILE`] when it names none) and reads it.
///
/// # Errors
/// As [`CostFile::load`]; a missing file is a range error on `costs`.
pub fn costs_for(scenario: &Scenario) -> Result<(String, CostFile), SimError> {
    let path = scenario.costs.as_deref().unwrap_or(DEFAULT_COST_FILE);
    let chosen = crate::costs::locate(path).map_err(|e| {
        let message = format!("{e} (a {} file)", crate::costs::SCHEMA);
        SimError::range("costs", message)
    })?;
    Ok((path.to_owned(), CostFile::load(&chosen)?))
}

/// Runs every point of `plan` for every seed on `threads` threads (0: rayon's default).
///
/// # Errors
/// The first error of any run.
pub fn run_all(
    plan: &Plan,
    threads: usize,
    provenance: &Provenance,
    progress: &dyn SweepProgress,
) -> Result<Document, SimError> {
    let costs: Vec<(String, CostFile)> = plan
        .points
        .iter()
        .map(|(_, s)| costs_for(s))
        .collect::<Result<_, _>>()?;
    let jobs: Vec<(usize, Scenario)> = plan
        .points
        .iter()
        .enumerate()
        .flat_map(|(p, (_, s))| {
            plan.seeds
                .iter()
                .map(move |&seed| (p, Scenario { seed, ..s.clone() }))
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SimError::Io {
            path: "rayon thread pool".into(),
            source: std::io::Error::other(e),
        })?;
    let results: Vec<RunResult> = pool.install(|| {
        jobs.par_iter()
            .enumerate()
            .map(|(job, (p, scenario))| {
                run(
                    scenario,
                    &costs[*p].1.costs,
                    &One {
                        job,
                        inner: progress,
                    },
                )
            })
            .collect::<Result<_, _>>()
    })?;
    let mut results = results.into_iter();
    let points = plan
        .points
        .iter()
        .zip(costs)
        .map(|((label, scenario), (cost_file, costs))| {
            let runs: Vec<RunResult> = results.by_ref().take(plan.seeds.len()).collect();
            let summary = estimates(&runs);
            Point {
                label: label.clone(),
                scenario: scenario.clone(),
                cost_file,
                costs,
                runs,
                summary,
            }
        })
        .collect();
    Ok(Document {
        schema: SCHEMA.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        provenance: provenance.clone(),
        sweep: plan.sweep.clone(),
        seeds: plan.seeds.clone(),
        points,
    })
}
