//! The layer marker: the file each bench target writes beside its criterion results so the
//! report can group benchmarks by layer (primitives, E2E, transport, relay, simulator, …).
//!
//! A bench target calls [`LayerMarker::write`] on `criterion_home()/<layer name>` and points
//! criterion's output directory there; the report then finds every benchmark below a marker.

use std::path::{Path, PathBuf};
use std::process::Command;

use saltrelay_measure::Provenance;
use serde::{Deserialize, Serialize};

use crate::ReportError;

/// File name of the marker inside a layer's criterion directory.
pub const MARKER_FILE: &str = "saltrelay-layer.json";
/// Schema tag of the marker file.
pub const MARKER_SCHEMA: &str = "saltrelay_bench_layer_v2";

/// What a bench target says about itself: which layer it measures and how it was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerMarker {
    /// Always [`MARKER_SCHEMA`].
    pub schema: String,
    /// Short name, also the directory name: `primitives`, `e2e`, `transport`, `relay`, …
    pub name: String,
    /// Heading in the report: "Primitives".
    pub title: String,
    /// Position in the report, ascending (primitives 10, E2E 20, transport 30, relay 40,
    /// simulator 50, system 90).
    pub order: u32,
    /// One or two sentences for the report: what is measured and how.
    pub description: String,
    /// The baseline measured in the same run, if any, with its version ("libsodium 1.0.18").
    pub baseline: Option<String>,
    /// The clock the times were read from ("CPU time of the measuring thread", "wall time").
    pub clock: String,
    /// How the bench binary was compiled.
    pub build: BuildInfo,
    /// Commit, clean tree, machine, command and run id, recorded when the bench binary
    /// started (MEAS-1): a report reads them from here, not from the moment it is written.
    pub provenance: Provenance,
}

impl LayerMarker {
    /// A marker for `name` with the build facts and provenance of this binary and no baseline.
    #[must_use]
    pub fn new(name: &str, title: &str, order: u32, description: &str) -> Self {
        Self {
            schema: MARKER_SCHEMA.to_owned(),
            name: name.to_owned(),
            title: title.to_owned(),
            order,
            description: description.to_owned(),
            baseline: None,
            clock: "wall time".to_owned(),
            build: BuildInfo::current(),
            // The repository around the working directory (`cargo bench` runs this binary in
            // `bench/`), never a path compiled in: git finds the checkout from there.
            provenance: Provenance::record_here(Path::new(".")),
        }
    }

    /// Writes the marker into `dir` (created if needed).
    ///
    /// # Errors
    /// [`ReportError::Io`] when the directory or file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), ReportError> {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
        let path = dir.join(MARKER_FILE);
        let json = serde_json::to_string_pretty(self).map_err(|e| ReportError::json(&path, e))?;
        std::fs::write(&path, json).map_err(|e| ReportError::io(&path, e))
    }

    /// Reads a marker file.
    ///
    /// # Errors
    /// [`ReportError::Io`] or [`ReportError::Json`] when it cannot be read or parsed,
    /// [`ReportError::Schema`] when its schema tag is not [`MARKER_SCHEMA`].
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
        let marker: Self = serde_json::from_str(&text).map_err(|e| ReportError::json(path, e))?;
        if marker.schema != MARKER_SCHEMA {
            return Err(ReportError::Schema {
                path: path.to_owned(),
                found: marker.schema,
            });
        }
        Ok(marker)
    }
}

/// Compile-time facts of the binary that measured: they change the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// Whether debug assertions were on (a bench built that way measures the wrong thing).
    pub debug_assertions: bool,
    /// SIMD target features enabled at compile time (not what the CPU has: what the code may
    /// assume without runtime detection).
    pub target_features: Vec<String>,
    /// Speed-relevant `--cfg` flags seen at compile time.
    pub cfgs: Vec<String>,
}

impl BuildInfo {
    /// The facts of the code calling this (this crate is built with the same flags as the
    /// bench targets in one `cargo bench`).
    #[must_use]
    pub fn current() -> Self {
        let features = [
            ("sse2", cfg!(target_feature = "sse2")),
            ("ssse3", cfg!(target_feature = "ssse3")),
            ("sse4.1", cfg!(target_feature = "sse4.1")),
            ("avx", cfg!(target_feature = "avx")),
            ("avx2", cfg!(target_feature = "avx2")),
            ("bmi2", cfg!(target_feature = "bmi2")),
            ("adx", cfg!(target_feature = "adx")),
            ("avx512f", cfg!(target_feature = "avx512f")),
            ("neon", cfg!(target_feature = "neon")),
        ];
        let cfgs = [("poly1305_force_soft", cfg!(poly1305_force_soft))];
        Self {
            debug_assertions: cfg!(debug_assertions),
            target_features: enabled(&features),
            cfgs: enabled(&cfgs),
        }
    }

    /// A short label: "x86-64 baseline (sse2)" or the list of features and cfgs.
    #[must_use]
    pub fn label(&self) -> String {
        let mut parts = self.target_features.join("+");
        if parts.is_empty() {
            parts.push_str("no SIMD features");
        }
        for cfg in &self.cfgs {
            parts.push_str(", --cfg ");
            parts.push_str(cfg);
        }
        if self.debug_assertions {
            parts.push_str(", debug assertions ON");
        }
        parts
    }
}

fn enabled(flags: &[(&str, bool)]) -> Vec<String> {
    flags
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// Where criterion keeps its results, found as criterion 0.8 finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `<cargo metadata target_directory>/criterion`, else
/// `target/criterion`, with `cargo metadata` run in `dir`.
#[must_use]
pub fn criterion_home(dir: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    cargo_target_directory(dir).map_or_else(
        || dir.join("target").join("criterion"),
        |t| t.join("criterion"),
    )
}

fn cargo_target_directory(dir: &Path) -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    metadata
        .get("target_directory")?
        .as_str()
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut marker = LayerMarker::new("primitives", "Primitives", 10, "X25519 and boxes.");
        marker.baseline = Some("libsodium 1.0.18".to_owned());
        marker.write(dir.path()).unwrap();
        let back = LayerMarker::read(&dir.path().join(MARKER_FILE)).unwrap();
        assert_eq!(back, marker);
    }

    #[test]
    fn rejects_a_marker_of_another_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MARKER_FILE);
        let mut marker = LayerMarker::new("x", "X", 1, "");
        marker.schema = "other".to_owned();
        std::fs::write(&path, serde_json::to_string(&marker).unwrap()).unwrap();
        assert!(matches!(
            LayerMarker::read(&path),
            Err(ReportError::Schema { found, .. }) if found == "other"
        ));
    }

    #[test]
    fn label_names_features_and_cfgs() {
        let build = BuildInfo {
            debug_assertions: false,
            target_features: vec!["sse2".into(), "avx2".into()],
            cfgs: vec!["poly1305_force_soft".into()],
        };
        assert_eq!(build.label(), "sse2+avx2, --cfg poly1305_force_soft");
    }
}
