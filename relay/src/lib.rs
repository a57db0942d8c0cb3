//! The saltrelay reference relay (spec/05-relay.md, spec/05-relay-storage.md).
//!
//! [`core`] is the relay's policy as a sync, sans-IO state machine: routing clients to relays,
//! per-recipient mailboxes, header flags, caps and expiry. It reads no clock (time is an
//! argument) and owns no sockets, so the relay-load simulator drives the very same code on
//! virtual time. [`store`] is the durable embedded buffer behind a small trait. With the
//! feature `runtime`, `server` is the tokio relay server and `client` its client library;
//! the default build stays tokio-free.
//!
//! # Errors
//! Each public module has one error enum, split by cause (caller misuse, forbidden peer
//! behaviour, policy refusal, resource limits, storage). Every variant has a stable `snake_case`
//! code (`code()`, CONV-7). No error text holds message bytes.

#[cfg(feature = "runtime")]
pub mod client;
pub mod core;
pub mod private_file;
#[cfg(feature = "runtime")]
pub mod server;
pub mod store;
