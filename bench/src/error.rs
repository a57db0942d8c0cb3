//! The one error type of the report generator.

use std::path::{Path, PathBuf};

/// Why a report could not be read or written. Each variant names the file involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or directory could not be read or written.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A JSON file did not parse, or a value could not be serialised.
    #[error("{}: not the JSON expected", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde said.
        source: serde_json::Error,
    },
    /// A marker or cost file carried another schema tag.
    #[error("{}: schema {found:?} is not the one this version reads", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// The tag it carried.
        found: String,
    },
    /// A benchmark id does not read `area/operation[/parameter]`.
    #[error("benchmark id {id:?} does not read area/operation/parameter")]
    BadId {
        /// The id criterion recorded.
        id: String,
    },
    /// No criterion results were found where they were looked for.
    #[error("no criterion results under {} (run `cargo bench -p saltrelay-bench` first)", dir.display())]
    NoResults {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The layers were measured at different commits or on a dirty tree (MEAS-3) and the
    /// caller did not allow a mixed report.
    #[error(
        "refusing to combine these measurements into one report: {}; re-run `saltrelay bench run` on a clean commit, or pass --allow-mixed to write a report that says so at its top",
        reasons.join("; ")
    )]
    Mixed {
        /// One sentence per problem.
        reasons: Vec<String>,
    },
    /// The relay's store failed during a store bench.
    #[error("store bench: {source}")]
    Store {
        /// What the store said.
        source: saltrelay_relay::store::StoreError,
    },
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn json(path: &Path, source: serde_json::Error) -> Self {
        Self::Json {
            path: path.to_owned(),
            source,
        }
    }
}
