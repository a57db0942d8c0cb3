//! Why a load test run cannot go on.

use std::path::PathBuf;

use crate::sizes::SizeError;

/// What stops a load test run. Message-level failures are counted, not returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The configuration is inconsistent (caller misuse).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The size distribution did not parse.
    #[error("invalid --size: {0}")]
    Size(#[from] SizeError),
    /// The relay did not start or could not be reached.
    #[error("relay: {0}")]
    Relay(String),
    /// A well-behaved client could not log in during setup.
    #[error("client {index} could not log in: {reason}")]
    Login {
        /// Which client.
        index: usize,
        /// The client's error.
        reason: String,
    },
    /// A file or folder of the report or the temporary data directory.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl LoadError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
