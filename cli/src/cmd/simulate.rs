//! `saltrelay simulate`: run relay-load scenarios and write a report (simulator/MODEL.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use saltrelay_measure::Provenance;
use saltrelay_measure::provenance::command_line;
use saltrelay_simulator::report::{self, Performance};
use saltrelay_simulator::scenario::{Override, parse_override, parse_sweep};
use saltrelay_simulator::sweep::{Document, Plan, SweepProgress, run_all};

use super::scale::{self, ScaleArgs};

/// Arguments of `saltrelay simulate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  saltrelay simulate simulator/scenarios/default.toml --set clients=100000 --seeds 5\n  saltrelay simulate simulator/scenarios/default.toml --scale   # speed and memory, 10^3 to 10^6 clients"
)]
pub(crate) struct Args {
    /// Scenario file (TOML), such as simulator/scenarios/default.toml.
    scenario: PathBuf,
    /// Seed of the first run (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario key: --set clients=100000 --set relays.count=8 --set duration=1h.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Sweep one key over values, one point each: --sweep clients=1e3,1e4,1e5.
    #[arg(long, value_name = "KEY=V1,V2,...")]
    sweep: Option<String>,
    /// Runs per point with seeds seed, seed+1, ...; the report gives 95 % confidence intervals
    /// (default: the scenario's `seeds` key, else 1).
    #[arg(long)]
    seeds: Option<u32>,
    /// Threads for parallel runs (default: all cores). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Report folder (default: `reports/simulation/NAME`, NAME from the scenario).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
    /// Measure the simulator itself instead (MEAS-10): the scenario at each of --sizes, one
    /// seed on one thread, each in a child process; wall time, CPU time and peak memory go to
    /// `results.json` and `summary.md` (default folder: reports/simulation/scale).
    #[arg(long, conflicts_with_all = ["sweep", "seeds", "threads", "scale_child"])]
    scale: bool,
    /// Client counts of --scale, comma-separated; `N@DURATION` simulates that size for
    /// DURATION instead of the scenario's duration (default: 1000,10000,100000,1000000).
    #[arg(long, requires = "scale", value_name = "N[@DURATION],...")]
    sizes: Option<String>,
    /// One size of a --scale run, measured in this process (used by --scale itself).
    #[arg(long, hide = true, conflicts_with_all = ["sweep", "seeds", "threads", "out"])]
    scale_child: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.scale_child {
        scale::run_child(&args.scenario, &args.sets, args.seed)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.scale {
        scale::run(&ScaleArgs {
            scenario: &args.scenario,
            sets: &args.sets,
            seed: args.seed,
            sizes: args.sizes.as_deref(),
            out: args.out,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let provenance = Provenance::record(&command_line(), Path::new("."));
    let path = args.scenario.as_path();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut sets: Vec<Override> = args
        .sets
        .iter()
        .map(|s| parse_override(s))
        .collect::<Result<_, _>>()?;
    if let Some(seed) = args.seed {
        sets.push(parse_override(&format!("seed={seed}"))?);
    }
    let sweep = args
        .sweep
        .as_deref()
        .map(parse_sweep)
        .transpose()?
        .unwrap_or_default();
    let plan = Plan::new(
        &text,
        &path.display().to_string(),
        &sets,
        &sweep,
        args.seeds,
    )?;
    let name = plan.points[0].1.name.clone();
    let out = args
        .out
        .unwrap_or_else(|| Path::new("reports/simulation").join(&name));
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        args.threads
    };

    let total_us: u64 = plan
        .points
        .iter()
        .map(|(_, s)| s.duration.micros())
        .sum::<u64>()
        * plan.seeds.len() as u64;
    let bar = Progress::new(plan.runs(), total_us, args.quiet);
    let started = Instant::now();
    let doc = run_all(&plan, threads, &provenance, &bar)?;
    let wall_s = started.elapsed().as_secs_f64();
    bar.bar.finish_and_clear();
    let events = doc
        .points
        .iter()
        .flat_map(|p| &p.runs)
        .map(|r| r.events)
        .sum();
    let written = report::write(
        &doc,
        &Performance {
            wall_s,
            events,
            threads,
        },
        &out,
    )?;
    print_points(&doc);
    #[expect(clippy::cast_precision_loss, reason = "event counts below 2^53")]
    let rate = events as f64 / wall_s / 1e6;
    let report = match written {
        report::Written::Rewritten => format!("report in {}", out.display()),
        report::Written::Unchanged { commit } => format!(
            "report in {} unchanged: same results as the report written at commit {commit}",
            out.display()
        ),
    };
    println!(
        "simulate: {} run(s), {events} events in {wall_s:.1} s ({rate:.2} M events/s); {report}",
        plan.runs(),
    );
    Ok(ExitCode::SUCCESS)
}

/// One line per point: relay rate, p99 latency.
fn print_points(doc: &Document) {
    for point in &doc.points {
        let p99 = point
            .summary
            .iter()
            .find(|e| e.metric == "latency_p99_ms")
            .map_or(0.0, |e| e.mean);
        let rate = point
            .summary
            .iter()
            .find(|e| e.metric == "relay_in_per_s")
            .map_or(0.0, |e| e.mean);
        println!(
            "{}: relay {rate:.1} msgs/s, latency p99 {:.1} s, conservation holds",
            point.label,
            p99 / 1000.0
        );
    }
}

/// The progress bar: simulated time over all runs, events/s, ETA.
struct Progress {
    bar: ProgressBar,
    sim_us: Vec<AtomicU64>,
    events: Vec<AtomicU64>,
    started: Instant,
}

impl Progress {
    fn new(runs: usize, total_us: u64, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total_us / 1_000_000)
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:36.cyan/blue} {msg} | ETA {eta}")
                .expect("valid template")
                .progress_chars("##-"),
        );
        Self {
            bar,
            sim_us: (0..runs).map(|_| AtomicU64::new(0)).collect(),
            events: (0..runs).map(|_| AtomicU64::new(0)).collect(),
            started: Instant::now(),
        }
    }
}

impl SweepProgress for Progress {
    fn update(&self, job: usize, sim_us: u64, events: u64) {
        self.sim_us[job].store(sim_us, Ordering::Relaxed);
        self.events[job].store(events, Ordering::Relaxed);
        let sim: u64 = self.sim_us.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        let events: u64 = self.events.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        #[expect(clippy::cast_precision_loss, reason = "display only")]
        let rate = events as f64 / self.started.elapsed().as_secs_f64().max(1e-3) / 1e6;
        #[expect(clippy::cast_precision_loss, reason = "display only")]
        let (done_h, total_h) = (
            sim as f64 / 3.6e9,
            self.bar.length().unwrap_or(0) as f64 / 3600.0,
        );
        self.bar.set_position(sim / 1_000_000);
        self.bar.set_message(format!(
            "sim {done_h:.1} h / {total_h:.1} h | {rate:.2} M events/s"
        ));
    }
}
