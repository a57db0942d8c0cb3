//! `saltrelay reports check`: every committed report names a clean commit that `HEAD`
//! descends from (spec/09-measurements.md, MEAS-6); reports listed in
//! `reports/PENDING-REMEASURE.md` are warnings until they are measured again (MEAS-7); the
//! reports written from their own `results.json` (scale run, store bench) must equal their
//! regeneration (MEAS-13).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_bench::store::StoreReport;
use saltrelay_measure::check::{self, Regenerate};
use saltrelay_simulator::scale::ScaleReport;

/// The report kinds `reports check` regenerates and compares (MEAS-13).
const REGENERABLE: [&dyn Regenerate; 2] = [&ScaleReport, &StoreReport];

/// Arguments of `saltrelay reports`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: saltrelay reports check")]
pub(crate) struct Args {
    #[command(subcommand)]
    command: ReportsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReportsCommand {
    /// Check that every report folder under reports/ has a record naming a clean commit that
    /// is an ancestor of HEAD, and that the reports regenerable from their results.json equal
    /// their regeneration; exit 1 if one does not and is not pending re-measurement.
    Check {
        /// The repository root (default: the current folder).
        #[arg(long, default_value = ".")]
        repo: PathBuf,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportsCommand::Check { repo } => {
            let outcome = check::check_with(&repo, &REGENERABLE)
                .with_context(|| format!("reading {}", repo.join("reports").display()))?;
            for line in outcome.lines() {
                println!("{line}");
            }
            let failures = outcome.failures().len() + outcome.unknown_pending.len();
            let pending = outcome
                .findings
                .iter()
                .filter(|f| f.pending && !f.problems.is_empty())
                .count();
            println!(
                "reports: {} checked, {failures} failed, {pending} pending re-measurement",
                outcome.findings.len()
            );
            Ok(if outcome.passes() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
