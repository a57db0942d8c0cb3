//! `results.json`: every figure of the run, pretty-printed with stable key order.

use std::path::Path;

use crate::{LoadError, Results};

pub(super) fn write(path: &Path, results: &Results) -> Result<(), LoadError> {
    let mut text = serde_json::to_string_pretty(results)
        .map_err(|e| LoadError::io(path, std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| LoadError::io(path, e))
}
