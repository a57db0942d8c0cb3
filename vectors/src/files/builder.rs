//! Assembles a generated file: numbering, envelope, and the notes for every flag used.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::flags;
use crate::KatFile;
use crate::case::Case;
use crate::kat_file::{SCHEMA, Source};

/// The command that rebuilds every file (CONV-5).
const COMMAND: &str = "saltrelay vectors generate";

/// Collects one file's cases in order.
pub(crate) struct FileBuilder {
    algorithm: &'static str,
    seed: u64,
    encoding: String,
    own_notes: Vec<(&'static str, &'static str)>,
    tests: Vec<Map<String, Value>>,
}

impl FileBuilder {
    /// Starts a file whose random inputs come from `seed`.
    pub(crate) fn new(algorithm: &'static str, seed: u64) -> Self {
        Self {
            algorithm,
            seed,
            encoding: "byte strings are lowercase hex; integers are JSON numbers".into(),
            own_notes: Vec::new(),
            tests: Vec::new(),
        }
    }

    /// Replaces the default encoding sentence.
    pub(crate) fn encoding(mut self, text: &str) -> Self {
        text.clone_into(&mut self.encoding);
        self
    }

    /// Explains a flag only this file uses; shared flags are described in `flags.rs`.
    pub(crate) fn note(mut self, flag: &'static str, text: &'static str) -> Self {
        self.own_notes.push((flag, text));
        self
    }

    /// Appends a case, numbering it and putting `tcId` first.
    pub(crate) fn push(&mut self, case: Map<String, Value>) {
        let mut numbered = Map::new();
        numbered.insert("tcId".into(), (self.tests.len() + 1).into());
        numbered.extend(case);
        self.tests.push(numbered);
    }

    /// Finishes the envelope, with a note for every flag the cases use.
    pub(crate) fn finish(self) -> KatFile {
        let used: BTreeSet<&str> = self.tests.iter().flat_map(|c| Case(c).flags()).collect();
        let notes = used
            .into_iter()
            .map(|flag| {
                let own = self
                    .own_notes
                    .iter()
                    .find(|(f, _)| *f == flag)
                    .map(|(_, t)| *t);
                let text = own.or_else(|| flags::describe(flag)).unwrap_or_else(|| {
                    panic!(
                        "vector flag {flag:?} has no note: add it to flags.rs or FileBuilder::note"
                    )
                });
                (flag.to_owned(), Value::from(text))
            })
            .collect();
        KatFile {
            schema: SCHEMA.into(),
            algorithm: self.algorithm.into(),
            source: Source {
                generator: concat!("saltrelay-vectors ", env!("CARGO_PKG_VERSION")).into(),
                command: COMMAND.into(),
                seed: self.seed,
            },
            encoding: self.encoding,
            number_of_tests: self.tests.len(),
            notes,
            tests: self.tests,
        }
    }
}
