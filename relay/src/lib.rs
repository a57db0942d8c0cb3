//! Placeholder: the reference relay (routing, mailboxes, TTL in a sync `core`; the tokio server
//! and client) lands with the relay issue.

pub mod store;
