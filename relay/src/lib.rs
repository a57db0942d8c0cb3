//! The saltrelay reference relay (spec/05-relay.md).
//!
//! [`store`] is the relay's durable message buffer (spec/05-relay-storage.md). With the
//! feature `runtime`, [`server`] is the tokio relay server and [`client`] its client library;
//! the default build stays tokio-free so the simulator can depend on this crate.

#[cfg(feature = "runtime")]
pub mod client;
#[cfg(feature = "runtime")]
pub mod server;
pub mod store;
