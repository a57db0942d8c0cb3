//! The saltrelay relay-load simulator (simulator/MODEL.md).
mod error;
pub mod queue;
pub mod rng;
pub mod scenario;

pub use error::SimError;
