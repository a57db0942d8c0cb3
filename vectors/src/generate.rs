//! Rebuilding the vector files from their seeds, and detecting drift (CONV-5).

use std::path::Path;

use serde_json::{Map, Value};

use crate::KatFile;
use crate::case::Case;
use crate::check::{Failure, check_case};
use crate::interface;
use crate::registry::{FILES, VectorFile};

/// A generated file disagreed with our own check: a bug in a generator or in the code.
#[derive(Debug, thiserror::Error)]
#[error("generated {file} fails its own check: {}", first_failure(.failures))]
pub struct SelfCheckError {
    /// The file.
    pub file: &'static str,
    /// Every disagreement.
    pub failures: Vec<Failure>,
}

fn first_failure(failures: &[Failure]) -> String {
    failures
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Generates one file's canonical text and checks every case against our implementation.
///
/// # Errors
/// [`SelfCheckError`] when a generated case does not pass its own check.
pub fn generate_file(file: &VectorFile) -> Result<String, SelfCheckError> {
    let mut kat = (file.generate)();
    tag_capabilities(&mut kat, file.name);
    let failures: Vec<Failure> = kat
        .tests
        .iter()
        .flat_map(|case| check_case(file.name, case, file.compute))
        .collect();
    if failures.is_empty() {
        Ok(kat.to_json())
    } else {
        Err(SelfCheckError {
            file: file.name,
            failures,
        })
    }
}

/// Writes each case's `capabilities` (IOP-5) right after its `specRefs`, from the file's line
/// in [`interface::INTERFACES`], so no generator has to.
///
/// # Panics
/// When the file has no interface line: add one to `vectors/src/interface.rs`.
fn tag_capabilities(kat: &mut KatFile, name: &str) {
    let interface = interface::find(name).unwrap_or_else(|| {
        panic!("vector file {name} has no line in vectors/src/interface.rs: add one")
    });
    for case in &mut kat.tests {
        let needs: Value = interface.capabilities(Case(case)).into();
        let mut tagged = Map::new();
        for (field, value) in std::mem::take(case) {
            let after_refs = field == "specRefs";
            tagged.insert(field, value);
            if after_refs {
                tagged.insert("capabilities".into(), needs.clone());
            }
        }
        *case = tagged;
    }
}

/// How a committed file differs from what its seed generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file is missing.
    Missing(&'static str),
    /// The file differs; the first differing line is given (1-based).
    Differs {
        /// The file.
        file: &'static str,
        /// First line that differs.
        line: usize,
    },
    /// A `.json` file in the folder that no generator produces.
    Unregistered(String),
}

impl core::fmt::Display for Drift {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Missing(file) => write!(f, "{file}: missing"),
            Self::Differs { file, line } => {
                write!(f, "{file}: differs from its generator from line {line}")
            }
            Self::Unregistered(file) => write!(f, "{file}: no generator produces this file"),
        }
    }
}

/// Writes every file into `dir`; returns the names written.
///
/// # Errors
/// A self-check failure or an I/O error.
pub fn write_all(dir: &Path) -> Result<Vec<&'static str>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for file in FILES {
        let text = generate_file(file)?;
        std::fs::write(dir.join(file.name), text)?;
        written.push(file.name);
    }
    Ok(written)
}

/// Regenerates every file in memory and compares with `dir`.
///
/// # Errors
/// A self-check failure or an I/O error other than a missing file.
pub fn check_all(dir: &Path) -> Result<Vec<Drift>, Box<dyn std::error::Error>> {
    let mut drift = Vec::new();
    for file in FILES {
        let fresh = generate_file(file)?;
        match std::fs::read_to_string(dir.join(file.name)) {
            Ok(committed) if committed == fresh => {}
            Ok(committed) => {
                let line = committed
                    .lines()
                    .zip(fresh.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
                drift.push(Drift::Differs {
                    file: file.name,
                    line: line + 1,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                drift.push(Drift::Missing(file.name));
            }
            Err(e) => return Err(e.into()),
        }
    }
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let is_json = Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json && crate::registry::find(&name).is_none() {
            drift.push(Drift::Unregistered(name));
        }
    }
    Ok(drift)
}
