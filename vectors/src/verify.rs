//! Running every vector through our implementation (CONV-5, CONV-6).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::KatFile;
use crate::case::Case;
use crate::check::{Failure, check_case};
use crate::interface;
use crate::kat_file::SCHEMA;
use crate::registry;

/// The outcome for one file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileReport {
    /// The file name.
    pub file: String,
    /// Cases that agreed.
    pub passed: usize,
    /// Cases (or, for a broken envelope, files) that did not.
    pub failed: usize,
    /// Every disagreement.
    pub failures: Vec<Failure>,
}

/// Verifies the text of the vector file `name`. With `tc_id`, only that case runs.
#[must_use]
pub fn verify_text(name: &str, text: &str, tc_id: Option<u64>) -> FileReport {
    let mut report = FileReport {
        file: name.to_owned(),
        ..FileReport::default()
    };
    let file_failure = |field: &str, expected: &str, actual: String| Failure {
        file: name.to_owned(),
        tc_id: None,
        field: field.to_owned(),
        expected: expected.to_owned(),
        actual,
    };
    let Some(entry) = registry::find(name) else {
        report.failed = 1;
        report.failures.push(file_failure(
            "file",
            "a registered vector file",
            "no verifier for this file name".into(),
        ));
        return report;
    };
    let kat = match KatFile::from_json(text) {
        Ok(kat) => kat,
        Err(e) => {
            report.failed = 1;
            report
                .failures
                .push(file_failure("file", "kat_v1 JSON", e.to_string()));
            return report;
        }
    };
    let envelope = envelope_failures(&kat, name);
    if !envelope.is_empty() {
        report.failed = 1;
        report.failures.extend(
            envelope
                .into_iter()
                .map(|(field, expected, actual)| file_failure(field, &expected, actual)),
        );
    }
    for case in &kat.tests {
        if tc_id.is_some_and(|id| Case(case).tc_id() != id) {
            continue;
        }
        let failures = check_case(name, case, entry.compute);
        if failures.is_empty() {
            report.passed += 1;
        } else {
            report.failed += 1;
            report.failures.extend(failures);
        }
    }
    report
}

/// Checks the envelope: schema, test count, `tcId` sequence, flags, spec references and
/// capabilities.
fn envelope_failures(kat: &KatFile, name: &str) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if kat.schema != SCHEMA {
        out.push(("schema", SCHEMA.to_owned(), kat.schema.clone()));
    }
    if kat.number_of_tests != kat.tests.len() {
        out.push((
            "numberOfTests",
            kat.tests.len().to_string(),
            kat.number_of_tests.to_string(),
        ));
    }
    let mut used_flags = BTreeSet::new();
    for (index, case) in kat.tests.iter().enumerate() {
        let case = Case(case);
        let wanted = index as u64 + 1;
        if case.tc_id() != wanted {
            out.push(("tcId", wanted.to_string(), case.tc_id().to_string()));
        }
        if case.spec_refs().is_empty() {
            out.push((
                "specRefs",
                format!("at least one spec ID in tcId {wanted}"),
                "none".into(),
            ));
        }
        if let Some(problem) = capability_problem(name, case) {
            out.push((
                "capabilities",
                format!("{problem} in tcId {wanted}"),
                show_caps(case),
            ));
        }
        used_flags.extend(case.flags());
    }
    for flag in used_flags {
        if !kat.notes.get(flag).is_some_and(Value::is_string) {
            out.push(("notes", format!("a note for flag {flag}"), "none".into()));
        }
    }
    out
}

/// IOP-5: a case lists the known capabilities its file's interface gives it, at least one.
fn capability_problem(name: &str, case: Case<'_>) -> Option<String> {
    let wanted = interface::find(name)?.capabilities(case);
    if wanted.is_empty() || !wanted.iter().all(|c| interface::CAPABILITIES.contains(c)) {
        return Some("a known capability for this case in vectors/src/interface.rs".into());
    }
    let listed: Vec<&str> = case
        .value("capabilities")
        .ok()
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    (listed != wanted).then(|| format!("{wanted:?}"))
}

fn show_caps(case: Case<'_>) -> String {
    case.value("capabilities")
        .map_or_else(|_| "(missing)".into(), ToString::to_string)
}

/// Verifies every registered file in `dir`, or just `only` (a file name).
///
/// # Errors
/// When a file cannot be read.
pub fn verify_dir(
    dir: &Path,
    only: Option<&str>,
    tc_id: Option<u64>,
) -> std::io::Result<Vec<FileReport>> {
    let names: Vec<&str> = match only {
        Some(name) => vec![name],
        None => registry::FILES.iter().map(|f| f.name).collect(),
    };
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name))?;
            Ok(verify_text(name, &text, tc_id))
        })
        .collect()
}
