//! The relay load test (spec/05-relay.md, RELAY-13, RELAY-20, RELAY-21): N real TCP clients,
//! each with its own identity and handshake, send real end-to-end messages through a relay;
//! every message is counted by its message ID from send to ack to delivery, latencies go to
//! HDR histograms, and a report lands in `reports/loadtest/<name>/`.
//!
//! Driving steps:
//! 1. Build a [`LoadConfig`], usually from a [`Preset`] plus overrides.
//! 2. [`run`] starts the relay (embedded, a child process, or an external one), connects the
//!    clients, runs warm-up and measured phases, drains, and returns [`Results`].
//! 3. [`report::write`] writes `summary.md`, `results.json` and the SVG plots.
//!
//! # Errors
//! [`LoadError`] for what stops a run (bad configuration, relay or client setup, report
//! files); message-level failures are counted in the results, never returned.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and microseconds far below 2^52 are turned into floating-point rates"
)]

pub mod accounting;
pub mod config;
pub mod cpu;
mod error;
pub mod flush;
pub mod frame_io;
mod identities;
pub mod kill_cycle;
pub mod latency;
pub mod message;
mod offenders;
mod receiver;
pub mod redis;
pub mod report;
mod results;
mod run;
mod runtime;
mod sender;
pub mod sizes;
mod state;
mod target;

pub use config::{LoadConfig, Preset, RelayMode};
pub use error::LoadError;
pub use results::Results;
pub use run::run;
