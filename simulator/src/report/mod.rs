//! Reports: `results.json`, `summary.md` and SVG plots in one folder
//! (`reports/simulation/<name>/` by default).

mod honesty;
pub(crate) mod plots;
mod summary;

use std::path::Path;

use crate::SimError;
use crate::sweep::Document;

/// Wall-clock facts about runs, kept out of `results.json` so that file stays deterministic.
#[derive(Clone, Debug, Default)]
pub struct Performance {
    /// Wall time of the whole invocation, seconds.
    pub wall_s: f64,
    /// Events processed by all runs together.
    pub events: u64,
    /// Threads used.
    pub threads: usize,
}

/// Every file a report consists of.
pub const REPORT_FILES: [&str; 9] = [
    "results.json",
    "summary.md",
    "throughput.svg",
    "latency_cdf.svg",
    "queue_depth.svg",
    "buffered_bytes.svg",
    "connected.svg",
    "cpu.svg",
    "expired.svg",
];

/// What [`write()`] did with the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// The report was written (new, or its results changed).
    Rewritten,
    /// A complete report with the same results was already there and was left untouched. It
    /// still names the provenance and wall time of the run that wrote it.
    Unchanged {
        /// The commit the existing report names.
        commit: String,
    },
}

/// Writes `results.json`, `summary.md` and the plots into `dir` (created if missing), unless
/// `dir` already holds a complete report whose results equal `doc`'s in everything but the
/// provenance: then nothing is written, so rerunning a committed report (the README's main
/// command) leaves a clone clean. Only the provenance and the wall-clock lines of `summary.md`
/// differ between runs of the same inputs; they stay those of the run that first produced
/// these results.
///
/// # Errors
/// [`SimError::Io`].
pub fn write(doc: &Document, perf: &Performance, dir: &Path) -> Result<Written, SimError> {
    if let Some(commit) = unchanged_report(doc, dir) {
        return Ok(Written::Unchanged { commit });
    }
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
    let json = results_json(doc);
    let path = dir.join("results.json");
    std::fs::write(&path, json).map_err(|e| SimError::io(&path, e))?;
    plots::all(doc, dir)?;
    let path = dir.join("summary.md");
    std::fs::write(&path, summary::markdown(doc, perf)).map_err(|e| SimError::io(&path, e))?;
    Ok(Written::Rewritten)
}

/// The commit named by the report in `dir` when every report file is there and its
/// `results.json` equals `doc` apart from the provenance.
fn unchanged_report(doc: &Document, dir: &Path) -> Option<String> {
    if !REPORT_FILES.iter().all(|name| dir.join(name).is_file()) {
        return None;
    }
    let text = std::fs::read_to_string(dir.join("results.json")).ok()?;
    let existing: Document = serde_json::from_str(&text).ok()?;
    // Byte for byte: `doc` written with the existing provenance must be the file as it is.
    let same = results_json(&Document {
        provenance: existing.provenance.clone(),
        ..doc.clone()
    }) == text;
    same.then(|| existing.provenance.commit_label())
}

/// The exact bytes of `results.json`.
#[must_use]
pub fn results_json(doc: &Document) -> String {
    let mut json = serde_json::to_string_pretty(doc).expect("results serialise");
    json.push('\n');
    json
}
