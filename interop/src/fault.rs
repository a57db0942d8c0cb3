//! Peer faults (IOP-11): the peer process failed, as opposed to disagreeing with a vector.

use serde::Serialize;

/// What went wrong with the peer process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No answer within the timeout.
    Timeout,
    /// An answer line that is not a well-formed answer to the request.
    Malformed,
    /// The process could not start, stopped reading, or exited.
    Crashed,
}

impl FaultKind {
    /// The name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Malformed => "malformed",
            Self::Crashed => "crashed",
        }
    }
}

/// One peer fault, with what the runner saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// The kind of fault.
    pub kind: FaultKind,
    /// What happened, in words.
    pub detail: String,
    /// The offending answer line, when there was one.
    pub line: Option<String>,
    /// The last lines the peer wrote on standard error.
    pub stderr: Vec<String>,
}

impl Fault {
    /// A fault with no line and no standard error attached.
    #[must_use]
    pub fn new(kind: FaultKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            line: None,
            stderr: Vec::new(),
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "peer fault ({}): {}", self.kind.name(), self.detail)
    }
}
