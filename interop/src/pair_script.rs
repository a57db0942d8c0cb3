//! What the stateful pair scenarios share (spec/08-interop.md, IOP-20 to IOP-23): machines
//! living on either peer under handles, one step at a time, and the bookkeeping that turns a
//! script into a report row: the first step that fails ends the scenario, naming the peer, the
//! step and the check, and its remaining steps count as failed.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::fault::{Fault, FaultKind};
use crate::peer::{Answer, Peer};
use crate::report::{Problem, Row};
use crate::step::first_difference;

/// A machine on one of the two peers.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    /// 0 for peer A, 1 for peer B.
    pub(crate) peer: usize,
    /// The handle the peer gave it (IOP-20).
    pub(crate) handle: String,
    /// Its role in the script, for reports (`initiator`, `member 1`).
    pub(crate) role: &'static str,
}

/// A step's answer (IOP-21): its output fields, and the error code when it failed.
pub(crate) struct Stepped {
    pub(crate) output: Map<String, Value>,
    pub(crate) error: Option<String>,
}

/// One scenario being run: its report row, its identity in failure blocks and the last
/// request sent (the one a failure names).
pub(crate) struct Scenario<'a> {
    name: String,
    capability: &'static str,
    spec_refs: &'static [&'static str],
    peers: &'a mut [Peer; 2],
    /// Steps passed so far.
    pub(crate) passed: usize,
    last_request: String,
    /// The last request each machine was sent, by peer and handle: a failure names its own.
    requests: HashMap<(usize, String), String>,
}

impl<'a> Scenario<'a> {
    pub(crate) fn new(
        name: String,
        capability: &'static str,
        spec_refs: &'static [&'static str],
        peers: &'a mut [Peer; 2],
    ) -> Self {
        Self {
            name,
            capability,
            spec_refs,
            peers,
            passed: 0,
            last_request: String::new(),
            requests: HashMap::new(),
        }
    }

    /// Creates a machine on `peer` with `op` (`fs.session.new`, `group.client.new`).
    pub(crate) fn create(
        &mut self,
        peer: usize,
        role: &'static str,
        op: &str,
        input: &Map<String, Value>,
    ) -> Result<Machine, Box<Problem>> {
        let stepped = self.ask(peer, role, op, input)?;
        if let Some(code) = stepped.error {
            return Err(self.failure(
                peer,
                role,
                "result",
                "accepted",
                &format!("rejected ({code})"),
            ));
        }
        match stepped.output.get("handle").and_then(Value::as_str) {
            Some(handle) => Ok(Machine {
                peer,
                handle: handle.to_owned(),
                role,
            }),
            None => Err(self.fault(
                peer,
                role,
                &Fault::new(FaultKind::Malformed, "the answer lacks handle"),
            )),
        }
    }

    /// Runs one step of `machine` with `op`; `input` gets the handle added.
    pub(crate) fn step(
        &mut self,
        machine: &Machine,
        op: &str,
        mut input: Map<String, Value>,
        fields: &[&str],
    ) -> Result<Stepped, Box<Problem>> {
        input.insert("handle".into(), machine.handle.clone().into());
        let stepped = self.ask(machine.peer, machine.role, op, &input)?;
        self.requests.insert(
            (machine.peer, machine.handle.clone()),
            self.last_request.clone(),
        );
        let absent: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| !stepped.output.contains_key(*f))
            .collect();
        if absent.is_empty() {
            Ok(stepped)
        } else {
            let detail = match &stepped.error {
                Some(code) => format!("rejected ({code}) without {}", absent.join(", ")),
                None => format!("the answer lacks {}", absent.join(", ")),
            };
            Err(self.fault(
                machine.peer,
                machine.role,
                &Fault::new(FaultKind::Malformed, detail),
            ))
        }
    }

    fn ask(
        &mut self,
        peer: usize,
        role: &'static str,
        op: &str,
        input: &Map<String, Value>,
    ) -> Result<Stepped, Box<Problem>> {
        let line = self.peers[peer].request_line(op, input);
        self.last_request.clone_from(&line);
        match self.peers[peer].ask(&line) {
            Ok(Answer::Accepted(output)) => Ok(Stepped {
                output,
                error: None,
            }),
            Ok(Answer::Rejected(code, output)) => Ok(Stepped {
                output,
                error: Some(code),
            }),
            Err(fault) => Err(self.fault(peer, role, &fault)),
        }
    }

    /// A disagreement at the current step: `check` expected `expected`, the peer did `actual`.
    pub(crate) fn failure(
        &self,
        peer: usize,
        role: &str,
        check: &str,
        expected: &str,
        actual: &str,
    ) -> Box<Problem> {
        let mut problem = self.problem(peer, role, "failed");
        problem.field = Some(check.into());
        problem.expected = Some(expected.into());
        problem.actual = Some(actual.into());
        Box::new(problem)
    }

    /// A disagreement between two JSON values, with the place they first differ.
    pub(crate) fn mismatch(
        &self,
        machine: &Machine,
        check: &str,
        expected: &Value,
        actual: &Value,
    ) -> Box<Problem> {
        let mut problem = self.failure(
            machine.peer,
            machine.role,
            check,
            &expected.to_string(),
            &actual.to_string(),
        );
        problem.step = first_difference(expected, actual);
        if let Some(line) = self.requests.get(&(machine.peer, machine.handle.clone())) {
            problem.request.clone_from(line);
        }
        problem
    }

    fn fault(&self, peer: usize, role: &str, fault: &Fault) -> Box<Problem> {
        let mut problem = self.problem(peer, role, fault.kind.name());
        problem.detail = Some(format!("peer {} ({role}): {}", name(peer), fault.detail));
        problem.actual.clone_from(&fault.line);
        problem.stderr.clone_from(&fault.stderr);
        Box::new(problem)
    }

    fn problem(&self, peer: usize, role: &str, kind: &str) -> Problem {
        Problem {
            file: self.name.clone(),
            tc_id: u64::try_from(self.passed + 1).unwrap_or(u64::MAX),
            spec_refs: self.spec_refs.iter().map(|s| (*s).to_owned()).collect(),
            capabilities: vec![self.capability.to_owned()],
            kind: kind.into(),
            field: None,
            step: None,
            expected: None,
            actual: None,
            request: self.last_request.clone(),
            detail: Some(format!("peer {} ({role}) answered", name(peer))),
            stderr: Vec::new(),
        }
    }

    /// The report row once the scenario ended, with `steps` in its script.
    pub(crate) fn row(
        &self,
        steps: usize,
        outcome: Result<(), Box<Problem>>,
    ) -> (Row, Option<Problem>) {
        let mut row = Row::new(self.name.clone());
        row.passed = self.passed;
        row.failed = steps.saturating_sub(self.passed);
        let problem = outcome.err().map(|p| *p);
        if let Some(p) = &problem {
            row.faults = usize::from(p.kind != "failed");
        }
        (row, problem)
    }
}

/// The peer's letter in reports.
pub(crate) fn name(peer: usize) -> &'static str {
    if peer == 0 { "A" } else { "B" }
}

/// A row of steps not run: the capability was not claimed by both or not selected.
pub(crate) fn skipped(name: String, steps: usize) -> Row {
    let mut row = Row::new(name);
    row.skipped = steps;
    row
}

/// The field `name` of an answer's output, or null.
pub(crate) fn field<'v>(output: &'v Map<String, Value>, name: &str) -> &'v Value {
    output.get(name).unwrap_or(&Value::Null)
}
