//! The result of a run and its two renderings, a table for people and JSON for CI (IOP-14).

use std::fmt::Write as _;

use serde::Serialize;

use crate::peer::Hello;

/// Longest value or request printed whole in the text report, in characters.
const SHOWN: usize = 1_000;

/// Counts for one capability set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The capabilities of the cases, joined with `+`.
    pub capabilities: String,
    /// Cases that agreed.
    pub passed: usize,
    /// Cases that disagreed or faulted.
    pub failed: usize,
    /// Of `failed`, the peer faults (IOP-11).
    pub faults: usize,
    /// Cases not sent: a capability not claimed or not selected.
    pub skipped: usize,
}

impl Row {
    pub(crate) fn new(capabilities: String) -> Self {
        Self {
            capabilities,
            passed: 0,
            failed: 0,
            faults: 0,
            skipped: 0,
        }
    }
}

/// One failure or fault, with everything needed to replay it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The vector file.
    pub file: String,
    /// The case.
    #[serde(rename = "tcId")]
    pub tc_id: u64,
    /// The case's spec paragraphs.
    #[serde(rename = "specRefs")]
    pub spec_refs: Vec<String>,
    /// The case's capabilities.
    pub capabilities: Vec<String>,
    /// `failed`, `unsupported`, or a fault kind (`timeout`, `malformed`, `crashed`).
    pub kind: String,
    /// The field that disagrees.
    pub field: Option<String>,
    /// Where inside the field it first disagrees.
    pub step: Option<String>,
    /// What the vector says.
    pub expected: Option<String>,
    /// What the peer answered (for a fault, the offending line if any).
    pub actual: Option<String>,
    /// The exact request line sent.
    pub request: String,
    /// For a fault, what happened.
    pub detail: Option<String>,
    /// For a fault, the last lines of the peer's standard error.
    pub stderr: Vec<String>,
}

/// The whole result of `interop run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The implementation, as its hello named it.
    pub implementation: String,
    /// The capabilities it claimed.
    #[serde(rename = "capabilities")]
    pub claimed: Vec<String>,
    /// One row per capability set.
    pub rows: Vec<Row>,
    /// Every failure and fault.
    pub failures: Vec<Problem>,
    /// Total cases that agreed.
    pub passed: usize,
    /// Total cases that disagreed or faulted.
    pub failed: usize,
    /// Of `failed`, the peer faults.
    pub faults: usize,
    /// Total cases not sent.
    pub skipped: usize,
}

impl RunReport {
    pub(crate) fn new(hello: Hello, rows: Vec<Row>, failures: Vec<Problem>) -> Self {
        let sum = |f: fn(&Row) -> usize| rows.iter().map(f).sum();
        Self {
            implementation: hello.implementation,
            claimed: hello.capabilities,
            passed: sum(|r| r.passed),
            failed: sum(|r| r.failed),
            faults: sum(|r| r.faults),
            skipped: sum(|r| r.skipped),
            rows,
            failures,
        }
    }

    /// True when nothing failed or faulted.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }

    /// The last line of the text report.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    /// The text report: each failure, the table, the summary line. `replay` is the peer
    /// command as the user typed it, for the replay hint (none when the request line alone
    /// is the replay, as in `interop pair`).
    #[must_use]
    pub fn to_text(&self, replay: Option<&str>) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "peer: {} (claims {})",
            self.implementation,
            if self.claimed.is_empty() {
                "nothing".into()
            } else {
                self.claimed.join(", ")
            }
        );
        for problem in &self.failures {
            write_problem(&mut out, problem, replay);
        }
        let _ = writeln!(
            out,
            "\n{:<34} {:>7} {:>7} {:>7} {:>8}",
            "capabilities", "passed", "failed", "faults", "skipped"
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "{:<34} {:>7} {:>7} {:>7} {:>8}",
                row.capabilities, row.passed, row.failed, row.faults, row.skipped
            );
        }
        if self.faults > 0 {
            let _ = writeln!(
                out,
                "{} of the failures are peer faults (IOP-11)",
                self.faults
            );
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}

fn write_problem(out: &mut String, p: &Problem, replay: Option<&str>) {
    let label = match p.kind.as_str() {
        "failed" | "unsupported" => "FAIL",
        _ => "FAULT",
    };
    let _ = writeln!(
        out,
        "\n{label} {} tcId {} [{}] specRefs {}",
        p.file,
        p.tc_id,
        p.capabilities.join("+"),
        p.spec_refs.join(", ")
    );
    match (&p.detail, label) {
        (Some(detail), "FAULT") => {
            let _ = writeln!(out, "  peer fault ({}): {detail}", p.kind);
        }
        (Some(detail), _) => {
            let _ = writeln!(out, "  {detail}");
        }
        (None, _) => {}
    }
    if let Some(field) = &p.field {
        let at = p
            .step
            .as_ref()
            .map(|s| format!(" at {s}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  field {field}{at}");
    }
    if let Some(expected) = &p.expected {
        let _ = writeln!(out, "  expected {}", shorten(expected));
    }
    if let Some(actual) = &p.actual {
        let name = if p.field.is_some() {
            "actual  "
        } else {
            "line    "
        };
        let _ = writeln!(out, "  {name} {}", shorten(actual));
    }
    for line in &p.stderr {
        let _ = writeln!(out, "  stderr   {line}");
    }
    if p.request.len() <= SHOWN {
        let _ = writeln!(out, "  request  {}", p.request);
    } else {
        let _ = writeln!(
            out,
            "  request  ({} bytes; whole in --json)",
            p.request.len()
        );
    }
    if let Some(replay) = replay {
        let _ = writeln!(
            out,
            "  replay   saltrelay interop request {} --tc-id {} | {replay}",
            p.file, p.tc_id
        );
    }
}

fn shorten(text: &str) -> String {
    if text.len() <= SHOWN {
        text.to_owned()
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head}… ({} characters)", text.len())
    }
}
