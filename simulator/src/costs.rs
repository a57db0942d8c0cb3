//! Relay CPU costs per operation, from a `saltrelay_costs_v1` file (MODEL.md, "Costs").
//!
//! The benchmark report writes `reports/bench/costs.json`; `simulator/costs/default.json` has
//! the same shape and ships measured defaults. Every value carries a `from` saying how it was
//! obtained, so a reader can trace each number in a simulation back to a measurement.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::SimError;

/// The schema name a cost file must carry.
pub const SCHEMA: &str = "saltrelay_costs_v1";

/// The shipped default cost file.
pub const DEFAULT_COSTS_JSON: &str = include_str!("../costs/default.json");

/// A whole cost file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostFile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// How the file was produced.
    pub source: CostSource,
    /// The costs.
    pub costs: Costs,
}

/// Provenance of a cost file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostSource {
    /// The command that produced it.
    pub command: String,
    /// The git commit it was measured at.
    pub commit: String,
    /// When.
    pub date: String,
    /// On what.
    pub machine: String,
}

/// Per-operation relay costs in nanoseconds of one core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// One login handshake (about five X25519 operations plus boxes).
    pub relay_handshake_ns: Fixed,
    /// Opening (decrypting) one incoming frame.
    pub frame_open_ns: PerByte,
    /// Sealing (encrypting) one outgoing frame.
    pub frame_seal_ns: PerByte,
    /// One group commit of the store.
    pub store_commit_ns: PerRecord,
    /// One fsync, paid by every group commit.
    pub fsync_ns: Fixed,
}

/// A fixed cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixed {
    /// Nanoseconds.
    pub value: f64,
    /// Where the number comes from.
    pub from: String,
}

/// A cost linear in the frame size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerByte {
    /// Nanoseconds per frame.
    pub base: f64,
    /// Nanoseconds per byte.
    pub per_byte: f64,
    /// Where the numbers come from.
    pub from: String,
}

/// A cost linear in the records of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerRecord {
    /// Nanoseconds per commit.
    pub base: f64,
    /// Nanoseconds per record.
    pub per_record: f64,
    /// Where the numbers come from.
    pub from: String,
}

impl Costs {
    /// One row per cost for a report table: its key in the file, its value in words
    /// (`386 ns + 2.992 ns/B`) and where it comes from.
    #[must_use]
    pub fn rows(&self) -> [(&'static str, String, &str); 5] {
        [
            (
                "relay_handshake_ns",
                format!("{:.0} ns", self.relay_handshake_ns.value),
                &self.relay_handshake_ns.from,
            ),
            (
                "frame_open_ns",
                format!(
                    "{:.0} ns + {} ns/B",
                    self.frame_open_ns.base, self.frame_open_ns.per_byte
                ),
                &self.frame_open_ns.from,
            ),
            (
                "frame_seal_ns",
                format!(
                    "{:.0} ns + {} ns/B",
                    self.frame_seal_ns.base, self.frame_seal_ns.per_byte
                ),
                &self.frame_seal_ns.from,
            ),
            (
                "store_commit_ns",
                format!(
                    "{:.0} ns + {:.0} ns/record",
                    self.store_commit_ns.base, self.store_commit_ns.per_record
                ),
                &self.store_commit_ns.from,
            ),
            (
                "fsync_ns",
                format!("{:.0} ns", self.fsync_ns.value),
                &self.fsync_ns.from,
            ),
        ]
    }
}

impl CostFile {
    /// Parses and checks a cost file's text.
    ///
    /// # Errors
    /// [`SimError::Costs`] for malformed JSON, a wrong schema, or a negative or non-finite cost.
    pub fn parse(text: &str, origin: &str) -> Result<Self, SimError> {
        let bad = |message: String| SimError::Costs {
            path: origin.to_owned(),
            message,
        };
        let file: Self = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.schema != SCHEMA {
            return Err(bad(format!(
                "schema {:?}, expected {SCHEMA:?}",
                file.schema
            )));
        }
        let c = &file.costs;
        for (name, value) in [
            ("relay_handshake_ns.value", c.relay_handshake_ns.value),
            ("frame_open_ns.base", c.frame_open_ns.base),
            ("frame_open_ns.per_byte", c.frame_open_ns.per_byte),
            ("frame_seal_ns.base", c.frame_seal_ns.base),
            ("frame_seal_ns.per_byte", c.frame_seal_ns.per_byte),
            ("store_commit_ns.base", c.store_commit_ns.base),
            ("store_commit_ns.per_record", c.store_commit_ns.per_record),
            ("fsync_ns.value", c.fsync_ns.value),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(bad(format!(
                    "{name} = {value}: costs must be finite and at least 0"
                )));
            }
        }
        Ok(file)
    }

    /// Reads a cost file.
    ///
    /// # Errors
    /// As [`CostFile::parse`], and [`SimError::Io`].
    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The shipped default.
    #[must_use]
    pub fn shipped_default() -> Self {
        Self::parse(DEFAULT_COSTS_JSON, "simulator/costs/default.json")
            .expect("the shipped cost file is valid")
    }
}

impl Costs {
    /// CPU time to open a frame of `len` bytes, ns.
    #[must_use]
    pub fn open(&self, len: u32) -> f64 {
        self.frame_open_ns.base + self.frame_open_ns.per_byte * f64::from(len)
    }

    /// CPU time to seal a frame of `len` bytes, ns.
    #[must_use]
    pub fn seal(&self, len: u32) -> f64 {
        self.frame_seal_ns.base + self.frame_seal_ns.per_byte * f64::from(len)
    }

    /// CPU time of one group commit of `records` records, fsync included, ns.
    #[must_use]
    pub fn commit(&self, records: u32) -> f64 {
        self.store_commit_ns.base
            + self.store_commit_ns.per_record * f64::from(records)
            + self.fsync_ns.value
    }
}

#[cfg(test)]
mod tests {
    use super::{CostFile, DEFAULT_COSTS_JSON};

    #[test]
    fn shipped_default_parses_and_bad_files_are_refused() {
        let file = CostFile::shipped_default();
        assert!(file.costs.relay_handshake_ns.value > 0.0);
        assert!(file.costs.seal(1000) > file.costs.seal(10));
        let wrong = DEFAULT_COSTS_JSON.replace("saltrelay_costs_v1", "other");
        assert!(
            CostFile::parse(&wrong, "x")
                .unwrap_err()
                .to_string()
                .contains("schema")
        );
        assert!(CostFile::parse("{}", "x").is_err());
    }
}
