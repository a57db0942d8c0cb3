//! The conformance harness (spec/08-interop.md): drives any implementation, the *peer*, through
//! every published test vector over JSON lines on its standard input and output.
//!
//! [`run::run`] starts the peer ([`process`]), exchanges the hello and one request per case
//! ([`peer`]), judges each answer with the vectors' own check (CONV-6, IOP-8) and returns a
//! [`report::RunReport`]. A peer process that hangs, crashes or writes garbage is a peer fault
//! ([`fault`], IOP-11), reported as such and restarted. [`rust_peer`] is our implementation
//! behind the same protocol. What is sent for each vector file comes from
//! `saltrelay_vectors::interface`, so a new vector family needs nothing here. Live checks:
//! [`relay_check`] drives anyone's relay (IOP-16), [`client_check`] anyone's client against
//! our relay (IOP-17 to IOP-19).
//!
//! Errors: [`run::RunError`] when a run cannot take place; everything a peer does wrong is a
//! finding in the report, never an error.

pub mod client_check;
pub mod fault;
pub mod pair;
mod pair_fs;
mod pair_group;
mod pair_script;
pub mod peer;
pub mod process;
pub mod relay_check;
pub mod report;
pub mod run;
pub mod rust_peer;
pub mod step;
