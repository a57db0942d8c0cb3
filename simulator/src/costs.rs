//! Relay CPU costs per operation, from a `saltrelay_costs_v2` file (MEAS-4, MODEL.md "Costs").
//!
//! There is one source of measured costs: `saltrelay bench` writes `reports/bench/costs.json`
//! from its criterion results, with the provenance of the bench run that measured them
//! (commit, clean tree, machine, date). Scenarios read that file unless they name another one;
//! the only other file is a synthetic one for the M/M/1 check, which says so. Every value
//! carries a `from` saying how it was obtained, so a reader can trace each number in a
//! simulation back to a measurement.

use std::path::{Path, PathBuf};

use saltrelay_measure::Provenance;
use saltrelay_measure::checkout::{self, NotInCheckout};
use serde::{Deserialize, Serialize};

use crate::SimError;

/// The schema name a cost file must carry.
pub const SCHEMA: &str = "saltrelay_costs_v2";

/// The cost file scenarios read when they name none: the one `saltrelay bench` writes,
/// relative to the repository root.
pub const DEFAULT_COST_FILE: &str = "reports/bench/costs.json";

/// A whole cost file (MEAS-4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostFile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The bench run that measured the costs, recorded when it ran (MEAS-1). Absent only in a
    /// synthetic file.
    pub measured: Option<Provenance>,
    /// Why a synthetic file's numbers are what they are; absent in a measured file.
    pub synthetic: Option<String>,
    /// The costs.
    pub costs: Costs,
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
        if file.measured.is_some() == file.synthetic.is_some() {
            return Err(bad(
                "exactly one of `measured` (a bench run's provenance) and `synthetic` (why the \
                 numbers are made up) must be present"
                    .to_owned(),
            ));
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

    /// Where the costs come from, for a report: the bench run's command, commit and
    /// machine, or the synthetic file's reason.
    #[must_use]
    pub fn origin(&self) -> String {
        match (&self.measured, &self.synthetic) {
            (Some(p), _) => format!(
                "measured by `{}` at commit `{}` on {}, {} UTC",
                p.command,
                p.commit_label(),
                p.machine.summary(),
                p.date
            ),
            (None, Some(why)) => format!("synthetic: {why}"),
            (None, None) => "unknown".to_owned(),
        }
    }
}

/// Finds a cost file named in a scenario (or [`DEFAULT_COST_FILE`]): the path as given when
/// it is absolute or in the working directory, else in the nearest folder above that has it
/// (the root of the checkout around the working directory); never a path compiled in.
///
/// # Errors
/// [`NotInCheckout`] when no such file exists.
pub fn locate(path: &str) -> Result<PathBuf, NotInCheckout> {
    checkout::find(
        path,
        "name a cost file with --set costs=FILE (`saltrelay bench run` writes one)",
    )
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
    use super::{CostFile, DEFAULT_COST_FILE, locate};

    const MM1: &str = include_str!("../costs/mm1.json");

    #[test]
    fn the_cost_files_parse_and_bad_files_are_refused() {
        let bench = CostFile::load(&locate(DEFAULT_COST_FILE).unwrap()).unwrap();
        assert!(bench.measured.is_some());
        assert!(bench.costs.relay_handshake_ns.value > 0.0);
        assert!(bench.costs.seal(1000) > bench.costs.seal(10));
        let mm1 = CostFile::parse(MM1, "mm1.json").unwrap();
        assert!(mm1.origin().starts_with("synthetic: "));
        let wrong = MM1.replace("saltrelay_costs_v2", "saltrelay_costs_v1");
        assert!(
            CostFile::parse(&wrong, "x")
                .unwrap_err()
                .to_string()
                .contains("schema")
        );
        let neither = MM1.replace("\"synthetic\"", "\"ignored\"");
        assert!(CostFile::parse(&neither, "x").is_err());
        assert!(CostFile::parse("{}", "x").is_err());
    }
}
