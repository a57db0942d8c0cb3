//! Every file's interop interface (spec/08-interop.md, IOP-5 to IOP-9) matches its vectors:
//! our implementation, given only the request input a peer gets, reproduces every case; it
//! answers exactly the declared fields; and every case lists its capabilities.

use std::collections::BTreeSet;
use std::path::Path;

use saltrelay_vectors::KatFile;
use saltrelay_vectors::case::Case;
use saltrelay_vectors::check::{Outcome, judge};
use saltrelay_vectors::interface::{self, CAPABILITIES, INTERFACES};
use saltrelay_vectors::registry::FILES;

fn load(name: &str) -> KatFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("saltrelay")
        .join(name);
    KatFile::from_json(&std::fs::read_to_string(path).expect("vector file readable"))
        .expect("kat_v1")
}

#[test]
fn every_registered_file_has_one_interface_and_back() {
    let files: BTreeSet<&str> = FILES.iter().map(|f| f.name).collect();
    let interfaces: BTreeSet<&str> = INTERFACES.iter().map(|i| i.file).collect();
    assert_eq!(files, interfaces);
    assert_eq!(interfaces.len(), INTERFACES.len(), "one line per file");
}

#[test]
fn declared_fields_are_consistent() {
    for iface in INTERFACES {
        for field in iface.withheld.iter().chain(iface.on_failure) {
            assert!(
                iface.answers.contains(field),
                "{}: {field} is withheld or pinned on failure but not answered",
                iface.file
            );
        }
        assert!(!iface.answers.is_empty(), "{} answers nothing", iface.file);
    }
}

/// The request input alone is enough: nothing withheld is read, and the outputs are exactly
/// the declared answers.
#[test]
fn request_input_reproduces_every_case() {
    for file in FILES {
        let iface = interface::find(file.name).expect("interface");
        let kat = load(file.name);
        for case in &kat.tests {
            let tc_id = Case(case).tc_id();
            let input = iface.request_input(case);
            for field in iface.withheld {
                assert!(
                    !input.contains_key(*field),
                    "{} withheld {field}",
                    file.name
                );
            }
            let outcome: Outcome = (file.compute)(Case(&input))
                .unwrap_or_else(|m| {
                    panic!(
                        "{} tcId {tc_id}: request input lacks {}: {}",
                        file.name, m.field, m.reason
                    )
                })
                .into();
            let fields: BTreeSet<&str> = match &outcome {
                Outcome::Accepted(outputs) => {
                    let answered: BTreeSet<&str> =
                        outputs.iter().map(|(f, _)| f.as_str()).collect();
                    let required: BTreeSet<&str> = iface.required(case).into_iter().collect();
                    assert!(
                        answered.is_subset(&iface.answers.iter().copied().collect())
                            && answered.is_superset(&required),
                        "{} tcId {tc_id}: answered {answered:?}, required {required:?}",
                        file.name
                    );
                    answered
                }
                Outcome::Rejected { outputs, .. } => {
                    outputs.iter().map(|(f, _)| f.as_str()).collect()
                }
            };
            if let Outcome::Rejected { .. } = outcome {
                for field in fields {
                    assert!(
                        iface.on_failure.contains(&field),
                        "{} tcId {tc_id}: {field} answered on failure but not declared",
                        file.name
                    );
                }
            }
            let failures = judge(file.name, case, outcome);
            assert!(failures.is_empty(), "{failures:#?}");
        }
    }
}

#[test]
fn every_case_lists_known_capabilities() {
    for file in FILES {
        for case in &load(file.name).tests {
            let caps = Case(case)
                .value("capabilities")
                .expect("capabilities")
                .as_array()
                .expect("a list")
                .clone();
            assert!(!caps.is_empty(), "{}", file.name);
            for cap in caps {
                let cap = cap.as_str().expect("a string");
                assert!(CAPABILITIES.contains(&cap), "{}: {cap}", file.name);
            }
        }
    }
}
