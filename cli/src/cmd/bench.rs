//! `saltrelay bench`: runs the criterion benches (beside libsodium) and writes `reports/bench/`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};
use saltrelay_bench::layer::criterion_home;
use saltrelay_bench::report::{write_report, write_variants};
use saltrelay_bench::variants::{VARIANTS, VariantRun, variant};
use saltrelay_bench::{Profile, load, store};
use saltrelay_measure::provenance::{COMMAND_VAR, RUN_ID_VAR, command_line};
use saltrelay_measure::{Provenance, checkout};

/// Arguments of `saltrelay bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    /// Run every bench (`cargo bench -p saltrelay-bench`), then write the report.
    ///
    /// Earlier criterion results are deleted first, so the report shows this run only.
    Run {
        #[command(flatten)]
        profile: ProfileArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write the report from the criterion results already in the target directory.
    Report {
        /// Where criterion's results are (default: its own rule, usually target/criterion).
        #[arg(long)]
        criterion_dir: Option<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Build and run the primitive benches once per build variant (RUSTFLAGS), each in its
    /// own target directory, and write build-variants.md beside the report.
    Variants {
        #[command(flatten)]
        profile: ProfileArgs,
        #[command(flatten)]
        out: OutArgs,
        /// Measure only these variants (the default is always measured, first).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Measure the relay's store and write reports/store/ (MEAS-11): the disk's flush rate,
    /// group commit in closed and open loop, and criterion's per-operation costs of the store.
    ///
    /// Run it from the repository root: criterion's part runs `cargo bench -p saltrelay-relay
    /// --bench store`. Full profile: about 4 minutes.
    Store {
        #[command(flatten)]
        profile: ProfileArgs,
        /// The report folder.
        #[arg(long, default_value = "reports/store")]
        out: PathBuf,
        /// Where the store writes while measured: the disk measured (removed afterwards).
        #[arg(long, default_value = "target/store-bench-data")]
        data_dir: PathBuf,
        /// Leave out criterion's per-operation costs (the report says so).
        #[arg(long)]
        no_criterion: bool,
    },
}

#[derive(Debug, clap::Args)]
struct ProfileArgs {
    /// Measure briefly (about a minute and a half for all benches) instead of the full profile.
    #[arg(long, conflicts_with = "profile")]
    quick: bool,
    /// Measurement profile: full (the committed report), quick, or smoke (CI).
    #[arg(long, value_enum)]
    profile: Option<ProfileName>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ProfileName {
    Full,
    Quick,
    Smoke,
}

impl ProfileArgs {
    fn profile(&self) -> Profile {
        match (self.quick, self.profile) {
            (true, _) | (false, Some(ProfileName::Quick)) => Profile::Quick,
            (false, Some(ProfileName::Smoke)) => Profile::Smoke,
            (false, None | Some(ProfileName::Full)) => Profile::Full,
        }
    }
}

#[derive(Debug, clap::Args)]
struct OutArgs {
    /// The report folder (default: reports/bench of this repository).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the report even when its layers were measured at different commits or on a
    /// tree with uncommitted changes; the report then says so at its top (MEAS-3).
    #[arg(long)]
    allow_mixed: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let command = command_line();
    match args.command {
        BenchCommand::Run { profile, out } => {
            let root = repository_root()?;
            let home = criterion_home(&root);
            remove_dir(&home)?;
            // Every bench target of this run records this run id and command in its layer
            // marker (MEAS-1, MEAS-2).
            let started = Provenance::record(&command, &root);
            cargo_bench(&root, None, "", profile.profile(), &started)?;
            let dir = out.out.unwrap_or_else(|| root.join(REPORT_DIR));
            report(&home, &dir, out.allow_mixed)
        }
        BenchCommand::Report { criterion_dir, out } => {
            // The checkout is needed only for a folder not given.
            let home = match criterion_dir {
                Some(dir) => dir,
                None => criterion_home(&repository_root()?),
            };
            let dir = match out.out {
                Some(dir) => dir,
                None => repository_root()?.join(REPORT_DIR),
            };
            report(&home, &dir, out.allow_mixed)
        }
        BenchCommand::Variants { profile, out, only } => variants(
            &repository_root()?,
            profile.profile(),
            out.out,
            &only,
            &command,
        ),
        BenchCommand::Store {
            profile,
            out,
            data_dir,
            no_criterion,
        } => store(profile.profile(), &out, &data_dir, !no_criterion),
    }
}

/// `bench store`: everything measured in this invocation, recorded before the first
/// measurement (MEAS-1), in the current folder (the repository root).
fn store(
    profile: Profile,
    out: &Path,
    data_dir: &Path,
    criterion: bool,
) -> anyhow::Result<ExitCode> {
    let here = Path::new(".");
    if criterion && !here.join("relay/benches/store.rs").is_file() {
        bail!(
            "run `saltrelay bench store` from the repository root (criterion's part runs `cargo bench -p saltrelay-relay`), or pass --no-criterion"
        );
    }
    let provenance = Provenance::record(&command_line(), here);
    let plan = match profile {
        Profile::Full => store::Plan::full(),
        Profile::Quick => store::Plan::quick(),
        Profile::Smoke => store::Plan::smoke(),
    };
    let mut results = store::measure(&plan, data_dir, provenance, &mut |line| {
        eprintln!("store: {line}");
    })?;
    if criterion {
        let home = std::path::absolute(here.join("target/store-criterion"))
            .context("finding target/store-criterion")?;
        remove_dir(&home)?;
        let command = cargo_bench_store(&home, profile, &results.provenance)?;
        let found = load::load(&home)?;
        results.criterion = Some(store::CriterionRun {
            command,
            results: store::criterion_results(&found),
        });
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("results.json");
    std::fs::write(&path, store::results_json(&results))
        .with_context(|| format!("writing {}", path.display()))?;
    let path = out.join(store::REPORT_FILE);
    std::fs::write(&path, store::markdown(&results))
        .with_context(|| format!("writing {}", path.display()))?;
    println!("bench store: report in {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Runs the relay's store benches with their results in `home`; returns the command as shown.
fn cargo_bench_store(home: &Path, profile: Profile, run: &Provenance) -> anyhow::Result<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["bench", "-p", "saltrelay-relay", "--bench", "store"])
        .env("CRITERION_HOME", home)
        .env(RUN_ID_VAR, &run.run_id)
        .env(COMMAND_VAR, &run.command);
    let shown = "cargo bench -p saltrelay-relay --bench store".to_owned();
    run_criterion(command, shown, profile)
}

/// The report folder in a checkout.
const REPORT_DIR: &str = "reports/bench";

fn report(home: &Path, dir: &Path, allow_mixed: bool) -> anyhow::Result<ExitCode> {
    let results = load::load(home)?;
    let written_by = Provenance::record(&command_line(), Path::new("."));
    let written = write_report(&results, &written_by, allow_mixed, dir)?;
    if !written.costs_not_written.is_empty() {
        eprintln!(
            "saltrelay: costs.json not written: {}",
            written.costs_not_written.join("; ")
        );
    }
    for reason in &written.mixed {
        eprintln!("saltrelay: mixed report (--allow-mixed): {reason}");
    }
    println!(
        "bench: {} results in {} layer(s); wrote {} file(s) to {}",
        results.measurements.len(),
        results.layers.len(),
        written.files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn variants(
    root: &Path,
    profile: Profile,
    out: Option<PathBuf>,
    only: &[String],
    command: &str,
) -> anyhow::Result<ExitCode> {
    for name in only {
        if variant(name).is_none() {
            let known: Vec<&str> = VARIANTS.iter().map(|v| v.name).collect();
            bail!("unknown variant {name:?}; known: {}", known.join(", "));
        }
    }
    let chosen = VARIANTS
        .iter()
        .enumerate()
        .filter(|(k, v)| *k == 0 || only.is_empty() || only.iter().any(|n| n == v.name));
    let mut runs = Vec::new();
    let mut commands = Vec::new();
    let started = Provenance::record(command, root);
    for (_, v) in chosen {
        let target = root.join("target/bench-variants").join(v.name);
        remove_dir(&target.join("criterion"))?;
        commands.push(cargo_bench(
            root,
            Some(&target),
            v.rustflags,
            profile,
            &started,
        )?);
        let results = load::load(&target.join("criterion"))?;
        runs.push(VariantRun {
            variant: *v,
            results,
        });
    }
    let out = out.unwrap_or_else(|| root.join(REPORT_DIR));
    for file in write_variants(&runs, &started, &commands, &out)? {
        println!("bench: wrote {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cargo bench -p saltrelay-bench` (only the primitives when `target` is given, as for
/// a variant) and returns the equivalent shell command for the report. The bench targets
/// record `run`'s run id and command in their layer markers.
fn cargo_bench(
    root: &Path,
    target: Option<&Path>,
    rustflags: &str,
    profile: Profile,
    run: &Provenance,
) -> anyhow::Result<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["bench", "-p", "saltrelay-bench"])
        .env(RUN_ID_VAR, &run.run_id)
        .env(COMMAND_VAR, &run.command);
    let mut shown = String::new();
    if let Some(target) = target {
        command
            .args(["--bench", "primitives"])
            .env("CARGO_TARGET_DIR", target);
        // Each variant keeps its results in its own target directory.
        command
            .env_remove("CRITERION_HOME")
            .env("RUSTFLAGS", rustflags);
        let relative = target.strip_prefix(root).unwrap_or(target);
        shown = format!(
            "RUSTFLAGS='{rustflags}' CARGO_TARGET_DIR={} ",
            relative.display()
        );
    }
    shown.push_str("cargo bench -p saltrelay-bench");
    if target.is_some() {
        shown.push_str(" --bench primitives");
    }
    run_criterion(command, shown, profile)
}

/// Deletes a results directory of an earlier run, if present.
fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}

/// The root of the checkout around the working directory (the folder holding
/// `bench/Cargo.toml`), never one compiled into the binary; absolute, because the bench
/// binaries run in another directory and inherit paths from us.
fn repository_root() -> anyhow::Result<PathBuf> {
    Ok(checkout::base(
        "bench/Cargo.toml",
        "for `bench report`, give --criterion-dir DIR and --out DIR",
    )?)
}

/// Runs a prepared `cargo bench` with the profile's criterion arguments; returns the command
/// line as shown to the user and recorded in the report.
fn run_criterion(
    mut command: Command,
    mut shown: String,
    profile: Profile,
) -> anyhow::Result<String> {
    let args = profile.criterion_args();
    if !args.is_empty() {
        command.arg("--").args(args);
        shown.push_str(" -- ");
        shown.push_str(&args.join(" "));
    }
    eprintln!("saltrelay: running {shown}");
    let status = command.status().context("starting cargo")?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(shown)
}
