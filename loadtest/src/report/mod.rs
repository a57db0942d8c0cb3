//! The report of a run in `<out>/<name>/`: `summary.md`, `results.json`, `latency.svg` and
//! `throughput.svg`; and the progress bar shown while it runs.

mod json;
mod kill_cycle;
mod markdown;
mod plots;
pub(crate) mod progress;

use std::path::PathBuf;

use crate::{LoadError, Results};

pub use kill_cycle::write_kill_cycle;

/// File names of a report, as `summary.md` links them.
pub const FILES: [&str; 4] = [
    "summary.md",
    "results.json",
    "latency.svg",
    "throughput.svg",
];

/// Writes the report folder; returns its path.
///
/// # Errors
/// [`LoadError::Io`] when a file cannot be written.
pub fn write(results: &Results) -> Result<PathBuf, LoadError> {
    let dir = results.config.out.join(&results.config.name);
    std::fs::create_dir_all(&dir).map_err(|e| LoadError::io(&dir, e))?;
    json::write(&dir.join("results.json"), results)?;
    plots::latency(&dir.join("latency.svg"), results)?;
    plots::throughput(&dir.join("throughput.svg"), results)?;
    let summary = dir.join("summary.md");
    std::fs::write(&summary, markdown::render(results)).map_err(|e| LoadError::io(&summary, e))?;
    Ok(dir)
}
