//! The check of committed reports (MEAS-6, MEAS-7): every report folder under `reports/` holds
//! a record (a top-level JSON file with a provenance, MEAS-1) that names a clean commit which
//! is an ancestor of `HEAD`. Reports listed in `reports/PENDING-REMEASURE.md` predate
//! provenance: they are warnings, not failures, until they are measured again. A report whose
//! kind can be rewritten from its record (a [`Regenerate`]) must equal that rewrite (MEAS-13).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Provenance;

/// The allowlist of reports waiting to be measured again, relative to the reports folder.
pub const PENDING_FILE: &str = "PENDING-REMEASURE.md";

/// What the check found about one report folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The folder, relative to the repository root (`reports/loadtest/idle`).
    pub report: String,
    /// What is wrong with it; empty when nothing is.
    pub problems: Vec<String>,
    /// Whether `PENDING-REMEASURE.md` lists it.
    pub pending: bool,
}

/// The whole check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// One entry per report folder, in path order.
    pub findings: Vec<Finding>,
    /// Entries of the pending list that name no report folder.
    pub unknown_pending: Vec<String>,
}

impl Outcome {
    /// Reports that make the check fail: failing and not pending, or pending and passing
    /// (the list must shrink as reports are measured again, MEAS-7).
    #[must_use]
    pub fn failures(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.problems.is_empty() == f.pending)
            .collect()
    }

    /// Whether the check passes: no failures and no stale pending entries.
    #[must_use]
    pub fn passes(&self) -> bool {
        self.failures().is_empty() && self.unknown_pending.is_empty()
    }

    /// One line per finding: `ok`, `FAIL`, `pending` (a warning) or `pending but passes`
    /// (to be taken off the list).
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .findings
            .iter()
            .map(|f| match (f.problems.is_empty(), f.pending) {
                (true, false) => format!("ok       {}", f.report),
                (true, true) => format!("FAIL     {} passes: take it off {PENDING_FILE}", f.report),
                (false, true) => format!(
                    "warning  {} (listed in {PENDING_FILE}): {}",
                    f.report,
                    f.problems.join("; ")
                ),
                (false, false) => format!("FAIL     {}: {}", f.report, f.problems.join("; ")),
            })
            .collect();
        for entry in &self.unknown_pending {
            lines.push(format!(
                "FAIL     {PENDING_FILE} lists {entry}, which is not a report folder"
            ));
        }
        lines
    }
}

/// A kind of report that its command writes as a pure function of its record (MEAS-13): the
/// check rewrites it from the committed record and compares, so a figure edited by hand, or
/// a record and report that no longer belong together, fail.
pub trait Regenerate {
    /// The `schema` of the records this kind is written from (`saltrelay_scale_v1`).
    fn schema(&self) -> &'static str;

    /// The report's files as its command writes them from `record` (the record file's text):
    /// file name within the report folder, and contents.
    ///
    /// # Errors
    /// A sentence saying why the record cannot be read as this schema.
    fn regenerate(&self, record: &str) -> Result<Vec<(String, String)>, String>;
}

/// Checks every report folder below `repo/reports`, without regenerating any.
///
/// # Errors
/// When the reports folder or a record cannot be read.
pub fn check(repo: &Path) -> std::io::Result<Outcome> {
    check_with(repo, &[])
}

/// Checks every report folder below `repo/reports`; a record whose schema one of `kinds`
/// reads is regenerated and compared with the files beside it (MEAS-13).
///
/// # Errors
/// When the reports folder or a record cannot be read.
pub fn check_with(repo: &Path, kinds: &[&dyn Regenerate]) -> std::io::Result<Outcome> {
    let reports = repo.join("reports");
    let pending = read_pending(&reports.join(PENDING_FILE))?;
    let mut folders = Vec::new();
    report_folders(&reports, &mut folders)?;
    folders.sort();
    let mut outcome = Outcome::default();
    for folder in &folders {
        let name = relative(repo, folder);
        let problems = check_folder(repo, folder, kinds)?;
        outcome.findings.push(Finding {
            pending: pending.contains(&name),
            report: name,
            problems,
        });
    }
    outcome.unknown_pending = pending
        .into_iter()
        .filter(|p| !outcome.findings.iter().any(|f| &f.report == p))
        .collect();
    Ok(outcome)
}

