//! `interop run`: every vector case the peer's capabilities cover, sent, answered and judged
//! (IOP-5 to IOP-12).

use std::collections::BTreeMap;
use std::path::PathBuf;

use saltrelay_vectors::KatFile;
use saltrelay_vectors::case::{Case, Expectation};
use saltrelay_vectors::check::{Outcome, judge};
use saltrelay_vectors::interface::{self, Interface};
use saltrelay_vectors::registry;
use serde_json::{Map, Value};

use crate::fault::{Fault, FaultKind};
use crate::peer::{Answer, Peer, Timeouts};
use crate::report::{Problem, Row, RunReport};
use crate::step::first_difference;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The vector folder.
    pub vectors: PathBuf,
    /// Only cases all of whose capabilities are in this list (empty: no limit).
    pub only: Vec<String>,
    /// No case that needs one of these capabilities.
    pub skip: Vec<String>,
    /// Only these vector files (empty: all).
    pub files: Vec<String>,
    /// Only the case with this `tcId`.
    pub tc_id: Option<u64>,
    /// How long to wait for the peer.
    pub timeouts: Timeouts,
}

/// Why a run could not take place (exit status 2, IOP-14).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The peer did not start or answer its hello.
    #[error("the peer did not start: {0}")]
    PeerStart(Fault),
    /// A vector file could not be read or parsed.
    #[error("vector file {file}: {reason}")]
    Vectors {
        /// The file.
        file: String,
        /// What went wrong.
        reason: String,
    },
    /// `--file` named a file that is not registered.
    #[error("unknown vector file {0}")]
    UnknownFile(String),
}

/// Reads one registered vector file from `options.vectors`.
///
/// # Errors
/// When it cannot be read or is not `kat_v1`.
pub fn load(options: &Options, name: &str) -> Result<KatFile, RunError> {
    let vectors_error = |reason: String| RunError::Vectors {
        file: name.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(options.vectors.join(name))
        .map_err(|e| vectors_error(e.to_string()))?;
    KatFile::from_json(&text).map_err(|e| vectors_error(e.to_string()))
}

/// The files to run, in registry order.
fn selected_files(options: &Options) -> Result<Vec<&'static Interface>, RunError> {
    for name in &options.files {
        if interface::find(name).is_none() {
            return Err(RunError::UnknownFile(name.clone()));
        }
    }
    Ok(registry::FILES
        .iter()
        .filter(|f| options.files.is_empty() || options.files.iter().any(|n| n == f.name))
        .filter_map(|f| interface::find(f.name))
        .collect())
}

/// Starts the peer, runs every selected case and returns the result.
///
/// # Errors
/// [`RunError`] when the run cannot start or a vector file is unreadable.
pub fn run(command: &[String], options: &Options) -> Result<RunReport, RunError> {
    let files = selected_files(options)?;
    let mut peer = Peer::start(command, options.timeouts).map_err(RunError::PeerStart)?;
    let hello = peer.hello().clone();
    let mut rows: BTreeMap<(usize, String), Row> = BTreeMap::new();
    let mut problems = Vec::new();
    for iface in files {
        let kat = load(options, iface.file)?;
        for case in &kat.tests {
            let facts = CaseFacts::of(iface.file, case);
            if options.tc_id.is_some_and(|id| id != facts.tc_id) {
                continue;
            }
            let row = rows
                .entry((facts.order(), facts.capabilities.join("+")))
                .or_insert_with(|| Row::new(facts.capabilities.join("+")));
            let selected = facts.capabilities.iter().all(|cap| {
                hello.capabilities.contains(cap)
                    && (options.only.is_empty() || options.only.contains(cap))
                    && !options.skip.contains(cap)
            });
            if !selected {
                row.skipped += 1;
                continue;
            }
            let request = peer.request_line(iface.op(), &iface.request_input(case));
            let verdict = peer
                .ask(&request)
                .and_then(|answer| judge_answer(iface, case, answer));
            match verdict {
                Ok(found) if found.is_empty() => row.passed += 1,
                Ok(found) => {
                    row.failed += 1;
                    problems.extend(found.into_iter().map(|p| facts.problem(p, &request)));
                }
                Err(fault) => {
                    row.failed += 1;
                    row.faults += 1;
                    problems.push(facts.fault(fault, &request));
                }
            }
        }
    }
    peer.finish();
    Ok(RunReport::new(
        hello,
        rows.into_values().collect(),
        problems,
    ))
}

/// A disagreement found in an answer, before the case's facts are attached.
#[derive(Debug)]
pub(crate) struct Finding {
    pub(crate) kind: &'static str,
    pub(crate) field: String,
    pub(crate) step: Option<String>,
    pub(crate) expected: String,
    pub(crate) actual: String,
}

