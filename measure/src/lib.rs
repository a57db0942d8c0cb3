//! What every saltrelay measurement shares (spec/09-measurements.md).
//!
//! - [`provenance`]: the one recorder of where, when and how a figure was measured (commit,
//!   clean tree, machine, toolchain, command, run id), taken when the measurement runs and
//!   stored in the result's JSON (MEAS-1).

pub mod provenance;

pub use provenance::{Machine, Provenance, Toolchain};
