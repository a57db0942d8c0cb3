//! Deciding whether our implementation agrees with one test case (CONV-6).

use serde_json::{Map, Value};

use crate::case::{Case, Expectation, Malformed};

/// What our implementation made of a case's inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    /// Accepted, with these outputs (field name and value, compared to the case's fields).
    Accepted(Vec<(&'static str, Value)>),
    /// Rejected with this stable error code (CONV-7).
    Rejected(&'static str),
    /// Rejected with this code after producing these outputs (what a side wrote before it
    /// failed); each is compared with the case's field of that name when the case has one.
    RejectedAfter(&'static str, Vec<(&'static str, Value)>),
}

/// An implementation's result for a case, ours or an interop peer's (spec/08-interop.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted, with these outputs.
    Accepted(Vec<(String, Value)>),
    /// Rejected with an error code, after producing `outputs` (often none).
    Rejected {
        /// The stable error code (CONV-7).
        code: String,
        /// What the implementation produced before failing.
        outputs: Vec<(String, Value)>,
    },
}

impl From<Computed> for Outcome {
    fn from(computed: Computed) -> Self {
        let owned = |outputs: Vec<(&'static str, Value)>| {
            outputs
                .into_iter()
                .map(|(field, value)| (field.to_owned(), value))
                .collect()
        };
        match computed {
            Computed::Accepted(outputs) => Self::Accepted(owned(outputs)),
            Computed::Rejected(code) => Self::Rejected {
                code: code.to_owned(),
                outputs: Vec::new(),
            },
            Computed::RejectedAfter(code, outputs) => Self::Rejected {
                code: code.to_owned(),
                outputs: owned(outputs),
            },
        }
    }
}

/// Recomputes a case from its inputs.
pub type ComputeFn = fn(Case<'_>) -> Result<Computed, Malformed>;

/// One disagreement between a vector and our implementation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The vector file.
    pub file: String,
    /// The case, or `None` for a problem with the file as a whole.
    #[serde(rename = "tcId")]
    pub tc_id: Option<u64>,
    /// The field that disagrees.
    pub field: String,
    /// What the vector says.
    pub expected: String,
    /// What we computed.
    pub actual: String,
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.tc_id {
            Some(id) => write!(f, "{} tcId {id}", self.file)?,
            None => write!(f, "{}", self.file)?,
        }
        write!(
            f,
            " field {}: expected {} actual {}",
            self.field, self.expected, self.actual
        )
    }
}

/// Checks one case against `compute`; returns every disagreement (none means it passed).
#[must_use]
pub fn check_case(file: &str, case: &Map<String, Value>, compute: ComputeFn) -> Vec<Failure> {
    match compute(Case(case)) {
        Ok(computed) => judge(file, case, computed.into()),
        Err(m) => vec![Failure {
            file: file.to_owned(),
            tc_id: Some(Case(case).tc_id()),
            field: m.field,
            expected: "a well-formed field".into(),
            actual: m.reason,
        }],
    }
}

/// Judges an implementation's `outcome` for `case` by CONV-6; returns every disagreement.
#[must_use]
pub fn judge(file: &str, case: &Map<String, Value>, outcome: Outcome) -> Vec<Failure> {
    let case = Case(case);
    let fail = |field: &str, expected: String, actual: String| Failure {
        file: file.to_owned(),
        tc_id: Some(case.tc_id()),
        field: field.to_owned(),
        expected,
        actual,
    };
    let expectation = match case.expectation() {
        Ok(e) => e,
        Err(m) => return vec![fail(&m.field, "a well-formed field".into(), m.reason)],
    };
    let differing = |outputs: Vec<(String, Value)>, only_present: bool| -> Vec<Failure> {
        outputs
            .into_iter()
            .filter_map(|(field, actual)| {
                let expected = case.0.get(&field);
                let differs = match expected {
                    None => !only_present,
                    Some(expected) => *expected != actual,
                };
                differs.then(|| fail(&field, show(expected), show(Some(&actual))))
            })
            .collect()
    };
    match (expectation, outcome) {
        (Expectation::Valid | Expectation::Acceptable, Outcome::Accepted(outputs)) => {
            differing(outputs, false)
        }
        (Expectation::Valid, Outcome::Rejected { code, .. }) => {
            vec![fail("result", "valid".into(), format!("rejected ({code})"))]
        }
        (Expectation::Invalid, Outcome::Accepted(_)) => vec![fail(
            "result",
            format!("invalid ({})", show(case.0.get("error"))),
            "accepted".into(),
        )],
        (Expectation::Invalid, Outcome::Rejected { code, outputs }) => {
            let expected = case.0.get("error");
            let mut failures = Vec::new();
            if expected.and_then(Value::as_str) != Some(code.as_str()) {
                failures.push(fail("error", show(expected), code));
            }
            failures.extend(differing(outputs, true));
            failures
        }
        (Expectation::Acceptable, Outcome::Rejected { .. }) => Vec::new(),
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(missing)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
