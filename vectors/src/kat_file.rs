//! The `kat_v1` envelope every vector file uses (CONV-5).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The schema name of our envelope.
pub const SCHEMA: &str = "kat_v1";

/// One vector file: the envelope and its tests, keys in a stable order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KatFile {
    /// Always `kat_v1`.
    pub schema: String,
    /// What the file tests, in words.
    pub algorithm: String,
    /// How the file was made: for ours, the command and seed that rebuild it.
    pub source: Source,
    /// How bytes and other values are written.
    pub encoding: String,
    /// The number of entries in `tests`.
    #[serde(rename = "numberOfTests")]
    pub number_of_tests: usize,
    /// One entry per flag used in `tests`: what the flag means.
    pub notes: Map<String, Value>,
    /// The test cases, `tcId` counting from 1.
    pub tests: Vec<Map<String, Value>>,
}

/// Where a generated file comes from (CONV-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The program that wrote the file.
    pub generator: String,
    /// The exact command that rebuilds it.
    pub command: String,
    /// The ChaCha20 RNG seed its random inputs were drawn from (CONV-9).
    pub seed: u64,
}

impl KatFile {
    /// Parses a file's text.
    ///
    /// # Errors
    /// When the text is not a `kat_v1` JSON document.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The canonical text of the file: pretty JSON, two-space indent, one trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("JSON values always serialise");
        text.push('\n');
        text
    }
}
