//! The saltrelay reference relay (spec/05-relay.md, spec/05-relay-storage.md).
//!
//! [`core`] is the relay's policy as a sync, sans-IO state machine: routing clients to relays,
//! per-recipient mailboxes, header flags, caps and expiry. It reads no clock (time is an
//! argument) and owns no sockets, so the relay-load simulator drives the very same code on
//! virtual time. [`store`] is the durable embedded buffer behind a small trait. With the
//! feature `runtime`, `server` is the tokio relay server, `client` its client library and
//! `runtime` the clock, randomness and frame tracer both use; the default build stays
//! tokio-free.
//!
//! # Errors
//! Each public module has one error enum, split by cause (caller misuse, forbidden peer
//! behaviour, policy refusal, resource limits, storage). Every variant has a stable `snake_case`
//! code (`code()`, CONV-7). No error text holds message bytes.
//!
//! The crate takes the protocol crate's strict lints: outside tests no `unwrap`, no `panic!`,
//! no indexing or slicing that can panic and no unchecked arithmetic. Where a bound holds by
//! construction, the code says which (a saturating operation that cannot saturate, or an
//! `expect` naming the invariant); where input can overflow, a typed error.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(feature = "runtime")]
pub mod client;
pub mod core;
pub mod private_file;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "runtime")]
pub mod server;
pub mod store;