/// Judges one answer (IOP-8 to IOP-10); a missing answered field is a peer fault (IOP-11).
fn judge_answer(
    iface: &Interface,
    case: &Map<String, Value>,
    answer: Answer,
) -> Result<Vec<Finding>, Fault> {
    let missing = |fields: Vec<&str>, output: &Map<String, Value>| {
        let absent: Vec<&str> = fields
            .into_iter()
            .filter(|f| !output.contains_key(*f))
            .collect();
        if absent.is_empty() {
            Ok(())
        } else {
            let mut fault = Fault::new(
                FaultKind::Malformed,
                format!("the answer lacks {}", absent.join(", ")),
            );
            fault.line = Some(Value::Object(output.clone()).to_string());
            Err(fault)
        }
    };
    let pick = |fields: &[&str], output: &Map<String, Value>| -> Vec<(String, Value)> {
        fields
            .iter()
            .filter_map(|f| output.get(*f).map(|v| ((*f).to_owned(), v.clone())))
            .collect()
    };
    let (outcome, output) = match answer {
        Answer::Accepted(output) => {
            missing(iface.required(case), &output)?;
            (Outcome::Accepted(pick(iface.answers, &output)), output)
        }
        Answer::Rejected(code, output) => {
            let expected = case.get("error").and_then(Value::as_str);
            if code == "unsupported" && expected != Some("unsupported") {
                return Ok(vec![Finding {
                    kind: "unsupported",
                    field: "op".into(),
                    step: None,
                    expected: format!("an answer to op {}", iface.op()),
                    actual: "unsupported (IOP-10)".into(),
                }]);
            }
            if Case(case).expectation() == Ok(Expectation::Invalid)
                && expected == Some(code.as_str())
            {
                let pinned = iface
                    .on_failure
                    .iter()
                    .copied()
                    .filter(|f| case.contains_key(*f))
                    .collect();
                missing(pinned, &output)?;
            }
            let outputs = pick(iface.on_failure, &output);
            (Outcome::Rejected { code, outputs }, output)
        }
    };
    Ok(judge(iface.file, case, outcome)
        .into_iter()
        .map(|failure| Finding {
            kind: "failed",
            step: match (case.get(&failure.field), output.get(&failure.field)) {
                (Some(expected), Some(actual)) => first_difference(expected, actual),
                _ => None,
            },
            field: failure.field,
            expected: failure.expected,
            actual: failure.actual,
        })
        .collect())
}

/// What the report says about a case besides the finding.
pub(crate) struct CaseFacts {
    pub(crate) file: &'static str,
    pub(crate) tc_id: u64,
    pub(crate) spec_refs: Vec<String>,
    pub(crate) capabilities: Vec<String>,
}

impl CaseFacts {
    pub(crate) fn of(file: &'static str, case: &Map<String, Value>) -> Self {
        let strings = |field: &str| -> Vec<String> {
            case.get(field)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            file,
            tc_id: Case(case).tc_id(),
            spec_refs: strings("specRefs"),
            capabilities: strings("capabilities"),
        }
    }

    /// Rows follow the order of [`interface::CAPABILITIES`].
    fn order(&self) -> usize {
        self.capabilities
            .first()
            .and_then(|c| interface::CAPABILITIES.iter().position(|k| k == c))
            .unwrap_or(usize::MAX)
    }

    fn problem(&self, finding: Finding, request: &str) -> Problem {
        Problem {
            file: self.file.to_owned(),
            tc_id: self.tc_id,
            spec_refs: self.spec_refs.clone(),
            capabilities: self.capabilities.clone(),
            kind: finding.kind.to_owned(),
            field: Some(finding.field),
            step: finding.step,
            expected: Some(finding.expected),
            actual: Some(finding.actual),
            request: request.to_owned(),
            detail: None,
            stderr: Vec::new(),
        }
    }

    fn fault(&self, fault: Fault, request: &str) -> Problem {
        Problem {
            file: self.file.to_owned(),
            tc_id: self.tc_id,
            spec_refs: self.spec_refs.clone(),
            capabilities: self.capabilities.clone(),
            kind: fault.kind.name().to_owned(),
            field: None,
            step: None,
            expected: None,
            actual: fault.line,
            request: request.to_owned(),
            detail: Some(fault.detail),
            stderr: fault.stderr,
        }
    }
}

/// The lines that replay case `tc_id` of `file` alone: the hello and the request (IOP-14).
///
/// # Errors
/// When the file is unknown or unreadable, or has no such case.
pub fn replay_lines(options: &Options, file: &str, tc_id: u64) -> Result<[String; 2], RunError> {
    let iface = interface::find(file).ok_or_else(|| RunError::UnknownFile(file.to_owned()))?;
    let kat = load(options, iface.file)?;
    let case = kat
        .tests
        .iter()
        .find(|case| Case(case).tc_id() == tc_id)
        .ok_or_else(|| RunError::Vectors {
            file: file.to_owned(),
            reason: format!("no case with tcId {tc_id}"),
        })?;
    Ok([
        crate::peer::hello_line(),
        crate::peer::request_line(1, iface.op(), &iface.request_input(case)),
    ])
}
