//! `saltrelay vectors`: rebuild and verify the test vectors (spec/00-conventions.md, CONV-5).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_measure::checkout;
use saltrelay_vectors::generate::{check_all, write_all};
use saltrelay_vectors::verify::{FileReport, verify_dir, verify_text};

/// Arguments of `saltrelay vectors`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: VectorsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum VectorsCommand {
    /// Rebuild every vector file from its fixed seed.
    Generate {
        /// Compare with the committed files instead of writing; fail on any difference.
        #[arg(long)]
        check: bool,
        /// The vector folder (default: vectors/saltrelay under the current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run every test of every vector file (or of FILE) through this implementation.
    Verify {
        /// One file: a name in the vector folder, or a path to a copy anywhere.
        file: Option<PathBuf>,
        /// Run only the test with this tcId.
        #[arg(long)]
        tc_id: Option<u64>,
        /// Print a JSON report instead of text.
        #[arg(long)]
        json: bool,
        /// The vector folder (default: vectors/saltrelay under the current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        VectorsCommand::Generate { check, dir } => generate(&vector_dir(dir)?, check),
        VectorsCommand::Verify {
            file,
            tc_id,
            json,
            dir,
        } => {
            // A FILE path needs no folder; a FILE name or no FILE does.
            let dir = match &file {
                Some(path) if path.is_file() => dir.unwrap_or_default(),
                _ => vector_dir(dir)?,
            };
            verify(&dir, file.as_deref(), tc_id, json)
        }
    }
}

/// The folder given, or `vectors/saltrelay` of the checkout around the working directory.
/// Never a path compiled into the binary: the vectors checked are the ones the user points at.
pub(crate) fn vector_dir(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match dir {
        Some(dir) => Ok(dir),
        None => Ok(checkout::find(
            DEFAULT_DIR,
            "give the folder with --dir DIR (verify also takes a FILE path)",
        )?),
    }
}

/// Where the vectors live, relative to a checkout's root.
const DEFAULT_DIR: &str = "vectors/saltrelay";

fn generate(dir: &Path, check: bool) -> anyhow::Result<ExitCode> {
    if check {
        let drift = check_all(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
        for item in &drift {
            println!("drift: {item}");
        }
        if drift.is_empty() {
            println!("vectors: no drift in {}", dir.display());
            Ok(ExitCode::SUCCESS)
        } else {
            println!(
                "vectors: {} file(s) differ from their generators; run `saltrelay vectors generate`",
                drift.len()
            );
            Ok(ExitCode::FAILURE)
        }
    } else {
        let written = write_all(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "vectors: wrote {} files to {}",
            written.len(),
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

fn verify(
    dir: &Path,
    file: Option<&Path>,
    tc_id: Option<u64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let reports = match file {
        Some(path) if path.is_file() => {
            let name = path
                .file_name()
                .context("FILE has no file name")?
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            vec![verify_text(&name, &text, tc_id)]
        }
        Some(name) => verify_dir(dir, Some(&name.to_string_lossy()), tc_id)
            .with_context(|| format!("cannot read {} in {}", name.display(), dir.display()))?,
        None => verify_dir(dir, None, tc_id)
            .with_context(|| format!("cannot read the vectors in {}", dir.display()))?,
    };
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    if let Some(id) = tc_id
        && passed + failed == 0
    {
        let scope = file.map_or_else(|| "any file".to_owned(), |f| f.display().to_string());
        anyhow::bail!("no test with tcId {id} in {scope}");
    }
    let summary = format!("vectors: {passed} passed, {failed} failed");
    if json {
        // stdout stays one JSON document; the summary line goes to stderr.
        let value = serde_json::json!({ "passed": passed, "failed": failed, "files": reports });
        println!("{}", serde_json::to_string_pretty(&value)?);
        eprintln!("{summary}");
    } else {
        print_text(&reports);
        println!("{summary}");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_text(reports: &[FileReport]) {
    for report in reports {
        let status = if report.failed == 0 { "ok  " } else { "FAIL" };
        println!(
            "{status} {:<32} {:>4} passed {:>4} failed",
            report.file, report.passed, report.failed
        );
        for failure in &report.failures {
            println!("     {failure}");
        }
    }
}
