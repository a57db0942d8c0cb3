//! The saltrelay relay-load simulator (simulator/MODEL.md).
//!
//! A discrete-event model of a relay cluster under load: clients with churn, sends with
//! client-side group fan-out and automatic receipts, relays with CPU costs from a cost file,
//! and the relay's own policy core ([`saltrelay_relay::core`]). [`scenario::Scenario`] says
//! what to simulate, [`model::run`] runs one seed, [`sweep::run_all`] runs sweeps and seeds
//! in parallel, and [`report`] writes `results.json`, `summary.md` and SVG plots.
//!
//! # Errors
//! One enum, [`SimError`], split by cause: scenario keys out of range (naming the key and the
//! allowed range), malformed scenario or cost files, I/O, and conservation failures (bugs).

// A simulator turns counts and times into rates and means everywhere; every count stays far
// below 2^53, where the conversion is exact.
#![allow(
    clippy::cast_precision_loss,
    reason = "counts and times stay below 2^53, exact in f64"
)]

mod error;

pub mod costs;
pub mod estimate;
pub mod model;
pub mod queue;
pub mod report;
pub mod results;
pub mod rng;
pub mod scale;
pub mod scenario;
mod stats;
pub mod sweep;
pub mod validate;

pub use error::SimError;
pub use results::RunResult;
pub use stats::{Counters, Series};
