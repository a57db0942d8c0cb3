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
    let case = Case(case);
    let fail = |field: &str, expected: String, actual: String| Failure {
        file: file.to_owned(),
        tc_id: Some(case.tc_id()),
        field: field.to_owned(),
        expected,
        actual,
    };
    let malformed = |m: Malformed| vec![fail(&m.field, "a well-formed field".into(), m.reason)];
    let expectation = match case.expectation() {
        Ok(e) => e,
        Err(m) => return malformed(m),
    };
    let computed = match compute(case) {
        Ok(c) => c,
        Err(m) => return malformed(m),
    };
    match (expectation, computed) {
        (Expectation::Valid | Expectation::Acceptable, Computed::Accepted(outputs)) => outputs
            .into_iter()
            .filter_map(|(field, actual)| {
                let expected = case.0.get(field);
                (expected != Some(&actual))
                    .then(|| fail(field, show(expected), show(Some(&actual))))
            })
            .collect(),
        (Expectation::Valid, Computed::Rejected(code)) => {
            vec![fail("result", "valid".into(), format!("rejected ({code})"))]
        }
        (Expectation::Invalid, Computed::Accepted(_)) => vec![fail(
            "result",
            format!("invalid ({})", show(case.0.get("error"))),
            "accepted".into(),
        )],
        (Expectation::Invalid, Computed::Rejected(code)) => {
            let expected = case.0.get("error");
            if expected.and_then(Value::as_str) == Some(code) {
                Vec::new()
            } else {
                vec![fail("error", show(expected), code.into())]
            }
        }
        (Expectation::Acceptable, Computed::Rejected(_)) => Vec::new(),
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(missing)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
