//! What every saltrelay measurement shares (spec/09-measurements.md).
//!
//! - [`provenance`]: the one recorder of where, when and how a figure was measured (commit,
//!   clean tree, machine, toolchain, command, run id), taken when the measurement runs and
//!   stored in the result's JSON (MEAS-1).
//! - [`check`]: the check of committed reports CI runs (`saltrelay reports check`, MEAS-6),
//!   with the regeneration of reports from their own records (MEAS-13).
//! - [`process`]: CPU time and peak memory of a process, from /proc (MEAS-10).
//! - [`plot`]: the one plotting module: every SVG chart of every report (MEAS-9, MEAS-14).
//! - [`checkout`]: where a tool finds a checkout's files by default: from the working
//!   directory, never from a path compiled in.
//! - `testing` (feature `test-support`): scratch git repositories for tests of the check.

pub mod check;
pub mod checkout;
pub mod plot;
pub mod process;
pub mod provenance;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use provenance::{Machine, Provenance, Toolchain};