fn relative(repo: &Path, path: &Path) -> String {
    path.strip_prefix(repo)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The folders below `dir` holding a Markdown report, the top-level index files excepted.
fn report_folders(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let top = out.is_empty() && dir.file_name().is_some_and(|n| n == "reports");
    let mut has_report = false;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            report_folders(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            let index = top
                && path
                    .file_name()
                    .is_some_and(|n| n == "README.md" || n == PENDING_FILE);
            has_report |= !index;
        }
    }
    if has_report {
        out.push(dir.to_owned());
    }
    Ok(())
}

/// `- `reports/x`: why` lines of the pending list (MEAS-7).
fn read_pending(path: &Path) -> std::io::Result<Vec<String>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(|p| p.trim_end_matches('/').to_owned())
        .collect())
}

/// The problems of one folder: no record, a record whose provenance is dirty or names a
/// commit that is not an ancestor of `HEAD`, or a report that differs from its regeneration.
fn check_folder(
    repo: &Path,
    folder: &Path,
    kinds: &[&dyn Regenerate],
) -> std::io::Result<Vec<String>> {
    let mut records = Vec::new();
    let mut regenerated = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)?;
            if let Some(p) = provenance_of(&text) {
                regenerated.extend(compare_regenerated(folder, &path, &text, kinds)?);
                records.push((path, p));
            }
        }
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    if records.is_empty() {
        return Ok(vec![
            "no record: no JSON file here carries a provenance (MEAS-1), so nothing says which \
             commit and machine produced it"
                .to_owned(),
        ]);
    }
    let mut problems = Vec::new();
    for (path, p) in records {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if !p.clean {
            problems.push(format!(
                "{file}: measured on a tree with uncommitted changes (`{}`)",
                p.commit_label()
            ));
        }
        if !is_ancestor(repo, &p.commit) {
            problems.push(format!(
                "{file}: commit `{}` is not an ancestor of HEAD",
                p.commit
            ));
        }
    }
    problems.extend(regenerated);
    Ok(problems)
}

/// Regenerates the report from one record when a kind reads its schema, and names every file
/// that is missing or differs.
fn compare_regenerated(
    folder: &Path,
    record: &Path,
    text: &str,
    kinds: &[&dyn Regenerate],
) -> std::io::Result<Vec<String>> {
    let name = record
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let schema = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("schema")?.as_str().map(str::to_owned));
    let Some(kind) = kinds.iter().find(|k| schema.as_deref() == Some(k.schema())) else {
        return Ok(Vec::new());
    };
    let files = match kind.regenerate(text) {
        Ok(files) => files,
        Err(why) => return Ok(vec![format!("{name}: cannot be regenerated from: {why}")]),
    };
    let mut problems = Vec::new();
    for (file, expected) in files {
        let path = folder.join(&file);
        if !path.is_file() {
            problems.push(format!("{file}: missing; {name} regenerates it"));
        } else if std::fs::read_to_string(&path)? != expected {
            problems.push(format!(
                "{file}: differs from what {name} regenerates (edited by hand, or written from \
                 other data)"
            ));
        }
    }
    Ok(problems)
}

/// The provenance a record carries at its top level (`provenance`, a cost file's `measured`,
/// or a validation's `provenance.measured`, which wraps the recorder's object with the end of
/// the run: VAL-7), if it parses as one.
fn provenance_of(text: &str) -> Option<Provenance> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let p = value.get("provenance").or_else(|| value.get("measured"))?;
    let p = p.get("measured").unwrap_or(p);
    serde_json::from_value(p.clone()).ok()
}

/// Whether `commit` names a commit of this repository that `HEAD` descends from.
fn is_ancestor(repo: &Path, commit: &str) -> bool {
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    Command::new("git")
        .args(["merge-base", "--is-ancestor", commit, "HEAD"])
        .current_dir(repo)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod tests;
