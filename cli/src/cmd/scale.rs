//! `saltrelay simulate --scale`: the simulator's speed and memory at growing client counts
//! (spec/09-measurements.md, MEAS-10). Each size runs in a child process of this binary
//! (`--scale-child`), one after another, so each has its own peak memory; the child measures
//! itself and prints one JSON row, and this process writes `results.json` and `summary.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use saltrelay_measure::Provenance;
use saltrelay_measure::provenance::{RUN_ID_VAR, command_line};
use saltrelay_simulator::scale::{
    self, DEFAULT_SIZES, SCHEMA, SUMMARY_FILE, ScaleResults, ScaleRow, measure_point, parse_sizes,
};
use saltrelay_simulator::scenario::{Override, parse_override};
use saltrelay_simulator::sweep::{Plan, costs_for};

/// What `saltrelay simulate` passes on: the scenario, the overrides for every size, the sizes.
pub(crate) struct ScaleArgs<'a> {
    pub(crate) scenario: &'a Path,
    pub(crate) sets: &'a [String],
    pub(crate) seed: Option<u64>,
    pub(crate) sizes: Option<&'a str>,
    pub(crate) out: Option<PathBuf>,
}

/// The keys a scale run sets itself for each size.
const SIZE_KEYS: [&str; 2] = ["clients", "seeds"];

/// The parent: one child per size, then the report.
pub(crate) fn run(args: &ScaleArgs<'_>) -> anyhow::Result<()> {
    // MEAS-1: recorded before the first child starts.
    let provenance = Provenance::record(&command_line(), Path::new("."));
    for set in args.sets {
        let key = set.split('=').next().unwrap_or_default().trim();
        if SIZE_KEYS.contains(&key) {
            bail!("--set {set}: a scale run sets `{key}` itself (use --sizes)");
        }
    }
    let sizes = parse_sizes(args.sizes.unwrap_or(DEFAULT_SIZES))?;
    let origin = args.scenario.display().to_string();
    let text =
        std::fs::read_to_string(args.scenario).with_context(|| format!("reading {origin}"))?;
    // The cost file every size reads (the sizes change no key that picks it).
    let plan = Plan::new(
        &text,
        &origin,
        &overrides(args.sets, args.seed)?,
        &[],
        Some(1),
    )?;
    let (cost_file, costs) = costs_for(&plan.points[0].1)?;
    let costs_commit = costs
        .measured
        .as_ref()
        .map_or_else(|| "synthetic".to_owned(), Provenance::commit_label);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/simulation/scale"));

    let exe = std::env::current_exe().context("finding this executable")?;
    let mut rows = Vec::new();
    for size in &sizes {
        let mut child = Command::new(&exe);
        child
            .arg("simulate")
            .arg(args.scenario)
            .arg("--scale-child")
            .env(RUN_ID_VAR, &provenance.run_id)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for set in args.sets {
            child.arg("--set").arg(set);
        }
        if let Some(seed) = args.seed {
            child.arg("--seed").arg(seed.to_string());
        }
        child.arg("--set").arg(format!("clients={}", size.clients));
        if let Some(duration) = &size.duration {
            child.arg("--set").arg(format!("duration={duration}"));
        }
        let output = child
            .output()
            .with_context(|| format!("starting the child for {} clients", size.clients))?;
        if !output.status.success() {
            bail!(
                "the child for {} clients failed ({})",
                size.clients,
                output.status
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        let row: ScaleRow = serde_json::from_str(line)
            .with_context(|| format!("reading the row of {} clients: {line:?}", size.clients))?;
        println!(
            "scale: {} clients, {}: {} events in {:.1} s wall, {:.1} s CPU, peak RSS {:.0} MiB",
            row.clients,
            row.duration,
            row.events,
            row.wall_s,
            row.user_s + row.system_s,
            mib(row.peak_rss_bytes)
        );
        rows.push(row);
    }

    let results = ScaleResults {
        schema: SCHEMA.to_owned(),
        provenance,
        scenario: origin,
        sets: args.sets.to_vec(),
        cost_file,
        costs_commit,
        rows,
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("results.json");
    std::fs::write(&path, scale::results_json(&results))
        .with_context(|| format!("writing {}", path.display()))?;
    let path = out.join(SUMMARY_FILE);
    std::fs::write(&path, scale::markdown(&results))
        .with_context(|| format!("writing {}", path.display()))?;
    println!("scale: report in {}", out.display());
    Ok(())
}

/// The child: one size, measured in this process, printed as one JSON line.
pub(crate) fn run_child(scenario: &Path, sets: &[String], seed: Option<u64>) -> anyhow::Result<()> {
    let provenance = Provenance::record(&command_line(), Path::new("."));
    let origin = scenario.display().to_string();
    let text = std::fs::read_to_string(scenario).with_context(|| format!("reading {origin}"))?;
    let row = measure_point(&text, &origin, &overrides(sets, seed)?, &provenance)?;
    println!(
        "{}",
        serde_json::to_string(&row).context("encoding the row")?
    );
    Ok(())
}

fn overrides(sets: &[String], seed: Option<u64>) -> anyhow::Result<Vec<Override>> {
    let mut all: Vec<Override> = sets
        .iter()
        .map(|s| parse_override(s))
        .collect::<Result<_, _>>()?;
    if let Some(seed) = seed {
        all.push(parse_override(&format!("seed={seed}"))?);
    }
    Ok(all)
}

#[expect(clippy::cast_precision_loss, reason = "display only")]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}
