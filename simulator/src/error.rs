//! Errors of the simulator (MODEL.md).

/// Why a simulation could not run or its results could not be written.
///
/// Split by cause: the scenario (`Scenario`, `ScenarioSyntax`), the cost file (`Costs`),
/// files (`Io`), and internal bugs (`Conservation`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A scenario key has a value outside its allowed range.
    #[error("scenario key `{key}`: {message}")]
    Scenario {
        /// The dotted key (`churn.online_mean`).
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The scenario text is not valid TOML, or names an unknown key, or a value of a wrong type.
    #[error("scenario {origin}: {message}")]
    ScenarioSyntax {
        /// The file or override the text came from.
        origin: String,
        /// The parser's explanation (it names the key).
        message: String,
    },
    /// The cost file is malformed or has an unexpected schema.
    #[error("cost file {path}: {message}")]
    Costs {
        /// Where it was read from.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Messages were created or lost without being accounted for: a bug in the simulator.
    #[error("conservation violated: {0}")]
    Conservation(String),
}

impl SimError {
    /// An out-of-range error for `key`.
    pub(crate) fn range(key: &str, message: impl Into<String>) -> Self {
        Self::Scenario {
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
