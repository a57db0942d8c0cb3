//! The saltrelay reference relay (spec/05-relay.md, spec/05-relay-storage.md).
//!
//! [`store`] is the durable embedded buffer behind a small trait; the sync routing policy
//! (`core`) and the tokio server and client land with the relay issue.

pub mod store;
